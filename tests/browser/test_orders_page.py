"""缴费记录 on the page (R-PAY-6): a paid order stays listed, and its receipt downloads as a PDF; one
number for an order everywhere the student sees it (R-PAY-7); on a phone each order is a card."""

from __future__ import annotations

import io
import re

from playwright.sync_api import expect
from pypdf import PdfReader

from devstack.walkthrough import pay_in_sandbox
from tests.browser.flows import api_student
from tests.browser.test_student_page import Opener, signed_in_as, unused_student

NUMBER = re.compile(r"^[0-9]{1,20}$")
PHONE = (390, 844)
OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
WRAP_OVERFLOW = "Math.max(...[...document.querySelectorAll('.table-wrap')].map((w) => w.scrollWidth - w.clientWidth))"


def test_r_pay_6_a_paid_order_is_listed_and_its_receipt_downloads_as_a_pdf(open_page: Opener, site: str) -> None:
    identity = unused_student(school="dcu", campus="dcu-main", qualified=["CET4"], skip=40)
    api, _ = api_student(site, identity)
    browsing = open_page()
    page = browsing.page
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    student = signed_in_as(browsing, api, "registration")
    student.heading("报名信息")
    student.pay("支付宝")
    expect(page.get_by_role("status")).to_contain_text("缴费成功")

    student.press(student.link("缴费记录"))
    student.heading("缴费记录")
    table = page.get_by_role("table", name="全部订单（从新到旧）")
    rows = table.get_by_role("row")
    expect(rows).to_have_count(2)  # the heading row and the one order, paid and still in view
    paid = rows.nth(1)
    expect(paid).to_contain_text("已支付")
    expect(paid).to_contain_text("30.00 元")
    expect(paid).to_contain_text("英语四级")
    number = paid.get_by_role("rowheader").inner_text().strip()
    assert NUMBER.match(number), number
    browsing.shot("orders")

    with page.expect_download() as downloading:
        student.press(paid.get_by_role("button", name=f"下载凭证（订单号 {number}）"))
    download = downloading.value
    assert download.suggested_filename == f"缴费凭证-{number}.pdf"
    assert download.url.startswith("blob:")
    body = download.path().read_bytes()
    assert body.startswith(b"%PDF-")
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(body)).pages)
    assert number in text
    assert identity.name in text
    assert identity.id_number not in text  # masked only
    assert api.token
    assert not [url for url in requests if api.token in url], "the token went into a URL"
    browsing.check(expected_refusals=[])


def test_r_pay_7_the_order_number_is_the_one_number_on_home_the_payment_and_the_records(
    open_page: Opener, site: str
) -> None:
    """R-PAY-7: 报名首页's open order, the provider's page (the sandbox plays Alipay), the payment's result
    and 缴费记录 show the same 16 digits, the order's `number`; the `order_id` (URLs and API calls only)
    is never on screen."""
    identity = unused_student(school="dcu", campus="dcu-main", qualified=["CET4"], skip=41)
    api, _ = api_student(site, identity)
    browsing = open_page()
    page = browsing.page
    student = signed_in_as(browsing, api, "registration")
    student.heading("报名信息")
    student.pay("支付宝", button="取消")  # back from the platform's page with the order still open
    [placed] = api.expect(200, "GET", "/orders")
    number, order_id = placed["number"], placed["order_id"]
    assert re.fullmatch(r"[0-9]{16}", number), number
    body = page.locator("body")
    open_order = page.get_by_role("region", name="未完成的订单")
    expect(open_order).to_contain_text(f"订单号 {number}")
    expect(page.get_by_role("status")).to_contain_text(f"订单 {number}")
    expect(body).not_to_contain_text(order_id)
    browsing.shot("home-open-order")

    student.press(student.link("缴费记录"))
    student.heading("缴费记录")
    listed = page.get_by_role("table", name="全部订单（从新到旧）").get_by_role("row").nth(1)
    expect(listed.get_by_role("rowheader")).to_have_text(number)
    expect(listed).to_contain_text("待支付")
    expect(body).not_to_contain_text(order_id)
    browsing.shot("orders-open")

    student.press(student.link("返回报名首页"))
    student.heading("报名首页")
    student.press(page.get_by_role("region", name="未完成的订单").get_by_role("link", name="继续支付"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("模拟支付宝")
    expect(body).to_contain_text(f"商户订单号：{number}")  # what the provider is given, so the bill shows it too
    student.press(student.button("支付"))
    expect(page.get_by_role("heading", level=1)).to_have_text("报名首页", timeout=20_000)
    expect(page.get_by_role("status")).to_contain_text(f"缴费成功：订单号 {number}")
    expect(body).not_to_contain_text(order_id)
    browsing.shot("paid")

    student.press(student.link("缴费记录"))
    student.heading("缴费记录")
    paid = page.get_by_role("table", name="全部订单（从新到旧）").get_by_role("row").nth(1)
    expect(paid.get_by_role("rowheader")).to_have_text(number)
    expect(paid).to_contain_text("已支付")
    expect(body).not_to_contain_text(order_id)
    browsing.shot("orders-paid")
    browsing.check(expected_refusals=[])


def test_r_pay_6_on_a_phone_each_order_is_a_card_with_its_receipt_button_in_view(open_page: Opener, site: str) -> None:
    """R-PAY-6 at 390×844: no sideways scroll on 缴费记录; every paid order's 下载凭证 lies inside the
    screen's width, and its accessible name holds the visible words (axe label-content-name-mismatch)."""
    identity = unused_student(school="dcu", campus="dcu-main", qualified=["CET4"], skip=44)
    api, _ = api_student(site, identity)
    number = pay_in_sandbox(api)["number"]
    browsing = open_page(*PHONE, is_mobile=True, has_touch=True)
    page = browsing.page
    student = signed_in_as(browsing, api, "orders")
    student.heading("缴费记录")
    card = page.get_by_role("table", name="全部订单（从新到旧）").get_by_role("row").filter(has_text=number)
    expect(card).to_contain_text("已支付")
    assert card.evaluate("row => getComputedStyle(row).display") == "block", "each order a card"
    digits = card.get_by_role("rowheader").bounding_box()
    assert digits is not None
    assert digits["height"] < 40, f"the order number is broken over lines: {digits}"
    button = card.get_by_role("button", name=f"下载凭证（订单号 {number}）")
    box = button.bounding_box()  # where it lies before any scrolling, sideways or down
    assert box is not None
    assert box["x"] >= 0, box
    assert box["x"] + box["width"] <= PHONE[0], box
    assert box["y"] + box["height"] <= PHONE[1], box
    expect(button).to_be_in_viewport()
    assert page.evaluate(OVERFLOW) <= 0, "缴费记录 scrolls sideways on a phone"
    assert page.evaluate(WRAP_OVERFLOW) <= 0, "the orders' box scrolls sideways on a phone"
    browsing.shot("orders-phone")
    browsing.check(expected_refusals=[])
