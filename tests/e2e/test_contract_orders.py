"""Orders and payments (R-PAY-1..5), through the local payment sandbox.

Part of the HTTP contract: tests/e2e/contract.py holds the shared helpers and the registry that
tests/e2e/test_contract_zz_registry.py checks.
"""

from __future__ import annotations

from typing import Any

import pytest
from chalice.test import Client

from chalicelib.bootstrap import CLOCK
from chalicelib.bootstrap import test_gateway as plugged_gateway  # not named test_*: pytest would collect it
from tests.ddb_faults import THROTTLED, database_answers
from tests.e2e.contract import (
    DAY,
    FORM,
    LATE_PAYMENT_KEYS,
    LI,
    NJU_STAFF,
    ORDER,
    ORDER_KEYS,
    PAY,
    QIAN,
    REFRESH,
    REMOVE,
    SEU_STAFF,
    SUBJECT_KEYS,
    SUN,
    ZHANG,
    advance,
    assert_masked,
    chosen,
    expect,
    holding,
    ok,
    parse_time,
    place,
    remove,
    sandbox_pay,
    server_now,
    statuses,
)
from tests.e2e.http import (
    Reply,
    agreed_student,
    call,
    log_in,
    registered,
    staff,
)

pytestmark = pytest.mark.usefixtures("contract")


def get_order(client: Client, token: str, order_id: str) -> dict[str, Any]:
    body = dict(ok(call(client, "GET", f"/orders/{order_id}", token=token), ORDER))
    assert set(body) == ORDER_KEYS, body
    return body


def signed_notification(number: str) -> bytes:
    """The provider's genuine, signed notification for the trade as it stands (the sandbox plays the provider):
    R-PAY-7, the provider knows the order by its number."""
    gateway: Any = plugged_gateway()
    assert gateway is not None, "the client fixture installs the payment sandbox"
    body, _ = gateway.sandbox.notification(number, CLOCK.now())
    return bytes(body)


def notify(client: Client, provider: str, body: bytes | str) -> Reply:
    reply = call(client, "POST", f"/payments/{provider}/notify", raw=body, headers=FORM)
    assert (reply.header("Content-Type") or "").startswith("text/plain"), reply.headers
    return reply


def test_r_pay_2_an_order_is_201_for_every_unpaid_subject_and_ends_by_the_first_pay_by(client: Client) -> None:
    """R-PAY-2: one order for the unpaid subjects together, one open order at a time (409 ORDER_OPEN);
    R-PAY-1: the order never outlives the earliest pay_by. GET /orders/{order_id} shows it to its owner."""
    _, token = holding(client)
    before = server_now(client)
    placed = place(client, token)
    assert set(placed) == ORDER_KEYS, placed
    registration = ok(call(client, "GET", "/registration", token=token), "GET /registration")
    assert (placed["status"], placed["provider"], placed["bank"]) == ("open", "alipay", None)
    assert placed["amount"] == registration["amount_due"] == 8000
    assert placed["subjects"] == registration["subjects"]
    assert all(set(subject) == SUBJECT_KEYS for subject in placed["subjects"]), placed["subjects"]
    assert placed["pay_url"].startswith("https://sandbox.invalid/alipay/"), placed["pay_url"]
    assert before <= parse_time(placed["created_at"]) <= server_now(client)
    assert parse_time(placed["expires_at"]) == min(parse_time(s["pay_by"]) for s in registration["subjects"])
    assert (placed["paid_at"], placed["late"]) == (None, None)
    assert get_order(client, token, placed["order_id"]) == placed
    expect(call(client, "POST", "/orders", {"provider": "alipay"}, token), "POST /orders", 409, "ORDER_OPEN")
    reply = call(client, "POST", "/orders", {"provider": "bank", "bank": "ICBC"}, token)
    expect(reply, "POST /orders", 409, "ORDER_OPEN")

    _, other = holding(client, LI)
    by_bank = place(client, other, "bank", "CMB")
    assert (by_bank["provider"], by_bank["bank"], by_bank["amount"]) == ("bank", "CMB", 8000)
    assert by_bank["pay_url"].startswith("https://sandbox.invalid/bank/"), by_bank["pay_url"]


