"""Every order listed, each with a number, and the receipt of a paid one (R-PAY-6)."""

from __future__ import annotations

import io
import re

from chalice.test import Client
from pypdf import PdfReader

from chalicelib.bootstrap import services
from chalicelib.domain.clock import parse_iso
from chalicelib.storage.models import OrderItem, OrderNumberItem
from tests import factories
from tests.e2e.http import assert_error, call
from tests.e2e.test_payments import holding, order, pay, restore_clock  # noqa: F401 (a fixture)

PDF = {"Accept": "application/pdf"}
NUMBER = re.compile(r"[0-9]{1,20}")


def receipt_text(client: Client, order_id: object, token: str) -> str:
    response = client.http.request(
        "GET", f"/orders/{order_id}/receipt", headers={**PDF, "Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200, response.body
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.body.startswith(b"%PDF-")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.body)).pages)


def test_r_pay_6_every_order_is_listed_newest_first_paid_ones_too_each_with_a_number(client: Client) -> None:
    student = holding(client, oral=False)
    first = order(client, student.token)
    assert pay(client, first["order_id"]).status == 200
    chosen = call(
        client, "POST", "/registration/subjects", {"subject": "CET-SET4", "campus_id": "NJU-GL"}, student.token
    )
    assert chosen.status == 201, chosen.text
    second = order(client, student.token, "bank", "ICBC")

    listed = call(client, "GET", "/orders", token=student.token)

    assert listed.status == 200, listed.text
    assert [o["order_id"] for o in listed.body] == [second["order_id"], first["order_id"]]
    assert [o["status"] for o in listed.body] == ["open", "paid"]  # the paid one stays in view
    assert [o["number"] for o in listed.body] == [second["number"], first["number"]]
    for shown in listed.body:
        assert NUMBER.fullmatch(shown["number"]), shown
        assert set(shown) >= {"order_id", "number", "status", "amount", "subjects", "provider", "created_at", "paid_at"}
    assert first["number"] != second["number"]
    assert listed.body[1]["amount"] == 3000
    assert listed.body[1]["provider"] == "alipay"
    assert [s["code"] for s in listed.body[1]["subjects"]] == ["CET4"]
    assert listed.body[1]["paid_at"] is not None
    assert listed.body[0]["paid_at"] is None
    assert parse_iso(listed.body[0]["created_at"]) >= parse_iso(listed.body[1]["created_at"])
    # the number is the same wherever the order is rendered
    assert call(client, "GET", f"/orders/{first['order_id']}", token=student.token).body["number"] == first["number"]


def test_r_pay_6_the_list_holds_only_the_accounts_own_orders(client: Client) -> None:
    mine = holding(client, oral=False)
    placed = order(client, mine.token)
    other = holding(client, factories.LI, oral=False)

    assert call(client, "GET", "/orders", token=other.token).body == []
    assert [o["order_id"] for o in call(client, "GET", "/orders", token=mine.token).body] == [placed["order_id"]]
    assert_error(call(client, "GET", "/orders"), 401, "UNAUTHENTICATED")


def test_r_pay_6_a_paid_order_has_a_pdf_receipt_with_number_masked_id_subjects_and_amounts(client: Client) -> None:
    student = holding(client)
    placed = order(client, student.token)
    assert pay(client, placed["order_id"]).status == 200

    text = receipt_text(client, placed["order_id"], student.token)

    masked = factories.entry(factories.ZHANG).masked_id
    for expected in (
        "缴费凭证",
        str(placed["number"]),
        "张三",
        masked,
        "英语四级",
        "英语四级口试",
        "30.00",
        "50.00",
        "80.00 元",
        "北京时间",
        "支付宝",
    ):
        assert expected in text, (expected, text)
    assert factories.ZHANG.id_number not in text
    trade_no = services().payments.orders.get(str(placed["order_id"]))
    assert trade_no is not None
    assert trade_no.provider_trade_no
    assert trade_no.provider_trade_no in text


def test_r_pay_6_an_order_made_before_numbers_gets_one_when_shown_and_is_listed(client: Client) -> None:
    student = holding(client, oral=False)
    placed = order(client, student.token)
    assert pay(client, placed["order_id"]).status == 200
    # as an order made before R-PAY-6 was stored: no number, no claim, no copy in the account
    old = OrderItem.get(f"ORDER#{placed['order_id']}", "ORDER")
    old.update(actions=[OrderItem.number.remove()])
    for item in OrderItem.query(f"ACCOUNT#{old.account_id}", OrderItem.sk.startswith("ORDER#")):
        item.delete()
    OrderNumberItem(f"ORDERNO#{placed['number']}", "ORDERNO").delete()
    assert call(client, "GET", "/orders", token=student.token).body == []

    shown = call(client, "GET", f"/orders/{placed['order_id']}", token=student.token).body

    assert NUMBER.fullmatch(shown["number"])
    again = call(client, "GET", f"/orders/{placed['order_id']}", token=student.token).body
    assert again["number"] == shown["number"]  # given once
    listed = call(client, "GET", "/orders", token=student.token).body
    assert [(o["order_id"], o["number"], o["status"]) for o in listed] == [
        (placed["order_id"], shown["number"], "paid")
    ]
    assert shown["number"] in receipt_text(client, placed["order_id"], student.token)
