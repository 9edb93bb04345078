"""The local stand-in for Alipay's and the bank gateway's servers (never shipped).

One in-memory, thread-safe `PaymentSandbox` plays both providers' servers:
- `open_trade` is the student's browser arriving at the signed pay URL (checked as the real server checks it);
- `pay` / `cancel` are the buttons on the provider's page (支付 / 取消);
- `notification` is the signed asynchronous notification the provider would POST for the trade's current state;
- `transport` is a `Transport` answering the app's query/close/refund requests, signed;
- `redelivery_delays` is Alipay's notification retry schedule, compressed.

It builds and checks signatures with its own code rather than the providers' helpers, so a round trip through it
tests the app's canonical strings against a second implementation.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import itertools
import json
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Final
from urllib.parse import parse_qsl, urlencode, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from chalicelib.domain.clock import SHANGHAI, Clock, SystemClock
from chalicelib.payments.bank import BANKS
from chalicelib.payments.base import TradeState

ALIPAY = "alipay"
BANK = "bank"
FORM: Final = "application/x-www-form-urlencoded; charset=utf-8"
# Alipay delivers a notification again until it reads `success`: after 4m, 10m, 10m, 1h, 2h, 6h, 15h.
ALIPAY_REDELIVERY_SECONDS: Final = (240.0, 600.0, 600.0, 3600.0, 7200.0, 21600.0, 54000.0)
PAY_METHODS: Final = {"alipay.trade.page.pay": "FAST_INSTANT_TRADE_PAY", "alipay.trade.wap.pay": "QUICK_WAP_WAY"}
ALIPAY_STATUS: Final = {
    TradeState.OPEN: "WAIT_BUYER_PAY",
    TradeState.PAID: "TRADE_SUCCESS",
    TradeState.CLOSED: "TRADE_CLOSED",
    TradeState.REFUNDED: "TRADE_CLOSED",  # Alipay closes a fully refunded trade
}
BANK_STATUS: Final = {
    TradeState.OPEN: ("1", "待支付"),
    TradeState.PAID: ("20", "支付成功"),
    TradeState.CLOSED: ("30", "支付失败"),
    TradeState.REFUNDED: ("40", "已退款"),
}


class SandboxRefused(Exception):
    """The sandbox's page or server refuses: bad signature, closed, expired, already paid…"""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class UnknownTrade(LookupError):
    """No trade was opened for this order."""


@dataclass(frozen=True)
class Trade:
    merchant_no: str
    provider: str  # "alipay" or "bank"
    amount: int  # fen
    expires_at: datetime
    state: TradeState
    provider_trade_no: str  # the bank protocol carries none: there it is the order id
    subject: str
    notify_url: str
    return_url: str
    bank: str | None = None
    opened_at: datetime | None = None
    paid_at: datetime | None = None
    closed_at: datetime | None = None
    refunded_at: datetime | None = None
    refund_request_no: str | None = None
    cancellations: int = 0  # times the student pressed 取消


