"""The province's spreadsheets (R-OPS-3, api.md "Added: province spreadsheets"): CSV in UTF-8 with
or without a BOM or GB18030, XLSX; Chinese headers in any order; every problem as
`FILE:LINE: column: problem` before anything is written."""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path

import pytest

from chalicelib.domain.accounts import Role
from chalicelib.domain.catalog import Catalog
from chalicelib.domain.identity import IdType
from chalicelib.domain.province import StaffMember
from chalicelib.domain.roll import NO_ACCOMMODATION, Accommodation, RollRow
from chalicelib.storage import codec
from province.export import HEADERS, roll_cells, score_cells, staff_cells, write_csv, write_xlsx
from province.rows import ROLL, SCORES, STAFF, check_sheet, read_sheet
from province.sheets import csv_encoding
from tests import factories

CATALOG: Catalog = factories.catalog()
ROLL_ROWS = factories.province(extra_students=30).roll


def roll_file(path: Path, rows: tuple[RollRow, ...] = ROLL_ROWS, encoding: str = "utf-8") -> Path:
    if path.suffix == ".xlsx":
        write_xlsx(path, HEADERS["roll"], (roll_cells(r) for r in rows))
    else:
        write_csv(path, HEADERS["roll"], (roll_cells(r) for r in rows), encoding)
    return path


@pytest.mark.parametrize(
    ("name", "encoding", "detected"),
    [("roll.csv", "utf-8", "utf-8"), ("bom.csv", "utf-8-sig", "utf-8-sig"), ("gb.csv", "gb18030", "gb18030")],
)
def test_r_ops_3_csv_in_utf8_with_or_without_bom_or_gb18030(
    tmp_path: Path, name: str, encoding: str, detected: str
) -> None:
    """R-OPS-3: the encoding is told from the bytes; the rows read back as written, names and all."""
    path = roll_file(tmp_path / name, encoding=encoding)
    assert csv_encoding(path) == detected
    found = check_sheet(path, ROLL, CATALOG)
    assert (found.rows, found.problems) == (len(ROLL_ROWS), 0)
    assert tuple(read_sheet(path, ROLL, CATALOG)) == ROLL_ROWS


def test_r_ops_3_xlsx_reads_in_streaming_mode(tmp_path: Path) -> None:
    """R-OPS-3: XLSX (openpyxl, read-only): the same rows as the CSV."""
    path = roll_file(tmp_path / "roll.xlsx")
    assert check_sheet(path, ROLL, CATALOG).problems == 0
    assert tuple(read_sheet(path, ROLL, CATALOG)) == ROLL_ROWS


