"""排队 on the page (R-QUEUE-1..6): a student is told to save a registration first when the join
says so (R-QUEUE-2), joins the opening's queue, is refused a campus
until admitted, sees "轮到您了" with the time left, checks the place in the published order, and
takes a seat.

The service clock moves forward by a good part of a year here, so this file runs on a stack of
its own: the other browser tests keep theirs at today's date.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import Route, expect

from devstack.walkthrough import Api
from tests.browser.flows import DEMO, api_student
from tests.browser.test_student_page import Opener, signed_in_as, unused_student
from tests.stack import start_stack, stop

(OPENING,) = DEMO["openings"]
GRACE_SECONDS = 41  # chalicelib/domain/waiting_room.py ORDER_GRACE, and a second


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    stack = start_stack({"AWS_ENDPOINT_URL_DYNAMODB": "", "DEVSTACK_JOB_SECONDS": "3600"})
    yield stack.base
    output = stop(stack)
    assert "Traceback" not in output, output


def move_clock_to(api: Api, moment: str, plus_seconds: int = 0) -> None:
    now = datetime.fromisoformat(api.expect(200, "POST", "/_test/clock", {"advance_seconds": 0})["now"])
    target = datetime.fromisoformat(moment) + timedelta(seconds=plus_seconds)
    api.expect(200, "POST", "/_test/clock", {"advance_seconds": max(0, (target - now).total_seconds())})


def test_r_queue_a_student_queues_is_admitted_checks_the_seed_and_takes_a_seat(open_page: Opener, site: str) -> None:
    """R-QUEUE-1..6 at 360 px: join, NOT_ADMITTED before the turn, "轮到您了" with a countdown,
    the place checked in the browser against the published order (R-QUEUE-6), then the seat."""
    identity = unused_student(school="nyit", campus="nyit-main", qualified=["CET4"], skip=3)
    move_clock_to(Api(site + "/api"), OPENING["queue_opens_at"], 60)  # sessions and holds begin after
    api, _ = api_student(site, identity)
    browsing = open_page(360, 740, is_mobile=True)
    page = browsing.page
    student = signed_in_as(browsing, api, "oral")
    student.heading("口试报考")
    student.tick("英语四级口试（CET-SET4）")
    queue = page.get_by_role("region", name=f"排队：{OPENING['name']}")
    expect(queue).to_contain_text("排队中")
    expect(queue).to_contain_text("“指纹”现在就公布")
    browsing.shot("queue-open")

    # R-QUEUE-2 (amended): the queue is per candidate; a join answered 409 REGISTRATION_REQUIRED (the
    # registration gone meanwhile, R-BIND-4) says what to do and offers the way to 保存报名
    refusal = {"code": "REGISTRATION_REQUIRED", "message": "加入排队前请先保存报名信息。"}
    page.route("**/api/openings/*/entries", lambda route: route.fulfill(status=409, json=refusal), times=1)
    student.press(queue.get_by_role("button", name="加入排队"))
    expect(queue).to_contain_text("请先查询资格并保存报名信息")
    expect(queue.get_by_role("link", name="保存报名")).to_have_attribute("href", "#/lookup")
    browsing.shot("registration-required")

    student.press(queue.get_by_role("button", name="加入排队"))
    expect(queue).to_contain_text("开放时随机排定")
    # the queue card names its campuses; a campus of an open queue is not offered before the turn
    expect(queue.locator(".queue-campuses")).to_have_text("本场次校区：南屿理工学院本部校区")
    campus = page.get_by_role("group", name="选择报名校区").get_by_label("南屿理工学院本部校区")
    expect(campus).to_be_disabled()
    row = page.locator(".option.campus", has=page.get_by_role("radio", name="南屿理工学院本部校区"))
    expect(row).to_contain_text("需排队：轮到您后才能选择")
    browsing.shot("queued-campus")

    # a page that showed the turn a moment too early: the refusal tells a queued student where they
    # stand, not to "加入排队" again
    def admitted_too_early(route: Route) -> None:
        entry = route.fetch().json()
        route.fulfill(json={**entry, "state": "admitted", "admitted_until": OPENING["closes_at"]})

    page.route("**/api/openings/*/entries/current", admitted_too_early, times=1)
    student.press(queue.get_by_role("button", name="刷新"))
    expect(campus).to_be_enabled()
    campus.check()
    student.press(student.button("提交"))
    expect(student.error()).to_contain_text("您已在排队中，还没轮到您")
    expect(student.error()).not_to_contain_text("加入排队")
    expect(campus).to_be_disabled()
    browsing.shot("not-admitted")

    move_clock_to(api, OPENING["opens_at"], GRACE_SECONDS)
    report = api.expect(200, "POST", "/_test/jobs/admit")
    assert report["admitted"] >= 1
    student.press(queue.get_by_role("button", name="刷新"))
    expect(queue.get_by_text("轮到您了！")).to_be_visible()
    expect(student.error()).to_have_count(0)  # the refusal of before the turn is gone with it
    expect(campus).to_be_enabled()
    expect(queue.locator(".countdown.pass")).to_contain_text("剩余")
    browsing.shot("your-turn")

    # R-QUEUE-3/6: the seed is out; the browser computes the student's place key itself, finds it
    # in the published order and says the place, in words a student reads
    place = api.expect(200, "GET", f"/openings/{OPENING['id']}/entries/current")["position"]
    total = api.expect(200, "GET", f"/openings/{OPENING['id']}/order")["total"]
    student.press(queue.get_by_text("如何核对自己的位置"))
    expect(queue).not_to_contain_text("UTF-8")
    student.press(queue.get_by_role("button", name="核对我的位置"))
    checked = queue.locator(".place-checked")
    expect(checked).to_contain_text(f"您的位置：第 {place} 位，共 {total} 位")
    expect(checked).to_contain_text("没有被跳过或插入的位置")
    expect(checked).to_contain_text("与上方显示的您的位置一致")
    browsing.shot("seed-check")

    page.get_by_role("group", name="选择报名校区").get_by_label("南屿理工学院本部校区").check()
    student.press(student.button("提交"))
    student.heading("报名信息")
    expect(page.locator("table.subjects")).to_contain_text("南屿理工学院本部校区")
    browsing.check(expected_refusals=["NOT_FOUND", "REGISTRATION_REQUIRED", "NOT_ADMITTED"])
