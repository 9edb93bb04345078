"""Dates in Beijing time (R-DATE-1) and the school staff's review screen (R-REV-3 ②, R-REV-4), on the
demo province of `make run`. Screenshots: test-artifacts/browser/<test>/."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable

from playwright.sync_api import expect

from devstack.walkthrough import Api
from tests.browser.conftest import Browsing
from tests.browser.flows import DEMO, DEMO_GUIDE_NAMES, PASSWORD, Identity, Student, api_student, new_login, roll_entry
from tests.stack import DEMO_STAFF_PASSWORD, activate_staff

Opener = Callable[..., Browsing]
OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
PENDING_TICKET = "390310242102424"  # 梁博睿's ticket: name matches, ID number differs (R-REV-3 ②)
STAFF_PASSWORD = DEMO_STAFF_PASSWORD


def last_unnamed_student(school: str, campus: str) -> Identity:
    """A roll entry of `campus` that no demo scenario names, from the end of the roll (the other
    tests take theirs from the start)."""
    fits = [
        e
        for e in DEMO["roll"]
        if (e["school_id"], e["campus_id"], e["id_type"]) == (school, campus, "resident_id")
        and e["qualified_subjects"] == ["CET4"]
        and e["name"] not in DEMO_GUIDE_NAMES
        and not e["cet6_barred"]
    ]
    return Identity(fits[-1]["id_type"], fits[-1]["id_number"], fits[-1]["name"])


def signed_in_as(browsing: Browsing, api: Api, route: str) -> Student:
    browsing.page.evaluate("token => sessionStorage.setItem('cet.token', token)", api.token)
    browsing.page.goto(f"{browsing.base}/#/{route}")
    return Student(browsing)


def test_r_date_1_the_window_exam_times_pay_by_and_upcoming_campuses_in_beijing_time(
    open_page: Opener, site: str
) -> None:
    """R-DATE-1, at 360 px: the home page shows the school's registration window with its dates in
    北京时间, the pay_by deadline is labelled 北京时间, oral subjects show their exam time, and a campus
    that opens later is listed as "x月x日 HH:MM 开放" beside the open ones."""
    api, registration = api_student(site, last_unnamed_student("nyit", "nyit-main"))
    assert registration["subjects"][0]["pay_by"].endswith("+08:00")
    browsing = open_page(360, 740, is_mobile=True, has_touch=True)
    student = signed_in_as(browsing, api, "home")
    student.heading("报名首页")
    window = student.page.locator("p.window")
    expect(window).to_have_text("本校网上报名时间：2024/01/01 00:00 至 2099/10/31 17:00（北京时间）")
    expect(student.page.locator("table.subjects")).to_contain_text("（北京时间）前缴费")
    assert student.page.evaluate(OVERFLOW) <= 0
    browsing.shot("home-window")
    student.press(student.link("查看报名信息"))
    student.open_oral("英语四级口试（CET-SET4）")
    expect(student.page.get_by_text("考试时间：2099/11/21 09:00（北京时间）")).to_be_visible()
    upcoming = student.page.get_by_role("region", name="即将开放的校区")
    expect(upcoming).to_contain_text("南屿理工学院东区校区")
    expect(upcoming).to_contain_text(re.compile(r"6月1日 09:00 开放"))
    campuses = student.page.get_by_role("group", name="选择报名校区")
    expect(campuses.get_by_label("南屿理工学院本部校区")).to_be_visible()
    expect(campuses).not_to_contain_text("东区校区")  # not open yet: nothing to tick (R-ORAL-1)
    assert student.page.evaluate(OVERFLOW) <= 0
    browsing.shot("oral-upcoming")
    browsing.check(expected_refusals=[])


def test_r_date_1_the_confirmation_page_shows_the_window_once_looked_up(open_page: Opener) -> None:
    """R-DATE-1: before the lookup the home page shows no window; after it, the confirmation page
    names the school's window in 北京时间, and so does the home page."""
    browsing = open_page()
    student = Student(browsing)
    login = new_login()
    student.register(login)
    student.log_in(login)
    student.heading("报名首页")
    expect(student.page.locator("p.window")).to_have_count(0)
    student.enrol(roll_entry("朱磊伟"), save=False)  # 海川学院: its window closed in 2024
    expect(
        student.page.get_by_text("请在本校网上报名时间（2024/03/01 09:00 至 2024/03/15 17:00（北京时间））内")
    ).to_be_visible()
    student.page.goto(f"{browsing.base}/#/home")
    student.heading("报名首页")
    expect(student.page.locator("p.window")).to_contain_text("2024/03/01 09:00 至 2024/03/15 17:00（北京时间）")
    browsing.check(expected_refusals=[])


