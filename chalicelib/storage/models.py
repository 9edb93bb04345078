"""One table per province stack; every item type is a subclass told apart by `kind`.

Keys and the reason for each are in docs/data-model.md. Nothing here opens a connection:
`chalicelib.storage.tables.bind_table` points the models at a table before first use.
"""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    DiscriminatorAttribute,
    ListAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, IncludeProjection
from pynamodb.models import Model

UNBOUND_TABLE = "cet-registration-unbound"


class ByGroupIndex(GlobalSecondaryIndex["TableItem"]):  # type: ignore[no-untyped-call]
    """GSI1: reviews by school and status (staff); oral holds by campus and subject."""

    class Meta:
        index_name = "gsi1"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class DueIndex(GlobalSecondaryIndex["TableItem"]):  # type: ignore[no-untyped-call]
    """GSI2, sparse: what falls due when (unpaid holds, registrations), sharded by account."""

    class Meta:
        index_name = "gsi2"
        projection = IncludeProjection(["kind"])  # keys, and the discriminator PynamoDB filters on

    gsi2pk = UnicodeAttribute(hash_key=True)
    gsi2sk = UnicodeAttribute(range_key=True)


class TableItem(Model):
    class Meta:
        table_name = UNBOUND_TABLE
        region: str | None = None
        host: str | None = None
        max_pool_connections = 64

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    kind = DiscriminatorAttribute()
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    expires = TTLAttribute(null=True)
    by_group = ByGroupIndex()
    by_due = DueIndex()


class CatalogPartItem(TableItem, discriminator="catalog"):
    """A province, subject, school, campus or window: small JSON bodies under one partition."""

    body = UnicodeAttribute()


class SeatCounterItem(TableItem, discriminator="seats"):
    """One shard of a campus's seats for an oral subject (domain/seats.py)."""

    campus_id = UnicodeAttribute()
    subject = UnicodeAttribute()
    capacity = NumberAttribute()
    taken = NumberAttribute(default=0)
    shard = NumberAttribute(null=True)


class SeatReleaseItem(TableItem, discriminator="seat_release"):
    """Proof that a hold's seat went back: written once, in the transaction that releases it."""

    hold_id = UnicodeAttribute()
    released_at = UnicodeAttribute()


class WaitlistHeadItem(TableItem, discriminator="waitlist_head"):
    """R-WAIT-2: how many wait for a campus + oral subject; releases read it in their condition."""

    campus_id = UnicodeAttribute()
    subject = UnicodeAttribute()
    waiting = NumberAttribute(default=0)


class WaitlistEntryItem(TableItem, discriminator="waitlist_entry"):
    """One student waiting (in the account's partition, one per oral level), in join order in GSI1."""

    account_id = UnicodeAttribute()
    campus_id = UnicodeAttribute()
    subject = UnicodeAttribute()
    level = NumberAttribute()
    joined_at = UnicodeAttribute()


class PendingSeatItem(TableItem, discriminator="pending_seat"):
    """A seat that came back while students wait: still counted on `counter`, offered to nobody yet."""

    campus_id = UnicodeAttribute()
    subject = UnicodeAttribute()
    counter = UnicodeAttribute()  # the counter's pk: the offered hold belongs to it
    released_at = UnicodeAttribute()


class RollItem(TableItem, discriminator="roll"):
    """Keyed by the number's digest; the number itself only sealed (decision 0013)."""

    id_type = UnicodeAttribute()
    id_digest = UnicodeAttribute()
    id_masked = UnicodeAttribute()
    id_sealed = UnicodeAttribute()
    name = UnicodeAttribute()
    school_id = UnicodeAttribute()
    campus_id = UnicodeAttribute()
    student_no = UnicodeAttribute()
    qualified_subjects = ListAttribute(of=UnicodeAttribute, default=list)
    cet6_barred = BooleanAttribute(default=False)
    separate_room = BooleanAttribute(null=True)  # R-ROOM-3, only where the roll gives them
    extra_minutes = NumberAttribute(null=True)


class Cet4ScoreItem(TableItem, discriminator="cet4"):
    ticket_number = UnicodeAttribute()
    id_digest = UnicodeAttribute()
    id_masked = UnicodeAttribute()
    id_sealed = UnicodeAttribute()
    name = UnicodeAttribute()
    score = NumberAttribute()
    year = NumberAttribute()


