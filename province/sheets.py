"""Reading a province's spreadsheets row by row (api.md, "Added: province spreadsheets").

CSV in UTF-8 (with or without a BOM) or GB18030, told apart by reading the bytes once; XLSX
through openpyxl in read-only mode, which streams the sheet's XML. Either way one row at a time,
as text by header, with the line it is on: memory stays flat in the number of rows.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

UTF8_BOM = codecs.BOM_UTF8
CHUNK = 1 << 20
XLSX_MAGIC = b"PK\x03\x04"  # an XLSX file is a zip archive


@dataclass(frozen=True)
class SheetProblem:
    line: int
    column: str
    message: str


class UnreadableSheet(Exception):
    def __init__(self, problem: SheetProblem) -> None:
        super().__init__(problem.message)
        self.problem = problem


@dataclass(frozen=True)
class SheetRow:
    line: int
    values: dict[str, str]  # by header; a column the row lacks is ""


def csv_encoding(path: Path) -> str:
    """`utf-8-sig` with a BOM, `utf-8` if every byte decodes as such, else `gb18030`."""
    with path.open("rb") as file:
        head = file.read(len(UTF8_BOM))
        if head == UTF8_BOM:
            return "utf-8-sig"
        decoder = codecs.getincrementaldecoder("utf-8")()
        chunk = head
        try:
            while chunk:
                decoder.decode(chunk)
                chunk = file.read(CHUNK)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "gb18030"
    return "utf-8"


def is_xlsx(path: Path) -> bool:
    with path.open("rb") as file:
        return file.read(len(XLSX_MAGIC)) == XLSX_MAGIC


def read_rows(path: Path, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> Iterator[SheetRow]:
    """The rows after the header row, each with its line (the header is line 1); blank rows are
    skipped. An optional column the header lacks reads as "" in every row. UnreadableSheet when
    the file cannot be read or lacks a required column."""
    rows = _xlsx_rows(path) if is_xlsx(path) else _csv_rows(path)
    header: list[str] | None = None
    for line, cells in rows:
        if header is None:
            header = [cell.strip().lstrip("\ufeff") for cell in cells]
            missing = [name for name in required if name not in header]
            if missing:
                found = "、".join(h for h in header if h) or "无"
                problem = SheetProblem(line, "、".join(missing), f"缺少列（第一行应为列名；找到的列：{found}）")
                raise UnreadableSheet(problem)
            places = {name: header.index(name) if name in header else None for name in (*required, *optional)}
            continue
        if not any(cell.strip() for cell in cells):
            continue
        yield SheetRow(line, {name: _cell(cells, at) for name, at in places.items()})
    if header is None:
        raise UnreadableSheet(SheetProblem(1, "", "文件是空的：第一行应为列名"))


def _cell(cells: list[str], at: int | None) -> str:
    return cells[at].strip() if at is not None and at < len(cells) else ""


def xlsx_as_csv(path: Path, folder: Path) -> Path:
    """The first sheet of an XLSX as a UTF-8 CSV in `folder`, line for line (a line break inside
    a cell becomes a space): the loader parses the XML once, and its two passes read the CSV."""
    target = folder / (path.stem + ".csv")
    with target.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file, lineterminator="\n")
        for _, cells in _xlsx_rows(path):
            writer.writerow([cell.replace("\r", " ").replace("\n", " ") for cell in cells])
    return target


def _csv_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    encoding = csv_encoding(path)
    try:
        with path.open(encoding=encoding, newline="") as file:
            reader = csv.reader(file)
            begins = 1
            for cells in reader:
                yield begins, cells
                begins = reader.line_num + 1  # a quoted cell may span lines: the row's first
    except UnicodeDecodeError as error:
        raise UnreadableSheet(
            SheetProblem(1, "", f"无法识别文件编码（应为 UTF-8 或 GB18030）：{error.reason}")
        ) from None
    except csv.Error as error:
        raise UnreadableSheet(SheetProblem(begins, "", f"不是有效的 CSV：{error}")) from None


def _xlsx_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    from openpyxl import load_workbook  # the loader's only: never in the Lambda
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, KeyError, OSError, ValueError) as error:
        raise UnreadableSheet(SheetProblem(1, "", f"不是有效的 XLSX 文件：{error}")) from None
    try:
        sheet = book.worksheets[0]
        for line, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield line, [_text(value) for value in values]
    finally:
        book.close()


def _text(value: object) -> str:
    """A cell as the registry meant it: whole numbers without `.0`, dates as ISO dates."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
