"""The outbox (R-NOTE-1): one item per event, written with the event; GSI2 holds it until sent.

`OUTBOX#<event id>` is written with `attribute_not_exists`, so an event has one message at most;
a sender leases it before sending, so two senders never send it at once; once sent, what it
said (and the code it carried) is removed and the item stays 30 days to remember the event.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from datetime import datetime, timedelta

from pynamodb.exceptions import DoesNotExist, PutError, UpdateError
from pynamodb.expressions.update import Action

from chalicelib.domain.clock import iso, parse_iso
from chalicelib.domain.messages import ClaimedMessage, Message, MessageKind
from chalicelib.storage import keys
from chalicelib.storage.models import OutboxItem, TableItem
from chalicelib.storage.transactions import error_code

LEASE = timedelta(seconds=60)
EVENT_REMEMBERED = timedelta(days=30)
PENDING, SENT, ABANDONED = "pending", "sent", "abandoned"


def outbox_item(message: Message) -> OutboxItem:
    return OutboxItem(
        keys.outbox_pk(message.event_id),
        keys.MESSAGE_SK,
        to=message.to,
        message_kind=message.kind.value,
        params=json.dumps(list(message.params), ensure_ascii=False),
        code=message.code,
        created_at=iso(message.created_at),
        moot_at=iso(message.moot_at) if message.moot_at else None,
        state=PENDING,
        gsi2pk=keys.outbox_due_pk(keys.outbox_shard(message.event_id)),
        gsi2sk=iso(message.created_at),
        # a message nobody could send for 30 days is of no use any more
        expires=message.created_at + EVENT_REMEMBERED,
    )


def _forget_words() -> list[Action]:
    """Once sent or given up: what it said and its code go, and it leaves the queue."""
    return [
        OutboxItem.params.remove(),
        OutboxItem.code.remove(),
        OutboxItem.lease_until.remove(),
        OutboxItem.lease.remove(),
        OutboxItem.gsi2pk.remove(),
        OutboxItem.gsi2sk.remove(),
    ]


def _message_from(item: OutboxItem) -> Message:
    return Message(
        event_id=keys.value_of(item.pk, keys.outbox_pk),
        to=item.to,
        kind=MessageKind(item.message_kind),
        params=tuple(json.loads(item.params or "[]")),
        created_at=parse_iso(item.created_at),
        code=item.code,
        moot_at=parse_iso(item.moot_at) if item.moot_at else None,
    )


class DynamoOutbox:
    def add(self, message: Message) -> bool:
        try:
            outbox_item(message).save(condition=OutboxItem.pk.does_not_exist())
        except PutError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def due(self, now: datetime, limit: int) -> list[str]:
        """An equal share from each shard: a backlog in one never starves the others."""
        share = max(1, limit // keys.OUTBOX_SHARDS)
        events: list[str] = []
        for shard in range(keys.OUTBOX_SHARDS):
            query = TableItem.by_due.query(keys.outbox_due_pk(shard), TableItem.gsi2sk <= iso(now), limit=share)
            events.extend(keys.value_of(item.pk, keys.outbox_pk) for item in query)
        return events

    def claim(self, event_id: str, now: datetime) -> ClaimedMessage | None:
        item = OutboxItem(keys.outbox_pk(event_id), keys.MESSAGE_SK)
        free = OutboxItem.lease_until.does_not_exist() | (OutboxItem.lease_until < iso(now))
        lease = uuid.uuid4().hex
        try:
            item.update(
                actions=[OutboxItem.lease_until.set(iso(now + LEASE)), OutboxItem.lease.set(lease)],
                condition=(OutboxItem.state == PENDING) & free,
            )
        except UpdateError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return None
            raise
        return ClaimedMessage(_message_from(item), int(item.attempts or 0), lease)

    def _settle(self, claimed: ClaimedMessage, actions: list[Action]) -> None:
        """Only the sender that holds the lease: one that lost it (too slow) is not heard."""
        held = (OutboxItem.state == PENDING) & (OutboxItem.lease == claimed.lease)
        with contextlib.suppress(UpdateError):
            OutboxItem(keys.outbox_pk(claimed.message.event_id), keys.MESSAGE_SK).update(
                actions=actions, condition=held
            )

    def sent(self, claimed: ClaimedMessage, now: datetime) -> None:
        self._settle(
            claimed,
            [
                OutboxItem.state.set(SENT),
                OutboxItem.sent_at.set(iso(now)),
                OutboxItem.attempts.add(1),
                *_forget_words(),
                OutboxItem.expires.set(now + EVENT_REMEMBERED),
            ],
        )

    def failed(self, claimed: ClaimedMessage, retry_at: datetime | None) -> None:
        if retry_at is None:
            self._settle(claimed, [OutboxItem.state.set(ABANDONED), OutboxItem.attempts.add(1), *_forget_words()])
        else:
            self._settle(
                claimed,
                [
                    OutboxItem.attempts.add(1),
                    OutboxItem.lease_until.remove(),
                    OutboxItem.lease.remove(),
                    OutboxItem.gsi2sk.set(iso(retry_at)),
                ],
            )

    def state(self, event_id: str) -> str | None:
        """For tests and operators: pending, sent or abandoned."""
        try:
            return str(OutboxItem.get(keys.outbox_pk(event_id), keys.MESSAGE_SK, consistent_read=True).state)
        except DoesNotExist:
            return None
