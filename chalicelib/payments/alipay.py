"""Alipay (支付宝) open platform: page/wap pay, asynchronous notifications, query/close/refund (R-PAY-2, R-PAY-3).

The RSA2 protocol, as the open platform documents it:
- A request signs every parameter it sends (common ones and `biz_content`, a JSON text): sort by key, drop `sign`
  and empty values, join the raw (not URL-encoded) values as `k=v` with `&`, SHA256withRSA (PKCS#1 v1.5) with the
  app's private key, base64.
- An asynchronous notification is checked the same way with Alipay's public key, `sign_type` dropped as well.
- A synchronous answer is `{"<method_with_underscores>_response": {...}, "sign": "..."}`; the signature covers the
  exact JSON text of the response node as sent, so that text is cut out of the body, never re-serialised.

Money crosses this module in fen; Alipay speaks yuan with exactly two decimals (`forms.py`).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Final
from urllib.parse import urlencode

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from chalicelib.domain.clock import SHANGHAI, Clock
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
from chalicelib.payments.forms import answer_fen, fen_to_yuan, notification_form, shanghai, yuan_to_fen

ALIPAY_TIME: Final = "%Y-%m-%d %H:%M:%S"

TRADE_STATES: Final[Mapping[str, TradeState]] = {
    "WAIT_BUYER_PAY": TradeState.OPEN,
    "TRADE_SUCCESS": TradeState.PAID,
    "TRADE_FINISHED": TradeState.PAID,  # paid, and past the refund period
    "TRADE_CLOSED": TradeState.CLOSED,  # unpaid and closed or timed out, or paid then fully refunded
}

# An Alipay merchant's PID (partner id), as `seller_id` carries it.
SELLER_ID: Final = re.compile(r"2088[0-9]{12}")

SUCCESS: Final = "10000"
TRADE_NOT_EXIST: Final = "ACQ.TRADE_NOT_EXIST"
# The trade is not in a state that allows the call (paid when closing, unpaid or closed when refunding).
NOT_ALLOWED_NOW: Final = frozenset({"ACQ.TRADE_STATUS_ERROR", "ACQ.TRADE_HAS_CLOSE", "ACQ.TRADE_HAS_FINISHED"})


# --- times ---------------------------------------------------------------------------------


def alipay_time(moment: datetime) -> str:
    """Shanghai wall time to the second, truncated: never later than `moment`."""
    return shanghai(moment).strftime(ALIPAY_TIME)


def parse_alipay_time(text: str) -> datetime:
    return datetime.strptime(text, ALIPAY_TIME).replace(tzinfo=SHANGHAI)


# --- RSA2 --------------------------------------------------------------------------------------------


def canonical_string(params: Mapping[str, str], exclude: Collection[str] = ("sign",)) -> str:
    return "&".join(f"{key}={params[key]}" for key in sorted(params) if key not in exclude and params[key] != "")


def load_private_key(pem: bytes) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("not an RSA private key")
    return key


def load_public_key(pem: bytes) -> rsa.RSAPublicKey:
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("not an RSA public key")
    return key


def rsa2_sign(key: rsa.RSAPrivateKey, text: str) -> str:
    return base64.b64encode(key.sign(text.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())).decode("ascii")


def rsa2_verify(key: rsa.RSAPublicKey, text: str, signature: str) -> bool:
    try:
        raw = base64.b64decode(signature, validate=True)
        key.verify(raw, text.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


# --- the exact text of a JSON answer's members --------------------------------------------------------

_DECODER = json.JSONDecoder()
_WHITESPACE = re.compile(r"[ \t\n\r]*")


def _skip_whitespace(text: str, pos: int) -> int:
    match = _WHITESPACE.match(text, pos)
    assert match is not None  # `*` always matches
    return match.end()


def json_members(text: str) -> dict[str, tuple[object, str]]:
    """The members of a top-level JSON object: name -> (value, the value's exact text as sent).

    ValueError if the text is not one JSON object or repeats a member (which of two nodes was signed?).
    """
    pos = _skip_whitespace(text, 0)
    if text[pos : pos + 1] != "{":
        raise ValueError("not a JSON object")
    pos = _skip_whitespace(text, pos + 1)
    members: dict[str, tuple[object, str]] = {}
    while text[pos : pos + 1] != "}":
        name, pos = _DECODER.raw_decode(text, pos)
        if not isinstance(name, str):
            raise ValueError("member name is not a string")
        pos = _skip_whitespace(text, pos)
        if text[pos : pos + 1] != ":":
            raise ValueError("expected ':'")
        start = _skip_whitespace(text, pos + 1)
        value, end = _DECODER.raw_decode(text, start)
        if name in members:
            raise ValueError(f"repeated member: {name}")
        members[name] = (value, text[start:end])
        pos = _skip_whitespace(text, end)
        if text[pos : pos + 1] == ",":
            pos = _skip_whitespace(text, pos + 1)
        elif text[pos : pos + 1] != "}":
            raise ValueError("expected ',' or '}'")
    if _skip_whitespace(text, pos + 1) != len(text):
        raise ValueError("text after the JSON object")
    return members


# --- the provider ------------------------------------------------------------------------------------


class AlipayProvider(GatewayProvider):
    """The `PaymentProvider` for Alipay. Configure `gateway_url` as `https://openapi.alipay.com/gateway.do`.

    `seller_id` is the province's merchant (its PID): Alipay's notification documentation asks to check
    `out_trade_no`, `total_amount`, `seller_id` and `app_id`, since a key may sign for more than one merchant.
    """

    name = "alipay"
    # Anything but exactly `success` makes Alipay deliver again (4m, 10m, 10m, 1h, 2h, 6h, 15h).
    ACCEPTED, REFUSED = "success", "fail"

    def __init__(
        self,
        app_id: str,
        app_private_key_pem: bytes,
        alipay_public_key_pem: bytes,
        gateway_url: str,
        transport: Transport,
        wap: bool = False,
        clock: Clock | None = None,
        *,
        seller_id: str,
        rehearsal_public_key_pem: bytes | None = None,
    ) -> None:
        if not SELLER_ID.fullmatch(seller_id):
            raise ValueError("seller_id is the merchant's PID: 2088 and 12 digits")
        super().__init__(gateway_url, transport, clock)
        self.app_id = app_id
        self.seller_id = seller_id
        self._app_key = load_private_key(app_private_key_pem)
        self._alipay_key = load_public_key(alipay_public_key_pem)
        # A staging stack's notices may also come from the rehearsal playing Alipay (decision 0038);
        # Alipay's own answers to our calls are checked with Alipay's key alone.
        self._notice_keys = [self._alipay_key]
        if rehearsal_public_key_pem:
            self._notice_keys.append(load_public_key(rehearsal_public_key_pem))
        self._wap = wap

    # pay ---------------------------------------------------------------------------------------------

    def pay_url(self, request: PaymentRequest) -> str:
        if request.amount <= 0:
            raise ValueError(f"nothing to pay: {request.amount}")
        method, product_code = (
            ("alipay.trade.wap.pay", "QUICK_WAP_WAY")
            if self._wap
            else ("alipay.trade.page.pay", "FAST_INSTANT_TRADE_PAY")
        )
        biz = {
            "out_trade_no": request.merchant_no,
            "product_code": product_code,
            "total_amount": fen_to_yuan(request.amount),
            "subject": request.title,
            # Truncated to the second: Alipay stops taking money no later than we stop counting the order (R-PAY-1).
            "time_expire": alipay_time(request.expires_at),
        }
        params = self._signed(method, biz, notify_url=request.notify_url, return_url=request.return_url)
        separator = "&" if "?" in self._gateway_url else "?"
        return f"{self._gateway_url}{separator}{urlencode(params)}"

    # notifications -----------------------------------------------------------------------------------

    def parse_notification(self, body: bytes, content_type: str) -> Notification:
        fields = notification_form(body, content_type)
        signature = fields.get("sign", "")
        if not signature:
            raise NotificationRejected("missing sign")
        if fields.get("sign_type", "RSA2") != "RSA2":
            raise NotificationRejected(f"unsupported sign_type: {fields['sign_type']}")
        signed = canonical_string(fields, exclude=("sign", "sign_type"))
        if not any(rsa2_verify(key, signed, signature) for key in self._notice_keys):
            raise NotificationRejected("bad signature")
        if fields.get("app_id") != self.app_id:
            raise NotificationRejected(f"not our app_id: {fields.get('app_id')}")
        if fields.get("seller_id") != self.seller_id:
            # Never the value: a seller_id may be a person's Alipay user id.
            raise NotificationRejected("missing seller_id" if not fields.get("seller_id") else "not our seller_id")
        if fields.get("charset", "utf-8").lower() != "utf-8":
            raise NotificationRejected(f"unexpected charset: {fields['charset']}")
        merchant_no = _required(fields, "out_trade_no")
        trade_no = _required(fields, "trade_no")
        trade_status = _required(fields, "trade_status")
        state = TRADE_STATES.get(trade_status)
        if state is None:
            raise NotificationRejected(f"unknown trade_status: {trade_status}")
        try:
            amount = yuan_to_fen(_required(fields, "total_amount"))
            refunded = yuan_to_fen(fields["refund_fee"]) if fields.get("refund_fee") else 0
            paid_at = parse_alipay_time(fields["gmt_payment"]) if fields.get("gmt_payment") else None
        except ValueError as exc:
            raise NotificationRejected(f"malformed field: {exc}") from exc
        if state is TradeState.CLOSED and refunded > 0:
            state = TradeState.REFUNDED  # a full refund closes the trade; this one had been paid
        return Notification(
            merchant_no=merchant_no, amount=amount, state=state, provider_trade_no=trade_no, paid_at=paid_at, raw=fields
        )

    # query, close, refund ----------------------------------------------------------------------------

    def query(self, merchant_no: str) -> TradeStatus:
        node = self._call("alipay.trade.query", {"out_trade_no": merchant_no})
        if node.get("code") == SUCCESS:
            self._check_order(node, merchant_no)
            state = TRADE_STATES.get(node.get("trade_status", ""))
            if state is None:
                raise ProviderError(f"alipay.trade.query: unknown trade_status {node.get('trade_status')!r}")
            return TradeStatus(
                merchant_no,
                state,
                amount=answer_fen(node, "total_amount", "alipay.trade.query"),
                provider_trade_no=node.get("trade_no") or None,
            )
        if node.get("sub_code") == TRADE_NOT_EXIST:
            return TradeStatus(merchant_no, TradeState.UNKNOWN)
        raise ProviderError(_describe("alipay.trade.query", node))

    def close(self, merchant_no: str) -> TradeStatus:
        node = self._call("alipay.trade.close", {"out_trade_no": merchant_no})
        if node.get("code") == SUCCESS:
            self._check_order(node, merchant_no)
            return TradeStatus(merchant_no, TradeState.CLOSED, provider_trade_no=node.get("trade_no") or None)
        if node.get("sub_code") == TRADE_NOT_EXIST:
            return TradeStatus(merchant_no, TradeState.UNKNOWN)
        if node.get("sub_code") in NOT_ALLOWED_NOW:
            return self.query(merchant_no)  # paid (or already closed) meanwhile: report the state it is in
        raise ProviderError(_describe("alipay.trade.close", node))

    def refund(self, merchant_no: str, amount: int, reason: str) -> TradeStatus:
        # One refund per order (R-PAY-3: only a duplicate payment is refunded), so a fixed request number
        # makes a retry idempotent: Alipay refunds a given out_request_no at most once.
        out_request_no = f"{merchant_no}-refund"
        biz = {
            "out_trade_no": merchant_no,
            "refund_amount": fen_to_yuan(amount),
            "refund_reason": reason,
            "out_request_no": out_request_no,
        }
        node = self._call("alipay.trade.refund", biz)
        if node.get("code") == SUCCESS:
            self._check_order(node, merchant_no)
            if node.get("fund_change") == "Y":
                refunded = answer_fen(node, "refund_fee", "alipay.trade.refund")
                return TradeStatus(
                    merchant_no, TradeState.REFUNDED, amount=refunded, provider_trade_no=node.get("trade_no") or None
                )
            # "N": no money moved by this call, e.g. a retry of a refund already made: ask which.
            return self._refund_query(merchant_no, out_request_no)
        if node.get("sub_code") == TRADE_NOT_EXIST:
            return TradeStatus(merchant_no, TradeState.UNKNOWN)
        if node.get("sub_code") in NOT_ALLOWED_NOW:
            return self.query(merchant_no)  # nothing refundable: report the state it is in
        raise ProviderError(_describe("alipay.trade.refund", node))

    def _refund_query(self, merchant_no: str, out_request_no: str) -> TradeStatus:
        method = "alipay.trade.fastpay.refund.query"
        node = self._call(method, {"out_trade_no": merchant_no, "out_request_no": out_request_no})
        if node.get("code") == SUCCESS and node.get("refund_status") == "REFUND_SUCCESS":
            self._check_order(node, merchant_no)
            refunded = answer_fen(node, "refund_amount", method)
            return TradeStatus(
                merchant_no, TradeState.REFUNDED, amount=refunded, provider_trade_no=node.get("trade_no") or None
            )
        raise ProviderError(f"{method}: refund {out_request_no} not done yet ({_describe(method, node)})")

    # the wire ----------------------------------------------------------------------------------------

    def _signed(self, method: str, biz: Mapping[str, str], **extra: str) -> dict[str, str]:
        params = {
            "app_id": self.app_id,
            "method": method,
            "format": "JSON",
            "charset": "utf-8",
            "sign_type": "RSA2",
            "timestamp": alipay_time(self._clock.now()),
            "version": "1.0",
            **extra,
            "biz_content": json.dumps(biz, ensure_ascii=False, separators=(",", ":")),
        }
        params["sign"] = rsa2_sign(self._app_key, canonical_string(params))
        return params

    def _call(self, method: str, biz: Mapping[str, str]) -> dict[str, str]:
        """Send a signed request; the verified response node (its string members)."""
        raw = self._send(method, self._gateway_url, self._signed(method, biz))
        try:
            members = json_members(raw.decode("utf-8"))
        except ValueError as exc:
            raise ProviderError(f"{method}: answer is not a JSON object: {exc}") from exc
        node_name = method.replace(".", "_") + "_response"
        if node_name not in members:
            node_name = "error_response"
        node, node_text = members.get(node_name, (None, ""))
        if not isinstance(node, dict):
            raise ProviderError(f"{method}: answer without {node_name}")
        strings = {key: value for key, value in node.items() if isinstance(key, str) and isinstance(value, str)}
        signature = members.get("sign", (None, ""))[0]
        if not isinstance(signature, str) or not signature:
            raise ProviderError(f"{method}: unsigned answer ({_describe(method, strings)})")
        if not rsa2_verify(self._alipay_key, node_text, signature):
            raise ProviderError(f"{method}: answer signature does not verify")
        return strings

    @staticmethod
    def _check_order(node: Mapping[str, str], merchant_no: str) -> None:
        if node.get("out_trade_no", merchant_no) != merchant_no:
            raise ProviderError(f"answer about another order: {node['out_trade_no']} (asked {merchant_no})")


def _required(fields: Mapping[str, str], name: str) -> str:
    value = fields.get(name, "")
    if not value:
        raise NotificationRejected(f"missing {name}")
    return value


def _describe(method: str, node: Mapping[str, str]) -> str:
    parts = (node.get(key, "") for key in ("code", "msg", "sub_code", "sub_msg"))
    return f"{method}: " + " ".join(part for part in parts if part)
