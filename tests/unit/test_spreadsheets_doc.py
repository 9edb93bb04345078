"""R-OPS-3: docs/spreadsheets.md names exactly the columns the loader reads, required and optional,
so that the page a province's registry works from cannot drift from province/rows.py."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from province.rows import ROLL, SCORES, STAFF, SheetKind

DOC = Path(__file__).resolve().parents[2] / "docs" / "spreadsheets.md"
ROW = re.compile(r"^\| `([^`]+)` \| (yes|no) \|", re.MULTILINE)


def documented(option: str) -> dict[str, bool]:
    """The columns of the section whose heading names `--option`: column -> required."""
    sections = re.split(r"^## ", DOC.read_text(encoding="utf-8"), flags=re.MULTILINE)
    (section,) = [s for s in sections if f"(`--{option}`)" in s.splitlines()[0]]
    return {column: required == "yes" for column, required in ROW.findall(section)}


@pytest.mark.parametrize(("option", "kind"), [("roll", ROLL), ("scores", SCORES), ("staff", STAFF)])
def test_r_ops_3_the_spreadsheet_doc_lists_exactly_the_columns_the_loader_reads(
    option: str, kind: SheetKind[object]
) -> None:
    read = {**dict.fromkeys(kind.columns, True), **dict.fromkeys(kind.optional, False)}
    assert documented(option) == read