def test_r_pay_2_order_bad_input_is_400_invalid_request(client: Client) -> None:
    """R-PAY-2 / api.md: provider is alipay or bank; the bank gateway needs a bank it supports; a JSON object."""
    _, token = holding(client)
    cases: list[tuple[Any, str]] = [
        ({}, "provider"),
        ({"provider": None}, "provider"),
        ({"provider": "wechat"}, "provider"),
        ({"provider": "ALIPAY"}, "provider"),
        ({"provider": 1}, "provider"),
        ({"provider": ["alipay"]}, "provider"),
        ({"provider": "bank"}, "bank"),
        ({"provider": "bank", "bank": "NOPE"}, "bank"),
        ({"provider": "bank", "bank": "icbc"}, "bank"),
        ({"provider": "bank", "bank": ""}, "bank"),
        ({"provider": "bank", "bank": 7}, "bank"),
        ({"provider": "bank", "bank": "ICBC" * 5}, "bank"),
        (["alipay"], "body"),
    ]
    for body, field in cases:
        expect(call(client, "POST", "/orders", body, token), "POST /orders", 400, "INVALID_REQUEST", field)
    for raw in ("provider=alipay", "{", "null"):
        expect(call(client, "POST", "/orders", raw=raw, token=token), "POST /orders", 400, "INVALID_REQUEST", "body")
    assert place(client, token)["status"] == "open", "a refused order blocked the next one"


def test_r_pay_2_no_registration_is_404_and_nothing_unpaid_is_409_nothing_to_pay(client: Client) -> None:
    """R-PAY-2: an order is for the unpaid subjects of the saved registration: none saved 404, none unpaid 409."""
    token = agreed_student(client)
    expect(call(client, "POST", "/orders", {"provider": "alipay"}, token), "POST /orders", 404, "NOT_FOUND")
    registered(client, ZHANG, token)
    expect(call(client, "POST", "/orders", {"provider": "alipay"}, token), "POST /orders", 409, "NOTHING_TO_PAY")
    chosen(client, token, "CET4")
    placed = place(client, token)
    assert (placed["amount"], [s["code"] for s in placed["subjects"]]) == (3000, ["CET4"])
    ok(sandbox_pay(client, placed["order_id"]), PAY)
    reply = call(client, "POST", "/orders", {"provider": "bank", "bank": "ICBC"}, token)
    expect(reply, "POST /orders", 409, "NOTHING_TO_PAY")


def test_r_pay_2_orders_are_the_owners_only_403_forbidden_and_unknown_404(client: Client) -> None:
    """R-PAY-2/3, api.md Conventions: 403 FORBIDDEN for someone else's order or the wrong role; 404 NOT_FOUND."""
    _, token = holding(client)
    order_id = place(client, token)["order_id"]
    other = registered(client, LI)
    nju = staff(client, NJU_STAFF)
    for intruder in (other, nju):
        expect(call(client, "GET", f"/orders/{order_id}", token=intruder), ORDER, 403, "FORBIDDEN")
        expect(call(client, "POST", f"/orders/{order_id}/refresh", token=intruder), REFRESH, 403, "FORBIDDEN")
    expect(call(client, "POST", "/orders", {"provider": "alipay"}, nju), "POST /orders", 403, "FORBIDDEN")
    expect(call(client, "GET", "/staff/late-payments", token=token), "GET /staff/late-payments", 403, "FORBIDDEN")
    for unknown in ("no-such-order", order_id + "0"):
        expect(call(client, "GET", f"/orders/{unknown}", token=token), ORDER, 404, "NOT_FOUND")
        expect(call(client, "POST", f"/orders/{unknown}/refresh", token=token), REFRESH, 404, "NOT_FOUND")
    assert get_order(client, token, order_id)["status"] == "open"


def test_api_payment_routes_without_a_valid_token_are_401(client: Client) -> None:
    """api.md, Conventions: 401 UNAUTHENTICATED for a missing or unknown token on the order and staff routes."""
    _, token = holding(client)
    order_id = place(client, token)["order_id"]
    for t in (None, "not-a-token"):
        reply = call(client, "POST", "/orders", {"provider": "alipay"}, t)
        expect(reply, "POST /orders", 401, "UNAUTHENTICATED")
        expect(call(client, "GET", f"/orders/{order_id}", token=t), ORDER, 401, "UNAUTHENTICATED")
        expect(call(client, "POST", f"/orders/{order_id}/refresh", token=t), REFRESH, 401, "UNAUTHENTICATED")
        reply = call(client, "GET", "/staff/late-payments", token=t)
        expect(reply, "GET /staff/late-payments", 401, "UNAUTHENTICATED")


