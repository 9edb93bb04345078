"""The province dataset loader (api.md, "Province dataset") and the shipped demo province."""

from __future__ import annotations

import copy
import functools
import json
from datetime import datetime
from pathlib import Path

import pytest

from chalicelib.domain.accounts import Role
from chalicelib.domain.catalog import SubjectKind
from chalicelib.domain.clock import SHANGHAI
from chalicelib.domain.errors import ReviewBefore2005, ReviewNoMatch
from chalicelib.domain.identity import IdType, is_valid_resident_id, normalize_id_number
from chalicelib.domain.province import ProvinceData
from chalicelib.domain.registration import oral_campus_choices
from chalicelib.domain.reviews import ReviewStatus, judge_review, review_offered
from chalicelib.domain.roll import RollRow
from province import demo as demo_generator
from province.dataset import DatasetError, Problem, dataset_problems, load_dataset, parse_dataset
from tests import factories

DEMO = demo_generator.DATASET
NOW = datetime(2026, 6, 1, 10, 0, tzinfo=SHANGHAI)
OPEN = "2024-01-01T00:00:00+08:00"
CLOSE = "2099-12-31T23:59:59+08:00"


@pytest.fixture(scope="module")
def demo() -> ProvinceData:
    return load_dataset(DEMO)


@functools.cache
def demo_scenarios() -> dict[str, demo_generator.Scenario]:
    """The identities listed in demo_identities.md, by key."""
    return {scenario.key: scenario for scenario in demo_generator.generate().scenarios}


def demo_entry(demo: ProvinceData, key: str) -> RollRow:
    number = demo_scenarios()[key].student.id_number
    return next(entry for entry in demo.roll if entry.id_number == number)


def demo_ticket(key: str) -> str:
    return demo_scenarios()[key].ticket


def minimal() -> dict[str, object]:
    """A small valid dataset: one school, one campus, two students, one CET4 record."""
    roll = [
        {
            "id_type": "resident_id",
            "id_number": "11010519491231002X",
            "name": "张三",
            "school_id": "s1",
            "campus_id": "c1",
            "student_no": "20240001",
            "qualified_subjects": ["CET4"],
            "cet6_barred": False,
        },
        {
            "id_type": "passport",
            "id_number": "E12345678",
            "name": "李四",
            "school_id": "s1",
            "campus_id": "c1",
            "student_no": "20240002",
            "qualified_subjects": ["CET4", "CET6"],
            "cet6_barred": False,
        },
    ]
    return {
        "province": {"code": "39", "name": "示例省", "notice": "报名须知"},
        "subjects": [
            {"code": "CET4", "name": "英语四级", "kind": "written", "level": 4, "fee": 3000},
            {"code": "CET6", "name": "英语六级", "kind": "written", "level": 6, "fee": 3000},
            {"code": "CET-SET4", "name": "英语四级口试", "kind": "oral", "level": 4, "fee": 5000},
        ],
        "schools": [
            {
                "id": "s1",
                "name": "示例大学",
                "notice": "",
                "allow_external_oral": True,
                "campuses": [
                    {
                        "id": "c1",
                        "name": "本部",
                        "written_subjects": ["CET4", "CET6"],
                        "oral": [{"subject": "CET-SET4", "capacity": 10, "opens_at": OPEN, "closes_at": CLOSE}],
                    }
                ],
            }
        ],
        "windows": [{"school_id": "s1", "opens_at": OPEN, "closes_at": CLOSE}],
        "roll": roll,
        "cet4_scores": [
            {
                "ticket_number": "390110251100101",
                "id_number": "11010519491231002X",
                "name": "张三",
                "score": 450,
                "year": 2025,
            }
        ],
        "staff": [{"login": "staff@s1.edu.cn", "school_id": "s1"}, {"login": "admin@sheng.edu.cn", "role": "province"}],
    }


def dump(data: object) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)


