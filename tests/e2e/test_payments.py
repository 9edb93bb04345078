"""Paying through the local sandbox over HTTP (R-PAY-1..5, R-BIND-4)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import pytest
from chalice.test import Client

from chalicelib.bootstrap import CLOCK
from chalicelib.storage.room_plan_items import SitterItem
from tests import factories
from tests.e2e.http import Reply, agree, assert_error, call, create_account, log_in, new_login, registered, staff

DAY = 24 * 3600


@pytest.fixture(autouse=True)
def restore_clock() -> object:
    offset = CLOCK._offset
    yield None
    CLOCK._offset = offset


class Student:
    """A signed-in student who can sign in again after the clock moved past the session's end."""

    def __init__(self, client: Client, login: str) -> None:
        self.client, self.login = client, login
        self.token = log_in(client, login)

    def again(self) -> str:
        self.token = log_in(self.client, self.login)
        return self.token


def holding(client: Client, entry: object = factories.ZHANG, oral: bool = True) -> Student:
    login = new_login()
    create_account(client, login)
    student = Student(client, login)
    token = registered(client, entry, agreed(client, student.token))  # type: ignore[arg-type]
    assert call(client, "POST", "/registration/subjects", {"subject": "CET4"}, token).status == 201
    if oral:
        reply = call(client, "POST", "/registration/subjects", {"subject": "CET-SET4", "campus_id": "NJU-GL"}, token)
        assert reply.status == 201, reply.text
    return student


def agreed(client: Client, token: str) -> str:
    agree(client, token)
    return token


def order(client: Client, token: str, provider: str = "alipay", bank: str | None = None) -> dict[str, object]:
    body = {"provider": provider, **({"bank": bank} if bank else {})}
    reply = call(client, "POST", "/orders", body, token)
    assert reply.status == 201, reply.text
    return dict(reply.body)


def pay(client: Client, order_id: object, deliveries: int = 1, parallel: bool = False) -> Reply:
    query = urlencode({"deliveries": deliveries, "parallel": str(parallel).lower()})
    return call(client, "POST", f"/_test/gateway/{order_id}/pay?{query}")


def statuses(client: Client, token: str) -> list[tuple[str, str]]:
    registration = call(client, "GET", "/registration", token=token).body
    return [(s["code"], s["status"]) for s in registration["subjects"]]


def seats_left_colour(client: Client, token: str) -> str:
    campuses = call(client, "GET", "/oral-campuses?subject=CET-SET4", token=token).body
    return next(c["remaining"] for c in campuses if c["campus_id"] == "NJU-GL")


def test_r_pay_2_an_order_gathers_every_unpaid_subject_and_never_outlives_pay_by(client: Client) -> None:
    student = holding(client)
    token = student.token
    placed = order(client, token)
    registration = call(client, "GET", "/registration", token=token).body
    assert placed["amount"] == registration["amount_due"] == 8000
    assert [s["code"] for s in placed["subjects"]] == ["CET4", "CET-SET4"]  # type: ignore[attr-defined]
    assert placed["expires_at"] == min(s["pay_by"] for s in registration["subjects"])
    assert placed["status"] == "open"
    assert_error(call(client, "POST", "/orders", {"provider": "alipay"}, token), 409, "ORDER_OPEN")
    # R-PAY-3: the home state names the open order, so another device finds it to pay or 更新
    assert call(client, "GET", "/me", token=token).body["open_order_id"] == placed["order_id"]


def test_r_pay_3_paid_once_although_the_notification_comes_eight_times(client: Client) -> None:
    student = holding(client)
    token = student.token
    placed = order(client, token)
    reply = pay(client, placed["order_id"], deliveries=8)
    assert reply.body["acknowledgements"] == ["success"] * 8
    assert statuses(client, token) == [("CET4", "paid"), ("CET-SET4", "paid")]
    assert call(client, "GET", f"/orders/{placed['order_id']}", token=token).body["status"] == "paid"
    assert call(client, "GET", "/registration", token=token).body["amount_due"] == 0
    assert_error(call(client, "DELETE", "/registration/subjects/CET4", token=token), 409, "SUBJECT_PAID")
    assert_error(call(client, "POST", "/orders", {"provider": "alipay"}, token), 409, "NOTHING_TO_PAY")
    assert_error(pay(client, placed["order_id"]), 409, "PAYMENT_REFUSED")  # the sandbox: already paid
    assert call(client, "GET", "/me", token=token).body["open_order_id"] is None


def test_r_pay_2_the_bank_gateway_with_a_chosen_bank(client: Client) -> None:
    student = holding(client)
    token = student.token
    assert_error(call(client, "POST", "/orders", {"provider": "bank", "bank": "NOPE"}, token), 400, "INVALID_REQUEST")
    placed = order(client, token, "bank", "ICBC")
    assert pay(client, placed["order_id"], deliveries=2).body["acknowledgements"] == ["sent", "sent"]
    assert statuses(client, token) == [("CET4", "paid"), ("CET-SET4", "paid")]


