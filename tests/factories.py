"""A small province for tests: two schools, three campuses, a few students and score records."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from chalicelib.domain.accounts import NO_PASSWORD, Account, Role
from chalicelib.domain.catalog import (
    Campus,
    Catalog,
    OralOffering,
    Province,
    RoomName,
    School,
    Subject,
    SubjectKind,
    Window,
)
from chalicelib.domain.clock import SHANGHAI
from chalicelib.domain.identity import IdType, ProtectedId, Protection, gb11643_check_digit, mask_id_number
from chalicelib.domain.province import ProvinceData, StaffMember
from chalicelib.domain.roll import Accommodation, RollEntry, RollRow, ScoreRow
from chalicelib.domain.sitting import ExamSitting, SittingOfYear
from chalicelib.protection import envelope
from chalicelib.protection.keys import ring_from_secret
from chalicelib.protection.loading import protection as load_protection
from chalicelib.protection.province_keys import THROWAWAY_SECRET, ProvinceKeys
from chalicelib.services.accounts_ports import AccountStore, PasswordHasher

# Ahead of the real clock on purpose: DynamoDB Local's TTL deletes items whose `expires` is in the
# real past within seconds, which would race the tests that hold a fixed clock.
NOW = datetime(2098, 9, 1, 10, 0, tzinfo=SHANGHAI)
LONG_AGO = datetime(2024, 1, 1, tzinfo=SHANGHAI)
FAR_AHEAD = datetime(2099, 12, 31, tzinfo=SHANGHAI)
STAFF_PASSWORD = "Staff2026pass"
ADMIN_LOGIN = "admin@province.example.cn"  # the province's administrator (R-OPS-1)
ADMIN_PASSWORD = "Shengji2026guan"


def resident_id(serial: int, region: str = "320102", birth: str = "20050101") -> str:
    first17 = f"{region}{birth}{serial % 1000:03d}"
    return first17 + gb11643_check_digit(first17)


# R-DATE-1: the exam schedule of the test province; the Japanese exams have none (exam_at null).
EXAM_AT = {
    "CET4": datetime(2099, 12, 19, 9, 0, tzinfo=SHANGHAI),
    "CET6": datetime(2099, 12, 19, 15, 0, tzinfo=SHANGHAI),
    "CET-SET4": datetime(2099, 11, 21, 9, 0, tzinfo=SHANGHAI),
    "CET-SET6": datetime(2099, 11, 22, 9, 0, tzinfo=SHANGHAI),
}


def subjects() -> dict[str, Subject]:
    written = [("CET4", "英语四级", 4), ("CET6", "英语六级", 6), ("CJT4", "日语四级", 4), ("CJT6", "日语六级", 6)]
    found = {
        code: Subject(code, name, SubjectKind.WRITTEN, level, 3000, EXAM_AT.get(code)) for code, name, level in written
    }
    found["CET-SET4"] = Subject("CET-SET4", "英语四级口试", SubjectKind.ORAL, 4, 5000, EXAM_AT["CET-SET4"])
    found["CET-SET6"] = Subject("CET-SET6", "英语六级口试", SubjectKind.ORAL, 6, 5000, EXAM_AT["CET-SET6"])
    return found


def offering(campus: str, subject: str, capacity: int, opens: datetime = LONG_AGO) -> OralOffering:
    return OralOffering(campus, subject, capacity, opens, FAR_AHEAD)


SEAT_SHARD_SIZE = 4


def catalog(capacity: int = 10) -> Catalog:
    schools = {
        "NJU": School("NJU", "南京大学", "南京大学口试须知：请携带身份证。", allow_external_oral=True),
        "SEU": School("SEU", "东南大学", "东南大学考生只能在本校参加口试。", allow_external_oral=False),
        "OLD": School("OLD", "已截止学院", "报名已截止。", allow_external_oral=True),
    }
    campuses = {
        "NJU-GL": Campus(
            "NJU-GL",
            "鼓楼校区",
            "NJU",
            ("CET4", "CET6", "CJT4", "CJT6"),
            (offering("NJU-GL", "CET-SET4", capacity), offering("NJU-GL", "CET-SET6", capacity)),
        ),
        "NJU-XL": Campus(
            "NJU-XL",
            "仙林校区",
            "NJU",
            ("CET4",),
            (offering("NJU-XL", "CET-SET4", capacity, opens=FAR_AHEAD - timedelta(days=1)),),
        ),
        "SEU-SP": Campus("SEU-SP", "四牌楼校区", "SEU", ("CET4", "CET6"), (offering("SEU-SP", "CET-SET4", capacity),)),
        "OLD-1": Campus("OLD-1", "主校区", "OLD", ("CET4",), ()),
    }
    windows: dict[str, tuple[Window, ...]] = {
        "NJU": (Window("NJU", LONG_AGO, FAR_AHEAD),),
        "SEU": (Window("SEU", LONG_AGO, FAR_AHEAD),),
        "OLD": (Window("OLD", LONG_AGO, LONG_AGO + timedelta(days=30)),),
    }
    # small shards, so the tests' campuses of 5 to 100 seats spread over several (decision 0019)
    province = Province("32", "示例省", "示例省通告：请在 24 小时内缴费。", seat_shard_size=SEAT_SHARD_SIZE)
    return Catalog(province, subjects(), schools, campuses, windows)


# The throwaway keys of the local stack and the tests (decision 0013): they protect nothing real.
RING = ring_from_secret(THROWAWAY_SECRET)
IDENTITY_KEYS = ProvinceKeys(lambda _force: RING)
_WRAPPED_KEYS: dict[str, tuple[bytes, str]] = {}


def protection() -> Protection:
    """What a test load protects ID numbers with; its data keys are kept here, as a table would."""
    made = load_protection(RING, envelope.LocalWrapper(envelope.THROWAWAY_WRAPPING_KEY), _WRAPPED_KEYS.get)
    _WRAPPED_KEYS[made.data_key.key_id] = (made.data_key.wrapped, made.data_key.wrapped_by)
    return made


def protected_id(number: str) -> ProtectedId:
    """As the service holds `number` once loaded (the sealed part is not compared)."""
    return ProtectedId(RING.digest(number), mask_id_number(number))


def entry(row: RollRow) -> RollEntry:
    """A roll row as the service holds it once loaded."""
    return row.protected(protected_id)


def student(serial: int, name: str = "张三", campus: str = "NJU-GL", **changes: object) -> RollRow:
    school = campus.split("-", maxsplit=1)[0]
    fields: dict[str, object] = {
        "id_type": IdType.RESIDENT_ID,
        "id_number": resident_id(serial),
        "name": name,
        "school_id": school,
        "campus_id": campus,
        "student_no": f"S{serial:06d}",
        "qualified_subjects": ("CET4", "CJT4"),
        "cet6_barred": False,
    }
    fields.update(changes)
    return RollRow(**fields)  # type: ignore[arg-type]


# Named students used across tests.
ZHANG = student(1, "张三")  # CET4 qualified, review offered
LI = student(2, "李四", qualified_subjects=("CET4", "CET6"))  # already CET6 qualified
WANG = student(3, "王五", campus="SEU-SP")  # school forbids external oral
ZHAO = student(4, "赵六", campus="OLD-1")  # window closed
QIAN = student(5, "钱七", cet6_barred=True)
SUN = student(6, "孙八", campus="NJU-XL")  # campus does not offer CET6
PASSPORT = student(7, "JOHN SMITH", id_type=IdType.PASSPORT, id_number="E12345678")

TICKET_APPROVE = "320012161000001"  # ticket + ID number of ZHANG (R-REV-3 rule 1)
TICKET_PENDING = "320012161000002"  # ticket + name of ZHANG, another ID number (rule 2)
TICKET_LOW = "320012161000003"  # ZHANG's ID, score below 425
TICKET_OLD = "320012161000004"  # ZHANG's ID, 2003 (R-REV-2)
TICKET_NOBODY = "320012161000005"  # neither ID nor name match (rule 3)


def scores() -> tuple[ScoreRow, ...]:
    return (
        ScoreRow(TICKET_APPROVE, ZHANG.id_number, "张叁", 520, 2025),
        ScoreRow(TICKET_PENDING, resident_id(999), "张三", 480, 2025),
        ScoreRow(TICKET_LOW, ZHANG.id_number, "张三", 400, 2025),
        ScoreRow(TICKET_OLD, ZHANG.id_number, "张三", 500, 2003),
        ScoreRow(TICKET_NOBODY, resident_id(998), "某某", 500, 2025),
    )


def many_students(count: int, start: int = 100) -> tuple[RollRow, ...]:
    return tuple(
        student(start + i, f"考生{i}", id_number=resident_id(start + i, birth=f"2004{1 + i // 900:02d}01"))
        for i in range(count)
    )


def province_admin(password_hash: str) -> Account:
    """The test province's administrator: role province, no school (R-OPS-1)."""
    return Account(
        "province-admin", ADMIN_LOGIN, password_hash, Role.PROVINCE, agreement_accepted_at=NOW, created_at=NOW
    )


