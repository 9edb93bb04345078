"""Write the demo province dataset and the table of its demo identities.

    python -m province.demo

rewrites devstack/demo_province.json and devstack/demo_identities.md byte for byte the same
way every time (random.Random(SEED)). The province is fictional (示例省, code 39): 39 is not an
assigned region code, so no generated resident ID number can belong to a real person.
Windows and oral registration stay open from 2024 to late 2099 so the demo works whenever it
runs; the exceptions are deliberate (a closed window, a campus opening later). The exam sitting is
December 2099's: its room plan is drawn the morning after every window has closed.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from province.demo_plan import (
    ACTIVATE,
    DEMO_OPENING,
    EXAM,
    OTHER_LEVEL4,
    PROVINCE,
    PROVINCE_ADMIN,
    SCHOOLS,
    SUBJECTS,
    CampusPlan,
    SchoolPlan,
    school,
    school_json,
    subject_json,
)

SEED = 20260601
DEVSTACK = Path(__file__).resolve().parents[1] / "devstack"  # the data `make run` loads
DATASET = DEVSTACK / "demo_province.json"
IDENTITIES = DEVSTACK / "demo_identities.md"

GB11643_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
GB11643_CHECK = "10X98765432"
REGIONS = ("390102", "390104", "390105", "390111", "390201", "390203", "390302", "390402", "390502", "390581")
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁"
    "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴孔汤"
)
GIVEN_MALE = "伟强磊军洋勇杰涛明超辉鹏华飞鑫波宇浩凯健俊帆帅旭宁龙林博文轩泽睿晨阳思远子豪一鸣嘉乐志成天佑"
GIVEN_FEMALE = "芳娜敏静丽艳娟霞秀玲桂英婷雪慧颖琳晶欣怡佳悦彤瑶萱涵梦琪雨诗语嫣思雅可馨月婉清若曦"


@dataclass
class Student:
    id_type: str
    id_number: str
    name: str
    school_id: str
    campus_id: str
    student_no: str
    qualified_subjects: list[str]
    cet6_barred: bool = False
    accommodation: dict[str, object] | None = None  # R-ROOM-3: only where the roll gives one

    def to_json(self) -> dict[str, object]:
        return {key: value for key, value in self.__dict__.items() if key != "accommodation" or value}


@dataclass
class Scenario:
    key: str
    title: str
    student: Student
    ticket: str = ""
    expect: str = ""


@dataclass
class Generator:
    rng: random.Random
    roll: list[Student] = field(default_factory=list)
    scores: list[dict[str, object]] = field(default_factory=list)
    scenarios: list[Scenario] = field(default_factory=list)
    used_ids: set[str] = field(default_factory=set)
    used_names: set[str] = field(default_factory=set)
    used_tickets: set[str] = field(default_factory=set)
    serials: dict[str, int] = field(default_factory=dict)


def check_digit(first17: str) -> str:
    return GB11643_CHECK[sum(int(d) * w for d, w in zip(first17, GB11643_WEIGHTS, strict=True)) % 11]


def resident_id(rng: random.Random, born: date, male: bool) -> str:
    order = rng.randrange(0, 500) * 2 + (1 if male else 0)  # the 17th digit is odd for men
    first17 = f"{rng.choice(REGIONS)}{born:%Y%m%d}{order:03d}"
    return first17 + check_digit(first17)


def birth_date(rng: random.Random, first_year: int = 2003, last_year: int = 2007) -> date:
    start = date(first_year, 1, 1)
    return start + timedelta(days=rng.randrange((date(last_year, 12, 31) - start).days))


def chinese_name(gen: Generator, male: bool) -> str:
    pool = GIVEN_MALE if male else GIVEN_FEMALE
    while True:
        given = "".join(gen.rng.choice(pool) for _ in range(gen.rng.choice((1, 2, 2))))
        name = gen.rng.choice(SURNAMES) + given
        if name not in gen.used_names:
            gen.used_names.add(name)
            return name


def unique_resident_id(gen: Generator, born: date, male: bool) -> str:
    while True:
        number = resident_id(gen.rng, born, male)
        if number not in gen.used_ids:
            gen.used_ids.add(number)
            return number


def student_no(gen: Generator, school: SchoolPlan) -> str:
    serial = gen.serials.get(school.id, 0) + 1
    gen.serials[school.id] = serial
    year = 2022 + serial % 4
    return f"{year}{school.number:02d}{serial:04d}"


def add_student(
    gen: Generator,
    school: SchoolPlan,
    campus: CampusPlan,
    qualified: list[str],
    *,
    barred: bool = False,
    born: date | None = None,
    document: tuple[str, str, str] | None = None,
) -> Student:
    """A resident-ID student unless `document` gives (id_type, id_number, name)."""
    male = gen.rng.random() < 0.5
    if document is None:
        id_type, number = "resident_id", unique_resident_id(gen, born or birth_date(gen.rng), male)
        name = chinese_name(gen, male)
    else:
        id_type, number, name = document
        gen.used_ids.add(number)
        gen.used_names.add(name)
    student = Student(id_type, number, name, school.id, campus.id, student_no(gen, school), qualified, barred)
    gen.roll.append(student)
    return student


def ticket(gen: Generator, school: SchoolPlan, year: int) -> str:
    """15 digits: test site (6), year (2), half-year (1), level 1 for CET4, room (3), seat (2)."""
    while True:
        site = f"39{school.number:02d}10"
        half, room, seat = gen.rng.choice((1, 2)), gen.rng.randrange(1, 400), gen.rng.randrange(1, 31)
        number = f"{site}{year % 100:02d}{half}1{room:03d}{seat:02d}"
        if number not in gen.used_tickets:
            gen.used_tickets.add(number)
            return number


def add_score(gen: Generator, school: SchoolPlan, student: Student, score: int, year: int, id_number: str = "") -> str:
    number = ticket(gen, school, year)
    record = {"ticket_number": number, "id_number": id_number or student.id_number, "name": student.name}
    gen.scores.append(record | {"score": score, "year": year})
    return number


def other_id(gen: Generator, number: str) -> str:
    """The same person's number as mistyped in the score records: another sequence, checked."""
    first17 = f"{number[:14]}{(int(number[14:17]) + 2) % 1000:03d}"
    gen.used_ids.add(first17 + check_digit(first17))
    return first17 + check_digit(first17)


