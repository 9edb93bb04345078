"""A province in a few lines: schools, campuses and their oral capacities, the roll, CET4 scores,
openings of the waiting room and an exam sitting, as the province's loader takes them.

    province = (
        ProvinceBuilder()
        .school("NJU", "南京大学")
        .campus("NJU-GL", "鼓楼校区", oral={"CET-SET4": 30})
        .students(20, campus="NJU-GL")
    )

Every whole ID number is a made-up resident ID with a valid check digit (GB 11643).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from chalicelib.domain.accounts import Role
from chalicelib.domain.catalog import Campus, Catalog, OralOffering, Province, RoomName, School, Subject, SubjectKind
from chalicelib.domain.catalog import Window as SchoolWindow
from chalicelib.domain.clock import SHANGHAI
from chalicelib.domain.identity import IdType, gb11643_check_digit
from chalicelib.domain.province import ProvinceData, StaffMember
from chalicelib.domain.roll import RollRow, ScoreRow
from chalicelib.domain.sitting import ExamSitting, SittingOfYear
from chalicelib.domain.waiting_room import Opening

LONG_AGO = datetime(2024, 1, 1, tzinfo=SHANGHAI)
FAR_AHEAD = datetime(2099, 12, 31, tzinfo=SHANGHAI)
# The written exams and their oral parts (R-DATE-1), their fees in fen.
WRITTEN, ORAL = SubjectKind.WRITTEN, SubjectKind.ORAL
SUBJECTS = {
    "CET4": Subject("CET4", "英语四级", WRITTEN, 4, 3000, datetime(2099, 12, 19, 9, tzinfo=SHANGHAI)),
    "CET6": Subject("CET6", "英语六级", WRITTEN, 6, 3000, datetime(2099, 12, 19, 15, tzinfo=SHANGHAI)),
    "CET-SET4": Subject("CET-SET4", "英语四级口试", ORAL, 4, 5000, datetime(2099, 11, 21, 9, tzinfo=SHANGHAI)),
    "CET-SET6": Subject("CET-SET6", "英语六级口试", ORAL, 6, 5000, datetime(2099, 11, 22, 9, tzinfo=SHANGHAI)),
}
TICKET_CODES = {"CET4": "1", "CET6": "2"}  # R-TICKET-1: the subject's digit in a ticket number
EXAM_MINUTES = {"CET4": 140, "CET6": 145}


def resident_id(serial: int, region: str = "320102", birth: str = "20050101") -> str:
    """A made-up resident ID number (18 characters, valid check digit), one per serial below 1000."""
    first17 = f"{region}{birth}{serial % 1000:03d}"
    return first17 + gb11643_check_digit(first17)


@dataclass
class ProvinceBuilder:
    """Start with `ProvinceBuilder()`, chain what the province has, then `build(now)`."""

    code: str = "32"
    name: str = "示例省"
    notice: str = "示例省通告：请在 24 小时内缴费。"
    _schools: dict[str, School] = field(default_factory=dict)
    _windows: dict[str, tuple[SchoolWindow, ...]] = field(default_factory=dict)
    _campuses: dict[str, Campus] = field(default_factory=dict)
    _roll: list[RollRow] = field(default_factory=list)
    _scores: list[ScoreRow] = field(default_factory=list)
    _staff: list[StaffMember] = field(default_factory=list)
    _openings: list[tuple[str, tuple[str, ...], timedelta, timedelta, timedelta, int, int]] = field(
        default_factory=list
    )
    _sitting: ExamSitting | None = None

    def school(
        self,
        school_id: str,
        name: str,
        external_oral: bool = True,
        opens_at: datetime = LONG_AGO,
        closes_at: datetime = FAR_AHEAD,
        notice: str = "请携带身份证。",
    ) -> ProvinceBuilder:
        """A school and its registration window; `external_oral`: its students may sit the oral elsewhere."""
        self._schools[school_id] = School(school_id, name, notice, allow_external_oral=external_oral)
        self._windows[school_id] = (SchoolWindow(school_id, opens_at, closes_at),)
        return self

    def campus(
        self,
        campus_id: str,
        name: str,
        school: str | None = None,
        written: tuple[str, ...] = ("CET4", "CET6"),
        oral: dict[str, int] | None = None,
        oral_opens_at: datetime = LONG_AGO,
    ) -> ProvinceBuilder:
        """A campus of `school` (the last school added if not named): the written subjects it
        offers, and its oral seats by subject (the capacities)."""
        school_id = school or list(self._schools)[-1]
        offerings = tuple(
            OralOffering(campus_id, subject, capacity, oral_opens_at, FAR_AHEAD)
            for subject, capacity in (oral or {}).items()
        )
        self._campuses[campus_id] = Campus(campus_id, name, school_id, written, offerings)
        return self

    def student(
        self,
        name: str,
        campus: str | None = None,
        qualified: tuple[str, ...] = ("CET4",),
        id_number: str | None = None,
        cet6_barred: bool = False,
    ) -> ProvinceBuilder:
        """One roll entry at `campus` (the last campus added if not named), qualified for `qualified`."""
        campus_id = campus or list(self._campuses)[-1]
        serial = len(self._roll) + 1
        self._roll.append(
            RollRow(
                IdType.RESIDENT_ID,
                id_number or resident_id(serial, birth=f"2005{1 + serial // 1000:02d}01"),
                name,
                self._campuses[campus_id].school_id,
                campus_id,
                f"S{serial:06d}",
                qualified,
                cet6_barred,
            )
        )
        return self

    def students(
        self, count: int, campus: str | None = None, qualified: tuple[str, ...] = ("CET4",)
    ) -> ProvinceBuilder:
        """`count` roll entries named 考生1, 考生2…"""
        for _ in range(count):
            self.student(f"考生{len(self._roll) + 1}", campus, qualified)
        return self

    def score(self, ticket_number: str, id_number: str, name: str, score: int, year: int = 2025) -> ProvinceBuilder:
        """A CET4 score record (R-REV: a CET6 review checks against these)."""
        self._scores.append(ScoreRow(ticket_number, id_number, name, score, year))
        return self

    def staff(self, login: str, school: str) -> ProvinceBuilder:
        """A school's staff member, who activates with the code the service sends (R-OPS-3)."""
        self._staff.append(StaffMember(login, Role.STAFF, school))
        return self

    def opening(
        self,
        opening_id: str,
        campuses: tuple[str, ...],
        queue_opens_in: timedelta = timedelta(minutes=10),
        opens_after: timedelta = timedelta(minutes=20),
        lasts: timedelta = timedelta(hours=1),
        admit_per_minute: int = 100,
        pass_minutes: int = 10,
    ) -> ProvinceBuilder:
        """An opening of the waiting room (R-QUEUE-1) on `campuses`: its queue opens `queue_opens_in`
        after the load, the opening `opens_after` that, and it closes `lasts` later."""
        self._openings.append(
            (opening_id, campuses, queue_opens_in, opens_after, lasts, admit_per_minute, pass_minutes)
        )
        return self

    def sitting(
        self,
        year: int = 2099,
        of_year: SittingOfYear = SittingOfYear.DECEMBER,
        plan_at: datetime = datetime(2099, 11, 1, 9, tzinfo=SHANGHAI),
        tickets_open_at: datetime = datetime(2099, 12, 8, 9, tzinfo=SHANGHAI),
    ) -> ProvinceBuilder:
        """The exam sitting (R-ROOM-1): the room plan may be drawn from `plan_at`, after every
        window has closed (the windows are cut a day before it), tickets open at `tickets_open_at`."""
        self._sitting = ExamSitting(year, of_year, plan_at, tickets_open_at)
        return self

    def build(self, now: datetime) -> ProvinceData:
        """The province as loaded at `now` (openings are placed from it)."""
        assert self._schools, "a province needs a school"
        assert self._campuses, "a province needs a campus"
        catalog = Catalog(
            Province(self.code, self.name, self.notice),
            dict(SUBJECTS),
            dict(self._schools),
            dict(self._campuses),
            dict(self._windows),
            openings={o.id: o for o in self._built_openings(now)},
        )
        if self._sitting is not None:
            catalog = self._with_sitting(catalog, self._sitting)
        return ProvinceData(catalog, tuple(self._roll), tuple(self._scores), tuple(self._staff))

    def _built_openings(self, now: datetime) -> list[Opening]:
        built = []
        for opening_id, campuses, queue_in, opens_after, lasts, rate, minutes in self._openings:
            queue_at = now + queue_in
            opens = queue_at + opens_after
            name = f"口试集中开放 {opening_id}"
            built.append(Opening(opening_id, name, queue_at, opens, opens + lasts, campuses, rate, minutes))
        return built

    def _with_sitting(self, catalog: Catalog, sitting: ExamSitting) -> Catalog:
        """Ticket codes and minutes on the written subjects, a site code per campus (one room
        named at each), every window closed a day before the plan is drawn."""
        subjects = {
            code: replace(s, ticket_code=TICKET_CODES[code], exam_minutes=EXAM_MINUTES[code])
            if s.kind is SubjectKind.WRITTEN
            else s
            for code, s in catalog.subjects.items()
        }
        campuses = {
            campus_id: replace(c, site_code=f"{self.code}{n:04d}", rooms=(RoomName("001", f"{c.name}第一考场"),))
            for n, (campus_id, c) in enumerate(catalog.campuses.items(), start=1)
        }
        cut = sitting.plan_at - timedelta(days=1)
        windows = {
            school_id: tuple(replace(w, closes_at=min(w.closes_at, cut)) for w in found)
            for school_id, found in catalog.windows.items()
        }
        return replace(catalog, subjects=subjects, campuses=campuses, windows=windows, exam=sitting)


def small_province() -> ProvinceBuilder:
    """The kit's default: one school with two campuses, 10 oral seats at the first, 20 students."""
    return (
        ProvinceBuilder()
        .school("NJU", "南京大学")
        .campus("NJU-GL", "鼓楼校区", oral={"CET-SET4": 10})
        .campus("NJU-XL", "仙林校区", written=("CET4",))
        .students(20, campus="NJU-GL")
    )
