"""The demo province as planned: its subjects and exam times, its exam sitting, schools, campuses
and their seats.

province/demo.py generates the students, score records and documents from this plan.
"""

from __future__ import annotations

from dataclasses import dataclass

OPEN = "2024-01-01T00:00:00+08:00"
CLOSE = "2099-12-31T23:59:59+08:00"  # oral registration
# Every school's window closes before the sitting's room plan is drawn (R-ROOM-1).
WINDOW_CLOSES = "2099-10-31T17:00:00+08:00"
LATER_OPENS = "2099-06-01T09:00:00+08:00"
# R-QUEUE-1: the demo's opening, within one POST /_test/clock (at most 400 days) of the stack's start.
DEMO_OPENING = {
    "id": "nyit-2027",
    "name": "南屿理工学院口试集中开放",
    "queue_opens_at": "2027-09-01T09:00:00+08:00",
    "opens_at": "2027-09-01T10:00:00+08:00",
    "closes_at": "2027-09-01T18:00:00+08:00",
    "campuses": ["nyit-main"],
    "admit_per_minute": 2,
    "pass_minutes": 15,
}
CLOSED_WINDOW = ("2024-03-01T09:00:00+08:00", "2024-03-15T17:00:00+08:00")
# The demo's province administrator (R-OPS-1); staff carry no password (R-OPS-3): each activates
# with the staff_activation code the load puts in the local outbox (`/outbox`).
PROVINCE_ADMIN = "admin@jyks.edu.cn"
ACTIVATE = "首次使用：在登录页点“忘记密码”，用本地发件箱（/outbox）里的激活码设置密码"

SUBJECTS = [
    ("CET4", "英语四级", "written", 4, 3000),
    ("CET6", "英语六级", "written", 6, 3000),
    ("CJT4", "日语四级", "written", 4, 3000),
    ("CJT6", "日语六级", "written", 6, 3000),
    ("PHS4", "德语四级", "written", 4, 3000),
    ("PHS6", "德语六级", "written", 6, 3000),
    ("CRT4", "俄语四级", "written", 4, 3000),
    ("CRT6", "俄语六级", "written", 6, 3000),
    ("TFU4", "法语四级", "written", 4, 3000),
    ("CET-SET4", "英语四级口试", "oral", 4, 5000),
    ("CET-SET6", "英语六级口试", "oral", 6, 5000),
]
OTHER_LEVEL4 = ("CJT4", "PHS4", "CRT4", "TFU4")
# R-DATE-1: the exam schedule, 北京时间: level 4 written in the morning, level 6 in the afternoon,
# the oral exams on the weekend a month before.
EXAM_AT = {
    **dict.fromkeys(("CET4", *OTHER_LEVEL4), "2099-12-19T09:00:00+08:00"),
    **dict.fromkeys(("CET6", "CJT6", "PHS6", "CRT6"), "2099-12-19T15:00:00+08:00"),
    "CET-SET4": "2099-11-21T09:00:00+08:00",
    "CET-SET6": "2099-11-22T09:00:00+08:00",
}
# R-ROOM-1, R-TICKET-1: the December 2099 sitting. The plan is drawn the morning after the windows
# close; tickets open 11 days before the written exams. Ticket codes are the national ones (the
# written subjects in SUBJECTS' order, 1 to 9); level 4 lasts 140 minutes, level 6 145.
EXAM = {
    "year": 2099,
    "sitting": 2,
    "plan_at": "2099-11-01T09:00:00+08:00",
    "tickets_open_at": "2099-12-08T09:00:00+08:00",
}
TICKET_CODES = {code: str(n) for n, code in enumerate([s[0] for s in SUBJECTS if s[2] == "written"], start=1)}
EXAM_MINUTES = {4: 140, 6: 145}


PROVINCE = {
    "code": "39",
    "name": "示例省",
    "notice": (
        "示例省全国大学英语四、六级考试（CET）网上报名须知：考生须在本校报名时间内完成资格确认、"
        "科目选择与缴费；选择科目后须在 24 小时内缴费，逾期未缴费的科目将被自动删除。"
        "笔试每科 30 元，口试每科 50 元。同一级别只能报考一个语种。"
    ),
}


@dataclass(frozen=True)
class CampusPlan:
    id: str  # its school's id, a hyphen, then its own
    name: str
    written: tuple[str, ...]
    oral: dict[str, int]
    students: int
    oral_opens_at: str = OPEN
    rooms: tuple[tuple[str, str], ...] = ()  # R-TICKET-2: names of some room numbers


@dataclass(frozen=True)
class SchoolPlan:
    id: str
    name: str
    number: int
    notice: str
    allow_external_oral: bool
    campuses: tuple[CampusPlan, ...]
    window: tuple[str, str] = (OPEN, WINDOW_CLOSES)

    @property
    def domain(self) -> str:
        return f"{self.id}.edu.cn"


