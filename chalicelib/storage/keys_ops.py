"""The keys of the province's operations (R-OPS): the overview's counters, the loads, the data keys
and the change log (docs/data-model.md, patterns 25, 42, 45, 49-51). What the key modules share is in
storage/keys.py's docstring.
"""

from __future__ import annotations

import zlib
from datetime import datetime
from enum import StrEnum

from chalicelib.domain.clock import SHANGHAI, iso, precise_iso
from chalicelib.domain.orders import OrderStatus

# Part of the key: changing it loses every counter written under the old count.
FIGURE_SHARDS = 16  # the overview's counters, by account (pattern 45)


# The overview's counters (patterns 45, 51)
class Figure(StrEnum):  # what a figure's sort key counts: the part before its first `#`
    SAVED = "SAVED"
    ORDERS = "ORDERS"
    PAID = "PAID"
    REVIEWS = "REVIEWS"
    LATE = "LATE"


LATE_SK = Figure.LATE.value


def figure_pk(shard: int) -> str:
    return f"FIGURES#{shard}"


def figure_shard(account_id: str) -> int:
    return zlib.crc32(account_id.encode()) % FIGURE_SHARDS


def hour_of(moment: datetime) -> datetime:
    return moment.astimezone(SHANGHAI).replace(minute=0, second=0, microsecond=0)


def saved_sk(saved_at: datetime) -> str:  # the Beijing hour a registration was saved in
    return f"SAVED#{iso(hour_of(saved_at))}"


def orders_sk(status: OrderStatus) -> str:
    return f"ORDERS#{status.value}"


def paid_sk(campus_id: str, subject: str) -> str:
    return f"PAID#{campus_id}#{subject}"


def reviews_sk(school_id: str) -> str:
    return f"REVIEWS#{school_id}"


def figure_of(sk: str) -> tuple[str, str]:  # (a `Figure`, of what: "" for LATE)
    what, _, rest = sk.partition("#")
    return what, rest


def campus_subject_of(paid: str) -> tuple[str, str]:  # what `figure_of` leaves of a PAID figure
    campus_id, _, subject = paid.partition("#")
    return campus_id, subject


# The province's records: loads, data keys, the change log (patterns 25, 42, 49, 50)
LOAD_SK = "LOAD"
DATAKEY_SK = "DATAKEY"
CHANGES_PK = "CHANGES"  # newest last by sort key
CHANGES_SETTLED_PK = "CHANGES-SETTLED"
MARK_SK = "MARK"


def load_pk(load_id: str) -> str:
    return f"LOAD#{load_id}"


def data_key_pk(key_id: str) -> str:
    return f"DATAKEY#{key_id}"


def change_sk(at: datetime, tag: str) -> str:  # tag: a few random characters, so two changes of one µs stand
    return f"{precise_iso(at)}#{tag}"
