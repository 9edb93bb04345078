"""Every key of the table is built, and read back, in the key modules and nowhere else
(docs/data-model.md, by pattern). This one holds the registration season's: the catalog, the roll,
accounts, registrations, seats, the waiting list, orders, the waiting room and the outbox;
storage/keys_ops.py the province's operations' (R-OPS); storage/keys_room_plan.py the exam
sitting's and the room plan's (R-ROOM, R-TICKET).

Partition keys end in `_pk`, sort keys in `_sk`; GSI keys are marked so. An `f"ORDER#…"` anywhere
else would be a second definition of the data model (tests/unit/test_storage_keys.py fails on it).
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Callable
from datetime import datetime
from enum import StrEnum

from chalicelib.domain.catalog import SubjectKind
from chalicelib.domain.clock import iso, precise_iso
from chalicelib.domain.identity import IdType
from chalicelib.domain.recovery import CodePurpose
from chalicelib.domain.registration import ChosenSubject, slot_of
from chalicelib.domain.reviews import ReviewStatus

# Shard counts are part of the keys: changing one loses every item written under the old count.
DUE_SHARDS = 16  # GSI2 expiry queue, by account (pattern 18)
ORDER_QUEUE_SHARDS = 16  # GSI1 open orders and refunds, by order (pattern 24)
OUTBOX_SHARDS = 4  # GSI2 messages waiting, by event (pattern 31)
QUEUE_SHARDS = 32  # GSI1 of an opening's queue: ~32,000 index writes/s at the joining peak (pattern 35)

# The catalog (patterns 1, 25, 33, 47, 50)
CATALOG_PK = "CATALOG"
PROVINCE_SK = "PROVINCE"
IDENTITY_SK = "IDENTITY"
IDENTITY_PENDING_SK = "IDENTITY-PENDING"  # the mark a conversion is converting to, until it is done
EXAM_SK = "EXAM"  # the exam sitting (R-ROOM-1); its seed is in its own partition (keys_room_plan.py)


class CatalogPart(StrEnum):  # what a catalog sort key with an id names: the part before its first `#`
    SUBJECT = "SUBJECT"
    SCHOOL = "SCHOOL"
    CAMPUS = "CAMPUS"
    WINDOW = "WINDOW"
    OPENING = "OPENING"


def subject_part_sk(code: str) -> str:
    return f"SUBJECT#{code}"


def school_part_sk(school_id: str) -> str:
    return f"SCHOOL#{school_id}"


def campus_part_sk(campus_id: str) -> str:
    return f"CAMPUS#{campus_id}"


def window_parts_prefix(school_id: str) -> str:  # `begins_with` of a school's windows
    return f"WINDOW#{school_id}#"


def window_part_sk(school_id: str, n: int) -> str:
    return f"{window_parts_prefix(school_id)}{n}"


def opening_part_sk(opening_id: str) -> str:
    return f"OPENING#{opening_id}"


def part_of(sk: str) -> str:  # a `CatalogPart`, or `PROVINCE`, `IDENTITY`, `EXAM` as they are
    return sk.split("#", 1)[0]


def value_of(key: str, builder: Callable[[str], str]) -> str:
    """What `builder` put into `key`: `value_of(pk, account_pk)` is the account id."""
    return key.removeprefix(builder(""))


# The roll and the score records (patterns 3, 4, 41, 43)
ROLL_SK = "ROLL"
CET4_SK = "CET4"


def roll_pk(id_type: IdType, id_digest: str) -> str:
    return f"ROLL#{id_type.value}#{id_digest}"


def candidate_of_roll(pk: str) -> str:  # the candidate key, `id_type#digest`
    return pk.removeprefix("ROLL#")


def ticket_pk(ticket_number: str) -> str:
    return f"TICKET#{ticket_number}"


# Logins, sessions, captchas, throttles (patterns 5-8a, 30)
LOGIN_SK = "LOGIN"
SESSION_SK = "SESSION"
CAPTCHA_SK = "CAPTCHA"
THROTTLE_SK = "THROTTLE"


def login_pk(login: str) -> str:
    return f"LOGIN#{login}"


def session_pk(token_digest: str) -> str:
    return f"SESSION#{token_digest}"


def captcha_pk(captcha_id: str) -> str:
    return f"CAPTCHA#{captcha_id}"


def throttle_pk(key: str, window_ends: datetime) -> str:
    return f"THROTTLE#{key}#{int(window_ends.timestamp())}"


# The account's partition (pattern 12); a reset for a login with no account writes a decoy (29)
ACCOUNT_SK = "ACCOUNT"
REVIEW_SK = "REVIEW"
REGISTRATION_SK = "REGISTRATION"
OPENORDER_SK = "OPENORDER"


def account_pk(account_id: str) -> str:
    return f"ACCOUNT#{account_id}"


def decoy_pk(key: str) -> str:
    return f"DECOY#{key}"


def code_sk(purpose: CodePurpose) -> str:
    return f"CODE#{purpose.value}"


def reviews_pk(school_id: str, status: ReviewStatus) -> str:  # GSI1 (pattern 10)
    return f"REVIEWS#{school_id}#{status.value}"


def review_order_sk(submitted_at: datetime, review_id: str) -> str:  # GSI1, oldest first
    return f"{iso(submitted_at)}#{review_id}"


def subject_sk(slot: str) -> str:  # by slot (`written#4`): one subject per kind and level (R-WRIT-2)
    return f"SUBJECT#{slot}"


def written_subject_sk(level: int) -> str:  # the written subject a seat's ticket is written onto (55)
    return subject_sk(slot_of(SubjectKind.WRITTEN, level))


def holds_pk(campus_id: str, subject: str) -> str:  # GSI1: every shard's holds (pattern 16)
    return f"HOLDS#{campus_id}#{subject}"


def hold_order_sk(pay_by: datetime | None, hold_id: str) -> str:  # GSI1; none (paid late): `None#…`, last
    return f"{iso(pay_by) if pay_by else None}#{hold_id}"


def due_pk(shard: int) -> str:  # GSI2, the expiry queue (pattern 18)
    return f"DUE#{shard}"


def due_sk(due: datetime, account_id: str, what: str) -> str:  # what: the slot, or REGISTRATION
    return f"{iso(due)}#{account_id}#{what}"


def due_keys(account_id: str, due: datetime | None, what: str) -> tuple[str | None, str | None]:
    """GSI2 by account, so the opening minute spreads over partitions; none when nothing is due."""
    if due is None:
        return None, None
    return due_pk(zlib.crc32(account_id.encode()) % DUE_SHARDS), due_sk(due, account_id, what)


# The candidate's partition: binding and queue claims (patterns 11, 34, 43)
BINDING_SK = "BINDING"


def candidate_pk(candidate: str) -> str:  # the candidate key, `id_type#digest` (decision 0013)
    return f"CANDIDATE#{candidate}"


# Seat counter shards (decision 0019), releases, pending seats (patterns 2, 15, 39, 46, 48)
SEATS_SK = "SEATS"
RELEASE_SK = "RELEASE"
PENDING_SK = "PENDING"
PENDING_SEATS = "PENDING"  # GSI1 pk of every pending seat, oldest first (the offer job's queue)


def seats_pk(campus_id: str, subject: str, shard: int) -> str:
    return f"SEATS#{campus_id}#{subject}#{shard}"


def unsharded_seats_pk(campus_id: str, subject: str) -> str:  # before shards: folded into shard 0
    return f"SEATS#{campus_id}#{subject}"


def seat_shard_of(counter: str, campus_id: str, subject: str) -> int:
    """The shard a counter names; ValueError when it is no shard of this campus + subject."""
    prefix = seats_pk(campus_id, subject, 0).removesuffix("0")
    shard = counter.removeprefix(prefix)
    if not counter.startswith(prefix) or not shard.isdigit():
        raise ValueError(f"{counter} is not a seat counter shard of {campus_id} {subject}")
    return int(shard)


def counter_key(hold: ChosenSubject) -> str:
    """The shard a hold counts on (taken, released, offered); one stored before shards, shard 0."""
    assert hold.campus_id is not None, "only an oral hold counts on a seat counter"
    return seats_pk(hold.campus_id, hold.code, hold.shard or 0)


def counters_of(campus_id: str, subject: str, shards: int) -> list[str]:
    return [seats_pk(campus_id, subject, n) for n in range(max(1, shards))]


def release_pk(hold_id: str) -> str:
    return f"RELEASE#{hold_id}"


def pending_seat_pk(offer_id: str) -> str:
    return f"PENDING#{offer_id}"


def pending_order_sk(released_at: datetime, offer_id: str) -> str:  # GSI1, under PENDING_SEATS
    return f"{iso(released_at)}#{offer_id}"


# The waiting list (patterns 37, 38, 40)
HEAD_SK = "HEAD"
WAITLIST_ENTRIES_PREFIX = "WAIT#"


def waitlist_pk(campus_id: str, subject: str) -> str:  # the head's pk, the entries' GSI1 pk
    return f"WAITLIST#{campus_id}#{subject}"


def waitlist_entry_sk(level: int) -> str:  # one entry per oral level (R-WAIT-1)
    return f"{WAITLIST_ENTRIES_PREFIX}{level}"


def waitlist_order_sk(joined_at: datetime, account_id: str) -> str:  # GSI1: to the µs, then the account
    return f"{precise_iso(joined_at)}#{account_id}"


# Orders (patterns 20-27)
ORDER_SK = "ORDER"
ORDERNO_SK = "ORDERNO"
ORDER_ENTRIES_PREFIX = "ORDER#"  # `begins_with` of the account's copies of its orders


def order_pk(order_id: str) -> str:
    return f"ORDER#{order_id}"


def order_entry_sk(created_at: datetime, order_id: str) -> str:  # newest first, reversed (R-PAY-6)
    return f"{ORDER_ENTRIES_PREFIX}{precise_iso(created_at)}#{order_id}"


def order_number_pk(number: str) -> str:
    return f"ORDERNO#{number}"


def open_orders_pk(shard: int) -> str:  # GSI1, for the reconcile job
    return f"OPENORDERS#{shard}"


def refunds_pk(shard: int) -> str:  # GSI1, refunds not confirmed yet (R-PAY-5)
    return f"REFUNDS#{shard}"


def order_queue_keys(queue: Callable[[int], str], created_at: datetime, order_id: str) -> tuple[str, str]:
    """GSI1 keys of an order in `queue` (`open_orders_pk` or `refunds_pk`), sharded by order."""
    return queue(zlib.crc32(order_id.encode()) % ORDER_QUEUE_SHARDS), f"{iso(created_at)}#{order_id}"


def late_pk(school_id: str) -> str:
    return f"LATE#{school_id}"


def late_sk(order_id: str) -> str:
    return f"ORDER#{order_id}"


# Openings and their queue (patterns 33-36)
SEED_SK = "SEED"
PROGRESS_SK = "PROGRESS"
LEASE_SK = "LEASE"
ARRIVALS_PREFIX = "J#"  # `begins_with` of the entries not placed yet
PLACES_PREFIX = "P#"  # `begins_with` of the entries placed


def opening_pk(opening_id: str) -> str:
    return f"OPENING#{opening_id}"


def queue_sk(opening_id: str) -> str:  # the entry in the account's partition, the claim in the candidate's
    return f"QUEUE#{opening_id}"


def queue_place_sk(opening_id: str, position: int) -> str:  # a place an entry held before re-joining
    return f"QUEUE#{opening_id}#PLACE#{position}"


def queue_shard_of(account_id: str) -> int:
    return zlib.crc32(account_id.encode()) % QUEUE_SHARDS


def queue_shard_pk(opening_id: str, shard: int) -> str:  # GSI1
    return f"QUEUE#{opening_id}#{shard}"


def place_sk(position: int) -> str:  # GSI1: ten digits, so places sort as numbers
    return f"{PLACES_PREFIX}{position:010d}"


def arrival_sk(joined_at: datetime, account_id: str) -> str:  # GSI1, until placed: arrival order
    return f"{ARRIVALS_PREFIX}{precise_iso(joined_at)}#{account_id}"


def lease_pk(name: str) -> str:  # the admission job's is `ADMIT#<opening>` (services/waiting_room_admission.py)
    return f"LEASE#{name}"


# The outbox (pattern 31)
MESSAGE_SK = "MESSAGE"


def outbox_pk(event_id: str) -> str:
    return f"OUTBOX#{event_id}"


def outbox_shard(event_id: str) -> int:
    return int(hashlib.sha256(event_id.encode()).hexdigest(), 16) % OUTBOX_SHARDS


def outbox_due_pk(shard: int) -> str:  # GSI2, the messages waiting
    return f"OUTBOX#{shard}"
