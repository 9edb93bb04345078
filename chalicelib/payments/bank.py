"""A bank gateway in the style of 首信易支付 (PayEase): the student picks a bank, pays on its page (R-PAY-2).

The PayEase protocol in outline, kept here with its field names:
- The payment form carries v_mid (merchant), v_oid (our order), v_rcvname, v_rcvaddr, v_ymd (yyyymmdd), v_amount
  (yuan, "80.00"), v_moneytype (0 = RMB), v_url (return), v_notify, v_expire (yyyymmddHHMMSS), v_bank, and
  v_md5info, a MAC over v_moneytype+v_ymd+v_amount+v_rcvname+v_oid+v_mid+v_url. We append v_notify+v_expire+v_bank
  to that MAC: PayEase left them out, and an unsigned v_expire would let the browser stretch the payment deadline
  past the subjects' pay_by (R-PAY-1).
- The notification carries v_oid, v_pstatus, v_pstring, v_pmode, v_amount, v_moneytype and two MACs:
  v_md5str over v_oid+v_pstatus+v_pstring+v_pmode and v_md5money over v_amount+v_moneytype. The two are separate,
  so the amount is not bound to the order: the caller must check the amount against its own order.
- query/close/refund are signed form posts to gateway_url + "/query" (…"/close", "/refund"); their form answers
  carry v_mid, v_oid, v_pstatus, v_amount and v_sign, a MAC over the other fields sorted by name as k=v joined by &.

PayEase used HMAC-MD5 (hence the field names). We use HMAC-SHA256, hex, with the merchant key instead: HMAC-MD5 is
not known to be broken, but MD5 is deprecated everywhere (security scanners, ruff's S324, audits against GB/T 39786
ask for SHA-256 or SM3), and since we define both ends of this protocol (our sandbox is the other end until a real
bank contract fixes the algorithm) the stronger hash costs nothing. MACs are compared with hmac.compare_digest.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Final
from urllib.parse import urlencode

from chalicelib.domain.clock import Clock
from chalicelib.payments.base import (
    GatewayProvider,
    Notification,
    NotificationRejected,
    PaymentRequest,
    ProviderError,
    TradeState,
    TradeStatus,
    Transport,
)
from chalicelib.payments.forms import answer_fen, fen_to_yuan, notification_form, parse_form, shanghai, yuan_to_fen

BANKS: Final[Mapping[str, str]] = {
    "ICBC": "中国工商银行",
    "CCB": "中国建设银行",
    "ABC": "中国农业银行",
    "BOC": "中国银行",
    "CMB": "招商银行",
    "BOCOM": "交通银行",
    "PSBC": "中国邮政储蓄银行",
}

RMB: Final = "0"
# v_pstatus, in notifications and in answers to query/close/refund.
STATES: Final[Mapping[str, TradeState]] = {
    "0": TradeState.UNKNOWN,
    "1": TradeState.OPEN,
    "20": TradeState.PAID,
    "30": TradeState.CLOSED,  # failed or closed: no money will be taken
    "40": TradeState.REFUNDED,
}
NOTIFICATION_FIELDS: Final = (
    "v_oid",
    "v_pstatus",
    "v_pstring",
    "v_pmode",
    "v_amount",
    "v_moneytype",
    "v_md5str",
    "v_md5money",
)


def mac(key: bytes, text: str) -> str:
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()


def same_mac(expected: str, received: str) -> bool:
    return hmac.compare_digest(expected.encode("ascii"), received.lower().encode("utf-8"))


def sorted_fields_text(fields: Mapping[str, str], exclude: str = "v_sign") -> str:
    return "&".join(f"{key}={fields[key]}" for key in sorted(fields) if key != exclude)


def pay_form_mac_text(fields: Mapping[str, str]) -> str:
    names = (
        "v_moneytype",
        "v_ymd",
        "v_amount",
        "v_rcvname",
        "v_oid",
        "v_mid",
        "v_url",
        "v_notify",
        "v_expire",
        "v_bank",
    )
    return "".join(fields[name] for name in names)


class BankGatewayProvider(GatewayProvider):
    """The `PaymentProvider` for the bank gateway; `gateway_url` is the base the actions hang under."""

    name = "bank"
    ACCEPTED, REFUSED = "sent", "error"

    def __init__(
        self,
        merchant_id: str,
        merchant_key: bytes,
        gateway_url: str,
        transport: Transport,
        merchant_name: str = "全国大学英语四、六级考试",
        clock: Clock | None = None,
    ) -> None:
        super().__init__(gateway_url.rstrip("/"), transport, clock)
        self.merchant_id = merchant_id
        self._key = merchant_key
        self._merchant_name = merchant_name

    def pay_url(self, request: PaymentRequest) -> str:
        bank = request.bank
        if bank is None or bank not in BANKS:
            raise ValueError(f"unknown bank: {bank!r}")
        if request.amount <= 0:
            raise ValueError(f"nothing to pay: {request.amount}")
        fields = {
            "v_mid": self.merchant_id,
            "v_oid": request.merchant_no,
            "v_rcvname": request.title,
            "v_rcvaddr": self._merchant_name,
            "v_ymd": shanghai(self._clock.now()).strftime("%Y%m%d"),
            "v_amount": fen_to_yuan(request.amount),
            "v_moneytype": RMB,
            "v_url": request.return_url,
            "v_notify": request.notify_url,
            # Truncated to the second: never later than the order's own deadline (R-PAY-1).
            "v_expire": shanghai(request.expires_at).strftime("%Y%m%d%H%M%S"),
            "v_bank": bank,
        }
        fields["v_md5info"] = mac(self._key, pay_form_mac_text(fields))
        return f"{self._gateway_url}/pay?{urlencode(fields)}"

    def parse_notification(self, body: bytes, content_type: str) -> Notification:
        fields = notification_form(body, content_type)
        missing = [name for name in NOTIFICATION_FIELDS if name not in fields]
        if missing:
            raise NotificationRejected(f"missing {', '.join(missing)}")
        status_text = fields["v_oid"] + fields["v_pstatus"] + fields["v_pstring"] + fields["v_pmode"]
        if not same_mac(mac(self._key, status_text), fields["v_md5str"]):
            raise NotificationRejected("bad v_md5str")
        if not same_mac(mac(self._key, fields["v_amount"] + fields["v_moneytype"]), fields["v_md5money"]):
            raise NotificationRejected("bad v_md5money")
        if fields["v_moneytype"] != RMB:
            raise NotificationRejected(f"not RMB: v_moneytype={fields['v_moneytype']}")
        if not fields["v_oid"]:
            raise NotificationRejected("missing v_oid")
        state = STATES.get(fields["v_pstatus"])
        if state is None or state is TradeState.UNKNOWN:
            raise NotificationRejected(f"unknown v_pstatus: {fields['v_pstatus']}")
        try:
            amount = yuan_to_fen(fields["v_amount"])
        except ValueError as exc:
            raise NotificationRejected(f"malformed v_amount: {exc}") from exc
        # The gateway keys trades by our v_oid and sends no number of its own.
        return Notification(
            merchant_no=fields["v_oid"], amount=amount, state=state, provider_trade_no=fields["v_oid"], raw=fields
        )

    def query(self, merchant_no: str) -> TradeStatus:
        return self._call("query", merchant_no, {})

    def close(self, merchant_no: str) -> TradeStatus:
        """The gateway answers the state the trade ends in: still 20 if it was paid meanwhile."""
        return self._call("close", merchant_no, {})

    def refund(self, merchant_no: str, amount: int, reason: str) -> TradeStatus:
        """40 when refunded (or already refunded before); otherwise the state that kept it from refunding."""
        return self._call("refund", merchant_no, {"v_amount": fen_to_yuan(amount), "v_reason": reason})

    def _call(self, action: str, merchant_no: str, extra: Mapping[str, str]) -> TradeStatus:
        fields = {"v_mid": self.merchant_id, "v_oid": merchant_no, **extra}
        fields["v_sign"] = mac(self._key, sorted_fields_text(fields))
        raw = self._send(f"bank {action}", f"{self._gateway_url}/{action}", fields)
        try:
            answer = parse_form(raw)
        except ValueError as exc:
            raise ProviderError(f"bank {action}: malformed answer: {exc}") from exc
        if not same_mac(mac(self._key, sorted_fields_text(answer)), answer.get("v_sign", "")):
            raise ProviderError(f"bank {action}: answer signature does not verify {answer.get('v_error', '')}".strip())
        if answer.get("v_mid") != self.merchant_id or answer.get("v_oid") != merchant_no:
            raise ProviderError(
                f"bank {action}: answer about another trade: {answer.get('v_mid')}/{answer.get('v_oid')}"
            )
        state = STATES.get(answer.get("v_pstatus", ""))
        if state is None:
            raise ProviderError(f"bank {action}: unknown v_pstatus {answer.get('v_pstatus')!r}")
        amount = answer_fen(answer, "v_amount", f"bank {action}")
        trade_no = None if state is TradeState.UNKNOWN else merchant_no
        return TradeStatus(merchant_no, state, amount=amount, provider_trade_no=trade_no)