def test_r_pay_3_paid_once_however_often_notified_and_shown_on_the_home_page(client: Client) -> None:
    """R-PAY-3: a payment is counted once although its notification comes several times; paid subjects
    can be neither changed nor cancelled; R-PAY-4: the home page shows the paid registration.

    Deliveries one after another: moto undoes a failed transaction by restoring a copy of the whole table, so
    concurrent ones (`parallel=true`) can undo each other here; tests/integration/test_payments_concurrency.py
    checks parallel deliveries on DynamoDB Local.
    """
    _, token = holding(client)
    placed = place(client, token)
    before = server_now(client)
    body = ok(sandbox_pay(client, placed["order_id"], "deliveries=4&parallel=false"), PAY)
    assert body == {"order_id": placed["order_id"], "acknowledgements": ["success"] * 4}, body
    paid = get_order(client, token, placed["order_id"])
    assert (paid["status"], paid["amount"], paid["late"]) == ("paid", 8000, None), paid
    assert before <= parse_time(paid["paid_at"]) <= server_now(client)
    assert statuses(client, token) == [("CET4", "paid"), ("CET-SET4", "paid")]
    home = ok(call(client, "GET", "/me", token=token), "GET /me")["registration"]
    assert (home["amount_due"], home["expires_at"]) == (0, None), home
    assert [s["status"] for s in home["subjects"]] == ["paid", "paid"]
    expect(remove(client, token, "CET-SET4"), REMOVE, 409, "SUBJECT_PAID")
    expect(sandbox_pay(client, placed["order_id"]), PAY, 409, "PAYMENT_REFUSED")  # already paid
    assert ok(call(client, "POST", f"/orders/{placed['order_id']}/refresh", token=token), REFRESH) == paid


def test_r_pay_3_notify_routes_answer_text_and_count_only_a_verified_notification(client: Client) -> None:
    """R-PAY-3 (api.md Payments): POST /payments/{alipay,bank}/notify answer 200 text, `success`/`sent` once
    handled, `fail`/`error` on a bad signature, amount or order, and then nothing changes."""
    _, token = holding(client)
    placed = place(client, token)
    order_id = placed["order_id"]
    assert ok(sandbox_pay(client, order_id, "deliveries=0"), PAY)["acknowledgements"] == []  # the news is lost
    genuine = signed_notification(placed["number"])
    forged = genuine.replace(b"total_amount=80.00", b"total_amount=0.01")
    assert forged != genuine
    unsigned = b"out_trade_no=" + placed["number"].encode() + b"&trade_status=TRADE_SUCCESS&sign=AAAA"
    for body in (forged, unsigned, b"", b"\xff"):
        assert ok(notify(client, "alipay", body), "POST /payments/alipay/notify") is None
        assert notify(client, "alipay", body).text == "fail"
    assert notify(client, "bank", genuine).text == "error"  # Alipay's notification at the bank's address
    assert get_order(client, token, order_id)["status"] == "open"
    assert statuses(client, token) == [("CET4", "unpaid"), ("CET-SET4", "unpaid")]
    for _ in range(2):
        reply = notify(client, "alipay", genuine)
        ok(reply, "POST /payments/alipay/notify")
        assert reply.text == "success"
    assert get_order(client, token, order_id)["status"] == "paid"
    assert statuses(client, token) == [("CET4", "paid"), ("CET-SET4", "paid")]

    _, other = holding(client, LI)
    placed_by_bank = place(client, other, "bank", "ABC")
    by_bank = placed_by_bank["order_id"]
    ok(sandbox_pay(client, by_bank, "deliveries=0"), PAY)
    genuine = signed_notification(placed_by_bank["number"])
    for body in (genuine.replace(b"v_amount=80.00", b"v_amount=0.01"), b"v_oid=x&v_pstatus=20", b""):
        reply = notify(client, "bank", body)
        ok(reply, "POST /payments/bank/notify")
        assert reply.text == "error"
    assert get_order(client, other, by_bank)["status"] == "open"
    reply = notify(client, "bank", genuine)
    ok(reply, "POST /payments/bank/notify")
    assert reply.text == "sent"
    assert statuses(client, other) == [("CET4", "paid"), ("CET-SET4", "paid")]


