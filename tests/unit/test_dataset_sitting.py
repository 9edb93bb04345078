"""The exam sitting in the province's dataset (R-ROOM-1..3, R-TICKET-1; api.md "Added: exam rooms
and admission tickets", Dataset): a good sitting loads; every bad value is a problem at its JSON path
and line, and nothing loads; a dataset without `exam` loads as before."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from chalicelib.domain.catalog import RoomName
from chalicelib.domain.clock import SHANGHAI
from chalicelib.domain.roll import NO_ACCOMMODATION, Accommodation
from chalicelib.domain.sitting import ExamSitting, SittingOfYear
from province.dataset import DatasetError, Problem, load_dataset, parse_dataset
from province.demo import DATASET as DEMO
from tests.unit.test_dataset import dump, line_of, minimal

WINDOW_CLOSES = "2099-10-31T17:00:00+08:00"
PLAN_AT = "2099-11-01T09:00:00+08:00"
TICKETS_OPEN_AT = "2099-12-08T09:00:00+08:00"
CET4_AT, CET6_AT = "2099-12-19T09:00:00+08:00", "2099-12-19T15:00:00+08:00"


def sitting() -> dict[str, Any]:
    """`minimal()` with a December 2099 sitting: windows closed before `plan_at`, ticket codes and
    minutes on the written subjects, two campuses with site codes (one with room names), and an
    accommodation on the first roll entry."""
    plain = minimal()
    exam = {"year": 2099, "sitting": 2, "plan_at": PLAN_AT, "tickets_open_at": TICKETS_OPEN_AT}
    data: dict[str, Any] = {"province": plain.pop("province"), "exam": exam, **plain}
    cet4, cet6, _oral = data["subjects"]
    cet4.update(exam_at=CET4_AT, ticket_code="1", exam_minutes=140)
    cet6.update(exam_at=CET6_AT, ticket_code="2", exam_minutes=145)
    campuses = data["schools"][0]["campuses"]
    campuses[0].update(
        site_code="390101", rooms=[{"code": "001", "name": "教学楼A101"}, {"code": "002", "name": "A102"}]
    )
    campuses.append({"id": "c2", "name": "东区", "site_code": "390102", "written_subjects": ["CET4"], "oral": []})
    data["windows"][0]["closes_at"] = WINDOW_CLOSES
    data["roll"][0]["accommodation"] = {"separate_room": True, "extra_minutes": 40}
    return data


def problems_of(data: object) -> list[Problem]:
    with pytest.raises(DatasetError) as raised:
        parse_dataset(dump(data))
    return raised.value.problems


def at(moment: str) -> datetime:
    return datetime.fromisoformat(moment).astimezone(SHANGHAI)


def test_r_room_1_r_ticket_1_a_good_sitting_loads_dataset_contract() -> None:
    """R-ROOM-1, R-TICKET-1, R-ROOM-3: the sitting, the written subjects' ticket codes and minutes,
    the campuses' site codes and room names, the roll's accommodation, all as given."""
    data = parse_dataset(dump(sitting()))
    catalog = data.catalog
    assert catalog.exam == ExamSitting(2099, SittingOfYear.DECEMBER, at(PLAN_AT), at(TICKETS_OPEN_AT))
    assert catalog.exam.seed_sha256 is None  # drawn by the load, never by the file
    subjects = catalog.subjects
    assert [(s.ticket_code, s.exam_minutes) for s in subjects.values()] == [("1", 140), ("2", 145), (None, None)]
    c1, c2 = catalog.campuses["c1"], catalog.campuses["c2"]
    assert (c1.site_code, c2.site_code) == ("390101", "390102")
    assert c1.rooms == (RoomName("001", "教学楼A101"), RoomName("002", "A102"))
    assert (c1.room_name("001"), c1.room_name("003"), c2.rooms) == ("教学楼A101", None, ())
    first, second = data.roll
    assert first.accommodation == Accommodation(separate_room=True, extra_minutes=40)
    assert second.accommodation is NO_ACCOMMODATION


def test_r_room_1_a_dataset_without_exam_loads_as_before_dataset_contract() -> None:
    """R-ROOM-1: `exam` and the fields of the sitting are optional: without them, no room plan."""
    data = parse_dataset(dump(minimal()))
    assert data.catalog.exam is None
    assert all(s.ticket_code is None and s.exam_minutes is None for s in data.catalog.subjects.values())
    assert all(c.site_code is None and c.rooms == () for c in data.catalog.campuses.values())
    assert all(entry.accommodation is NO_ACCOMMODATION for entry in data.roll)
    plain = minimal()
    plain["subjects"][0]["ticket_code"] = "1"  # type: ignore[index]  # given without exam: kept
    assert parse_dataset(dump(plain)).catalog.subjects["CET4"].ticket_code == "1"


Change = Callable[[dict[str, Any]], None]


def _set(path: str, value: object) -> Change:
    """Set (or with `...`, delete) the value at a dotted path with [n] indexes."""

    def change(data: dict[str, Any]) -> None:
        steps = [int(s) if s.isdigit() else s for s in path.replace("[", ".").replace("]", "").split(".")]
        parent: Any = data
        for step in steps[:-1]:
            parent = parent[step]
        if value is ...:
            del parent[steps[-1]]
        else:
            parent[steps[-1]] = value

    return change


CAMPUS = "schools[0].campuses[0]"
BAD_VALUES: list[tuple[Change, str, str, str]] = [
    # the change, the problem's JSON path, its message, the text on the problem's line
    (_set("exam", "2099-12"), "exam", "应为对象，实际为字符串", '"exam": "2099-12"'),
    (_set("exam.year", 26), "exam.year", "应在 1987 到 2100 之间，实际为 26", '"year": 26'),
    (_set("exam.year", 2097), "exam.year", "与笔试时间不符：CET4 在 2099 年考试，考次年份为 2097", '"year": 2097'),
    (_set("exam.sitting", 3), "exam.sitting", "考次应为 1（6 月），2（12 月），实际为 3", '"sitting": 3'),
    (_set("exam.sitting", ...), "exam.sitting", "缺少必填字段", '"exam": {'),
    (
        _set("exam.plan_at", "2099-11-01 09:00"),
        "exam.plan_at",
        "应为带时区偏移的 ISO 8601 时间（如 2024-01-01T00:00:00+08:00），实际为 '2099-11-01 09:00'",
        '"plan_at": "2099-11-01 09:00"',
    ),
    (
        _set("exam.plan_at", "2099-10-31T09:00:00+08:00"),
        "exam.plan_at",
        "考场编排时间应在各校报名截止之后：示例大学（s1） 的报名 2099-10-31 17:00（北京时间） 才截止",
        '"plan_at": "2099-10-31T09:00:00+08:00"',
    ),
    (
        _set("exam.tickets_open_at", PLAN_AT),
        "exam.tickets_open_at",
        "准考证开放打印时间应晚于考场编排时间 plan_at",
        f'"tickets_open_at": "{PLAN_AT}"',
    ),
    (
        _set("exam.tickets_open_at", CET4_AT),
        "exam.tickets_open_at",
        "准考证开放打印时间应早于第一场笔试：CET4 在 2099-12-19 09:00（北京时间）",
        f'"tickets_open_at": "{CET4_AT}"',
    ),
    (
        _set("subjects[0].ticket_code", ...),
        "subjects[0].ticket_code",
        "缺少必填字段（数据集有 exam 时必填）",
        '{\n      "code": "CET4"',
    ),
    (
        _set("subjects[1].exam_minutes", ...),
        "subjects[1].exam_minutes",
        "缺少必填字段（数据集有 exam 时必填）",
        '{\n      "code": "CET6"',
    ),
    (
        _set("subjects[1].exam_at", None),
        "subjects[1].exam_at",
        "缺少必填字段（数据集有 exam 时必填）",
        '"exam_at": null',
    ),
    (
        _set("subjects[0].ticket_code", "12"),
        "subjects[0].ticket_code",
        "应为 1 位数字的字符串（如 \"1\"），实际为 '12'",
        '"ticket_code": "12"',
    ),
    (_set("subjects[0].ticket_code", 1), "subjects[0].ticket_code", "应为字符串，实际为整数", '"ticket_code": 1'),
    (
        _set("subjects[1].ticket_code", "1"),
        "subjects[1].ticket_code",
        "准考证科目代码 '1' 重复（已在 subjects[0].ticket_code 出现）",
        '"ticket_code": "1",\n      "exam_minutes": 145',
    ),
    (
        _set("subjects[0].exam_minutes", 0),
        "subjects[0].exam_minutes",
        "应在 1 到 600 之间，实际为 0",
        '"exam_minutes": 0',
    ),
    (
        _set("subjects[2].ticket_code", "3"),
        "subjects[2].ticket_code",
        "只有笔试科目有此字段（口试不编排考场）",
        '"ticket_code": "3"',
    ),
    (
        _set(f"{CAMPUS}.site_code", ...),
        f"{CAMPUS}.site_code",
        "缺少必填字段（数据集有 exam 时，设笔试科目的校区必填）",
        '{\n          "id": "c1"',
    ),
    (
        _set(f"{CAMPUS}.site_code", "39011"),
        f"{CAMPUS}.site_code",
        "应为 6 位数字的考点代码，实际为 '39011'",
        '"site_code": "39011"',
    ),
    (
        _set("schools[0].campuses[1].site_code", "390101"),
        "schools[0].campuses[1].site_code",
        f"考点代码 '390101' 重复（已在 {CAMPUS}.site_code 出现）",
        '"site_code": "390101",\n          "written_subjects": [\n            "CET4"\n          ]',
    ),
    (_set(f"{CAMPUS}.rooms", {"001": "A101"}), f"{CAMPUS}.rooms", "应为数组，实际为对象", '"rooms": {'),
    (
        _set(f"{CAMPUS}.rooms[0].code", "1"),
        f"{CAMPUS}.rooms[0].code",
        "应为 3 位数字的考场号（如 \"001\"），实际为 '1'",
        '"code": "1"',
    ),
    (_set(f"{CAMPUS}.rooms[1].code", "000"), f"{CAMPUS}.rooms[1].code", "考场号从 001 开始", '"code": "000"'),
    (
        _set(f"{CAMPUS}.rooms[1].code", "001"),
        f"{CAMPUS}.rooms[1].code",
        f"考场号 '001' 重复（已在 {CAMPUS}.rooms[0].code 出现）",
        '"code": "001",\n              "name": "A102"',
    ),
    (_set(f"{CAMPUS}.rooms[1].name", " "), f"{CAMPUS}.rooms[1].name", "不能为空", '"name": " "'),
    (
        _set("roll[0].accommodation", "单独考场"),
        "roll[0].accommodation",
        "应为对象，实际为字符串",
        '"accommodation": "单独考场"',
    ),
    (
        _set("roll[0].accommodation.separate_room", "是"),
        "roll[0].accommodation.separate_room",
        "应为布尔值（true/false），实际为字符串",
        '"separate_room": "是"',
    ),
    (
        _set("roll[0].accommodation.extra_minutes", -5),
        "roll[0].accommodation.extra_minutes",
        "应在 0 到 600 之间，实际为 -5",
        '"extra_minutes": -5',
    ),
    (
        _set("roll[0].accommodation.extra", 40),
        "roll[0].accommodation.extra",
        "未知字段，应为 separate_room 或 extra_minutes",
        '"extra": 40',
    ),
]


@pytest.mark.parametrize(("change", "field", "message", "on_line"), BAD_VALUES, ids=[case[1] for case in BAD_VALUES])
def test_r_room_1_r_ticket_1_each_bad_value_is_one_problem_at_its_path_and_line_dataset_contract(
    change: Change, field: str, message: str, on_line: str
) -> None:
    """R-ROOM-1..3, R-TICKET-1: each bad value of the sitting is exactly one problem, at its JSON path
    and on the line where the value (or the object missing it) begins; nothing is returned."""
    data = sitting()
    change(data)
    text = dump(data)
    assert problems_of(data) == [Problem(line_of(text, on_line), field, message)]


def test_r_room_1_every_problem_of_the_sitting_at_once_dataset_contract() -> None:
    """R-ROOM-1: a dataset with several bad values lists them all, in file order."""
    data = sitting()
    data["exam"]["sitting"] = 0
    data["subjects"][1]["ticket_code"] = "x"
    data["schools"][0]["campuses"][1]["site_code"] = 390102
    data["roll"][1]["accommodation"] = {"extra_minutes": "40"}
    assert [p.field for p in problems_of(data)] == [
        "exam.sitting",
        "subjects[1].ticket_code",
        "schools[0].campuses[1].site_code",
        "roll[1].accommodation.extra_minutes",
    ]


def test_r_room_1_the_demo_province_has_a_sitting_within_reach_of_its_windows() -> None:
    """R-ROOM-1..3, R-TICKET-1: the demo's December 2099 sitting: the plan drawn the morning after
    the last window closes, tickets open before the written exams, every campus a site code,
    the national ticket codes 1 to 9, two named-room campuses, two candidates with a separate room."""
    demo = load_dataset(DEMO)
    exam = demo.catalog.exam
    assert exam is not None
    closes = max(w.closes_at for found in demo.catalog.windows.values() for w in found)
    assert (exam.year, exam.sitting) == (2099, SittingOfYear.DECEMBER)
    assert closes < exam.plan_at <= closes + timedelta(days=1)
    written = [s for s in demo.catalog.subjects.values() if s.ticket_code is not None]
    assert sorted(s.ticket_code for s in written) == [str(n) for n in range(1, 10)]
    assert all(s.exam_at and exam.tickets_open_at < s.exam_at for s in written)
    assert all(c.site_code for c in demo.catalog.campuses.values())
    assert sum(1 for c in demo.catalog.campuses.values() if c.rooms) == 2
    separate = [e.accommodation for e in demo.roll if e.accommodation.separate_room]
    assert [a.extra_minutes for a in separate] == [70, 40]