def scenario(gen: Generator, key: str, title: str, student: Student, expect: str, ticket_number: str = "") -> None:
    gen.scenarios.append(Scenario(key, title, student, ticket_number, expect))


def add_demo_students(gen: Generator) -> None:
    """The identities of demo_identities.md, drawn before the rest of the roll."""
    dcu, jlnu, nyit, ylvc, hcc = (school(code) for code in ("dcu", "jlnu", "nyit", "ylvc", "hcc"))
    dcu_main, dcu_beihu = dcu.campuses
    plain = add_student(gen, dcu, dcu_main, ["CET4"])
    scenario(gen, "plain", "普通四级考生", plain, "可报 CET4，再加 CET-SET4；缴费流程")
    cet6 = add_student(gen, dcu, dcu_main, ["CET4", "CET6"])
    scenario(gen, "cet6", "已有六级资格", cet6, "可报 CET6 与 CET-SET6；同级只能报一个语种（R-WRIT-2）")
    add_review_students(gen, dcu, jlnu, nyit)
    barred = add_student(gen, dcu, dcu_main, ["CET4"], barred=True)
    scenario(gen, "cet6-barred", "六级受限（cet6_barred）", barred, "不提供六级复核 → REVIEW_NOT_OFFERED（R-REV-1）")
    no_cet6 = add_student(gen, ylvc, ylvc.campuses[0], ["CET4"])
    scenario(
        gen, "campus-without-cet6", "校区不设六级笔试", no_cet6, "ylvc-main 不开 CET6 → REVIEW_NOT_OFFERED（R-REV-1）"
    )
    internal = add_student(gen, jlnu, jlnu.campuses[0], ["CET4", "CET6"])
    scenario(gen, "no-external-oral", "学校不接受外校口试", internal, "口试只能在本校区 jlnu-main（R-ORAL-2）")
    later = add_student(gen, nyit, nyit.campuses[1], ["CET4", "CET6"])
    expect = "nyit-east 口试 2099 年才开放，不在校区列表中（R-ORAL-1）"
    scenario(gen, "oral-opens-later", "口试较晚开放的校区", later, expect)
    for index in range(3):
        full = add_student(gen, dcu, dcu_beihu, ["CET4"])
        expect = "dcu-beihu 的 CET-SET4 只有 2 个名额" if index < 2 else "前两人占满后 → CAMPUS_FULL（R-ORAL-3/4）"
        scenario(gen, f"nearly-full-{index + 1}", f"名额将满的校区（第 {index + 1} 人）", full, expect)
    closed = add_student(gen, hcc, hcc.campuses[0], ["CET4", "CET6"])
    expect = "海川学院 2024-03-15 已截止 → REGISTRATION_CLOSED（R-BIND-1）"
    scenario(gen, "window-closed", "报名时间已截止", closed, expect)
    add_document_holders(gen, dcu, jlnu, nyit)


