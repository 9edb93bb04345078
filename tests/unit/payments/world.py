"""What the payment tests share: one merchant at Alipay and at the bank, the sandbox, an order to pay."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import parse_qsl, urlsplit

from chalicelib.domain.clock import SHANGHAI, Clock
from chalicelib.payments.base import PaymentProvider, PaymentRequest
from devstack.payment_sandbox import PaymentSandbox, new_rsa_key_pair

APP_ID = "2021000000000001"
SELLER_ID = "2088000000000001"  # the province's merchant (PID)
ALIPAY_GATEWAY = "https://openapi.alipay.com/gateway.do"
MERCHANT = "3201"
BANK_KEY = b"merchant-key-from-the-bank"
BANK_GATEWAY = "https://pay.bank.example.com/prs"
NOW = datetime(2098, 9, 1, 10, 0, tzinfo=SHANGHAI)
EXPIRES = NOW + timedelta(hours=24)
FORM = "application/x-www-form-urlencoded; charset=utf-8"
TITLE = "2098年下半年CET报名费"
NOTIFY_URL = "https://api.example.com/payments/notify"
RETURN_URL = "https://cet.example.com/orders/O-1"


@dataclass(frozen=True)
class Keys:
    app_private: bytes
    app_public: bytes
    alipay_private: bytes
    alipay_public: bytes
    other_private: bytes
    other_public: bytes


def new_keys() -> Keys:
    return Keys(*new_rsa_key_pair(), *new_rsa_key_pair(), *new_rsa_key_pair())


def new_sandbox(keys: Keys, clock: Clock, alipay_private: bytes | None = None) -> PaymentSandbox:
    """The providers' servers for our merchant; another `alipay_private` plays an impostor signing as Alipay."""
    return PaymentSandbox(
        app_id=APP_ID,
        seller_id=SELLER_ID,
        app_public_key_pem=keys.app_public,
        bank_merchant_id=MERCHANT,
        bank_merchant_key=BANK_KEY,
        clock=clock,
        alipay_private_key_pem=alipay_private or keys.alipay_private,
    )


def pay_request(
    merchant_no: str = "O-1", amount: int = 8000, expires_at: datetime = EXPIRES, bank: str | None = "ICBC"
) -> PaymentRequest:
    """The order as the service hands it to a provider (Alipay has no bank to choose: it ignores `bank`)."""
    return PaymentRequest(
        merchant_no=merchant_no,
        amount=amount,
        title=TITLE,
        expires_at=expires_at,
        notify_url=NOTIFY_URL,
        return_url=RETURN_URL,
        bank=bank,
    )


def query_of(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True, strict_parsing=True))


def form_of(body: bytes) -> dict[str, str]:
    return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))


def opened(provider: PaymentProvider, sandbox: PaymentSandbox, merchant_no: str = "O-1", amount: int = 8000) -> str:
    """The student followed the pay URL: the provider's side has an open trade."""
    sandbox.open_trade(provider.pay_url(pay_request(merchant_no, amount)), NOW)
    return merchant_no