def pending_review_of_liang(site: str) -> Api:
    """A student who files 梁博睿's review through the API: pending, for staff@nyit.edu.cn."""
    api = Api(site + "/api")
    login = {"login": new_login(), "password": PASSWORD}
    api.expect(201, "POST", "/accounts", {**login, **api.captcha()})
    api.token = api.expect(201, "POST", "/sessions", {**login, **api.captcha()})["token"]
    api.expect(204, "POST", "/me/agreement", {"accepted": True})
    who = roll_entry("梁博睿").body()
    api.expect(200, "POST", "/qualification", who)
    review = api.expect(201, "POST", "/cet6-reviews", {**who, "ticket_number": PENDING_TICKET, "confirm": True})
    assert review["status"] == "pending", review
    return api


def test_r_rev_4_staff_confirm_an_approval_cancel_leaves_it_pending_and_decided_reviews_are_listed(
    open_page: Opener, site: str
) -> None:
    """R-REV-3 ②, R-REV-4 at 360 px: beside the candidate, the CET4 score record (masked ID only);
    通过 asks first, saying approval is final, with the focus on 取消: Enter on opening leaves the review
    pending; 确认通过 approves it, and the decision is listed among the decided reviews."""
    student = pending_review_of_liang(site)
    browsing = open_page(360, 740, is_mobile=True, has_touch=True)
    staff = Student(browsing)
    activate_staff(site + "/api", "staff@nyit.edu.cn", STAFF_PASSWORD)  # R-OPS-3: through the outbox
    staff.log_in("staff@nyit.edu.cn", STAFF_PASSWORD)
    staff.heading("CET6资格复核（学校负责老师）")
    page = staff.page
    pending = page.get_by_role("table", name=re.compile("待人工复核的申请"))
    row = pending.get_by_role("row", name="梁博睿")
    expect(row).to_contain_text(PENDING_TICKET)
    record = row.locator(".score-record")
    expect(record).to_contain_text("梁博睿")
    expect(record).to_contain_text("2024 年，总分 468")
    expect(record).to_contain_text(re.compile(r"\d{4}\*+\d{3}[\dX]"))  # masked, never whole
    assert page.evaluate(OVERFLOW) <= 0
    browsing.shot("staff-pending-with-record")

    who = f"梁博睿（{PENDING_TICKET}）"
    note = f"成绩报告单核对无误 {secrets.token_hex(3)}"
    staff.type_into(f"备注：{who}", note)
    staff.press(page.get_by_role("button", name=f"通过 {who}", exact=True))
    dialog = page.get_by_role("dialog", name="确认通过复核")
    expect(dialog).to_contain_text("不能撤销")
    assert page.evaluate(OVERFLOW) <= 0
    browsing.shot("staff-confirm")
    expect(dialog.get_by_role("button", name="取消")).to_be_focused()  # not 确认通过: approval is final
    page.keyboard.press("Enter")
    expect(dialog).to_have_count(0)
    expect(row).to_be_visible()
    assert student.expect(200, "GET", "/cet6-reviews/current")["status"] == "pending"

    staff.press(page.get_by_role("button", name=f"通过 {who}", exact=True))
    staff.dialog_confirm("确认通过复核", "确认通过")
    expect(page.get_by_role("status")).to_contain_text("已通过 梁博睿")
    expect(page.get_by_text("目前没有待复核的申请")).to_be_visible()
    decided = page.get_by_role("table", name=re.compile("已处理的申请"))
    mine = decided.get_by_role("row").filter(has_text=note)
    expect(mine).to_have_count(1)
    expect(mine).to_contain_text("已通过")
    expect(mine).to_contain_text(PENDING_TICKET)
    assert page.evaluate(OVERFLOW) <= 0
    browsing.shot("staff-decided")
    assert student.expect(200, "GET", "/cet6-reviews/current")["status"] == "approved"
    browsing.check(expected_refusals=[])