ALL_WRITTEN = ("CET4", "CET6", "CJT4", "CJT6", "PHS4", "PHS6", "CRT4", "CRT6", "TFU4")
CET_AND_JAPANESE = ("CET4", "CET6", "CJT4", "CJT6")

# id, name, written subjects, oral seats per subject, students on the roll[, when oral registration opens]
CAMPUSES = (
    CampusPlan(
        "dcu-main",
        "东川大学本部校区",
        ALL_WRITTEN,
        {"CET-SET4": 300, "CET-SET6": 200},
        96,
        rooms=(("001", "教学楼A101"), ("002", "教学楼A102"), ("003", "教学楼A103")),
    ),
    CampusPlan("dcu-beihu", "东川大学北湖校区（口试小考场）", CET_AND_JAPANESE, {"CET-SET4": 2}, 24),
    CampusPlan(
        "jlnu-main", "江临师范学院本部校区", ("CET4", "CET6", "CJT4", "CRT4"), {"CET-SET4": 120, "CET-SET6": 60}, 70
    ),
    CampusPlan(
        "nyit-main",
        "南屿理工学院本部校区",
        ("CET4", "CET6", "PHS4", "PHS6", "TFU4"),
        {"CET-SET4": 150, "CET-SET6": 80},
        50,
        rooms=(("001", "一号教学楼201"),),
    ),
    CampusPlan("nyit-east", "南屿理工学院东区校区", ("CET4", "CET6"), {"CET-SET4": 100}, 20, LATER_OPENS),
    CampusPlan("ylvc-main", "云岭职业技术学院主校区", ("CET4", "CJT4"), {"CET-SET4": 50}, 34),
    CampusPlan("hcc-main", "海川学院主校区", ("CET4", "CET6"), {}, 6),
)
NOTICES = {
    "dcu": "东川大学考生请于报名后留意教务处网站的考场安排；北湖校区口试考场较小，名额有限，请尽早选择。",
    "jlnu": "本校考生不能报考外校口试：口试考点固定为本人笔试所在校区，请在本校区报考。",
    "nyit": "东区校区口试报名稍后开放，开放时间另行通知；本部校区口试现已开放。",
    "ylvc": "本校考点不设英语六级笔试，需报考六级的同学请联系教务处。",
    "hcc": "本校网上报名已于 2024 年 3 月 15 日截止。",
}


def school_plan(
    school_id: str, name: str, number: int, external_oral: bool, window: tuple[str, str] = (OPEN, WINDOW_CLOSES)
) -> SchoolPlan:
    campuses = tuple(plan for plan in CAMPUSES if plan.id.startswith(f"{school_id}-"))
    return SchoolPlan(school_id, name, number, NOTICES[school_id], external_oral, campuses, window)


# id, name, number (in student and ticket numbers), whether its students may take another school's oral exam
SCHOOLS = (
    school_plan("dcu", "东川大学", 1, True),
    school_plan("jlnu", "江临师范学院", 2, False),
    school_plan("nyit", "南屿理工学院", 3, True),
    school_plan("ylvc", "云岭职业技术学院", 4, True),
    school_plan("hcc", "海川学院", 5, True, CLOSED_WINDOW),
)


def school(school_id: str) -> SchoolPlan:
    return next(plan for plan in SCHOOLS if plan.id == school_id)


def campus(school_id: str, campus_id: str) -> CampusPlan:
    return next(plan for plan in school(school_id).campuses if plan.id == campus_id)


# The catalog part of the dataset JSON
def campus_json(plan: SchoolPlan, index: int, c: CampusPlan) -> dict[str, object]:
    found: dict[str, object] = {
        "id": c.id,
        "name": c.name,
        "site_code": f"39{plan.number:02d}1{index}",  # R-TICKET-1: the test site, as past tickets' 39nn10
        "written_subjects": list(c.written),
        "oral": [
            {"subject": code, "capacity": capacity, "opens_at": c.oral_opens_at, "closes_at": CLOSE}
            for code, capacity in c.oral.items()
        ],
    }
    if c.rooms:  # R-TICKET-2: names of some room numbers
        found["rooms"] = [{"code": code, "name": name} for code, name in c.rooms]
    return found


def school_json(plan: SchoolPlan) -> dict[str, object]:
    return {
        "id": plan.id,
        "name": plan.name,
        "notice": plan.notice,
        "allow_external_oral": plan.allow_external_oral,
        "campuses": [campus_json(plan, index, c) for index, c in enumerate(plan.campuses)],
    }


def subject_json(code: str, name: str, kind: str, level: int, fee: int) -> dict[str, object]:
    found: dict[str, object] = {"code": code, "name": name, "kind": kind, "level": level, "fee": fee}
    found["exam_at"] = EXAM_AT[code]
    if kind == "written":  # R-TICKET-1, R-TICKET-2
        found.update(ticket_code=TICKET_CODES[code], exam_minutes=EXAM_MINUTES[level])
    return found
