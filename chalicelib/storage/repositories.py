"""DynamoDB repositories: conditional writes and transactions, failures turned into domain errors."""

from __future__ import annotations

import functools
import json
import threading
import time
from datetime import datetime, timedelta

from pynamodb.connection import Connection
from pynamodb.exceptions import DeleteError, DoesNotExist, UpdateError
from pynamodb.expressions.condition import Condition

from chalicelib.domain.accounts import Account, Captcha, Session
from chalicelib.domain.catalog import Catalog
from chalicelib.domain.clock import iso, parse_iso
from chalicelib.domain.errors import (
    LoginTaken,
    NotFound,
    ReviewExists,
    ReviewLocked,
    ReviewNotPending,
)
from chalicelib.domain.identity import IdentityMark, IdType
from chalicelib.domain.messages import Message
from chalicelib.domain.reviews import Cet6Review, ReviewStatus
from chalicelib.domain.roll import Cet4Record, RollEntry
from chalicelib.domain.seats import SeatGrab
from chalicelib.storage import codec, figures
from chalicelib.storage.messages import outbox_item
from chalicelib.storage.models import (
    AccountItem,
    CaptchaItem,
    CatalogPartItem,
    Cet4ScoreItem,
    LoginItem,
    OutboxItem,
    ReviewItem,
    RollItem,
    SeatCounterItem,
    SessionItem,
    TableItem,
    ThrottleItem,
)
from chalicelib.storage.transactions import ConditionsFailed, Txn, error_code, run

CATALOG_CACHE_SECONDS = 30.0
RELEASE_PROOF_KEPT = timedelta(days=40)


@functools.cache
def _connection_to(region: str | None, host: str | None, pool: int) -> Connection:
    return Connection(region=region, host=host, max_pool_connections=pool)


def connection() -> Connection:
    """One connection (one botocore client) per endpoint: building a client costs milliseconds."""
    meta = TableItem.Meta
    return _connection_to(meta.region, meta.host, meta.max_pool_connections)


class DynamoCatalog:
    """The catalog, cached 30 s per Lambda. When it goes stale one thread reads it again while the
    others go on with the old copy: no herd of reloads at the opening minute."""

    def __init__(self) -> None:
        self._cached: tuple[float, Catalog] | None = None
        self._refreshing = threading.Lock()

    def catalog(self) -> Catalog:
        cached = self._cached
        if cached and time.monotonic() - cached[0] < CATALOG_CACHE_SECONDS:
            return cached[1]
        if cached is not None:
            if not self._refreshing.acquire(blocking=False):
                return cached[1]  # another thread is reading it again
        else:
            self._refreshing.acquire()  # nothing to serve yet: wait for the first read
        try:
            again = self._cached
            if again and again is not cached and time.monotonic() - again[0] < CATALOG_CACHE_SECONDS:
                return again[1]  # read meanwhile by the thread this one waited for
            catalog = codec.catalog_from_parts(list(CatalogPartItem.query("CATALOG")))
            self._cached = (time.monotonic(), catalog)
            return catalog
        finally:
            self._refreshing.release()

    def forget(self) -> None:
        """Read the catalog again at the next request: this Lambda just changed it (R-OPS-2); the
        others read it again within the cache's 30 s."""
        self._cached = None

    def identity_mark(self) -> IdentityMark | None:
        mark = read_identity_mark()
        if self._cached and self._cached[1].identity != mark:
            self._cached = None  # the province was reloaded under another key: read it all again
        return mark

    def seats_taken(self, seats: list[SeatGrab]) -> dict[SeatGrab, int]:
        """Seats taken, every shard summed (one BatchGet of all the shards); a campus whose
        counters do not exist is absent from the answer."""
        catalog = self.catalog()
        keys: dict[tuple[str, str], SeatGrab] = {}
        for seat in seats:
            campus = catalog.campuses.get(seat.campus_id)
            offering = campus.offering(seat.subject) if campus else None
            for shard in range(offering.shards if offering else 1):
                keys[(codec.seats_pk(seat.campus_id, seat.subject, shard), "SEATS")] = seat
        taken: dict[SeatGrab, int] = {}
        for item in SeatCounterItem.batch_get(list(keys)) if keys else []:
            seat = keys[(item.pk, item.sk)]
            taken[seat] = taken.get(seat, 0) + int(item.taken)
        return taken