def student_account(n: int) -> Account:
    """A student account that has accepted the agreement."""
    return Account(f"acc{n}", f"student{n}@example.cn", "not-used-here", agreement_accepted_at=NOW, created_at=NOW)


def province(capacity: int = 10, extra_students: int = 0) -> ProvinceData:
    roll = (ZHANG, LI, WANG, ZHAO, QIAN, SUN, PASSPORT, *many_students(extra_students))
    staff = (
        StaffMember("staff@nju.edu.cn", Role.STAFF, "NJU"),
        StaffMember("staff@seu.edu.cn", Role.STAFF, "SEU"),
    )
    return ProvinceData(catalog(capacity), roll, scores(), staff)


# R-ROOM-1..3, R-TICKET-1: the test province's December 2099 sitting. Its plan is drawn after
# every window closes (the sitting's windows end on 31 October); tickets open 11 days before.
EXAM = ExamSitting(
    2099, SittingOfYear.DECEMBER, datetime(2099, 11, 1, 9, tzinfo=SHANGHAI), datetime(2099, 12, 8, 9, tzinfo=SHANGHAI)
)
WINDOWS_CLOSE = datetime(2099, 10, 31, 17, tzinfo=SHANGHAI)
TICKET_CODES = {"CET4": "1", "CET6": "2", "CJT4": "3", "CJT6": "4"}
SITE_CODES = {"NJU-GL": "320101", "NJU-XL": "320102", "SEU-SP": "320201", "OLD-1": "320301"}
ROOMS = {"NJU-GL": (RoomName("001", "教学楼A101"), RoomName("002", "教学楼A102"))}
SEPARATE_ROOM = Accommodation(separate_room=True, extra_minutes=40)  # R-ROOM-3