def line_of(text: str, needle: str, after: str = "") -> int:
    start = text.index(after) if after else 0
    return text.count("\n", 0, text.index(needle, start)) + 1


def problems_of(data: object) -> list[Problem]:
    with pytest.raises(DatasetError) as raised:
        parse_dataset(dump(data))
    return raised.value.problems


def fields(problems: list[Problem]) -> list[str]:
    return [problem.field for problem in problems]


def roll_of(data: dict[str, object]) -> list[dict[str, object]]:
    roll = data["roll"]
    assert isinstance(roll, list)
    return roll


def campus_of(data: dict[str, object]) -> dict[str, object]:
    schools = data["schools"]
    assert isinstance(schools, list)
    campus: dict[str, object] = schools[0]["campuses"][0]
    return campus


# --- the demo province ------------------------------------------------------------------


def test_demo_file_loads_whole_dataset_contract(demo: ProvinceData) -> None:
    """dataset contract: the shipped demo file passes every check of the loader."""
    assert len(demo.roll) >= 250
    assert len(demo.catalog.schools) == 5
    assert {staff.school_id for staff in demo.staff if staff.role is Role.STAFF} == set(demo.catalog.schools)
    assert [staff.school_id for staff in demo.staff if staff.role is Role.PROVINCE] == [None]  # R-OPS-1
    assert dataset_problems(DEMO.read_text(encoding="utf-8")) == []


def test_demo_file_is_what_the_generator_writes() -> None:
    """dataset contract: `python -m province.demo` regenerates the file identically."""
    generated = json.dumps(demo_generator.dataset(demo_generator.generate()), ensure_ascii=False, indent=2)
    assert DEMO.read_text(encoding="utf-8") == generated + "\n"


def test_demo_subjects_and_fees_r_writ_3(demo: ProvinceData) -> None:
    """R-WRIT-3: the real subject codes; written 30 yuan, oral 50 yuan (in fen)."""
    subjects = demo.catalog.subjects
    written = {"CET4", "CET6", "CJT4", "CJT6", "PHS4", "PHS6", "CRT4", "CRT6", "TFU4"}
    assert set(subjects) == written | {"CET-SET4", "CET-SET6"}
    assert all(subjects[code].kind is SubjectKind.WRITTEN and subjects[code].fee == 3000 for code in written)
    oral = {
        code: (subject.kind, subject.level, subject.fee) for code, subject in subjects.items() if code not in written
    }
    assert oral == {"CET-SET4": (SubjectKind.ORAL, 4, 5000), "CET-SET6": (SubjectKind.ORAL, 6, 5000)}


def test_demo_resident_ids_pass_the_check_digit_r_qual_4(demo: ProvinceData) -> None:
    """R-QUAL-4: every resident ID passes GB 11643; other documents have their shape."""
    residents = [entry for entry in demo.roll if entry.id_type is IdType.RESIDENT_ID]
    assert len(residents) > 250
    assert all(is_valid_resident_id(entry.id_number) for entry in residents)
    others = [entry for entry in demo.roll if entry.id_type is not IdType.RESIDENT_ID]
    assert {entry.id_type for entry in others} >= {IdType.PASSPORT, IdType.HK_MACAO_PERMIT}
    assert all(normalize_id_number(entry.id_type, entry.id_number) == entry.id_number for entry in others)


def test_demo_exactly_one_school_forbids_external_oral_r_oral_2(demo: ProvinceData) -> None:
    """R-ORAL-2: one school keeps its students at their own campus for the oral exam."""
    closed = [school for school in demo.catalog.schools.values() if not school.allow_external_oral]
    assert len(closed) == 1
    student = demo_entry(demo, "no-external-oral")
    assert student.school_id == closed[0].id
    choices = oral_campus_choices(student, demo.catalog, "CET-SET4")
    assert [campus.id for campus in choices] == [student.campus_id]


