"""报名首页 and 报名信息 at the moments that matter, on a phone (390×844): a seat offered from the
waiting list with its own deadline (R-WAIT-2), and after payment each paid subject's exam time and
what comes next (R-DATE-1, R-TICKET-2). On a stack of its own, so the small campus (dcu-beihu, 2
seats) is full of this module's students only.

Screenshots of every step: test-artifacts/browser/<test>/.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from devstack.walkthrough import pay_in_sandbox
from tests.browser.conftest import Browsing
from tests.browser.flows import DEMO, api_student, dcu_students
from tests.browser.test_student_page import signed_in_as
from tests.stack import start_stack, stop

Opener = Callable[..., Browsing]
PHONE = {"width": 390, "height": 844, "is_mobile": True, "has_touch": True}
BEIJING = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    """`make run` in test mode on moto, for this module alone."""
    stack = start_stack({"AWS_ENDPOINT_URL_DYNAMODB": "", "DEVSTACK_JOB_SECONDS": "3600"})
    yield stack.base
    output = stop(stack)
    assert "Traceback" not in output, output


def beijing(iso: str) -> str:
    """As the page writes a moment (format.js `beijing`): "2099/12/19 09:00（北京时间）"."""
    return datetime.fromisoformat(iso).astimezone(BEIJING).strftime("%Y/%m/%d %H:%M") + "（北京时间）"


def exam_at(code: str) -> str:
    return str(next(s for s in DEMO["subjects"] if s["code"] == code)["exam_at"])


def test_r_wait_2_an_offered_seat_has_its_deadline_on_home_and_the_footer_does_not_promise_24_hours(
    open_page: Opener, site: str
) -> None:
    """R-WAIT-2: a seat offered from the waiting list is held 2 hours: 报名首页 says so in a banner
    with the deadline in 北京时间 and a countdown, and neither the footer nor 报名信息's amount due says
    every subject has 24."""
    first, second, mine = dcu_students(3)
    holders = [api_student(site, who)[0] for who in (first, second)]
    for holder in holders:
        holder.expect(201, "POST", "/registration/subjects", {"subject": "CET-SET4", "campus_id": "dcu-beihu"})
    api, _ = api_student(site, mine)
    api.expect(201, "POST", "/waitlist", {"subject": "CET-SET4", "campus_id": "dcu-beihu"})
    holders[0].expect(200, "DELETE", "/registration/subjects/CET-SET4")
    assert api.expect(200, "POST", "/_test/jobs/offer")["offered"] == 1
    registration = api.expect(200, "GET", "/registration")
    [offered] = [s for s in registration["subjects"] if s["offered"]]

    browsing = open_page(**PHONE)
    page = browsing.page
    student = signed_in_as(browsing, api, "home")
    student.heading("报名首页")
    banner = page.locator(".offer")
    expect(banner).to_have_count(1)
    expect(banner).to_contain_text("候补成功")
    expect(banner).to_contain_text(f"请在 {beijing(offered['pay_by'])}前缴费")
    expect(banner.locator(".countdown")).to_contain_text("剩余 1 小时 5")  # 2 hours from the offer
    footer = page.get_by_role("contentinfo")
    expect(footer).to_contain_text("一般科目须在报考后 24 小时内缴费；候补名额以页面所示时限为准")
    expect(footer).not_to_contain_text("所有已报考科目")
    browsing.shot("home-offer")
    student.press(student.link("查看报名信息"))
    student.heading("报名信息")
    due = page.locator(".due")
    expect(due).to_contain_text("候补递补的考位须在所示时限内缴费")
    expect(page.locator("main")).not_to_contain_text("所有科目须在选择后 24 小时内缴费")
    browsing.shot("registration-offer")
    browsing.check(expected_refusals=[])


def test_r_date_1_after_payment_home_and_registration_show_each_exam_time_and_what_comes_next(
    open_page: Opener, site: str
) -> None:
    """R-DATE-1, R-TICKET-2: once paid, 报名首页 and 报名信息 list each paid subject with its exam's
    date and time in 北京时间 (GET /subjects' `exam_at`), and say that the 准考证 is printed from
    `tickets_open_at` (GET /room-plan), in 北京时间."""
    [student_identity] = dcu_students(4)[3:]
    api, _ = api_student(site, student_identity)
    api.expect(201, "POST", "/registration/subjects", {"subject": "CET-SET4", "campus_id": "dcu-main"})
    assert pay_in_sandbox(api)["status"] == "paid"
    written, oral = beijing(exam_at("CET4")), beijing(exam_at("CET-SET4"))
    tickets_open = beijing(DEMO["exam"]["tickets_open_at"])

    browsing = open_page(**PHONE)
    page = browsing.page
    student = signed_in_as(browsing, api, "home")
    for heading, route in (("报名首页", None), ("报名信息", "查看报名信息")):
        if route:
            student.press(student.link(route))
        student.heading(heading)
        schedule = page.get_by_role("region", name="考试安排")
        exams = schedule.locator("ul.exams > li")
        expect(exams).to_have_count(2)
        expect(exams.filter(has_text="英语四级（笔试）")).to_contain_text(f"{written} 开考")
        expect(exams.filter(has_text="英语四级口试")).to_contain_text(f"{oral} 开考")
        expect(schedule.locator(".next-steps")).to_contain_text(f"笔试准考证自 {tickets_open} 起")
        browsing.shot(f"paid-{heading}")
    browsing.check(expected_refusals=[])