def read_identity_mark(sk: str = "IDENTITY") -> IdentityMark | None:
    try:
        part = CatalogPartItem.get("CATALOG", sk, consistent_read=True)
    except DoesNotExist:
        return None
    return codec.identity_mark_from(json.loads(part.body))


class DynamoRoll:
    def candidate(self, id_type: IdType, id_digest: str) -> RollEntry | None:
        try:
            return codec.roll_from_item(RollItem.get(codec.roll_pk(id_type, id_digest), "ROLL"))
        except DoesNotExist:
            return None

    def cet4_record(self, ticket_number: str) -> Cet4Record | None:
        try:
            return codec.cet4_from_item(Cet4ScoreItem.get(f"TICKET#{ticket_number}", "CET4"))
        except DoesNotExist:
            return None


class DynamoAccounts:
    def create(self, account: Account) -> None:
        login = LoginItem(f"LOGIN#{account.login}", "LOGIN", account_id=account.account_id)

        def build(txn: Txn) -> None:
            # a login given up by another account is free again once its 30 days are over (R-ACC-4)
            free_again = LoginItem.retired_until < iso(account.created_at) if account.created_at else None
            taken_condition = LoginItem.pk.does_not_exist()
            txn.put("login", login, taken_condition | free_again if free_again is not None else taken_condition)
            txn.put("account", codec.account_item(account), AccountItem.pk.does_not_exist())

        try:
            run(connection(), build)
        except ConditionsFailed:
            raise LoginTaken() from None

    def by_login(self, login: str) -> Account | None:
        try:
            pointer = LoginItem.get(f"LOGIN#{login}", "LOGIN", consistent_read=True)
        except DoesNotExist:
            return None
        if pointer.retired_until:
            return None  # given up by its account (R-ACC-4): it signs nobody in
        try:  # read as written: a login changed a moment ago is already the account's
            item = AccountItem.get(codec.account_pk(pointer.account_id), "ACCOUNT", consistent_read=True)
        except DoesNotExist:
            return None
        account = codec.account_from_item(item)
        return account if account.login == login else None

    def get(self, account_id: str) -> Account | None:
        try:
            return codec.account_from_item(AccountItem.get(codec.account_pk(account_id), "ACCOUNT"))
        except DoesNotExist:
            return None

    def accept_agreement(self, account_id: str, at: datetime) -> None:
        item = AccountItem(codec.account_pk(account_id), "ACCOUNT")
        item.update(actions=[AccountItem.agreement_accepted_at.set(iso(at))], condition=AccountItem.pk.exists())

    def replace_password_hash(self, account_id: str, verified_hash: str, new_hash: str) -> bool:
        item = AccountItem(codec.account_pk(account_id), "ACCOUNT")
        try:
            item.update(
                actions=[AccountItem.password_hash.set(new_hash)],
                condition=AccountItem.password_hash == verified_hash,
            )
        except UpdateError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def remember_lookup(self, account_id: str, candidate_key: str, school_id: str) -> None:
        item = AccountItem(codec.account_pk(account_id), "ACCOUNT")
        item.update(
            actions=[AccountItem.looked_up.set(candidate_key), AccountItem.looked_up_school_id.set(school_id)],
            condition=AccountItem.pk.exists(),
        )


class DynamoSessions:
    def save(self, session: Session) -> None:
        SessionItem(
            f"SESSION#{session.token_digest}",
            "SESSION",
            account_id=session.account_id,
            expires_at=iso(session.expires_at),
            expires=session.expires_at,
            generation=session.generation,
        ).save()

    def get(self, token_digest: str) -> Session | None:
        try:
            item = SessionItem.get(f"SESSION#{token_digest}", "SESSION")
        except DoesNotExist:
            return None
        return Session(token_digest, item.account_id, parse_iso(item.expires_at), int(item.generation or 0))

    def revoke(self, token_digest: str) -> None:
        SessionItem(f"SESSION#{token_digest}", "SESSION").delete()