def sitting_catalog(capacity: int = 10) -> Catalog:
    """The test catalog with its sitting: ticket codes and minutes on the written subjects (with an
    exam time each), site codes on the campuses, named rooms at NJU-GL, windows closed before
    `plan_at`."""
    plain = catalog(capacity)
    level_4 = EXAM_AT["CET4"]
    subjects = {
        code: replace(
            s,
            exam_at=s.exam_at or level_4.replace(hour=15 if s.level == 6 else 9),
            ticket_code=TICKET_CODES[code],
            exam_minutes=140 if s.level == 4 else 145,
        )
        if s.kind is SubjectKind.WRITTEN
        else s
        for code, s in plain.subjects.items()
    }
    campuses = {
        campus_id: replace(c, site_code=SITE_CODES[campus_id], rooms=ROOMS.get(campus_id, ()))
        for campus_id, c in plain.campuses.items()
    }
    windows = {
        school_id: tuple(replace(w, closes_at=min(w.closes_at, WINDOWS_CLOSE)) for w in found)
        for school_id, found in plain.windows.items()
    }
    return replace(plain, subjects=subjects, campuses=campuses, windows=windows, exam=EXAM)


def sitting_province(capacity: int = 10) -> ProvinceData:
    """The test province with its sitting, ZHANG given a separate room and 40 extra minutes."""
    plain = province(capacity)
    roll = tuple(replace(row, accommodation=SEPARATE_ROOM) if row is ZHANG else row for row in plain.roll)
    return replace(plain, catalog=sitting_catalog(capacity), roll=roll)


def give_staff_passwords(accounts: AccountStore, passwords: PasswordHasher) -> None:
    """Test only: the test province's staff as if they had activated with their code (R-OPS-3)
    and chosen STAFF_PASSWORD; the loader's files never carry a password."""
    for member in province().staff:
        account = accounts.by_login(member.login)
        assert account is not None, f"{member.login} was not loaded"
        if not account.activated:
            accounts.replace_password_hash(account.account_id, NO_PASSWORD, passwords.hash(STAFF_PASSWORD))


# Every whole ID number the test province knows: none may ever be stored, shown or logged.
WHOLE_ID_NUMBERS: frozenset[str] = frozenset(
    {entry.id_number for entry in province().roll} | {record.id_number for record in scores()}
)