def test_demo_has_a_campus_whose_oral_opens_later_r_oral_1(demo: ProvinceData) -> None:
    """R-ORAL-1: some campuses open later; the others are open now."""
    offerings = [offering for campus in demo.catalog.campuses.values() for offering in campus.oral]
    later = {offering.campus_id for offering in offerings if not offering.is_open(NOW)}
    assert later == {demo_entry(demo, "oral-opens-later").campus_id}
    assert all(offering.opens_at.year == 2099 for offering in offerings if offering.campus_id in later)


def test_demo_has_a_nearly_full_campus_r_oral_3(demo: ProvinceData) -> None:
    """R-ORAL-3: a campus so small that a couple of students fill it."""
    student = demo_entry(demo, "nearly-full-1")
    offering = demo.catalog.campuses[student.campus_id].offering("CET-SET4")
    assert offering is not None
    assert offering.capacity <= 2
    capacities = [
        o.capacity for c in demo.catalog.campuses.values() for o in c.oral if o.campus_id != student.campus_id
    ]
    assert min(capacities) >= 50


def test_demo_one_campus_does_not_offer_cet6_r_rev_1(demo: ProvinceData) -> None:
    """R-REV-1: the review is not offered where the written-exam campus has no CET6."""
    without = [campus for campus in demo.catalog.campuses.values() if "CET6" not in campus.written_subjects]
    assert without
    assert not review_offered(factories.entry(demo_entry(demo, "campus-without-cet6")), demo.catalog)
    assert not review_offered(factories.entry(demo_entry(demo, "cet6-barred")), demo.catalog)


def test_demo_windows_one_school_closed_r_bind_1(demo: ProvinceData) -> None:
    """R-BIND-1: every school has a window; only the demo's closed school is shut now."""
    catalog = demo.catalog
    assert set(catalog.windows) == set(catalog.schools)
    shut = {school_id for school_id in catalog.schools if not catalog.window_open(school_id, NOW)}
    assert shut == {demo_entry(demo, "window-closed").school_id}


def test_demo_review_identities_cover_the_three_rules_r_rev_3(demo: ProvinceData) -> None:
    """R-REV-2/3: approved on ticket + ID, pending on ticket + name, refused below 425 or before 2005."""
    records = {record.ticket_number: record for record in demo.cet4_scores}

    def judge(key: str) -> ReviewStatus:
        entry = factories.entry(demo_entry(demo, key))
        assert review_offered(entry, demo.catalog)
        return judge_review(entry, records[demo_ticket(key)].protected(factories.protected_id))

    assert judge("review-approved") is ReviewStatus.APPROVED
    assert judge("review-pending") is ReviewStatus.PENDING
    with pytest.raises(ReviewNoMatch):
        judge("review-low-score")
    with pytest.raises(ReviewBefore2005):
        judge("review-before-2005")


# --- problems and their lines ------------------------------------------------------------


def test_minimal_dataset_loads_dataset_contract() -> None:
    """dataset contract: the parsed objects carry the file's values."""
    data = parse_dataset(dump(minimal()))
    assert data.catalog.campuses["c1"].school_id == "s1"
    assert data.catalog.campuses["c1"].oral[0].capacity == 10
    assert data.roll[1].id_type is IdType.PASSPORT
    assert data.roll[1].qualified_subjects == ("CET4", "CET6")
    assert data.catalog.windows["s1"][0].opens_at == datetime(2024, 1, 1, tzinfo=SHANGHAI)


def test_bad_check_digit_is_reported_at_its_line_r_qual_4() -> None:
    """R-QUAL-4: a wrong GB 11643 check digit names roll[1].id_number and its line."""
    data = minimal()
    roll_of(data)[1].update(id_type="resident_id", id_number="110105194912310021")
    text = dump(data)
    with pytest.raises(DatasetError) as raised:
        parse_dataset(text)
    [problem] = raised.value.problems
    assert problem.field == "roll[1].id_number"
    assert problem.line == line_of(text, '"110105194912310021"')
    assert "X" in problem.message  # the expected check character is named