def test_r_pay_3_a_lost_notification_is_found_by_update(client: Client) -> None:
    student = holding(client)
    token = student.token
    placed = order(client, token)
    assert pay(client, placed["order_id"], deliveries=0).body["acknowledgements"] == []
    assert statuses(client, token) == [("CET4", "unpaid"), ("CET-SET4", "unpaid")]
    refreshed = call(client, "POST", f"/orders/{placed['order_id']}/refresh", token=token)
    assert refreshed.body["status"] == "paid"
    assert statuses(client, token) == [("CET4", "paid"), ("CET-SET4", "paid")]


def test_r_pay_3_a_lost_notification_is_found_by_the_reconcile_job(client: Client) -> None:
    student = holding(client)
    token = student.token
    placed = order(client, token)
    pay(client, placed["order_id"], deliveries=0)
    assert call(client, "POST", "/_test/jobs/reconcile").body["checked"] == 0  # too recent to ask
    call(client, "POST", "/_test/clock", {"advance_seconds": 600})
    assert call(client, "POST", "/_test/jobs/reconcile").body == {
        "checked": 1,
        "paid": 1,
        "closed": 0,
        "refunds_retried": 0,
        "left_busy": 0,
    }
    assert statuses(client, student.token) == [("CET4", "paid"), ("CET-SET4", "paid")]


def test_r_pay_3_a_forged_notification_changes_nothing(client: Client) -> None:
    student = holding(client)
    token = student.token
    placed = order(client, token)
    forged = urlencode(
        {"out_trade_no": placed["order_id"], "total_amount": "80.00", "trade_status": "TRADE_SUCCESS", "sign": "AAAA"}
    )
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    reply = call(client, "POST", "/payments/alipay/notify", raw=forged, headers=headers)
    assert (reply.status, reply.text) == (200, "fail")
    reply = call(client, "POST", "/payments/bank/notify", raw=b"v_oid=x&v_pstatus=20", headers=headers)
    assert (reply.status, reply.text) == (200, "error")
    assert statuses(client, token) == [("CET4", "unpaid"), ("CET-SET4", "unpaid")]
    assert call(client, "GET", f"/orders/{placed['order_id']}", token=token).body["status"] == "open"


def test_r_pay_1_an_order_cannot_be_paid_after_its_deadline(client: Client) -> None:
    student = holding(client)
    token = student.token
    placed = order(client, token)
    call(client, "POST", "/_test/clock", {"advance_seconds": DAY + 60})
    assert_error(pay(client, placed["order_id"]), 409, "PAYMENT_REFUSED")
    assert call(client, "GET", "/registration", token=student.again()).status == 404  # gone at once (R-BIND-4)


def test_r_pay_5_a_late_payment_takes_its_free_seats_again(client: Client) -> None:
    student = holding(client)
    token = student.token
    placed = order(client, token)
    pay(client, placed["order_id"], deliveries=0)  # paid in time, the notification lost
    call(client, "POST", "/_test/clock", {"advance_seconds": DAY + 60})
    call(client, "POST", "/_test/jobs/expire")  # the holds are deleted, seats released

    report = call(client, "POST", "/_test/jobs/reconcile").body

    assert report["paid"] == 1
    token = student.again()
    assert statuses(client, token) == [("CET4", "paid"), ("CET-SET4", "paid")]
    assert call(client, "GET", f"/orders/{placed['order_id']}", token=token).body["late"] == "re_reserved"
    nju = staff(client, "staff@nju.edu.cn")
    late = call(client, "GET", "/staff/late-payments", token=nju).body
    assert [(p["order_id"], p["outcome"]) for p in late] == [(placed["order_id"], "re_reserved")]
    assert call(client, "GET", "/staff/late-payments", token=staff(client, "staff@seu.edu.cn")).body == []
    # R-ROOM-1: the written subject the late payment took again waits for its seat in the room plan
    assert [(s.subject, s.settled_at is not None) for s in SitterItem.scan()] == [("CET4", True)]


def test_r_pay_5_a_late_payment_whose_seat_is_gone_is_refunded(client: Client) -> None:
    student = holding(client)
    token = student.token
    placed = order(client, token)
    pay(client, placed["order_id"], deliveries=0)
    call(client, "POST", "/_test/clock", {"advance_seconds": DAY + 60})
    call(client, "POST", "/_test/jobs/expire")
    for entry in (factories.LI, factories.QIAN, factories.SUN):  # capacity 3: the seats go to others
        other = registered(client, entry)
        call(client, "POST", "/registration/subjects", {"subject": "CET4"}, other)
        taken = call(client, "POST", "/registration/subjects", {"subject": "CET-SET4", "campus_id": "NJU-GL"}, other)
        assert taken.status == 201, taken.text

    call(client, "POST", "/_test/jobs/reconcile")

    token = student.again()
    assert call(client, "GET", f"/orders/{placed['order_id']}", token=token).body["status"] == "refunded"
    assert call(client, "GET", "/registration", token=token).status == 404
    late = call(client, "GET", "/staff/late-payments", token=staff(client, "staff@nju.edu.cn")).body
    assert [(p["order_id"], p["outcome"]) for p in late] == [(placed["order_id"], "refunded")]