def add_review_students(gen: Generator, dcu: SchoolPlan, jlnu: SchoolPlan, nyit: SchoolPlan) -> None:
    """R-REV-2/3: one CET4 record per outcome, for students offered the CET6 review."""
    approved = add_student(gen, dcu, dcu.campuses[0], ["CET4"])
    ticket_number = add_score(gen, dcu, approved, 536, 2025)
    expect = "准考证号 + 证件号匹配 → approved（R-REV-3 ①）"
    scenario(gen, "review-approved", "六级复核：立即通过", approved, expect, ticket_number)
    pending = add_student(gen, nyit, nyit.campuses[0], ["CET4"])
    ticket_number = add_score(gen, nyit, pending, 468, 2024, other_id(gen, pending.id_number))
    expect = "准考证号 + 姓名匹配、证件号不同 → pending（R-REV-3 ②），由 staff@nyit.edu.cn 审核"
    scenario(gen, "review-pending", "六级复核：待人工审核", pending, expect, ticket_number)
    low = add_student(gen, jlnu, jlnu.campuses[0], ["CET4"])
    ticket_number = add_score(gen, jlnu, low, 401, 2025)
    expect = "成绩 401 < 425 → REVIEW_NO_MATCH（R-REV-3 ③）"
    scenario(gen, "review-low-score", "六级复核：四级未通过", low, expect, ticket_number)
    early = add_student(gen, dcu, dcu.campuses[0], ["CET4"], born=birth_date(gen.rng, 1983, 1984))
    ticket_number = add_score(gen, dcu, early, 502, 2003)
    expect = "2003 年的成绩 → 线上不受理，请联系学校老师（R-REV-2）"
    scenario(gen, "review-before-2005", "六级复核：2005 年前成绩", early, expect, ticket_number)


def add_document_holders(gen: Generator, dcu: SchoolPlan, jlnu: SchoolPlan, nyit: SchoolPlan) -> None:
    """R-QUAL-4: documents other than the resident ID, checked for shape only."""
    documents = [
        ("护照", dcu, ("passport", "E" + digits(gen, 8), "林嘉怡")),
        ("港澳居民来往内地通行证", nyit, ("hk_macao_permit", "H" + digits(gen, 8), "陈嘉欣")),
        ("台湾居民来往大陆通行证", jlnu, ("taiwan_permit", digits(gen, 8), "吴承翰")),
        ("港澳台居民居住证", dcu, ("hmt_residence_permit", hmt_permit(gen), "黄子晴")),
        ("外国人永久居留身份证", nyit, ("foreign_permanent_resident", "USA" + digits(gen, 12), "ANNA SCHMIDT")),
    ]
    for title, plan, document in documents:
        holder = add_student(gen, plan, plan.campuses[0], ["CET4", "CET6"], document=document)
        scenario(gen, document[0], title, holder, "非居民身份证：只校验格式（R-QUAL-4）")


def digits(gen: Generator, count: int) -> str:
    return "".join(str(gen.rng.randrange(10)) for _ in range(count))


def hmt_permit(gen: Generator) -> str:
    first17 = f"810000{birth_date(gen.rng):%Y%m%d}{gen.rng.randrange(1000):03d}"
    return first17 + check_digit(first17)


def random_qualified(gen: Generator, campus_plan: CampusPlan) -> list[str]:
    qualified = ["CET4"]
    if "CET6" in campus_plan.written and gen.rng.random() < 0.4:
        qualified.append("CET6")
    others = [code for code in OTHER_LEVEL4 if code in campus_plan.written]
    if others and gen.rng.random() < 0.12:
        qualified.append(gen.rng.choice(others))
    return qualified


def fill_roll(gen: Generator) -> None:
    for plan in SCHOOLS:
        for campus_plan in plan.campuses:
            present = sum(1 for student in gen.roll if student.campus_id == campus_plan.id)
            for _ in range(campus_plan.students - present):
                qualified = random_qualified(gen, campus_plan)
                barred = "CET6" not in qualified and gen.rng.random() < 0.05
                add_student(gen, plan, campus_plan, qualified, barred=barred)


def add_past_scores(gen: Generator) -> None:
    """Earlier CET4 sittings of other students: passes for CET6-qualified ones, some fails."""
    demo = {id(item.student) for item in gen.scenarios}
    for student in gen.roll:
        if id(student) in demo or student.id_type != "resident_id":
            continue
        plan = school(student.school_id)
        if "CET6" in student.qualified_subjects and gen.rng.random() < 0.5:
            add_score(gen, plan, student, gen.rng.randrange(425, 640), gen.rng.choice((2023, 2024, 2025)))
        elif gen.rng.random() < 0.1:
            add_score(gen, plan, student, gen.rng.randrange(280, 425), gen.rng.choice((2024, 2025)))