def test_unknown_subject_in_campus_dataset_contract() -> None:
    """dataset contract: campus written subjects reference defined written subjects."""
    data = minimal()
    campus_of(data)["written_subjects"] = ["CET4", "XYZ9", "CET-SET4"]
    text = dump(data)
    problems = problems_of(data)
    assert fields(problems) == [
        "schools[0].campuses[0].written_subjects[1]",
        "schools[0].campuses[0].written_subjects[2]",
    ]
    assert problems[0].line == line_of(text, '"XYZ9"')
    assert "XYZ9" in problems[0].message
    assert "口试" in problems[1].message


def test_missing_field_points_at_the_object_dataset_contract() -> None:
    """dataset contract: a missing field is reported on the line where its object begins."""
    data = minimal()
    del roll_of(data)[0]["name"]
    text = dump(data)
    [problem] = problems_of(data)
    assert problem.field == "roll[0].name"
    assert problem.line == line_of(text, "{", after='"roll"')


def test_invalid_json_is_one_problem_with_its_line_dataset_contract() -> None:
    """dataset contract: text that is not JSON gives one problem at the line of the error."""
    text = dump(minimal()).replace('"fee": 5000', '"fee": 5000,', 1)
    problems = dataset_problems(text)
    assert len(problems) == 1
    assert problems[0].field == "$"
    assert problems[0].line == line_of(text, '"fee": 5000,') + 1


def test_military_officer_id_is_refused_r_qual_2() -> None:
    """R-QUAL-2: the military officer ID is not supported, with a clear message."""
    data = minimal()
    roll_of(data)[0]["id_type"] = "military_officer"
    [problem] = problems_of(data)
    assert problem.field == "roll[0].id_type"
    assert "军官证" in problem.message


def test_references_between_sections_dataset_contract() -> None:
    """dataset contract: windows, roll and staff refer to schools and campuses that exist."""
    data = minimal()
    data["windows"] = [{"school_id": "nowhere", "opens_at": OPEN, "closes_at": CLOSE}]
    roll_of(data)[0]["campus_id"] = "c9"
    roll_of(data)[1]["qualified_subjects"] = ["CET8"]
    data["staff"] = [{"login": "staff@s1.edu.cn", "password": "", "school_id": "s2"}]
    assert fields(problems_of(data)) == [
        "windows[0].school_id",
        "roll[0].campus_id",
        "roll[1].qualified_subjects[0]",
        "staff[0].password",
        "staff[0].school_id",
    ]


def test_campus_must_belong_to_the_roll_school_dataset_contract() -> None:
    """dataset contract: a student's campus belongs to the student's school."""
    data = minimal()
    schools = data["schools"]
    assert isinstance(schools, list)
    other = copy.deepcopy(schools[0])
    other.update(id="s2")
    other["campuses"][0]["id"] = "c2"
    schools.append(other)
    roll_of(data)[0]["campus_id"] = "c2"
    [problem] = problems_of(data)
    assert problem.field == "roll[0].campus_id"
    assert "s2" in problem.message


def test_duplicates_are_reported_with_the_first_place_dataset_contract() -> None:
    """dataset contract: codes, ids, candidates and tickets are unique."""
    data = minimal()
    subjects = data["subjects"]
    assert isinstance(subjects, list)
    subjects.append(dict(subjects[0]))
    roll_of(data).append(dict(roll_of(data)[0], student_no="20240003"))
    scores = data["cet4_scores"]
    assert isinstance(scores, list)
    scores.append(dict(scores[0]))
    problems = problems_of(data)
    assert fields(problems) == ["subjects[3].code", "roll[2].id_number", "cet4_scores[1].ticket_number"]
    assert "roll[0].id_number" in problems[1].message


