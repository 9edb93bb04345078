"""The interface every payment provider fills, the values that cross it, and the setup providers share."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import ClassVar, Protocol

from chalicelib.domain.clock import Clock, SystemClock

# Sends a request to the provider's server and returns the raw answer body:
# (url, form fields) -> bytes. Production uses HTTPS; tests and the local sandbox plug in their own.
Transport = Callable[[str, Mapping[str, str]], bytes]


class TradeState(StrEnum):
    OPEN = "open"  # created, waiting for the student
    PAID = "paid"
    CLOSED = "closed"  # closed or expired unpaid: the provider will not take money for it
    REFUNDED = "refunded"
    UNKNOWN = "unknown"  # the provider has never seen this trade


@dataclass(frozen=True)
class PaymentRequest:
    merchant_no: str  # R-PAY-7: our out_trade_no (Alipay) or v_oid (bank): the order's number
    amount: int  # fen
    title: str  # what the student sees on the provider's page
    expires_at: datetime  # the provider must not take money after this (never past the earliest pay_by)
    notify_url: str
    return_url: str
    bank: str | None = None  # the bank the student chose, for the bank gateway


@dataclass(frozen=True)
class Notification:
    """A verified asynchronous notification: the provider says this trade is in this state."""

    merchant_no: str
    amount: int  # fen
    state: TradeState
    provider_trade_no: str
    paid_at: datetime | None = None
    raw: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TradeStatus:
    merchant_no: str
    state: TradeState
    amount: int | None = None
    provider_trade_no: str | None = None


class NotificationRejected(Exception):
    """Bad signature, wrong merchant/app id, malformed: nothing may change; answer the failure reply."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class GatewayRefused(Exception):
    """The local payment sandbox refuses to take a payment (trade closed, expired or paid)."""


class ProviderError(Exception):
    """The provider could not be reached or answered something unverifiable."""


@dataclass(frozen=True)
class Acknowledgement:
    body: str
    content_type: str = "text/plain; charset=utf-8"


class PaymentProvider(Protocol):
    name: str

    def pay_url(self, request: PaymentRequest) -> str:
        """The signed URL the student's browser is sent to."""

    def parse_notification(self, body: bytes, content_type: str) -> Notification:
        """Verify and parse; raises NotificationRejected."""

    def acknowledge(self, accepted: bool) -> Acknowledgement:
        """The reply the provider expects (Alipay: `success` / `fail`)."""

    def query(self, merchant_no: str) -> TradeStatus: ...

    def close(self, merchant_no: str) -> TradeStatus:
        """Ask the provider to close an unpaid trade; returns the state it ends in."""

    def refund(self, merchant_no: str, amount: int, reason: str) -> TradeStatus: ...


class GatewayProvider:
    """What every provider sets up the same way: its gateway reached through a transport, on a clock,
    and the two replies a notification gets (R-PAY-2). A provider names its own replies."""

    ACCEPTED: ClassVar[str]
    REFUSED: ClassVar[str]

    def __init__(self, gateway_url: str, transport: Transport, clock: Clock | None) -> None:
        self._gateway_url = gateway_url
        self._transport = transport
        self._clock: Clock = clock or SystemClock()

    def acknowledge(self, accepted: bool) -> Acknowledgement:
        return Acknowledgement(self.ACCEPTED if accepted else self.REFUSED)

    def _send(self, what: str, url: str, fields: Mapping[str, str]) -> bytes:
        """The provider's raw answer; whatever the transport raises, the caller sees one ProviderError."""
        try:
            return self._transport(url, fields)
        except Exception as exc:
            raise ProviderError(f"{what}: no answer: {exc}") from exc
