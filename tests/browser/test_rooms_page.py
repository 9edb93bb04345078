"""考场 on the staff's and the administrator's pages (R-TICKET-3, R-ROOM-1, R-ROOM-3), after the demo
sitting's plan is drawn: school staff see their school's rooms, filter them by subject and download a
room's 考场签到表; the province administrator sees the plan per site and subject. On a stack of its
own (tests/browser/sitting.py). Screenshots: test-artifacts/browser/<test>/."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from devstack.walkthrough import Api
from tests.browser.flows import DEMO, DEMO_GUIDE_NAMES, Identity, Student, roll_entry
from tests.browser.sitting import AFTER_PLAN_AT, move_clock_to, own_stack, paid_student, run_plan_job
from tests.browser.test_student_page import Opener, unused_student
from tests.stack import DEMO_STAFF_PASSWORD, activate_staff

OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
STAFF = "staff@dcu.edu.cn"
ADMIN = next(s["login"] for s in DEMO["staff"] if s["role"] == "province")
DCU_MAIN = "东川大学本部校区（考点代码 390110）"


@dataclass(frozen=True)
class Sitting:
    cet4: Identity  # the one ordinary CET4 candidate of dcu-main: room 001, seat 01
    cet6: Identity


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    yield from own_stack()


def cet6_student() -> Identity:
    entry = next(
        e
        for e in DEMO["roll"]
        if e["campus_id"] == "dcu-main"
        and "CET6" in e["qualified_subjects"]
        and e["id_type"] == "resident_id"
        and not e["cet6_barred"]
        and e["name"] not in DEMO_GUIDE_NAMES
    )
    return Identity(entry["id_type"], entry["id_number"], entry["name"])


@pytest.fixture(scope="module")
def drawn(site: str) -> Sitting:
    """dcu-main's staff and the administrator activated (their codes last minutes, the clock moves
    years); CET4 paid by one ordinary candidate and by 丁敏 (separate room, R-ROOM-3), CET6 by one;
    the clock past plan_at and the plan drawn: three rooms at dcu-main."""
    for login in (STAFF, ADMIN):
        activate_staff(site + "/api", login)
    cet4 = unused_student(school="dcu", campus="dcu-main", qualified=["CET4"], skip=7)
    sitting = Sitting(cet4=cet4, cet6=cet6_student())
    paid_student(site, sitting.cet4)
    paid_student(site, roll_entry("丁敏"))
    paid_student(site, sitting.cet6, "CET6")
    move_clock_to(site, AFTER_PLAN_AT)
    assert run_plan_job(site)["seated"] == 3
    return sitting


def test_r_ticket_3_staff_see_their_rooms_by_subject_and_download_a_sign_in_sheet(
    open_page: Opener, site: str, drawn: Sitting
) -> None:
    """R-TICKET-3 at 390 px: 考场与签到表 lists the school's rooms (subject and room, site, room name,
    seated, 单独考场), the subject filter narrows them, and 下载签到表 saves the room's sheet: a PDF
    with the ticket number and name of the one who sits there and no whole ID number."""
    browsing = open_page(390, 844, is_mobile=True, has_touch=True)
    page = browsing.page
    staff = Student(browsing)
    staff.log_in(STAFF, DEMO_STAFF_PASSWORD)
    staff.heading("CET6资格复核（学校负责老师）")
    section = page.get_by_role("region", name="考场与签到表")
    expect(section).to_contain_text("考场已于 2099/11/01 09:00（北京时间）后编排")
    table = section.get_by_role("table", name="本校考场（3 个）")
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(3)
    cet4 = rows.filter(has_text="英语四级 第 001 考场")
    expect(cet4).to_contain_text("考点代码 390110")
    expect(cet4).to_contain_text("教学楼A101")
    expect(cet4).to_contain_text("1 人")
    expect(cet4).not_to_contain_text("单独考场")
    expect(rows.filter(has_text="英语四级 第 002 考场")).to_contain_text("单独考场")  # after the ordinary room
    expect(rows.filter(has_text="英语六级 第 001 考场")).to_contain_text("1 人")
    assert page.evaluate(OVERFLOW) <= 0
    browsing.shot("staff-rooms")

    section.get_by_label("科目").select_option("CET6")
    narrowed = section.get_by_role("table", name="本校考场（1 个）")
    expect(narrowed.locator("tbody tr")).to_have_count(1)
    expect(narrowed).to_contain_text("英语六级 第 001 考场")
    section.get_by_label("科目").select_option("CET4")
    rows = section.get_by_role("table", name="本校考场（2 个）").locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="英语六级")).to_have_count(0)
    browsing.shot("staff-rooms-cet4")

    room = rows.filter(has_text="英语四级 第 001 考场")
    with page.expect_download() as downloading:
        staff.press(room.get_by_role("button", name=re.compile("^下载签到表：")))
    download = downloading.value
    assert download.suggested_filename == "签到表-390110-CET4-001.pdf"
    body = download.path().read_bytes()
    assert body.startswith(b"%PDF-")
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(body)).pages)
    assert "390110992100101" in text  # R-TICKET-1: site, 99, sitting 2, CET4's code 1, room 001, seat 01
    assert drawn.cet4.name in text
    assert drawn.cet4.id_number not in text  # masked only
    assert "丁敏" not in text  # another room's
    browsing.check(expected_refusals=[])


@pytest.mark.usefixtures("drawn")
def test_r_ticket_3_the_administrator_sees_the_plan_per_site_and_subject(open_page: Opener, site: str) -> None:
    """R-TICKET-3 at 390 px: 考场编排 on 全省报名概况: the plan drawn, its seats, rooms and sites, the
    seed and its SHA-256 as GET /room-plan publishes them (R-ROOM-2), and one line per site and
    subject that has candidates, with seated, rooms and rooms not full."""
    published = Api(site + "/api").expect(200, "GET", "/room-plan")
    browsing = open_page(390, 844, is_mobile=True, has_touch=True)
    page = browsing.page
    admin = Student(browsing)
    admin.log_in(ADMIN, DEMO_STAFF_PASSWORD)
    admin.heading("全省报名概况")
    plan = page.get_by_role("region", name="考场编排")
    expect(plan).to_contain_text("编排状态：已编排")
    expect(plan.locator(".tile", has_text="已编排座位")).to_contain_text("3 个")
    expect(plan.locator(".tile", has_text="考场")).to_contain_text("3 个")
    expect(plan.locator(".tile", has_text="考点")).to_contain_text("1 个")
    admin.press(plan.get_by_text("编排种子（供公开核对）"))
    expect(plan).to_contain_text(published["seed_sha256"])
    expect(plan).to_contain_text(published["seed"])
    table = plan.get_by_role("table", name="各考点考场编排（2 个考点科目）")
    cet4 = table.get_by_role("row", name=re.compile("英语四级"))
    expect(cet4.get_by_role("rowheader")).to_have_text(f"{DCU_MAIN} · 英语四级")
    expect(cet4.locator('[data-label="已编排人数"]')).to_have_text("2 人")
    expect(cet4.locator('[data-label="考场数"]')).to_have_text("2 个")
    expect(cet4.locator('[data-label="未坐满的考场"]')).to_have_text("2 个")  # 1 of 30 and 1 of 5
    cet6 = table.get_by_role("row", name=re.compile("英语六级"))
    expect(cet6.locator('[data-label="已编排人数"]')).to_have_text("1 人")
    expect(cet6.locator('[data-label="考场数"]')).to_have_text("1 个")
    expect(table.locator("tbody tr")).to_have_count(2)  # sites and subjects nobody paid for: counted, not listed
    expect(plan).to_contain_text(re.compile(r"另有 \d+ 个考点科目没有考生"))
    assert page.evaluate(OVERFLOW) <= 0
    browsing.shot("admin-plan")
    browsing.check(expected_refusals=[])
