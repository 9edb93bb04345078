"""The payment providers' side, each outcome one call: the sandbox (devstack/payment_sandbox.py)
plays Alipay's and the bank's servers with the stage's sandbox keys, and the notification goes to
the service's own notify route over HTTP, as the provider would POST it (R-PAY-3, R-PAY-5)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol
from urllib.parse import parse_qsl, urlencode

from cet_testkit.service import Service, ServiceClock
from chalicelib.domain.orders import Order
from devstack.payment_sandbox import PaymentSandbox

FORM = "application/x-www-form-urlencoded; charset=utf-8"
# What a forged notice claims: the trade paid (each provider's own words for it).
CLAIMED_PAID = {"alipay": {"trade_status": "TRADE_SUCCESS"}, "bank": {"v_pstatus": "20", "v_pstring": "支付成功"}}


class HasOrder(Protocol):
    """A student who placed an order (cet_testkit.students.Student)."""

    @property
    def order_id(self) -> str | None: ...


def order_id_of(order: str | HasOrder) -> str:
    """An order's id, given the id or the student who placed it."""
    if isinstance(order, str):
        return order
    assert order.order_id is not None, "the student has placed no order: cet_student(at='ordered')"
    return order.order_id


@dataclass(frozen=True)
class Notice:
    """What the service answered the provider (`success`/`fail` for Alipay, `sent`/`error` for the bank)."""

    answers: tuple[str, ...]


class Payments:
    """The student on the provider's page, then the provider's notifications to the service. Each
    outcome takes the order's id or the student who placed it."""

    def __init__(self, service: Service, clock: ServiceClock) -> None:
        self._service = service
        self._clock = clock

    def paid(self, order: str | HasOrder) -> Notice:
        """The student pays; the provider's signed notification arrives once."""
        return self.duplicated(order, times=1)

    def duplicated(self, order: str | HasOrder, times: int = 8) -> Notice:
        """The student pays; the same signed notification arrives `times` times, one after another."""
        query = urlencode({"deliveries": times})
        reply = self._service.call("POST", f"/_test/gateway/{order_id_of(order)}/pay?{query}")
        assert reply.status == 200, reply.text
        return Notice(tuple(reply.body["acknowledgements"]))

    def lost(self, order: str | HasOrder) -> Notice:
        """The student pays; the notification never arrives (the service finds out by asking)."""
        return self.duplicated(order, times=0)

    def late(self, order: str | HasOrder) -> Notice:
        """The student paid in time, the notification was lost; the clock passes the order's
        deadline, the expiry job runs (its holds are released), then the notification arrives."""
        found = self._order(order_id_of(order))
        sandbox = self._sandbox()
        now = self._clock.now()
        sandbox.open_trade(found.pay_url, now)
        sandbox.pay(found.provider_order_no, now)
        self._clock.move_to(found.expires_at + timedelta(minutes=1))
        self._service.job("expire")
        body, _ = sandbox.notification(found.provider_order_no, self._clock.now())
        return Notice((self._notify(found.provider, body),))

    def forged(self, order: str | HasOrder) -> Notice:
        """The student opened the provider's page and did not pay; a notice claiming the order paid
        arrives, not signed by the provider (the open trade's signature kept, its status changed)."""
        found = self._order(order_id_of(order))
        sandbox = self._sandbox()
        now = self._clock.now()
        sandbox.open_trade(found.pay_url, now)
        body, _ = sandbox.notification(found.provider_order_no, now)
        fields = dict(parse_qsl(body.decode("ascii"), keep_blank_values=True))
        fields.update(CLAIMED_PAID[found.provider])
        return Notice((self._notify(found.provider, urlencode(fields).encode("ascii")),))

    def _notify(self, provider: str, body: bytes) -> str:
        reply = self._service.call("POST", f"/payments/{provider}/notify", raw=body, headers={"Content-Type": FORM})
        assert reply.status == 200, reply.text
        return reply.text

    def _order(self, order_id: str) -> Order:
        from chalicelib.bootstrap import services

        order = services().payments.orders.get(order_id)
        assert order is not None, f"no order {order_id}"
        return order

    def _sandbox(self) -> PaymentSandbox:
        from chalicelib.bootstrap import test_gateway
        from devstack.payments_local import SandboxDriver

        driver = test_gateway()
        assert isinstance(driver, SandboxDriver), "the payment sandbox is not plugged in: is the service running?"
        return driver.sandbox