def test_r_pay_4_after_logging_in_again_the_home_page_shows_what_is_left_to_do(client: Client) -> None:
    student = holding(client)
    placed = order(client, student.token)
    token = student.again()
    home = call(client, "GET", "/me", token=token).body
    assert home["registration"]["amount_due"] == 8000
    assert [s["status"] for s in home["registration"]["subjects"]] == ["unpaid", "unpaid"]
    pay(client, placed["order_id"])
    home = call(client, "GET", "/me", token=student.again()).body
    assert home["registration"]["amount_due"] == 0
    assert home["registration"]["expires_at"] is None  # paid: never deleted (R-BIND-4)


def test_r_pay_5_a_refund_the_provider_did_not_confirm_is_asked_again(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """R-PAY-5 "nothing is silently lost": a refund that failed stays pending, visible to staff,
    and the reconcile job asks the provider again until it is done."""
    from chalicelib.bootstrap import services
    from chalicelib.payments.base import ProviderError

    student = holding(client)
    placed = order(client, student.token)
    pay(client, placed["order_id"], deliveries=0)
    call(client, "POST", "/_test/clock", {"advance_seconds": DAY + 60})
    call(client, "POST", "/_test/jobs/expire")
    for entry in (factories.LI, factories.QIAN, factories.SUN):
        other = registered(client, entry)
        call(client, "POST", "/registration/subjects", {"subject": "CET4"}, other)
        call(client, "POST", "/registration/subjects", {"subject": "CET-SET4", "campus_id": "NJU-GL"}, other)
    alipay = services().payments.providers["alipay"]
    real_refund = alipay.refund

    def unreachable(*_: object) -> object:
        raise ProviderError("gateway unreachable")

    monkeypatch.setattr(alipay, "refund", unreachable)
    call(client, "POST", "/_test/jobs/reconcile")
    nju = staff(client, "staff@nju.edu.cn")
    late = call(client, "GET", "/staff/late-payments", token=nju).body
    assert [(p["order_id"], p["outcome"]) for p in late] == [(placed["order_id"], "refund_pending")]

    monkeypatch.setattr(alipay, "refund", real_refund)
    report = call(client, "POST", "/_test/jobs/reconcile").body
    assert report["refunds_retried"] == 1
    late = call(client, "GET", "/staff/late-payments", token=nju).body
    assert [(p["order_id"], p["outcome"], p["candidate"]["name"]) for p in late] == [
        (placed["order_id"], "refunded", "张三")
    ]
    assert call(client, "POST", "/_test/jobs/reconcile").body["refunds_retried"] == 0
    order_now = call(client, "GET", f"/orders/{placed['order_id']}", token=student.again()).body
    assert (order_now["status"], order_now["late"]) == ("refunded", "refunded")


def test_settlements_are_counted_once_paid_then_already(client: Client, capsys: pytest.CaptureFixture[str]) -> None:
    """Going live: the operator sees orders placed and settled (EMF, CET/Registration); eight
    deliveries of one notification settle it once and find it settled seven times (R-PAY-3)."""
    student = holding(client)
    placed = order(client, student.token)
    pay(client, placed["order_id"], deliveries=8)
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith('{"_aws"')]
    settled = [line["outcome"] for line in lines if "OrderSettlements" in line]
    assert sorted(settled) == ["already"] * 7 + ["paid"]
    assert [line["provider"] for line in lines if "OrdersPlaced" in line] == ["alipay"]


def test_r_pay_5_a_payment_whose_order_keeps_moving_is_answered_503_and_delivered_again(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """R-PAY-5 "nothing is silently lost": a settlement that finds the order it read moved, read
    after read, writes nothing and answers the provider 503 `fail` (deliver again), never `success`;
    the next delivery settles it."""
    from chalicelib.bootstrap import services
    from chalicelib.bootstrap import test_gateway as plugged_gateway
    from chalicelib.domain.orders import Settlement

    student = holding(client)
    placed = order(client, student.token)
    pay(client, placed["order_id"], deliveries=0)
    gateway: Any = plugged_gateway()
    body, content_type = gateway.sandbox.notification(placed["number"], CLOCK.now())
    with monkeypatch.context() as patched:
        patched.setattr(services().payments.orders, "settle", lambda *_: Settlement.ORDER_MOVED)
        reply = call(client, "POST", "/payments/alipay/notify", raw=body, headers={"Content-Type": content_type})

    assert (reply.status, reply.text) == (503, "fail")
    assert reply.header("Retry-After")
    assert call(client, "GET", f"/orders/{placed['order_id']}", token=student.token).body["status"] == "open"
    reply = call(client, "POST", "/payments/alipay/notify", raw=body, headers={"Content-Type": content_type})
    assert (reply.status, reply.text) == (200, "success")
    assert statuses(client, student.token) == [("CET4", "paid"), ("CET-SET4", "paid")]
