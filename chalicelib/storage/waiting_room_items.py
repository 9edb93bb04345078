"""A student's place in an opening's queue, and what the admission job keeps on the opening."""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute, UnicodeAttribute

from chalicelib.storage.models import TableItem


class QueueEntryItem(TableItem, discriminator="queue_entry"):
    """A student's place in an opening's queue (R-QUEUE-2), in the account's partition; in GSI1
    under a shard of the opening, by arrival (`J#`) until the admission job gives it a place (`P#`)."""

    account_id = UnicodeAttribute()
    opening_id = UnicodeAttribute()
    joined_at = UnicodeAttribute()  # to the microsecond: arrival order
    round = NumberAttribute(default=0)  # re-joins after a lapsed admission (R-QUEUE-4)
    position = NumberAttribute(null=True)
    admitted_at = UnicodeAttribute(null=True)
    admitted_until = UnicodeAttribute(null=True)
    candidate = UnicodeAttribute(null=True)  # the candidate's key: the entry is that candidate's


class QueuePlaceItem(TableItem, discriminator="queue_place"):
    """R-QUEUE-6: a place an entry held before it was replaced (a re-join after a lapse, or a new
    candidate bound to the account), kept in GSI1 at that place so the published order keeps it:
    `ACCOUNT#<id>` / `QUEUE#<opening>#PLACE#<position>`, under the entry's shard."""

    account_id = UnicodeAttribute()
    position = NumberAttribute()


class QueueClaimItem(TableItem, discriminator="queue_claim"):
    """`CANDIDATE#<key>` / `QUEUE#<opening>`: the candidate's one entry in the opening (R-QUEUE-2),
    written in the same transaction as the entry: which account's partition holds it, which round."""

    account_id = UnicodeAttribute()
    round = NumberAttribute(default=0)


class OpeningProgressItem(TableItem, discriminator="opening"):
    """What the admission job keeps on an opening: counts, and the seed's digest (then the seed)."""

    opening_id = UnicodeAttribute()
    seed_sha256 = UnicodeAttribute()
    seed = UnicodeAttribute(null=True)  # copied here by the job once `opens_at` has passed
    queued = NumberAttribute(default=0)
    admitted = NumberAttribute(default=0)
    ordered = NumberAttribute(null=True)  # the pre-opening pool's size, once ordered
    positioned = NumberAttribute(default=0)


class OpeningSeedItem(TableItem, discriminator="opening_seed"):
    """R-QUEUE-3: the seed, drawn at the first load, read only by the service."""

    seed = UnicodeAttribute()