def test_r_pay_3_a_notification_met_by_an_overloaded_database_is_503_and_delivered_again(client: Client) -> None:
    """R-PAY-3 under overload (api.md conventions): the provider is told 503 `fail` with Retry-After,
    nothing changes, and its next delivery is handled; never a 500, never a lost payment."""
    _, token = holding(client)
    placed = place(client, token)
    order_id = placed["order_id"]
    ok(sandbox_pay(client, order_id, "deliveries=0"), PAY)
    genuine = signed_notification(placed["number"])
    with database_answers("TransactWriteItems", THROTTLED):
        reply = notify(client, "alipay", genuine)
    assert (reply.status, reply.text) == (503, "fail")
    assert reply.header("Retry-After") in {"1", "2", "3"}
    assert get_order(client, token, order_id)["status"] == "open"
    assert notify(client, "alipay", genuine).text == "success"
    assert get_order(client, token, order_id)["status"] == "paid"


def test_r_pay_3_update_finds_a_payment_whose_notification_was_lost(client: Client) -> None:
    """R-PAY-3: the student presses "更新" (POST /orders/{order_id}/refresh) instead of paying again."""
    _, token = holding(client)
    order_id = place(client, token, "bank", "BOC")["order_id"]
    assert ok(call(client, "POST", f"/orders/{order_id}/refresh", token=token), REFRESH)["status"] == "open"
    body = ok(sandbox_pay(client, order_id, "deliveries=0"), PAY)
    assert body == {"order_id": order_id, "acknowledgements": []}, body
    assert get_order(client, token, order_id)["status"] == "open"
    refreshed = ok(call(client, "POST", f"/orders/{order_id}/refresh", token=token), REFRESH)
    assert set(refreshed) == ORDER_KEYS, refreshed
    assert refreshed["status"] == "paid", refreshed
    assert statuses(client, token) == [("CET4", "paid"), ("CET-SET4", "paid")]


def test_r_pay_3_the_reconcile_job_finds_a_lost_notification(client: Client) -> None:
    """R-PAY-3: open orders older than a few minutes are asked about by the reconcile job (test controls)."""
    login, token = holding(client)
    order_id = place(client, token)["order_id"]
    ok(sandbox_pay(client, order_id, "deliveries=0"), PAY)
    assert ok(call(client, "POST", "/_test/jobs/reconcile"), "POST /_test/jobs/{name}")["checked"] == 0
    advance(client, 600)
    report = ok(call(client, "POST", "/_test/jobs/reconcile"), "POST /_test/jobs/{name}")
    assert report == {"checked": 1, "paid": 1, "closed": 0, "refunds_retried": 0, "left_busy": 0}, report
    assert get_order(client, log_in(client, login), order_id)["status"] == "paid"


def test_r_pay_1_an_order_past_its_deadline_is_refused_and_closed(client: Client) -> None:
    """R-PAY-1: past the first pay_by the sandbox refuses the payment (409 PAYMENT_REFUSED), "更新" closes the
    order, and the expired subjects and registration are gone."""
    login, token = holding(client)
    order_id = place(client, token)["order_id"]
    advance(client, DAY + 60)
    expect(sandbox_pay(client, order_id), PAY, 409, "PAYMENT_REFUSED")
    token = log_in(client, login)
    closed = ok(call(client, "POST", f"/orders/{order_id}/refresh", token=token), REFRESH)
    assert (closed["status"], closed["paid_at"]) == ("closed", None), closed
    expect(sandbox_pay(client, order_id), PAY, 409, "PAYMENT_REFUSED")
    expect(call(client, "GET", "/registration", token=token), "GET /registration", 404, "NOT_FOUND")
    expect(call(client, "POST", "/orders", {"provider": "alipay"}, token), "POST /orders", 404, "NOT_FOUND")


