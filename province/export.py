"""Writing rows as the registry's spreadsheets (the loader's format): for the demo province, the
benchmark and the tests. CSV in UTF-8 (with a BOM if asked) or GB18030; XLSX in openpyxl's
write-only mode, row by row."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

from chalicelib.domain.accounts import Role
from chalicelib.domain.orders import ID_TYPE_NAMES
from chalicelib.domain.province import StaffMember
from chalicelib.domain.roll import RollRow, ScoreRow
from province.rows import ROLL, SCORES, STAFF

Cells = list[str]


def roll_cells(row: RollRow) -> Cells:
    return [
        ID_TYPE_NAMES[row.id_type],
        row.id_number,
        row.name,
        row.school_id,
        row.campus_id,
        row.student_no,
        "；".join(row.qualified_subjects),
        "是" if row.cet6_barred else "否",
        "是" if row.accommodation.separate_room else "否",
        str(row.accommodation.extra_minutes) if row.accommodation.extra_minutes else "",
    ]


def score_cells(row: ScoreRow) -> Cells:
    return [row.ticket_number, row.id_number, row.name, str(row.score), str(row.year)]


def staff_cells(member: StaffMember) -> Cells:
    role = "province" if member.role is Role.PROVINCE else "school"
    return [member.login, role, member.school_id or ""]


HEADERS = {"roll": [*ROLL.columns, *ROLL.optional], "cet4_scores": list(SCORES.columns), "staff": list(STAFF.columns)}


def write_csv(path: Path, header: Cells, rows: Iterable[Cells], encoding: str = "utf-8") -> None:
    with path.open("w", encoding=encoding, newline="") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        writer.writerows(rows)


def write_xlsx(path: Path, header: Cells, rows: Iterable[Cells]) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Sheet1")
    sheet.append(header)
    for cells in rows:
        sheet.append(cells)
    book.save(path)
