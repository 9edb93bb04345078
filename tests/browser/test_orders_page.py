"""缴费记录 on the page (R-PAY-6): a paid order stays listed, and its receipt downloads as a PDF."""

from __future__ import annotations

import io
import re

from playwright.sync_api import expect
from pypdf import PdfReader

from tests.browser.flows import api_student
from tests.browser.test_student_page import Opener, signed_in_as, unused_student

NUMBER = re.compile(r"^[0-9]{1,20}$")


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
        student.press(paid.get_by_role("button", name=f"下载订单 {number} 的缴费凭证"))
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
