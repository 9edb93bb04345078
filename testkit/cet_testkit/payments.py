"""The payment providers' side, each outcome one call: the sandbox (devstack/payment_sandbox.py)
plays Alipay's and the bank's servers with the stage's sandbox keys, and the notification goes to
the service's own notify route over HTTP, as the provider would POST it (R-PAY-3, R-PAY-5)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import parse_qsl, urlencode

from cet_testkit.service import Service, ServiceClock
from chalicelib.domain.orders import Order
from devstack.payment_sandbox import PaymentSandbox

FORM = "application/x-www-form-urlencoded; charset=utf-8"
# What a forged notice claims: the trade paid (each provider's own words for it).
CLAIMED_PAID = {"alipay": {"trade_status": "TRADE_SUCCESS"}, "bank": {"v_pstatus": "20", "v_pstring": "支付成功"}}


@dataclass(frozen=True)
class Notice:
    """What the service answered the provider (`success`/`fail` for Alipay, `sent`/`error` for the bank)."""

    answers: tuple[str, ...]


class Payments:
    """The student on the provider's page, then the provider's notifications to the service."""

    def __init__(self, service: Service, clock: ServiceClock) -> None:
        self._service = service
        self._clock = clock

    def paid(self, order_id: str) -> Notice:
        """The student pays; the provider's signed notification arrives once."""
        return self.duplicated(order_id, times=1)

    def duplicated(self, order_id: str, times: int = 8) -> Notice:
        """The student pays; the same signed notification arrives `times` times, one after another."""
        query = urlencode({"deliveries": times})
        reply = self._service.call("POST", f"/_test/gateway/{order_id}/pay?{query}")
        assert reply.status == 200, reply.text
        return Notice(tuple(reply.body["acknowledgements"]))

    def lost(self, order_id: str) -> Notice:
        """The student pays; the notification never arrives (the service finds out by asking)."""
        return self.duplicated(order_id, times=0)

    def late(self, order_id: str) -> Notice:
        """The student paid in time, the notification was lost; the clock passes the order's
        deadline, the expiry job runs (its holds are released), then the notification arrives."""
        order = self._order(order_id)
        sandbox = self._sandbox()
        now = self._clock.now()
        sandbox.open_trade(order.pay_url, now)
        sandbox.pay(order.provider_order_no, now)
        self._clock.move_to(order.expires_at + timedelta(minutes=1))
        self._service.job("expire")
        body, _ = sandbox.notification(order.provider_order_no, self._clock.now())
        return Notice((self._notify(order.provider, body),))

    def forged(self, order_id: str) -> Notice:
        """The student opened the provider's page and did not pay; a notice claiming the order paid
        arrives, not signed by the provider (the open trade's signature kept, its status changed)."""
        order = self._order(order_id)
        sandbox = self._sandbox()
        now = self._clock.now()
        sandbox.open_trade(order.pay_url, now)
        body, _ = sandbox.notification(order.provider_order_no, now)
        fields = dict(parse_qsl(body.decode("ascii"), keep_blank_values=True))
        fields.update(CLAIMED_PAID[order.provider])
        return Notice((self._notify(order.provider, urlencode(fields).encode("ascii")),))

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
