"""Where messages go: the province's messaging secret on a real stage, the local outbox elsewhere.

The secret (MESSAGING_SECRET_NAME) is JSON, read through Powertools and cached a few minutes, so
a rotated SMTP password or SMS key is in use without a redeploy:
    {"smtp": {"host", "port", "from", "user", "password", "starttls"},
     "sms": {"app_id", "sign_name", "templates": {kind: template id}, "secret_id", "secret_key",
             "region", "endpoint", "scheme"}}
Off AWS, MESSAGING_SETTINGS may hold the same JSON (the tests point it at a local SMTP server and
a local fake of the SMS API); a channel it does not configure goes to the local outbox there, and
is "not configured" (every send fails, logged, retried) on AWS.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from chalicelib.config import Settings
from chalicelib.domain.messages import Channel, Message, MessageNotSent, MessageSender
from chalicelib.messaging.channels import ByChannel, Unconfigured
from chalicelib.messaging.local import LocalOutbox
from chalicelib.messaging.sms import SmsAccount, TencentSms
from chalicelib.messaging.smtp import SmtpRelay, SmtpSender
from chalicelib.secret_store import json_secret

SECRET_MAX_AGE_SECONDS = 300


def _relay(values: object) -> SmtpRelay | None:
    if not isinstance(values, dict) or not values.get("host") or not values.get("from"):
        return None
    return SmtpRelay(
        host=str(values["host"]),
        port=int(values.get("port", 587)),
        sender=str(values["from"]),
        user=str(values.get("user", "")),
        password=str(values.get("password", "")),
        starttls=bool(values.get("starttls", True)),
    )


def _sms_account(values: object) -> SmsAccount | None:
    needed = ("app_id", "sign_name", "secret_id", "secret_key")
    if not isinstance(values, dict) or not all(values.get(name) for name in needed):
        return None
    templates = values.get("templates")
    return SmsAccount(
        app_id=str(values["app_id"]),
        sign_name=str(values["sign_name"]),
        templates={str(k): str(v) for k, v in templates.items()} if isinstance(templates, dict) else {},
        secret_id=str(values["secret_id"]),
        secret_key=str(values["secret_key"]),
        region=str(values.get("region", "ap-guangzhou")),
        endpoint=str(values.get("endpoint", "sms.tencentcloudapi.com")),
        scheme=str(values.get("scheme", "https")),
    )


def senders_from(values: dict[str, Any], fallback: MessageSender | None) -> ByChannel:
    """The adapters a settings object names; `fallback` for a channel it leaves out."""
    relay, account = _relay(values.get("smtp")), _sms_account(values.get("sms"))
    email: MessageSender = SmtpSender(relay) if relay else (fallback or Unconfigured(Channel.EMAIL))
    sms: MessageSender = TencentSms(account) if account else (fallback or Unconfigured(Channel.SMS))
    return ByChannel(email, sms)


class SecretSenders:
    """Reads the messaging secret (cached) at each send and rebuilds the adapters when it changed."""

    def __init__(self, secret_name: str) -> None:
        self._name = secret_name
        self._built: tuple[str, ByChannel] | None = None
        self._lock = threading.Lock()

    def send(self, message: Message) -> None:
        values = json_secret(self._name, SECRET_MAX_AGE_SECONDS, "messaging secret unreadable: messages wait")
        if values is None:
            raise MessageNotSent("messaging secret unreadable")
        fingerprint = json.dumps(values, sort_keys=True)
        with self._lock:
            if self._built is None or self._built[0] != fingerprint:
                self._built = (fingerprint, senders_from(values, None))
            senders = self._built[1]
        senders.send(message)


def message_sender(config: Settings, local: LocalOutbox) -> MessageSender:
    if config.messaging_secret_name:
        return SecretSenders(config.messaging_secret_name)
    if config.on_lambda:  # a function that sends nothing; were it to send, every send fails, logged
        return ByChannel(Unconfigured(Channel.EMAIL), Unconfigured(Channel.SMS))
    values = json.loads(config.messaging_settings) if config.messaging_settings else {}
    return senders_from(values, local)
