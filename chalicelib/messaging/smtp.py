"""E-mail through the province's SMTP relay, with the standard library's smtplib."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from chalicelib.domain.messages import Message, MessageNotSent

SMTP_TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class SmtpRelay:
    host: str
    port: int
    sender: str  # the From address
    user: str = ""
    password: str = field(default="", repr=False)
    starttls: bool = True


class SmtpSender:
    def __init__(self, relay: SmtpRelay) -> None:
        self._relay = relay

    def send(self, message: Message) -> None:
        relay = self._relay
        mail = EmailMessage()
        mail["From"] = relay.sender
        mail["To"] = message.to
        mail["Subject"] = message.subject
        mail["Date"] = formatdate(localtime=False)
        # The event names the message: a relay or a mailbox that sees it twice can tell.
        mail["Message-ID"] = make_msgid(idstring=message.event_id.replace("#", "."), domain=_domain(relay.sender))
        mail.set_content(message.body)
        try:
            with smtplib.SMTP(relay.host, relay.port, timeout=SMTP_TIMEOUT_SECONDS) as smtp:
                if relay.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if relay.user:
                    smtp.login(relay.user, relay.password)
                smtp.send_message(mail)
        except (OSError, smtplib.SMTPException) as error:
            raise MessageNotSent(f"SMTP: {type(error).__name__}") from error


def _domain(address: str) -> str:
    return address.rpartition("@")[2] or "localhost"
