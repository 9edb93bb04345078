"""Read a province dataset (api.md, "Province dataset"), checking all of it before loading any.

A dataset loads whole or not at all: every problem is collected, each with the JSON path of
the value and the line of the file where that value (or the object missing it) begins.
"""

from __future__ import annotations

from pathlib import Path

from chalicelib.domain.catalog import Catalog
from chalicelib.domain.province import ProvinceData
from province.dataset.catalog import read_openings, read_province, read_schools, read_subjects, read_windows
from province.dataset.reader import ROOT, DatasetError, JsonObject, Known, Lines, Problem, Reader, decode
from province.dataset.records import read_cet4_scores, read_roll, read_staff
from province.dataset.sitting import check_sitting, read_exam

__all__ = ["DatasetError", "Problem", "dataset_problems", "load_dataset", "parse_dataset"]

# What a catalog file may leave to the spreadsheets (api.md, "Added: province spreadsheets").
ROW_SECTIONS = ("roll", "cet4_scores", "staff")


def load_dataset(path: Path, *, catalog_file: bool = False) -> ProvinceData:
    """The dataset JSON; with `catalog_file`, its roll, score records and staff may be left out."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as error:
        raise DatasetError([Problem(1, ROOT, f"文件不是 UTF-8 编码：{error.reason}")]) from None
    return parse_dataset(text, catalog_file=catalog_file)


def parse_dataset(text: str, *, catalog_file: bool = False) -> ProvinceData:
    root = decode(text)
    if catalog_file:
        for section in ROW_SECTIONS:
            root.setdefault(section, [])
    reader = Reader(Lines(text))
    data = province_data(reader, root)
    if reader.problems:
        raise DatasetError(sorted(reader.problems, key=lambda problem: problem.line))
    return data


def dataset_problems(text: str) -> list[Problem]:
    try:
        parse_dataset(text)
    except DatasetError as error:
        return error.problems
    return []


def province_data(reader: Reader, root: JsonObject) -> ProvinceData:
    known = Known()
    province = read_province(reader, root)
    exam = read_exam(reader, root, known)  # first: with it, subjects and campuses need their codes
    subjects = read_subjects(reader, root, known)
    schools, campuses = read_schools(reader, root, known)
    catalog = Catalog(province, subjects, schools, campuses, read_windows(reader, root, known), exam=exam)
    catalog.openings.update(read_openings(reader, root, known))
    check_sitting(reader, exam, catalog)
    return ProvinceData(
        catalog=catalog,
        roll=read_roll(reader, root, known),
        cet4_scores=read_cet4_scores(reader, root),
        staff=read_staff(reader, root, known),
    )
