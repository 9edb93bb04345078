"""One order, one number (R-PAY-7): the digits the page shows are the merchant order number the
provider receives, so the student's bill, the page, the receipt and the helpdesk see the same.

Part of the HTTP contract: tests/e2e/contract.py holds the shared helpers and the registry that
tests/e2e/test_contract_zz_registry.py checks.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlsplit

import pytest
from chalice.test import Client

from chalicelib.bootstrap import CLOCK
from chalicelib.bootstrap import test_gateway as plugged_gateway  # not named test_*: pytest would collect it
from devstack.payment_sandbox import UnknownTrade
from tests.e2e.contract import FORM, ORDER, PAY, holding, ok, place, sandbox_pay, statuses
from tests.e2e.http import call

ORDERS = "GET /orders"

pytestmark = pytest.mark.usefixtures("contract")


def merchant_no_sent(pay_url: str) -> str:
    """What the provider's page receives as our order number: Alipay's `out_trade_no` inside
    `biz_content`, the bank gateway's `v_oid`."""
    query = parse_qs(urlsplit(pay_url).query)
    if "biz_content" in query:
        return str(json.loads(query["biz_content"][0])["out_trade_no"])
    return query["v_oid"][0]


def sandbox() -> Any:
    gateway: Any = plugged_gateway()
    assert gateway is not None, "the client fixture installs the payment sandbox"
    return gateway.sandbox


@pytest.mark.parametrize(("provider", "bank"), [("alipay", None), ("bank", "ICBC")])
def test_r_pay_7_the_provider_receives_the_number_the_page_shows(client: Client, provider: str, bank: str) -> None:
    """R-PAY-7: the order's `number` is the merchant order number in the pay URL, the provider knows the
    trade by it (not by the order id), and the order list and the paid order show the same digits."""
    _, token = holding(client)
    placed = place(client, token, provider, bank)
    number, order_id = placed["number"], placed["order_id"]
    assert (len(number), number.isdigit()) == (16, True), number
    assert merchant_no_sent(placed["pay_url"]) == number
    assert order_id not in placed["pay_url"]
    opened = sandbox().open_trade(placed["pay_url"], CLOCK.now())  # the student opens the provider's page
    assert (opened.merchant_no, sandbox().trade(number).amount) == (number, placed["amount"])
    with pytest.raises(UnknownTrade):
        sandbox().trade(order_id)

    ok(sandbox_pay(client, order_id), PAY)
    paid = ok(call(client, "GET", f"/orders/{order_id}", token=token), ORDER)
    assert (paid["status"], paid["number"]) == ("paid", number)
    listed = ok(call(client, "GET", "/orders", token=token), ORDERS)
    assert [o["number"] for o in listed] == [number]


def test_r_pay_7_a_notice_naming_the_order_by_its_id_settles_nothing(client: Client) -> None:
    """R-PAY-7: a signed notice is matched to the order by the number the provider was given; the same
    notice re-signed with the order's id in `out_trade_no` is no order of ours (`fail`), and changes nothing."""
    _, token = holding(client)
    placed = place(client, token)
    ok(sandbox_pay(client, placed["order_id"], "deliveries=0"), PAY)  # paid at the provider, news not yet sent
    genuine, _ = sandbox().notification(placed["number"], CLOCK.now())
    fields = dict(parse_qsl(genuine.decode("ascii"), keep_blank_values=True))
    by_id, _ = sandbox().alipay_signed({**fields, "out_trade_no": placed["order_id"]})

    reply = call(client, "POST", "/payments/alipay/notify", raw=by_id, headers=FORM)
    assert (reply.status, reply.text) == (200, "fail")
    assert statuses(client, token) == [("CET4", "unpaid"), ("CET-SET4", "unpaid")]
    reply = call(client, "POST", "/payments/alipay/notify", raw=genuine, headers=FORM)
    assert (reply.status, reply.text) == (200, "success")
    assert statuses(client, token) == [("CET4", "paid"), ("CET-SET4", "paid")]