class AccountItem(TableItem, discriminator="account"):
    account_id = UnicodeAttribute()
    login = UnicodeAttribute()
    password_hash = UnicodeAttribute()
    role = UnicodeAttribute()
    school_id = UnicodeAttribute(null=True)
    agreement_accepted_at = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute(null=True)
    # Sessions of an older generation are revoked (R-ACC-3: a new password revokes them all).
    session_generation = NumberAttribute(default=0)
    looked_up_school_id = UnicodeAttribute(null=True)
    looked_up = UnicodeAttribute(null=True)  # candidate key (type#digest) of the last lookup


class LoginItem(TableItem, discriminator="login"):
    """The login's pointer to its account; a login given up stays, retired, for 30 days (R-ACC-4)."""

    account_id = UnicodeAttribute()
    retired_until = UnicodeAttribute(null=True)


class SessionItem(TableItem, discriminator="session"):
    account_id = UnicodeAttribute()
    expires_at = UnicodeAttribute()
    generation = NumberAttribute(default=0)


class CodeItem(TableItem, discriminator="code"):
    """A one-time code waiting in the account's partition: only its hash (R-ACC-3, R-ACC-4)."""

    purpose = UnicodeAttribute()
    code_digest = UnicodeAttribute()
    expires_at = UnicodeAttribute()
    target = UnicodeAttribute(null=True)
    wrong_tries = NumberAttribute(default=0)


class OutboxItem(TableItem, discriminator="outbox"):
    """A message to send, keyed by its event (R-NOTE-1); in GSI2 while waiting to be sent."""

    to = UnicodeAttribute()
    message_kind = UnicodeAttribute()
    params = UnicodeAttribute(null=True)  # JSON list; removed once sent
    code = UnicodeAttribute(null=True)  # removed once sent
    created_at = UnicodeAttribute()
    state = UnicodeAttribute()
    attempts = NumberAttribute(default=0)
    lease_until = UnicodeAttribute(null=True)
    lease = UnicodeAttribute(null=True)  # the sender holding it
    sent_at = UnicodeAttribute(null=True)
    moot_at = UnicodeAttribute(null=True)  # not sent from then on (an admission that ended)


class CaptchaItem(TableItem, discriminator="captcha"):
    answer_digest = UnicodeAttribute()
    expires_at = UnicodeAttribute()


class ThrottleItem(TableItem, discriminator="throttle"):
    failures = NumberAttribute(default=0)


class ReviewItem(TableItem, discriminator="review"):
    review_id = UnicodeAttribute()
    account_id = UnicodeAttribute()
    school_id = UnicodeAttribute()
    id_type = UnicodeAttribute()
    id_digest = UnicodeAttribute()
    id_masked = UnicodeAttribute()
    id_sealed = UnicodeAttribute()
    name = UnicodeAttribute()
    ticket_number = UnicodeAttribute()
    status = UnicodeAttribute()
    submitted_at = UnicodeAttribute()
    decided_at = UnicodeAttribute(null=True)
    note = UnicodeAttribute(default="")


class RegistrationItem(TableItem, discriminator="registration"):
    account_id = UnicodeAttribute()
    candidate_key = UnicodeAttribute()
    candidate = UnicodeAttribute()  # the roll snapshot as JSON (R-BIND-3)
    saved_at = UnicodeAttribute()
    version = NumberAttribute(default=0)


class BindingItem(TableItem, discriminator="binding"):
    account_id = UnicodeAttribute()


class SubjectItem(TableItem, discriminator="subject"):
    account_id = UnicodeAttribute()
    code = UnicodeAttribute()
    subject_kind = UnicodeAttribute()
    level = NumberAttribute()
    fee = NumberAttribute()
    status = UnicodeAttribute()
    chosen_at = UnicodeAttribute()
    pay_by = UnicodeAttribute(null=True)
    hold_id = UnicodeAttribute()
    campus_id = UnicodeAttribute(null=True)
    offered = BooleanAttribute(null=True)  # R-WAIT-2: held for the student from the waiting list
    shard = NumberAttribute(null=True)  # the seat counter shard an oral hold took
    # R-ROOM-1, R-TICKET-1: a paid written subject's seat, once the room plan gives it
    ticket_number = UnicodeAttribute(null=True)
    site_code = UnicodeAttribute(null=True)
    room = NumberAttribute(null=True)
    seat = NumberAttribute(null=True)
    separate_room = BooleanAttribute(null=True)
    extra_minutes = NumberAttribute(null=True)