def test_types_kinds_levels_and_amounts_dataset_contract() -> None:
    """dataset contract: ints (not bools) for fee/level/capacity, kind and level from their sets."""
    data = minimal()
    subjects = data["subjects"]
    assert isinstance(subjects, list)
    subjects[0].update(fee=-1, level=True)
    subjects[1].update(kind="listening", level=8)
    oral = campus_of(data)["oral"]
    assert isinstance(oral, list)
    oral[0]["capacity"] = "10"
    roll_of(data)[0]["cet6_barred"] = "no"
    assert fields(problems_of(data)) == [
        "subjects[0].level",
        "subjects[0].fee",
        "subjects[1].kind",
        "subjects[1].level",
        "schools[0].campuses[0].oral[0].capacity",
        "roll[0].cet6_barred",
    ]


def test_times_need_an_offset_and_an_order_dataset_contract() -> None:
    """dataset contract: times are ISO 8601 with offset, and a period opens before it closes."""
    data = minimal()
    data["windows"] = [{"school_id": "s1", "opens_at": "2024-01-01T00:00:00", "closes_at": CLOSE}]
    oral = campus_of(data)["oral"]
    assert isinstance(oral, list)
    oral[0].update(opens_at=CLOSE, closes_at=OPEN)
    problems = problems_of(data)
    assert fields(problems) == ["schools[0].campuses[0].oral[0].closes_at", "windows[0].opens_at"]
    assert "+08:00" in problems[1].message


def subjects_of(data: dict[str, object]) -> list[dict[str, object]]:
    subjects = data["subjects"]
    assert isinstance(subjects, list)
    return subjects


def test_r_date_1_the_exam_schedule_is_optional_dataset_contract() -> None:
    """R-DATE-1: a subject may carry `exam_at` (its exam's date and time); absent or null, it has none."""
    data = minimal()
    cet4, cet6, _ = subjects_of(data)
    cet4["exam_at"] = "2099-12-19T09:00:00+08:00"
    cet6["exam_at"] = None
    subjects = parse_dataset(dump(data)).catalog.subjects
    assert subjects["CET4"].exam_at == datetime(2099, 12, 19, 9, 0, tzinfo=SHANGHAI)
    assert (subjects["CET6"].exam_at, subjects["CET-SET4"].exam_at) == (None, None)
    cet4["exam_at"] = "2099-12-19T01:00:00Z"  # any offset, held in Beijing time
    assert parse_dataset(dump(data)).catalog.subjects["CET4"].exam_at == datetime(2099, 12, 19, 9, tzinfo=SHANGHAI)


def test_r_date_1_a_bad_exam_time_is_refused_with_its_line_and_field_dataset_contract() -> None:
    """R-DATE-1: an `exam_at` that is not an ISO 8601 time with an offset is reported at its line and
    field, and nothing loads."""
    data = minimal()
    cet4, cet6, oral = subjects_of(data)
    cet4["exam_at"] = "2099-12-19T09:00:00"  # no offset: which time zone?
    cet6["exam_at"] = "12月19日上午"
    oral["exam_at"] = 20991121
    text = dump(data)
    problems = problems_of(data)
    assert fields(problems) == ["subjects[0].exam_at", "subjects[1].exam_at", "subjects[2].exam_at"]
    assert [p.line for p in problems] == [
        line_of(text, '"exam_at": "2099-12-19T09:00:00"'),
        line_of(text, '"exam_at": "12月19日上午"'),
        line_of(text, '"exam_at": 20991121'),
    ]
    assert "+08:00" in problems[0].message
    assert "12月19日上午" in problems[1].message
    assert "字符串" in problems[2].message


def test_r_date_1_the_demo_province_has_an_exam_schedule(demo: ProvinceData) -> None:
    """R-DATE-1: every demo subject has its exam time; level 4 and 6 written exams on the same day."""
    subjects = demo.catalog.subjects
    assert all(s.exam_at is not None for s in subjects.values()), subjects
    assert subjects["CET4"].exam_at == datetime(2099, 12, 19, 9, 0, tzinfo=SHANGHAI)
    assert subjects["CET6"].exam_at == datetime(2099, 12, 19, 15, 0, tzinfo=SHANGHAI)


