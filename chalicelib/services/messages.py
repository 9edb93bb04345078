"""Sending the outbox and the reminders (R-NOTE-1): at least once, never twice for one event.

A message is written with the event that causes it (a code asked for, a review decided); the
table's stream hands it to the sender at once, and the sending job tries again whatever is still
waiting, later and later, for about a day. A lease keeps two senders off the same message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from chalicelib.domain.clock import Clock, iso
from chalicelib.domain.messages import ClaimedMessage, Message, MessageKind, MessageNotSent, MessageSender, pay_reminder
from chalicelib.domain.recovery import ACTIVATION_LIFETIME, CODE_LIFETIME
from chalicelib.domain.registration import SubjectStatus
from chalicelib.logs import logger
from chalicelib.services.accounts_ports import AccountStore
from chalicelib.services.registration_ports import RegistrationStore

# R-NOTE-1: the reminder goes when unpaid subjects are this close to their earliest pay_by.
REMIND_BEFORE = timedelta(hours=6)
FIRST_RETRY = timedelta(minutes=1)
LAST_RETRY = timedelta(hours=1)
GIVE_UP_AFTER_ATTEMPTS = 30  # 1, 2, 4 … 60, 60 … minutes: about a day of trying
SEND_BATCH = 200


@dataclass(frozen=True)
class Messaging:
    outbox: Outbox
    sender: MessageSender
    clock: Clock


@dataclass(frozen=True)
class SendReport:
    sent: int = 0
    failed: int = 0
    abandoned: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"sent": self.sent, "failed": self.failed, "abandoned": self.abandoned}


def retry_at(attempts: int, now: datetime) -> datetime | None:
    """When to try again after `attempts` failed sends; None once it is time to give up."""
    if attempts >= GIVE_UP_AFTER_ATTEMPTS:
        return None
    wait: timedelta = min(FIRST_RETRY * 2 ** (attempts - 1), LAST_RETRY)
    return now + wait


def deliver(messaging: Messaging, event_id: str) -> str:
    """Try to send one waiting message: `sent`, `failed` (tried again later), `abandoned`, or
    `skipped` (already sent, or another sender holds it)."""
    now = messaging.clock.now()
    claimed = messaging.outbox.claim(event_id, now)
    if claimed is None:
        return "skipped"
    message = claimed.message
    lifetime = ACTIVATION_LIFETIME if message.kind is MessageKind.STAFF_ACTIVATION else CODE_LIFETIME
    code_dead = message.code is not None and now >= message.created_at + lifetime
    if code_dead or (message.moot_at is not None and now >= message.moot_at):
        messaging.outbox.failed(claimed, None)  # its code is dead, its news over: sending it only confuses
        return "abandoned"
    try:
        messaging.sender.send(message)
    except Exception as error:  # any failure of a channel is a failed send, retried
        final = isinstance(error, MessageNotSent) and error.final
        again = None if final else retry_at(claimed.attempts + 1, now)
        reason = str(error) if isinstance(error, MessageNotSent) else type(error).__name__
        # the kind and the channel's reason: never the address, never the code
        logger().warning("message not sent", extra={"kind": message.kind.value, "reason": reason, "again": bool(again)})
        messaging.outbox.failed(claimed, again)
        return "failed" if again else "abandoned"
    messaging.outbox.sent(claimed, messaging.clock.now())
    return "sent"


def send_due(messaging: Messaging) -> SendReport:
    """The sending job: every message whose next try is due."""
    outcomes = [deliver(messaging, event) for event in messaging.outbox.due(messaging.clock.now(), SEND_BATCH)]
    return SendReport(outcomes.count("sent"), outcomes.count("failed"), outcomes.count("abandoned"))


@dataclass(frozen=True)
class RemindReport:
    reminded: int = 0
    already: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"reminded": self.reminded, "already_reminded": self.already}


def remind_unpaid(messaging: Messaging, registrations: RegistrationStore, accounts: AccountStore) -> RemindReport:
    """R-NOTE-1: one reminder per earliest unpaid `pay_by` that is less than six hours away."""
    now = messaging.clock.now()
    made = already = 0
    for account_id in registrations.overdue(now + REMIND_BEFORE):
        registration = registrations.get(account_id)
        deadlines = [
            s.pay_by
            for s in (registration.subjects if registration else ())
            if s.status is SubjectStatus.UNPAID and s.pay_by is not None and s.pay_by > now
        ]
        account = accounts.get(account_id)
        if not deadlines or account is None or min(deadlines) > now + REMIND_BEFORE:
            continue
        deadline = min(deadlines)
        message = pay_reminder(f"pay_reminder#{account_id}#{iso(deadline)}", account.login, deadline, now)
        if messaging.outbox.add(message):  # sent by the stream handler, or the sending job
            made += 1
        else:
            already += 1
    return RemindReport(made, already)


class Outbox(Protocol):
    """Messages waiting to be sent, one per event (R-NOTE-1): at least once, never twice."""

    def add(self, message: Message) -> bool:
        """Keep the message unless its event already has one; True if this call added it."""

    def due(self, now: datetime, limit: int) -> list[str]:
        """Events whose message waits to be sent and whose next try is due."""

    def claim(self, event_id: str, now: datetime) -> ClaimedMessage | None:
        """Take the message for sending for a short lease; None if sent, or taken by another sender."""

    def sent(self, claimed: ClaimedMessage, now: datetime) -> None:
        """Done: what the message said (and any code) is removed; the event stays known. Unheard
        if the lease was lost meanwhile."""

    def failed(self, claimed: ClaimedMessage, retry_at: datetime | None) -> None:
        """Not sent: try again at `retry_at`; None gives up (and forgets what it said)."""