def test_r_ops_3_xlsx_numbers_read_as_the_registry_wrote_them(tmp_path: Path) -> None:
    """R-OPS-3: a score or a year stored as a number in XLSX reads as the whole number it is."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(HEADERS["cet4_scores"])
    sheet.append(["390110252116822", factories.ZHANG.id_number, "张三", 425.0, 2025])
    book.save(tmp_path / "scores.xlsx")
    [record] = read_sheet(tmp_path / "scores.xlsx", SCORES, CATALOG)
    assert (record.score, record.year) == (425, 2025)


def test_r_ops_3_columns_in_any_order_extra_columns_ignored_chinese_or_code_id_types(tmp_path: Path) -> None:
    """R-OPS-3: headers in any order, extra columns ignored, 证件类型 by code or Chinese name,
    资格科目 separated by ; or 、, 禁考六级 是/否."""
    path = tmp_path / "roll.csv"
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(
            ["备注", "姓名", "学号", "证件号码", "证件类型", "校区代码", "学校代码", "禁考六级", "资格科目"]
        )
        z, p = factories.ZHANG, factories.PASSPORT
        writer.writerow(
            ["x", z.name, z.student_no, z.id_number, "居民身份证", z.campus_id, z.school_id, "否", "CET4、CET6"]
        )
        writer.writerow(
            ["", p.name, p.student_no, p.id_number, "passport", p.campus_id, p.school_id, "是", "CET4;CET6"]
        )
    first, second = read_sheet(path, ROLL, CATALOG)
    assert (first.id_type, first.qualified_subjects, first.cet6_barred) == (IdType.RESIDENT_ID, ("CET4", "CET6"), False)
    assert (second.id_type, second.qualified_subjects, second.cet6_barred) == (IdType.PASSPORT, ("CET4", "CET6"), True)


def test_r_ops_3_a_bad_row_at_the_end_is_reported_file_line_column_problem(tmp_path: Path) -> None:
    """R-OPS-3: every row is checked; a problem names the file, the line, the column, in Chinese."""
    rows = (*ROLL_ROWS, factories.student(999, "坏行", id_number=factories.ZHANG.id_number[:17] + "0"))
    path = roll_file(tmp_path / "roll.csv", rows)
    found = check_sheet(path, ROLL, CATALOG)
    last_line = len(rows) + 1  # the header is line 1
    assert found.shown is not None
    assert found.shown[0].startswith(f"{path}:{last_line}: 证件号码: 居民身份证号码校验位错误")
    assert found.problems >= 1


def test_r_ops_3_repeats_unknown_references_and_missing_columns(tmp_path: Path) -> None:
    """R-OPS-3: a repeated ID names its first line; unknown schools, campuses, subjects; a
    missing column is one problem at line 1."""
    z = factories.ZHANG
    moved = RollRow(z.id_type, z.id_number, z.name, "NOWHERE", "c9", z.student_no, ("CET8",))
    path = roll_file(tmp_path / "roll.csv", (z, factories.LI, z, moved))
    shown = check_sheet(path, ROLL, CATALOG).shown or []
    assert f"{path}:4: 证件号码: 与第 2 行重复" in shown
    assert {line.split(": ")[1] for line in shown if line.startswith(f"{path}:5:")} == {
        "学校代码",
        "校区代码",
        "资格科目",
    }
    lacking = tmp_path / "lacking.csv"
    write_csv(lacking, ["证件类型", "证件号码"], [["居民身份证", z.id_number]])
    [problem] = check_sheet(lacking, ROLL, CATALOG).shown or []
    assert problem.startswith(f"{lacking}:1: 姓名、学校代码、校区代码、学号、资格科目、禁考六级: 缺少列")


def test_r_ops_3_scores_and_staff_files(tmp_path: Path) -> None:
    """R-OPS-3: score records and staff (school or province, never a password) from their files."""
    scores = tmp_path / "scores.csv"
    write_csv(scores, HEADERS["cet4_scores"], (score_cells(r) for r in factories.scores()))
    assert tuple(read_sheet(scores, SCORES, CATALOG)) == factories.scores()
    staff = (StaffMember("staff@nju.edu.cn", Role.STAFF, "NJU"), StaffMember("admin@js.edu.cn", Role.PROVINCE))
    path = tmp_path / "staff.xlsx"
    write_xlsx(path, HEADERS["staff"], (staff_cells(m) for m in staff))
    assert tuple(read_sheet(path, STAFF, CATALOG)) == staff
    bad = tmp_path / "bad_staff.csv"
    write_csv(bad, HEADERS["staff"], [["nobody", "school", "NJU"], ["a@js.edu.cn", "province", "NJU"]])
    assert [line.split(": ")[1] for line in check_sheet(bad, STAFF, CATALOG).shown or []] == ["登录名", "学校代码"]


def test_r_ops_3_the_loader_writes_the_items_codec_builds() -> None:
    """R-OPS-3, R-ROOM-3: the loader's attribute maps are the very items `roll_item`/`cet4_item`
    build, an accommodation's attributes included."""
    protection = factories.protection()
    accommodated = (
        replace(factories.ZHANG, accommodation=Accommodation(separate_room=True, extra_minutes=40)),
        replace(factories.LI, accommodation=Accommodation(extra_minutes=25)),
        replace(factories.WANG, accommodation=Accommodation(separate_room=True)),
    )
    for row in (*ROLL_ROWS, *accommodated):
        entry = row.protected(protection.protect)
        assert codec.roll_attributes(entry) == codec.roll_item(entry).serialize()
    for score in factories.scores():
        record = score.protected(protection.protect)
        assert codec.cet4_attributes(record) == codec.cet4_item(record).serialize()