def test_tickets_have_fifteen_digits_r_rev_2() -> None:
    """R-REV-2: a CET4 admission ticket number is 15 digits."""
    data = minimal()
    scores = data["cet4_scores"]
    assert isinstance(scores, list)
    scores[0]["ticket_number"] = "39011025110010"
    [problem] = problems_of(data)
    assert problem.field == "cet4_scores[0].ticket_number"


def test_all_problems_at_once_and_nothing_partial_dataset_contract(tmp_path: Path) -> None:
    """dataset contract: every problem is listed, one per line, and no data is returned."""
    data = minimal()
    roll_of(data)[0]["id_number"] = "110105194912310021"
    roll_of(data)[1]["school_id"] = "s9"
    path = tmp_path / "province.json"
    path.write_text(dump(data), encoding="utf-8")
    with pytest.raises(DatasetError) as raised:
        load_dataset(path)
    error = raised.value
    assert len(error.problems) == 2
    assert str(error).splitlines() == [f"line {p.line}: {p.field}: {p.message}" for p in error.problems]


def test_lines_follow_the_file_layout_dataset_contract() -> None:
    """dataset contract: line numbers come from the text, however it is laid out."""
    data = minimal()
    roll_of(data)[1]["id_number"] = "e1234567"
    compact = json.dumps({key: data[key] for key in data if key != "roll"}, ensure_ascii=False)
    rows = ",\n    ".join(json.dumps(row, ensure_ascii=False) for row in roll_of(data))
    text = compact[:-1] + ',\n  "roll": [\n    ' + rows + "\n  ]\n}"
    [problem] = dataset_problems(text)
    assert (problem.field, problem.line) == ("roll[1].id_number", 4)


def test_top_level_must_be_an_object_dataset_contract() -> None:
    """dataset contract: the file is one JSON object with the contract's sections."""
    assert fields(dataset_problems("[]")) == ["$"]
    assert fields(dataset_problems('{"province": {"code": "39", "name": "x", "notice": ""}}')) == [
        "subjects",
        "schools",
        "windows",
        "roll",
        "cet4_scores",
        "staff",
    ]


def test_load_dataset_accepts_a_byte_order_mark_dataset_contract(tmp_path: Path) -> None:
    """dataset contract: UTF-8 files saved with a BOM (common on Windows) still load."""
    path = tmp_path / "province.json"
    path.write_bytes(b"\xef\xbb\xbf" + dump(minimal()).encode())
    assert len(load_dataset(path).roll) == 2