class DynamoCaptchas:
    def save(self, captcha: Captcha) -> None:
        CaptchaItem(
            f"CAPTCHA#{captcha.captcha_id}",
            "CAPTCHA",
            answer_digest=captcha.answer_digest,
            expires_at=iso(captcha.expires_at),
            expires=captcha.expires_at,
        ).save()

    def take(self, captcha_id: str) -> Captcha | None:
        try:
            item = CaptchaItem.get(f"CAPTCHA#{captcha_id}", "CAPTCHA")
            item.delete(condition=CaptchaItem.pk.exists())
        except (DoesNotExist, DeleteError):
            return None  # unknown, or another request took it first
        return Captcha(captcha_id, item.answer_digest, parse_iso(item.expires_at))


class DynamoThrottle:
    def add_failure(self, key: str, window_ends: datetime) -> int:
        item = ThrottleItem(f"THROTTLE#{key}#{int(window_ends.timestamp())}", "THROTTLE")
        item.update(
            actions=[
                ThrottleItem.kind.set(ThrottleItem),
                ThrottleItem.failures.add(1),
                ThrottleItem.expires.set(window_ends + timedelta(hours=1)),
            ]
        )
        return int(item.failures)

    def take(self, key: str, window_ends: datetime, limit: int) -> bool:
        """One more under `limit`, in one conditional update: requests at once never pass it."""
        item = ThrottleItem(f"THROTTLE#{key}#{int(window_ends.timestamp())}", "THROTTLE")
        try:
            item.update(
                actions=[
                    ThrottleItem.kind.set(ThrottleItem),
                    ThrottleItem.failures.add(1),
                    ThrottleItem.expires.set(window_ends + timedelta(hours=1)),
                ],
                condition=ThrottleItem.failures.does_not_exist() | (ThrottleItem.failures < limit),
            )
        except UpdateError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def failures(self, key: str, window_ends: datetime) -> int:
        try:
            item = ThrottleItem.get(f"THROTTLE#{key}#{int(window_ends.timestamp())}", "THROTTLE")
        except DoesNotExist:
            return 0
        return int(item.failures)


class DynamoReviews:
    def get(self, account_id: str) -> Cet6Review | None:
        try:
            return codec.review_from_item(ReviewItem.get(codec.account_pk(account_id), "REVIEW"))
        except DoesNotExist:
            return None

    def create(self, review: Cet6Review) -> None:
        try:
            _file_review(review, ReviewItem.pk.does_not_exist())
        except ConditionsFailed:
            raise ReviewExists() from None

    def replace_rejected(self, review: Cet6Review) -> None:
        try:
            _file_review(review, ReviewItem.status == ReviewStatus.REJECTED.value)
        except ConditionsFailed:
            raise ReviewLocked() from None

    def delete_rejected(self, account_id: str) -> None:
        if self.get(account_id) is None:
            raise NotFound("您还没有提交 CET6 资格复核申请。")
        try:
            ReviewItem(codec.account_pk(account_id), "REVIEW").delete(
                condition=ReviewItem.status == ReviewStatus.REJECTED.value
            )
        except DeleteError:
            raise ReviewLocked() from None

    def decide(self, review: Cet6Review, message: Message | None = None) -> None:
        def build(txn: Txn) -> None:
            txn.put("review", codec.review_item(review), ReviewItem.status == ReviewStatus.PENDING.value)
            figures.review_pending(txn, review.account_id, review.school_id, -1)  # R-OPS-1
            if message is not None:
                txn.put("message", outbox_item(message), OutboxItem.pk.does_not_exist())

        try:
            run(connection(), build)
        except ConditionsFailed:
            raise ReviewNotPending() from None

    def list_for_school(self, school_id: str, status: ReviewStatus) -> list[Cet6Review]:
        items = ReviewItem.by_group.query(f"REVIEWS#{school_id}#{status.value}")
        return [codec.review_from_item(item) for item in items if isinstance(item, ReviewItem)]


def _file_review(review: Cet6Review, condition: Condition) -> None:
    """A review put on `condition`; a pending one counted for its school (R-OPS-1) at once."""

    def build(txn: Txn) -> None:
        txn.put("review", codec.review_item(review), condition)
        if review.status is ReviewStatus.PENDING:
            figures.review_pending(txn, review.account_id, review.school_id, 1)

    run(connection(), build)
