"""A staging stack as the rehearsal meets it (decision 0038): its captchas answer to the stack's
rehearsal key, and the rehearsal plays Alipay for its payments.

    .venv/bin/python -m province rehearsal-provider --payments staging-payments.json [--out DIR]

A staging stack's payments go to no real money: its payment secret names Alipay's sandbox gateway
and, besides the sandbox's public key, `rehearsal_public_key`: the public half of a key pair made
here. The rehearsal holds the private half (`provider.json`, readable by its owner only) and, as
Alipay would after a student paid, posts to the stack's notify URL a notice signed with it: the
stack checks the signature, the app id, the seller and the amount exactly as it checks Alipay's,
and no program could forge it without the file. Its calls to the sandbox (query, close, refund)
are answered and checked with the sandbox's own key, as before. Written to DIR (out/rehearsal/):
`provider.json`, and `payments.json`, the staging payment secret to store (the given one with
`alipay.rehearsal_public_key` added). Existing files are kept unless `--force`: a new key pair
would no longer match the secret already stored.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from chalicelib.domain.accounts import rehearsal_answer
from chalicelib.payments.alipay import alipay_time, canonical_string, load_private_key, rsa2_sign
from chalicelib.protection.rehearsal import MIN_KEY_LENGTH
from province.description import ROOT

OUT = ROOT / "out" / "rehearsal"
# The staging stack's rehearsal key, as the operator read it from the stack's secret
# (`RehearsalSecretName`, docs/deploy.md); never on a command line, where `ps` would show it.
KEY_VARIABLE = "CET_REHEARSAL_KEY"
# Alipay's sandbox: the only gateway a staging stack talks to (anything else may be real trades).
SANDBOX_DOMAIN = ".alipaydev.com"
FORM = "application/x-www-form-urlencoded"


class StagingPaymentsError(ValueError):
    """Why a payment secret cannot be a staging one, in words."""


@dataclass(frozen=True)
class Provider:
    """Alipay as the rehearsal plays it: its signing key, and the merchant it pays."""

    private_key_pem: bytes
    app_id: str
    seller_id: str

    @classmethod
    def read(cls, path: Path) -> Provider:
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(data["alipay_private_key"].encode(), data["app_id"], data["seller_id"])

    def to_json(self) -> str:
        return json.dumps(
            {"alipay_private_key": self.private_key_pem.decode(), "app_id": self.app_id, "seller_id": self.seller_id},
            indent=2,
        )


@dataclass(frozen=True)
class Notice:
    url: str
    body: bytes
    content_type: str = FORM


def captcha_answer(issued: dict[str, Any], env: Mapping[str, str]) -> str | None:
    """The answer to a captcha just issued: the one a stack in test mode gives away, or the one the
    staging stack's rehearsal key computes; None when the rehearsal has neither."""
    if issued.get("answer"):
        return str(issued["answer"])
    key = env.get(KEY_VARIABLE, "")
    return rehearsal_answer(key.encode(), str(issued["captcha_id"])) if len(key) >= MIN_KEY_LENGTH else None


def new_provider(payments: dict[str, Any]) -> tuple[Provider, dict[str, Any]]:
    """The rehearsal's Alipay, and the staging payment secret that trusts it."""
    alipay = payments.get("alipay")
    if not isinstance(alipay, dict) or not alipay.get("app_id") or not alipay.get("seller_id"):
        raise StagingPaymentsError("payments.json: alipay.app_id and alipay.seller_id are required")
    url = urlsplit(str(alipay.get("gateway_url", "")))
    host = (url.hostname or "").rstrip(".")
    if url.scheme != "https" or not host.endswith(SANDBOX_DOMAIN):
        raise StagingPaymentsError(
            f"alipay.gateway_url must be Alipay's sandbox gateway (https://…{SANDBOX_DOMAIN}/…, docs/deploy.md), "
            f"not {host or 'nothing'}: a staging stack never makes real trades"
        )
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    staging = {**payments, "alipay": {**alipay, "rehearsal_public_key": public.decode()}}
    return Provider(private, str(alipay["app_id"]), str(alipay["seller_id"])), staging


def paid_notice(provider: Provider, pay_url: str, now: datetime) -> Notice:
    """Alipay's notice that the trade of `pay_url` (what the stack sent the student to) was paid."""
    params = {name: values[0] for name, values in parse_qs(urlsplit(pay_url).query).items()}
    biz = json.loads(params.get("biz_content", "{}"))
    if params.get("app_id") != provider.app_id or not params.get("notify_url") or "out_trade_no" not in biz:
        raise StagingPaymentsError("the pay URL is not one the staging stack made for the rehearsal's Alipay")
    fields = {
        "notify_time": alipay_time(now),
        "notify_type": "trade_status_sync",
        "notify_id": uuid.uuid4().hex,
        "app_id": provider.app_id,
        "seller_id": provider.seller_id,
        "charset": "utf-8",
        "version": "1.0",
        "sign_type": "RSA2",
        "trade_no": "2027" + "".join(secrets.choice("0123456789") for _ in range(24)),
        "out_trade_no": str(biz["out_trade_no"]),
        "subject": str(biz.get("subject", "")),
        "total_amount": str(biz["total_amount"]),
        "trade_status": "TRADE_SUCCESS",
        "gmt_create": alipay_time(now),
        "gmt_payment": alipay_time(now),
    }
    text = canonical_string(fields, exclude=("sign", "sign_type"))
    fields["sign"] = rsa2_sign(load_private_key(provider.private_key_pem), text)
    return Notice(params["notify_url"], urlencode(fields).encode("ascii"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m province rehearsal-provider",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--payments", type=Path, required=True, help="the staging stack's payments.json")
    parser.add_argument("--out", type=Path, default=OUT, help="where provider.json and payments.json go")
    parser.add_argument("--force", action="store_true", help="replace the key pair already written there")
    args = parser.parse_args(argv)
    existing = [args.out / name for name in ("provider.json", "payments.json") if (args.out / name).exists()]
    if existing and not args.force:
        print(
            f"rehearsal-provider: {existing[0]} exists: its key may already be in the staging secret; "
            "--force makes a new pair (then store the new payments.json)",
            file=sys.stderr,
        )
        return 2
    try:
        provider, staging = new_provider(json.loads(args.payments.read_text(encoding="utf-8")))
    except (OSError, ValueError) as error:
        print(f"rehearsal-provider: {error}", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    for name, text in (("provider.json", provider.to_json()), ("payments.json", json.dumps(staging, indent=2))):
        path = args.out / name
        path.unlink(missing_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # both hold private keys
        with os.fdopen(descriptor, "w", encoding="utf-8") as written:
            written.write(text + "\n")
    print(f"{args.out / 'payments.json'}: store it as the staging stack's payment secret (with")
    print("  alipay.rehearsal_public_key, the rehearsal's); keep it out of the repository.")
    print(f"{args.out / 'provider.json'}: the rehearsal's Alipay key: rehearse --provider {args.out / 'provider.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