def test_the_loader_refuses_a_table_without_the_province_s_identity_keys(
    moto_table: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Decision 0013: without IDENTITY_SECRET_NAME and IDENTITY_KMS_KEY_ID (or the local stack's
    explicit throwaway keys) the loader writes nothing and says which setting is missing."""
    from chalicelib.storage.models import CatalogPartItem
    from province import load

    monkeypatch.delenv("IDENTITY_THROWAWAY_KEYS")
    assert load.main(["--dataset", str(DEMO)]) == 1
    assert "IDENTITY_KMS_KEY_ID" in capsys.readouterr().err
    assert list(CatalogPartItem.query("CATALOG")) == []


def an_opening(**changes: object) -> dict[str, object]:
    opening: dict[str, object] = {
        "id": "o1",
        "name": "本部口试集中开放",
        "queue_opens_at": "2098-09-01T09:00:00+08:00",
        "opens_at": "2098-09-01T10:00:00+08:00",
        "closes_at": "2098-09-01T18:00:00+08:00",
        "campuses": ["c1"],
        "admit_per_minute": 100,
        "pass_minutes": 15,
    }
    return {**opening, **changes}


def test_openings_are_optional_and_load_into_the_catalog_r_queue_1() -> None:
    """R-QUEUE-1: a dataset without openings has none; one with an opening carries it whole."""
    assert parse_dataset(dump(minimal())).catalog.openings == {}
    data = minimal()
    data["openings"] = [an_opening()]
    (opening,) = parse_dataset(dump(data)).catalog.openings.values()
    assert (opening.id, opening.campuses, opening.admit_per_minute, opening.pass_minutes) == ("o1", ("c1",), 100, 15)
    assert opening.queue_opens_at < opening.opens_at < opening.closes_at


def test_openings_are_checked_with_clear_messages_r_queue_1() -> None:
    """R-QUEUE-1: known campuses, times in order, positive rates, unique ids."""
    data = minimal()
    data["openings"] = [
        an_opening(campuses=["c9"]),
        an_opening(id="o2", queue_opens_at="2098-09-01T10:00:00+08:00"),
        an_opening(id="o3", closes_at="2098-09-01T10:00:00+08:00"),
        an_opening(id="o4", admit_per_minute=0, pass_minutes=-1),
        an_opening(id="o4", campuses=[]),
    ]
    problems = problems_of(data)
    assert fields(problems) == [
        "openings[0].campuses[0]",
        "openings[1].queue_opens_at",
        "openings[2].closes_at",
        "openings[3].admit_per_minute",
        "openings[3].pass_minutes",
        "openings[4].id",
        "openings[4].campuses",
    ]
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in p.message) for p in problems)


def test_demo_has_an_opening_within_one_clock_move_r_queue_1(demo: ProvinceData) -> None:
    """R-QUEUE-1: the demo's opening is on a campus of the demo, its queue within reach of POST /_test/clock."""
    (opening,) = demo.catalog.openings.values()
    assert set(opening.campuses) <= set(demo.catalog.campuses)
    assert opening.queue_opens_at < opening.opens_at < opening.closes_at


def test_r_oral_4_the_province_may_set_seats_per_shard_and_only_a_positive_number() -> None:
    """Decision 0019: `province.seat_shard_size` sets how a campus's seats spread over shards."""
    data = minimal()
    assert parse_dataset(dump(data)).catalog.province.seat_shard_size is None
    province = data["province"]
    assert isinstance(province, dict)
    province["seat_shard_size"] = 20
    assert parse_dataset(dump(data)).catalog.province.seat_shard_size == 20
    province["seat_shard_size"] = 0
    assert fields(problems_of(data)) == ["province.seat_shard_size"]


def test_r_ops_3_staff_carry_no_password_and_a_province_administrator_no_school() -> None:
    """R-OPS-3: no password in the file (each staff member activates with a code); a school's
    staff name a known school, a province administrator (R-OPS-1) none; logins are addresses."""
    data = minimal()
    data["staff"] = [
        {"login": "staff@s1.edu.cn", "password": "Secret2026", "school_id": "s1"},
        {"login": "admin@sheng.edu.cn", "role": "province", "school_id": "s1"},
        {"login": "nobody", "school_id": "s1"},
        {"login": "staff2@s1.edu.cn", "role": "teacher", "school_id": "s1"},
        {"login": "staff3@s1.edu.cn"},
    ]
    problems = problems_of(data)
    assert fields(problems) == [
        "staff[0].password",
        "staff[1].school_id",
        "staff[2].login",
        "staff[3].role",
        "staff[4].school_id",
    ]
    assert "激活码" in problems[0].message
    assert "Secret2026" not in str(problems)


def test_r_ops_3_the_staff_s_roles_load() -> None:
    """R-OPS-1, R-OPS-3: `"role": "province"` makes a province administrator; no role, school staff."""
    staff = parse_dataset(dump(minimal())).staff
    assert [(m.login, m.role, m.school_id) for m in staff] == [
        ("staff@s1.edu.cn", Role.STAFF, "s1"),
        ("admin@sheng.edu.cn", Role.PROVINCE, None),
    ]
