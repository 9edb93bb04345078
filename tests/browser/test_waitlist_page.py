"""The waiting list on the page (R-WAIT-1..2): join from a campus that shows 无, see the place,
get the offer with its countdown, pay it. On a stack of its own, so the small campus (dcu-beihu,
2 seats) is full of this test's students only, whatever other browser tests did to theirs.

Screenshots of every step: test-artifacts/browser/<test>/.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import AXE, Browsing
from tests.browser.flows import Student, api_student, dcu_students, new_login
from tests.stack import start_stack, stop

Opener = Callable[..., Browsing]
BEIHU = "东川大学北湖校区（口试小考场）"


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    """`make run` in test mode on moto, for this module alone."""
    stack = start_stack({"AWS_ENDPOINT_URL_DYNAMODB": "", "DEVSTACK_JOB_SECONDS": "3600"})
    yield stack.base
    output = stop(stack)
    assert "Traceback" not in output, output


def test_r_wait_a_student_joins_the_list_of_a_full_campus_gets_the_offer_and_pays(open_page: Opener, site: str) -> None:
    """R-WAIT-1: 北湖 shows 无; the student joins its list (排第 1 位) and sees the place on 报名信息.
    R-WAIT-2: a holder removes the seat, the offer step runs; the student sees the seat held for
    them with its countdown to pay_by, and pays it through the usual payment flow (R-PAY-2)."""
    first, second, mine = dcu_students(3)
    holders = [api_student(site, who)[0] for who in (first, second)]
    for holder in holders:
        holder.expect(201, "POST", "/registration/subjects", {"subject": "CET-SET4", "campus_id": "dcu-beihu"})

    browsing = open_page(width=360, height=780)
    student = Student(browsing)
    login = new_login()
    student.register(login)
    student.log_in(login)
    student.enrol(mine)
    student.choose_written("英语四级（CET4）")
    student.heading("报名信息")
    student.open_oral("英语四级口试（CET-SET4）")
    beihu = student.page.get_by_role("radio", name=BEIHU)
    row = student.page.locator(".option.campus", has=beihu)
    expect(beihu).to_be_disabled()
    expect(row).to_contain_text("余量：无")
    browsing.shot("campus-full")
    # axe-core's label-content-name-mismatch (not in its default run): the button's name holds the
    # words it shows, "候补" (the waiting list; "排队" is the waiting room's)
    join = student.button(f"候补{BEIHU}")
    expect(join).to_have_text("候补")
    mismatch = AXE.run(student.page, options={"runOnly": ["label-content-name-mismatch"]}).response["violations"]
    assert mismatch == []
    student.press(join)
    expect(student.page.get_by_role("alert")).to_contain_text("当前排第 1 位")
    browsing.shot("joined")

    student.press(student.link("返回报名信息"))
    student.heading("报名信息")
    waiting = student.page.get_by_role("region", name="我的候补")
    expect(waiting).to_contain_text("排第 1 位")
    browsing.shot("waiting")

    holders[0].expect(200, "DELETE", "/registration/subjects/CET-SET4")
    assert holders[0].expect(200, "POST", "/_test/jobs/offer")["offered"] == 1
    student.page.reload()
    student.heading("报名信息")
    offer = student.page.locator(".offer")
    expect(offer).to_contain_text("候补成功")
    expect(offer.locator(".countdown")).to_contain_text("剩余 1 小时 5")  # 2 hours from the offer
    expect(student.page.locator("table.subjects")).to_contain_text("英语四级口试")
    expect(waiting).to_have_count(0)
    browsing.shot("offered")

    student.pay("支付宝")
    student.press(student.link("查看报名信息"))
    student.heading("报名信息")
    expect(student.page.locator("table.subjects")).not_to_contain_text("未缴费")
    expect(student.page.locator(".offer")).to_have_count(0)
    browsing.shot("paid")
    browsing.check(expected_refusals=[])