# R-ROOM-3: reasonable accommodations of two dcu-main students, drawn without the generator's
# random numbers (the rest of the demo stays as it was): large print (+30%), braille (+50%).
ACCOMMODATIONS = (
    ("separate-room-large-print", "合理便利：单独考场，大字试卷", 40),
    ("separate-room-braille", "合理便利：单独考场，盲文试卷", 70),
)


def add_accommodations(gen: Generator) -> None:
    demo = {id(item.student) for item in gen.scenarios}
    chosen = [s for s in gen.roll if s.campus_id == "dcu-main" and id(s) not in demo and "CET4" in s.qualified_subjects]
    for (key, title, minutes), student in zip(ACCOMMODATIONS, chosen, strict=False):
        student.accommodation = {"separate_room": True, "extra_minutes": minutes}
        expect = f"笔试在单独考场（每场至多 5 人），准考证上的结束时间延后 {minutes} 分钟（R-ROOM-3）"
        scenario(gen, key, title, student, expect)


def staff_login(plan: SchoolPlan) -> str:
    return f"staff@{plan.domain}"


def dataset(gen: Generator) -> dict[str, object]:
    roll = sorted(gen.roll, key=lambda s: ([p.id for p in SCHOOLS].index(s.school_id), s.campus_id, s.student_no))
    return {
        "province": PROVINCE,
        "exam": EXAM,
        "subjects": [subject_json(*subject) for subject in SUBJECTS],
        "schools": [school_json(plan) for plan in SCHOOLS],
        "windows": [{"school_id": p.id, "opens_at": p.window[0], "closes_at": p.window[1]} for p in SCHOOLS],
        "openings": [DEMO_OPENING],
        "roll": [student.to_json() for student in roll],
        "cet4_scores": sorted(gen.scores, key=lambda record: str(record["ticket_number"])),
        "staff": [
            *({"login": staff_login(p), "role": "school", "school_id": p.id} for p in SCHOOLS),
            {"login": PROVINCE_ADMIN, "role": "province"},
        ],
    }


def identities_markdown(gen: Generator) -> str:
    lines = [
        "# 示例省演示身份（demo identities）",
        "",
        "由 `python -m province.demo` 生成，与 `devstack/demo_province.json` 一致；请勿手工修改。",
        "",
        "| 场景 | id_type | id_number | 姓名 | 学校 / 校区 | 准考证号 | 预期 |",
        "|---|---|---|---|---|---|---|",
    ]
    for item in gen.scenarios:
        s = item.student
        cells = (item.title, s.id_type, s.id_number, s.name, f"{s.school_id} / {s.campus_id}", item.ticket or "–")
        lines.append("| " + " | ".join((*cells, item.expect)) + " |")
    lines += ["", f"工作人员账号（{ACTIVATE}）：", "", "| 登录名 | 学校 |", "|---|---|"]
    lines += [f"| {staff_login(plan)} | {plan.id}（{plan.name}） |" for plan in SCHOOLS]
    lines += [f"| {PROVINCE_ADMIN} | 省级管理员 |"]
    return "\n".join(lines) + "\n"


def demo_guide(gen: Generator) -> dict[str, object]:
    """What the local stack's page offers a newcomer: the demo identities and staff accounts."""
    students = [
        {
            "title": item.title,
            "id_type": item.student.id_type,
            "id_number": item.student.id_number,
            "name": item.student.name,
            "ticket_number": item.ticket,
            "expect": item.expect,
        }
        for item in gen.scenarios
    ]
    staff = [{"login": staff_login(plan), "school": plan.name} for plan in SCHOOLS]
    staff.append({"login": PROVINCE_ADMIN, "school": "省级管理员"})
    return {"students": students, "staff": staff, "staff_activation": ACTIVATE}


def generate() -> Generator:
    gen = Generator(random.Random(SEED))
    add_demo_students(gen)
    fill_roll(gen)
    add_past_scores(gen)
    add_accommodations(gen)
    return gen


def main() -> None:
    gen = generate()
    DATASET.write_text(json.dumps(dataset(gen), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    IDENTITIES.write_text(identities_markdown(gen), encoding="utf-8")
    print(f"wrote {DATASET.name} ({len(gen.roll)} students, {len(gen.scores)} CET4 records) and {IDENTITIES.name}")


if __name__ == "__main__":
    main()