def test_api_test_gateway_bad_deliveries_400_unknown_order_or_test_mode_off_404(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """api.md, test controls: deliveries is 0–20 (default 1); an unknown order, or test mode off, is 404."""
    _, token = holding(client)
    order_id = place(client, token)["order_id"]
    for query in (
        "deliveries=21",
        "deliveries=-1",
        "deliveries=1.5",
        "deliveries=two",
        "deliveries=1e1",
    ):
        expect(sandbox_pay(client, order_id, query), PAY, 400, "INVALID_REQUEST", "deliveries")
    expect(sandbox_pay(client, "no-such-order"), PAY, 404, "NOT_FOUND")
    for mode in ("0", ""):
        monkeypatch.setenv("TEST_MODE", mode)
        expect(sandbox_pay(client, order_id), PAY, 404, "NOT_FOUND")
        expect(call(client, "POST", "/_test/jobs/reconcile"), "POST /_test/jobs/{name}", 404, "NOT_FOUND")
    monkeypatch.setenv("TEST_MODE", "1")
    assert get_order(client, token, order_id)["status"] == "open", "a refused call paid the order"
    body = ok(call(client, "POST", f"/_test/gateway/{order_id}/pay"), PAY)
    assert body == {"order_id": order_id, "acknowledgements": ["success"]}, body
    assert get_order(client, token, order_id)["status"] == "paid"


def test_r_pay_5_a_late_payment_takes_its_free_seats_again_and_staff_see_it(client: Client) -> None:
    """R-PAY-5: a payment arriving after its subjects expired keeps the seats if still free (re_reserved);
    every such case is listed for the school's staff (GET /staff/late-payments, own school only, masked),
    with the order's number the student knows (R-PAY-7)."""
    login, token = holding(client)
    order_id = place(client, token)["order_id"]
    ok(sandbox_pay(client, order_id, "deliveries=0"), PAY)  # paid in time, the notification lost
    advance(client, DAY + 60)
    ok(call(client, "POST", "/_test/jobs/expire"), "POST /_test/jobs/{name}")  # holds deleted, seats released
    nju, seu = staff(client, NJU_STAFF), staff(client, SEU_STAFF)
    assert ok(call(client, "GET", "/staff/late-payments", token=nju), "GET /staff/late-payments") == []
    assert ok(call(client, "POST", "/_test/jobs/reconcile"), "POST /_test/jobs/{name}")["paid"] == 1
    token = log_in(client, login)
    assert statuses(client, token) == [("CET4", "paid"), ("CET-SET4", "paid")]
    order = get_order(client, token, order_id)
    assert (order["status"], order["late"]) == ("paid", "re_reserved"), order
    [late] = ok(call(client, "GET", "/staff/late-payments", token=nju), "GET /staff/late-payments")
    assert set(late) == LATE_PAYMENT_KEYS, late
    assert (late["order_id"], late["amount"], late["outcome"]) == (order_id, 8000, "re_reserved"), late
    assert late["number"] == order["number"]  # R-PAY-7: the digits the student reads to the school
    assert set(late["candidate"]) == {"name", "id_number"}, late
    assert late["candidate"]["name"] == ZHANG.name
    assert_masked(late["candidate"]["id_number"], ZHANG.id_number)
    assert parse_time(late["recorded_at"]) <= server_now(client)
    assert ok(call(client, "GET", "/staff/late-payments", token=seu), "GET /staff/late-payments") == []


def test_r_pay_5_a_late_payment_whose_seat_is_gone_is_refunded(client: Client) -> None:
    """R-PAY-5: the seat went to others meanwhile: the payment is refunded automatically, and staff see it."""
    login, token = holding(client)
    order_id = place(client, token)["order_id"]
    ok(sandbox_pay(client, order_id, "deliveries=0"), PAY)
    advance(client, DAY + 60)
    ok(call(client, "POST", "/_test/jobs/expire"), "POST /_test/jobs/{name}")
    for entry in (LI, QIAN, SUN):  # capacity 3: every seat goes to someone else
        other = registered(client, entry)
        chosen(client, other, "CET4")
        chosen(client, other, "CET-SET4", "NJU-GL")
    ok(call(client, "POST", "/_test/jobs/reconcile"), "POST /_test/jobs/{name}")
    token = log_in(client, login)
    order = get_order(client, token, order_id)
    assert (order["status"], order["late"]) == ("refunded", "refunded"), order
    expect(call(client, "GET", "/registration", token=token), "GET /registration", 404, "NOT_FOUND")
    late = ok(call(client, "GET", "/staff/late-payments", token=staff(client, NJU_STAFF)), "GET /staff/late-payments")
    assert [(p["order_id"], p["outcome"], p["amount"]) for p in late] == [(order_id, "refunded", 8000)], late


def test_api_sandbox_query_parameters_are_checked_not_crashed_on(client: Client) -> None:
    """api.md conventions: no input yields a 500 (unicode digits, huge numbers, unknown flags)."""
    for query, field in (("deliveries=²", "deliveries"), ("deliveries=" + "0" * 5000, "deliveries"),
                         ("deliveries=٣", "deliveries"), ("deliveries=1&parallel=yes", "parallel")):  # fmt: skip
        expect(call(client, "POST", f"/_test/gateway/anything/pay?{query}"), PAY, 400, "INVALID_REQUEST", field)