def test_r_ops_3_a_bad_last_row_of_an_xlsx_is_reported_against_the_xlsx(tmp_path: Path) -> None:
    """R-OPS-3: an XLSX is read once into a CSV for both passes; a problem still names the XLSX
    and the row's line in it, and the check gives no load to write."""
    from bench.load_province import catalog_file, roll_rows
    from province.load import arguments, check_files

    rows = [*roll_rows(300), factories.student(999, "坏行", campus="nowhere")]
    write_xlsx(tmp_path / "roll.xlsx", HEADERS["roll"], (roll_cells(r) for r in rows))
    catalog = catalog_file(tmp_path / "catalog.json")
    args = arguments(["--catalog", str(catalog), "--roll", str(tmp_path / "roll.xlsx")])
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    checked = check_files(args, scratch)
    assert checked.job is None
    assert checked.problems[0].startswith(f"{tmp_path / 'roll.xlsx'}:302: ")
    good = check_files(
        arguments(["--catalog", str(catalog), "--roll", str(roll_file(tmp_path / "r2.xlsx", ()))]), scratch
    )
    assert good.job is not None
    assert good.job.roll is not None
    assert good.job.roll.count == 0


def test_r_room_3_the_roll_sheet_carries_separate_room_and_extra_minutes(tmp_path: Path) -> None:
    """R-ROOM-3: the optional columns 单独考场 (是/否) and 延长分钟 read into the roll entry's
    accommodation, from CSV and XLSX alike; a file without them reads as before (none)."""
    rows = (
        replace(factories.ZHANG, accommodation=Accommodation(separate_room=True, extra_minutes=40)),
        replace(factories.LI, accommodation=Accommodation(extra_minutes=25)),
        factories.WANG,
    )
    assert HEADERS["roll"][-2:] == ["单独考场", "延长分钟"]
    for path in (roll_file(tmp_path / "roll.csv", rows), roll_file(tmp_path / "roll.xlsx", rows)):
        assert shown_problems(path) == []
        assert tuple(read_sheet(path, ROLL, CATALOG)) == rows
    old = tmp_path / "old.csv"
    write_csv(old, list(ROLL.columns), (roll_cells(r)[: len(ROLL.columns)] for r in rows))
    assert shown_problems(old) == []
    assert [r.accommodation for r in read_sheet(old, ROLL, CATALOG)] == [NO_ACCOMMODATION] * 3


def shown_problems(path: Path) -> list[str]:
    return check_sheet(path, ROLL, CATALOG).shown or []


def test_r_room_3_a_bad_accommodation_cell_is_file_line_column_problem(tmp_path: Path) -> None:
    """R-ROOM-3: 单独考场 is 是 or 否 (empty: 否), 延长分钟 a whole number of minutes from 0 to 600
    (empty: 0); each bad cell is `FILE:LINE: column: problem`, and the check gives no rows."""
    cells = [roll_cells(row)[:-2] for row in (factories.ZHANG, factories.LI, factories.WANG, factories.ZHAO)]
    path = tmp_path / "roll.csv"
    write_csv(
        path,
        HEADERS["roll"],
        [[*cells[0], "可能", ""], [*cells[1], "是", "-5"], [*cells[2], "", "四十"], [*cells[3], "否", "601"]],
    )
    assert shown_problems(path) == [
        f"{path}:2: 单独考场: 应为 是 或 否，实际为 '可能'",
        f"{path}:3: 延长分钟: 应为不小于 0 的整数（分钟），实际为 '-5'",
        f"{path}:4: 延长分钟: 应为不小于 0 的整数（分钟），实际为 '四十'",
        f"{path}:5: 延长分钟: 应在 0 到 600 之间，实际为 601",
    ]
