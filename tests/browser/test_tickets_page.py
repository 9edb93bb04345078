"""准考证打印 on 报名首页 (R-TICKET-2, R-ROOM-3), at a phone's 390 × 844: before `tickets_open_at` when
printing opens and when rooms are drawn, then each ticket's site, room, seat and exam time with
下载准考证, whose PDF carries the ticket number. On a stack of its own (tests/browser/sitting.py).
Screenshots: test-artifacts/browser/<test>/."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Locator, expect
from pypdf import PdfReader

from tests.browser.conftest import Browsing
from tests.browser.flows import Student, api_student, new_login, roll_entry
from tests.browser.sitting import (
    AFTER_PLAN_AT,
    AFTER_TICKETS_OPEN_AT,
    move_clock_to,
    own_stack,
    paid_student,
    run_plan_job,
    signed_in,
)
from tests.browser.test_student_page import Opener, signed_in_as, unused_student

OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
PHONE = (390, 844)
AFTER_CET4_ENDS = "2099-12-19T11:25:00+08:00"  # 09:00 + 140 minutes, and 5; 丁敏's (+70) ends at 12:30


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    yield from own_stack()


def home_again(browsing: Browsing, site: str, login: str) -> Student:
    """报名首页 in a new session: the clock's move let the last one lapse."""
    api = signed_in(site, login)
    page = browsing.page
    page.evaluate("token => sessionStorage.setItem('cet.token', token)", api.token)
    if page.url.endswith("#/home"):
        page.reload()
    else:
        page.goto(f"{browsing.base}/#/home")
    student = Student(browsing)
    student.heading("报名首页")
    return student


def fact(ticket: Locator, label: str) -> Locator:
    return ticket.locator("dt").filter(has_text=re.compile(f"^{label}$")).locator("xpath=following-sibling::dd[1]")


def test_r_ticket_2_a_paid_student_sees_when_tickets_open_then_the_ticket_and_downloads_its_pdf(
    open_page: Opener, site: str
) -> None:
    """R-TICKET-2 at 390 px: a student pays CET4 on the page; 报名首页 says when 准考证打印 opens and
    when rooms are drawn (北京时间); after plan_at and the plan job, still closed (the server says
    TICKETS_NOT_OPEN); after tickets_open_at, the ticket with its number, site, room and name, seat
    and exam time, and 下载准考证 saves a PDF with the ticket number, the name and no whole ID
    number; after the exam has ended, 下载准考证 says so (TICKETS_CLOSED). R-ROOM-3: a candidate
    with a separate room sees 单独考场 and the end time extended by the roll's extra minutes. No
    sideways scroll, no axe-core violation, no token in a URL."""
    identity = unused_student(school="dcu", campus="dcu-main", qualified=["CET4"], skip=5)
    login = new_login()
    api, _ = api_student(site, identity, login_name=login)
    separate = paid_student(site, roll_entry("丁敏"))  # 单独考场, 70 extra minutes on the roll
    browsing = open_page(*PHONE, is_mobile=True, has_touch=True)
    page = browsing.page
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    student = signed_in_as(browsing, api, "registration")
    student.heading("报名信息")
    student.pay("支付宝")
    expect(page.get_by_role("status")).to_contain_text("缴费成功")

    section = page.get_by_role("region", name="准考证打印")
    expect(section).to_contain_text("准考证打印将于 2099/12/08 09:00（北京时间） 开放")
    expect(section).to_contain_text("考场和座位于 2099/11/01 09:00（北京时间） 起随机编排")
    expect(section.get_by_role("button")).to_have_count(0)
    assert page.evaluate(OVERFLOW) <= 0
    browsing.shot("tickets-upcoming")

    move_clock_to(site, AFTER_PLAN_AT)
    assert run_plan_job(site)["seated"] == 2
    student = home_again(browsing, site, login)
    expect(section).to_contain_text("考场和座位已随机编排完成")
    expect(section).to_contain_text("准考证打印将于 2099/12/08 09:00（北京时间） 开放")
    expect(section.get_by_role("button")).to_have_count(0)
    browsing.shot("tickets-drawn-not-open")

    move_clock_to(site, AFTER_TICKETS_OPEN_AT)
    mine = signed_in(site, login)
    (expected,) = mine.expect(200, "GET", "/tickets")
    student = home_again(browsing, site, login)
    ticket = section.get_by_role("article", name="英语四级")
    number = expected["ticket_number"]
    assert re.fullmatch(r"390110" r"99" r"2" r"1" r"\d{3}" r"\d{2}", number), number  # R-TICKET-1
    expect(fact(ticket, "准考证号")).to_have_text(number)
    expect(fact(ticket, "考点")).to_have_text("东川大学本部校区（考点代码 390110）")
    expect(fact(ticket, "考场")).to_have_text(f"第 {expected['room']} 考场（{expected['room_name']}）")
    assert expected["room_name"], expected  # dcu-main names its rooms (教学楼A101 …)
    expect(fact(ticket, "座位号")).to_have_text(expected["seat"])
    expect(fact(ticket, "考试时间")).to_have_text("2099/12/19 09:00 至 11:20（北京时间）")  # 140 minutes
    expect(ticket).not_to_contain_text("单独考场")
    assert page.evaluate(OVERFLOW) <= 0
    browsing.shot("tickets-open")

    with page.expect_download() as downloading:
        student.press(ticket.get_by_role("button", name="下载准考证：英语四级"))
    download = downloading.value
    assert download.suggested_filename == f"准考证-{number}.pdf"
    assert download.url.startswith("blob:")
    body = download.path().read_bytes()
    assert body.startswith(b"%PDF-")
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(body)).pages)
    assert number in text
    assert identity.name in text
    assert identity.id_number not in text  # masked only
    tokens = [api.token, mine.token]
    assert not [url for url in requests for token in tokens if token and token in url], "a token went into a URL"

    move_clock_to(site, AFTER_CET4_ENDS)  # printed until the exam ends (R-TICKET-2): no button then
    student = home_again(browsing, site, login)
    expect(ticket.get_by_role("button", name="下载准考证：英语四级")).to_have_count(0)
    expect(ticket).to_contain_text("该科目考试已结束，准考证不再提供下载。")
    browsing.shot("ticket-after-the-exam")
    browsing.check(expected_refusals=["TICKETS_NOT_OPEN"])

    other = open_page(*PHONE, is_mobile=True, has_touch=True)
    home_again(other, site, separate)
    (seat,) = signed_in(site, separate).expect(200, "GET", "/tickets")
    assert seat["separate_room"] is True
    card = other.page.get_by_role("region", name="准考证打印").get_by_role("article", name="英语四级")
    expect(fact(card, "考场类型")).to_have_text("单独考场（合理便利）")
    expect(fact(card, "考场")).to_contain_text(f"第 {seat['room']} 考场")
    expect(fact(card, "考试时间")).to_have_text("2099/12/19 09:00 至 12:30（北京时间）")  # 140 + 70 minutes
    assert other.page.evaluate(OVERFLOW) <= 0
    other.shot("ticket-separate-room")
    other.check(expected_refusals=[])