class OrderItem(TableItem, discriminator="order"):
    order_id = UnicodeAttribute()
    account_id = UnicodeAttribute()
    school_id = UnicodeAttribute()
    provider = UnicodeAttribute()
    bank = UnicodeAttribute(null=True)
    subjects = UnicodeAttribute()  # JSON: the holds the order pays for
    status = UnicodeAttribute()
    created_at = UnicodeAttribute()
    expires_at = UnicodeAttribute()
    pay_url = UnicodeAttribute(default="")
    paid_at = UnicodeAttribute(null=True)
    provider_trade_no = UnicodeAttribute(null=True)
    late = UnicodeAttribute(null=True)
    candidate = UnicodeAttribute(null=True)  # JSON snapshot of the roll entry
    number = UnicodeAttribute(null=True)  # R-PAY-6; absent on orders made before it
    merchant_no = UnicodeAttribute(null=True)  # R-PAY-7: the number the provider was sent; absent before it


class OrderNumberItem(TableItem, discriminator="order_number"):
    """R-PAY-6: the claim on an order number, written once with the order: no two orders share one."""

    order_id = UnicodeAttribute()


class OpenOrderItem(TableItem, discriminator="open_order"):
    """One open order per account: this item exists while it is open."""

    order_id = UnicodeAttribute()


class DataKeyItem(TableItem, discriminator="data_key"):
    """A load's data key, wrapped by the province's KMS key: what its sealed numbers open with."""

    key_id = UnicodeAttribute()
    wrapped = UnicodeAttribute()  # base64
    wrapped_by = UnicodeAttribute()
    created_at = UnicodeAttribute()


class LoadRecordItem(TableItem, discriminator="load"):
    """A run of the province's loader (R-OPS-3): started, then complete once every row is written."""

    files = ListAttribute(of=UnicodeAttribute, default=list)  # the files' names
    started_at = UnicodeAttribute()
    completed_at = UnicodeAttribute(null=True)
    written = UnicodeAttribute(default="{}")  # JSON: rows written by file kind
    pruned = NumberAttribute(default=0)


class ChangesSettledItem(TableItem, discriminator="changes_settled"):
    """`CHANGES-SETTLED` / `MARK`: the change log up to `through` (a sort key in `CHANGES`) was settled
    by a load that wrote the file's values over it (decision 0023): later changes are kept."""

    through = UnicodeAttribute(null=True)
    load_id = UnicodeAttribute()
    at = UnicodeAttribute()


class LatePaymentItem(TableItem, discriminator="late_payment"):
    order_id = UnicodeAttribute()
    account_id = UnicodeAttribute()
    candidate_name = UnicodeAttribute()
    candidate_id = UnicodeAttribute()
    amount = NumberAttribute()
    outcome = UnicodeAttribute()
    recorded_at = UnicodeAttribute()
    number = UnicodeAttribute(null=True)  # R-PAY-7; absent on records made before it


class FigureItem(TableItem, discriminator="figure"):
    """A counter of the province's overview (R-OPS-1), in one of the figure shards; changed only
    inside the transaction that makes what it counts (storage/figures.py)."""

    value = NumberAttribute(default=0)
    amount = NumberAttribute(null=True)  # fen, on the paid orders' counter
    version = NumberAttribute(null=True)  # +1 on every write, corrections included (decision 0027)
    recounts = NumberAttribute(null=True)  # corrections a recount wrote (decision 0027)


class ChangeItem(TableItem, discriminator="change"):
    """R-OPS-2: one administrator's change, written in the change's own transaction."""

    at = UnicodeAttribute()
    by = UnicodeAttribute()  # the administrator's login
    what = UnicodeAttribute()
    before = UnicodeAttribute(null=True)  # JSON
    after = UnicodeAttribute()  # JSON


class JobLeaseItem(TableItem, discriminator="job_lease"):
    """One runner at a time for a job's work on one thing; a lease outlives the function's timeout."""

    holder = UnicodeAttribute()
    until = UnicodeAttribute()


class SittingSeedItem(TableItem, discriminator="sitting_seed"):
    """R-ROOM-2: `SITTING#<year>-<sitting>` / `SEED`: the room plan's seed, drawn at the first load
    that declares the sitting, and its digest; read by the service only."""

    seed = UnicodeAttribute()
    seed_sha256 = UnicodeAttribute()