def new_rsa_key_pair() -> tuple[bytes, bytes]:
    """(private key PEM, PKCS#8; public key PEM, SubjectPublicKeyInfo), RSA 2048 as Alipay asks."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return private, public


class PaymentSandbox:
    def __init__(
        self,
        *,
        app_id: str,
        seller_id: str,
        app_public_key_pem: bytes,
        bank_merchant_id: str,
        bank_merchant_key: bytes,
        clock: Clock | None = None,
        time_scale: float = 1 / 600,
        alipay_private_key_pem: bytes | None = None,
    ) -> None:
        """`alipay_private_key_pem` reuses a key (tests); otherwise a fresh RSA 2048 key pair is generated."""
        if alipay_private_key_pem is None:
            alipay_private_key_pem, _ = new_rsa_key_pair()
        alipay_key = serialization.load_pem_private_key(alipay_private_key_pem, password=None)
        app_key = serialization.load_pem_public_key(app_public_key_pem)
        if not isinstance(alipay_key, rsa.RSAPrivateKey) or not isinstance(app_key, rsa.RSAPublicKey):
            raise ValueError("the sandbox needs RSA keys")
        self._alipay_key = alipay_key
        self._app_key = app_key
        self.alipay_public_key_pem = alipay_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.app_id = app_id
        self.seller_id = seller_id  # the merchant's PID, in every notification as Alipay sends it
        self.bank_merchant_id = bank_merchant_id
        self._bank_key = bank_merchant_key
        self._clock: Clock = clock or SystemClock()
        self._time_scale = time_scale
        self._trades: dict[str, Trade] = {}
        self._lock = threading.RLock()
        self._serial = itertools.count(1)

    # --- the student's side ----------------------------------------------------------------------------

    def open_trade(self, pay_url: str, now: datetime) -> Trade:
        """The browser arrives at the pay URL: check it as the provider would, record the trade (once per order)."""
        try:
            params = dict(parse_qsl(urlsplit(pay_url).query, keep_blank_values=True, strict_parsing=True))
        except ValueError as exc:
            raise SandboxRefused(f"malformed pay URL: {exc}") from exc
        if "method" in params:
            opened = self._alipay_trade(params, now)
        elif "v_mid" in params:
            opened = self._bank_trade(params, now)
        else:
            raise SandboxRefused("not a pay URL of either provider")
        with self._lock:
            known = self._trades.get(opened.merchant_no)
            if known is None:
                self._trades[opened.merchant_no] = opened
                return opened
            if (known.provider, known.amount) != (opened.provider, opened.amount):
                # Alipay: ACQ.CONTEXT_INCONSISTENT, the same out_trade_no with other trade data.
                raise SandboxRefused("order reopened with different trade data")
            return known

    def trade(self, merchant_no: str) -> Trade:
        with self._lock:
            return self._get(merchant_no)

    def pay(self, merchant_no: str, now: datetime) -> Trade:
        """The student presses 支付 (R-PAY-1: never after the trade's expiry)."""
        with self._lock:
            trade = self._get(merchant_no)
            if trade.state is TradeState.OPEN and now >= trade.expires_at:
                self._current(merchant_no, now)  # closes it, as the provider does
                raise SandboxRefused("trade expired")
            if trade.state is TradeState.PAID:
                raise SandboxRefused("already paid")
            if trade.state is TradeState.REFUNDED:
                raise SandboxRefused("refunded")
            if trade.state is TradeState.CLOSED:
                raise SandboxRefused("trade closed")
            return self._store(replace(trade, state=TradeState.PAID, paid_at=now))

    def cancel(self, merchant_no: str) -> Trade:
        """The student presses 取消: nothing changes on the provider's side until the trade expires."""
        with self._lock:
            trade = self._get(merchant_no)
            return self._store(replace(trade, cancellations=trade.cancellations + 1))

    def notification(self, merchant_no: str, now: datetime) -> tuple[bytes, str]:
        """The signed notification for the trade's current state, as the provider would POST it."""
        with self._lock:
            trade = self._current(merchant_no, now)
        fields = self._alipay_notification(trade, now) if trade.provider == ALIPAY else self._bank_notification(trade)
        return urlencode(fields).encode("ascii"), FORM

    def alipay_signed(self, fields: Mapping[str, str]) -> tuple[bytes, str]:
        """Any notification fields signed with this sandbox's Alipay key (tests play a notice Alipay signed)."""
        unsigned = {key: value for key, value in fields.items() if key != "sign"}
        text = "&".join(f"{k}={v}" for k, v in sorted(unsigned.items()) if k not in ("sign", "sign_type") and v)
        return urlencode({**unsigned, "sign": self._alipay_sign(text)}).encode("ascii"), FORM

    def redelivery_delays(self) -> list[float]:
        return [seconds * self._time_scale for seconds in ALIPAY_REDELIVERY_SECONDS]

    # --- the app's requests ----------------------------------------------------------------------------

    def transport(self, url: str, fields: Mapping[str, str]) -> bytes:
        """A `Transport`: answers the app's query/close/refund for both protocols, signed."""
        if "method" in fields:
            return self._alipay_answer(dict(fields))
        action = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
        if "v_mid" in fields and action in ("query", "close", "refund"):
            return self._bank_answer(action, dict(fields))
        raise ValueError(f"the sandbox does not serve {url}")

    # --- trades ----------------------------------------------------------------------------------------

    def _get(self, merchant_no: str) -> Trade:
        trade = self._trades.get(merchant_no)
        if trade is None:
            raise UnknownTrade(merchant_no)
        return trade

    def _store(self, trade: Trade) -> Trade:
        self._trades[trade.merchant_no] = trade
        return trade

    def _current(self, merchant_no: str, now: datetime) -> Trade:
        """The trade, closed if it is still open at or past its expiry (as the provider closes it)."""
        trade = self._get(merchant_no)
        if trade.state is TradeState.OPEN and now >= trade.expires_at:
            trade = self._store(replace(trade, state=TradeState.CLOSED, closed_at=trade.expires_at))
        return trade

    def _find(self, merchant_no: str, provider: str) -> Trade | None:
        trade = self._trades.get(merchant_no)
        if trade is None or trade.provider != provider:
            return None
        return self._current(merchant_no, self._clock.now())

    # --- Alipay ----------------------------------------------------------------------------------------

    def _alipay_trade(self, params: dict[str, str], now: datetime) -> Trade:
        if not self._app_signed(params) or params.get("app_id") != self.app_id:
            raise SandboxRefused("alipay: invalid signature or app_id")  # isv.invalid-signature
        method = params["method"]
        if method not in PAY_METHODS or params.get("sign_type") != "RSA2" or params.get("charset") != "utf-8":
            raise SandboxRefused(f"alipay: not a pay request: {method}")
        try:
            biz = json.loads(params["biz_content"])
            merchant_no, subject = str(biz["out_trade_no"]), str(biz["subject"])
            amount = _fen(str(biz["total_amount"]))
            expires_at = datetime.strptime(biz["time_expire"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=SHANGHAI)
        except (KeyError, TypeError, ValueError) as exc:
            raise SandboxRefused(f"alipay: bad biz_content: {exc}") from exc
        if biz.get("product_code") != PAY_METHODS[method] or not merchant_no:
            raise SandboxRefused("alipay: bad product_code or out_trade_no")
        trade_no = f"{now.astimezone(SHANGHAI):%Y%m%d}2200{next(self._serial):016d}"
        return Trade(
            merchant_no=merchant_no,
            provider=ALIPAY,
            amount=amount,
            expires_at=expires_at,
            state=TradeState.OPEN,
            provider_trade_no=trade_no,
            subject=subject,
            notify_url=params.get("notify_url", ""),
            return_url=params.get("return_url", ""),
            opened_at=now,
        )

    def _alipay_notification(self, trade: Trade, now: datetime) -> dict[str, str]:
        fields = {
            "notify_time": _alipay_time(now),
            "notify_type": "trade_status_sync",
            "notify_id": uuid.uuid4().hex,
            "app_id": self.app_id,
            "seller_id": self.seller_id,
            "charset": "utf-8",
            "version": "1.0",
            "sign_type": "RSA2",
            "trade_no": trade.provider_trade_no,
            "out_trade_no": trade.merchant_no,
            "subject": trade.subject,
            "total_amount": _yuan(trade.amount),
            "trade_status": ALIPAY_STATUS[trade.state],
        }
        if trade.opened_at is not None:
            fields["gmt_create"] = _alipay_time(trade.opened_at)
        if trade.paid_at is not None:
            fields["gmt_payment"] = _alipay_time(trade.paid_at)
        if trade.closed_at is not None:
            fields["gmt_close"] = _alipay_time(trade.closed_at)
        if trade.refunded_at is not None:
            fields["gmt_refund"] = _alipay_time(trade.refunded_at)
            fields["refund_fee"] = _yuan(trade.amount)
            fields["out_biz_no"] = trade.refund_request_no or ""
        text = "&".join(f"{k}={v}" for k, v in sorted(fields.items()) if k not in ("sign", "sign_type") and v)
        fields["sign"] = self._alipay_sign(text)
        return fields

    def _alipay_answer(self, params: dict[str, str]) -> bytes:
        method = params.get("method", "")
        node_name = method.replace(".", "_") + "_response"
        if not self._app_signed(params) or params.get("app_id") != self.app_id:
            return self._alipay_signed_answer(
                node_name, _failure("40002", "Invalid Arguments", "isv.invalid-signature", "验签出错")
            )
        try:
            biz = json.loads(params["biz_content"])
            merchant_no = str(biz["out_trade_no"])
        except (KeyError, TypeError, ValueError):
            return self._alipay_signed_answer(
                node_name, _failure("40002", "Invalid Arguments", "isv.invalid-parameter")
            )
        handlers = {
            "alipay.trade.query": self._alipay_query,
            "alipay.trade.close": self._alipay_close,
            "alipay.trade.refund": self._alipay_refund,
            "alipay.trade.fastpay.refund.query": self._alipay_refund_query,
        }
        handler = handlers.get(method)
        if handler is None:
            return self._alipay_signed_answer(node_name, _failure("40002", "Invalid Arguments", "isv.invalid-method"))
        with self._lock:
            trade = self._find(merchant_no, ALIPAY)
            if trade is None:
                node = _failure("40004", "Business Failed", "ACQ.TRADE_NOT_EXIST", "交易不存在")
            else:
                node = handler(trade, biz)
        return self._alipay_signed_answer(node_name, node)

    def _alipay_query(self, trade: Trade, _biz: dict[str, object]) -> dict[str, str]:
        node = _alipay_success(trade)
        node["trade_status"] = ALIPAY_STATUS[trade.state]
        node["total_amount"] = _yuan(trade.amount)
        if trade.paid_at is not None:
            node["send_pay_date"] = _alipay_time(trade.paid_at)
        return node

    def _alipay_close(self, trade: Trade, _biz: dict[str, object]) -> dict[str, str]:
        if trade.state is not TradeState.OPEN:
            return _failure("40004", "Business Failed", "ACQ.TRADE_STATUS_ERROR", "交易状态不合法")
        self._store(replace(trade, state=TradeState.CLOSED, closed_at=self._clock.now()))
        return _alipay_success(trade)

    def _alipay_refund(self, trade: Trade, biz: dict[str, object]) -> dict[str, str]:
        request_no = str(biz.get("out_request_no") or trade.merchant_no)
        if trade.state is TradeState.REFUNDED:
            if request_no != trade.refund_request_no:
                return _failure("40004", "Business Failed", "ACQ.TRADE_HAS_CLOSE", "交易已经关闭")
            node = _alipay_success(trade)  # the same request again: nothing moves
            node.update(fund_change="N", refund_fee=_yuan(trade.amount))
            return node
        if trade.state is not TradeState.PAID:
            return _failure("40004", "Business Failed", "ACQ.TRADE_STATUS_ERROR", "交易状态不合法")
        try:
            amount = _fen(str(biz.get("refund_amount")))
        except ValueError:
            return _failure("40002", "Invalid Arguments", "isv.invalid-parameter", "refund_amount")
        if amount != trade.amount:  # the product refunds whole duplicate payments only (R-PAY-3)
            return _failure("40004", "Business Failed", "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "退款金额不等于交易金额")
        now = self._clock.now()
        self._store(replace(trade, state=TradeState.REFUNDED, refunded_at=now, refund_request_no=request_no))
        node = _alipay_success(trade)
        node.update(fund_change="Y", refund_fee=_yuan(amount), gmt_refund_pay=_alipay_time(now))
        return node

    def _alipay_refund_query(self, trade: Trade, biz: dict[str, object]) -> dict[str, str]:
        node = _alipay_success(trade)
        if trade.state is TradeState.REFUNDED and biz.get("out_request_no") == trade.refund_request_no:
            node.update(
                out_request_no=trade.refund_request_no or "",
                refund_status="REFUND_SUCCESS",
                refund_amount=_yuan(trade.amount),
                total_amount=_yuan(trade.amount),
            )
        return node

    def _alipay_signed_answer(self, node_name: str, node: Mapping[str, str]) -> bytes:
        node_text = json.dumps(node, ensure_ascii=False, separators=(",", ":"))
        body = f'{{"{node_name}":{node_text},"sign":"{self._alipay_sign(node_text)}"}}'
        return body.encode("utf-8")

    def _app_signed(self, params: Mapping[str, str]) -> bool:
        text = "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k != "sign" and v)
        try:
            signature = base64.b64decode(params.get("sign", ""), validate=True)
            self._app_key.verify(signature, text.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
        except (InvalidSignature, binascii.Error, ValueError):
            return False
        return True

    def _alipay_sign(self, text: str) -> str:
        signature = self._alipay_key.sign(text.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
        return base64.b64encode(signature).decode("ascii")

    # --- the bank gateway ------------------------------------------------------------------------------

    def _bank_mac(self, text: str) -> str:
        return hmac.new(self._bank_key, text.encode("utf-8"), hashlib.sha256).hexdigest()

    def _bank_trade(self, params: dict[str, str], now: datetime) -> Trade:
        names = ("v_moneytype", "v_ymd", "v_amount", "v_rcvname", "v_oid", "v_mid", "v_url", "v_notify", "v_expire")
        try:
            text = "".join(params[name] for name in (*names, "v_bank"))
        except KeyError as exc:
            raise SandboxRefused(f"bank: missing {exc}") from exc
        received = params.get("v_md5info", "").encode("utf-8")
        if not hmac.compare_digest(self._bank_mac(text).encode("ascii"), received):
            raise SandboxRefused("bank: bad v_md5info")
        if params["v_mid"] != self.bank_merchant_id or params["v_moneytype"] != "0" or not params["v_oid"]:
            raise SandboxRefused("bank: unknown merchant, currency or order")
        if params["v_bank"] not in BANKS:
            raise SandboxRefused(f"bank: unknown bank {params['v_bank']}")
        try:
            amount = _fen(params["v_amount"])
            expires_at = datetime.strptime(params["v_expire"], "%Y%m%d%H%M%S").replace(tzinfo=SHANGHAI)
        except ValueError as exc:
            raise SandboxRefused(f"bank: {exc}") from exc
        return Trade(
            merchant_no=params["v_oid"],
            provider=BANK,
            amount=amount,
            expires_at=expires_at,
            state=TradeState.OPEN,
            provider_trade_no=params["v_oid"],
            subject=params["v_rcvname"],
            notify_url=params["v_notify"],
            return_url=params["v_url"],
            bank=params["v_bank"],
            opened_at=now,
        )

    def _bank_notification(self, trade: Trade) -> dict[str, str]:
        status, text = BANK_STATUS[trade.state]
        fields = {
            "v_oid": trade.merchant_no,
            "v_pstatus": status,
            "v_pstring": text,
            "v_pmode": BANKS.get(trade.bank or "", ""),
            "v_amount": _yuan(trade.amount),
            "v_moneytype": "0",
        }
        fields["v_md5str"] = self._bank_mac(fields["v_oid"] + status + text + fields["v_pmode"])
        fields["v_md5money"] = self._bank_mac(fields["v_amount"] + fields["v_moneytype"])
        return fields

    def _bank_answer(self, action: str, fields: dict[str, str]) -> bytes:
        received = fields.pop("v_sign", "").encode("utf-8")
        expected = self._bank_mac("&".join(f"{k}={v}" for k, v in sorted(fields.items())))
        if not hmac.compare_digest(expected.encode("ascii"), received) or fields.get("v_mid") != self.bank_merchant_id:
            return urlencode({"v_error": "bad signature or merchant"}).encode("ascii")  # unsigned, as a 4xx page
        merchant_no = fields.get("v_oid", "")
        with self._lock:
            trade = self._find(merchant_no, BANK)
            if trade is not None and action == "close" and trade.state is TradeState.OPEN:
                trade = self._store(replace(trade, state=TradeState.CLOSED, closed_at=self._clock.now()))
            # Whole refunds of paid trades only (R-PAY-3); otherwise the answer is the state that stood in the way.
            if (
                trade is not None
                and action == "refund"
                and trade.state is TradeState.PAID
                and fields.get("v_amount") == _yuan(trade.amount)
            ):
                trade = self._store(replace(trade, state=TradeState.REFUNDED, refunded_at=self._clock.now()))
        answer = {"v_mid": self.bank_merchant_id, "v_oid": merchant_no, "v_pstatus": "0"}
        if trade is not None:
            answer.update(v_pstatus=BANK_STATUS[trade.state][0], v_amount=_yuan(trade.amount))
        answer["v_sign"] = self._bank_mac("&".join(f"{k}={v}" for k, v in sorted(answer.items())))
        return urlencode(answer).encode("ascii")


def _yuan(fen: int) -> str:
    return str((Decimal(fen) / 100).quantize(Decimal("0.01")))


def _fen(yuan: str) -> int:
    """Two decimals exactly, as both providers write money."""
    try:
        amount = Decimal(yuan)
    except InvalidOperation as exc:
        raise ValueError(f"bad amount {yuan!r}") from exc
    if not amount.is_finite() or amount.as_tuple().exponent != -2 or amount <= 0:
        raise ValueError(f"bad amount {yuan!r}")
    return int(amount * 100)


def _alipay_time(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")


def _alipay_success(trade: Trade) -> dict[str, str]:
    return {
        "code": "10000",
        "msg": "Success",
        "trade_no": trade.provider_trade_no,
        "out_trade_no": trade.merchant_no,
        "buyer_logon_id": "stu***@example.com",
    }


def _failure(code: str, msg: str, sub_code: str, sub_msg: str = "") -> dict[str, str]:
    return {"code": code, "msg": msg, "sub_code": sub_code, "sub_msg": sub_msg}
