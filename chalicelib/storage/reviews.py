"""CET6 reviews (R-REV): one per account, decided with the message that tells the student."""

from __future__ import annotations

from pynamodb.exceptions import DeleteError, DoesNotExist
from pynamodb.expressions.condition import Condition

from chalicelib.domain.errors import (
    NotFound,
    ReviewExists,
    ReviewLocked,
    ReviewNotPending,
)
from chalicelib.domain.messages import Message
from chalicelib.domain.reviews import Cet6Review, ReviewStatus
from chalicelib.storage import codec, figures, keys
from chalicelib.storage.messages import outbox_item
from chalicelib.storage.models import (
    OutboxItem,
    ReviewItem,
)
from chalicelib.storage.tables import connection
from chalicelib.storage.transactions import ConditionsFailed, Txn, run


class DynamoReviews:
    def get(self, account_id: str) -> Cet6Review | None:
        try:
            return codec.review_from_item(ReviewItem.get(keys.account_pk(account_id), keys.REVIEW_SK))
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
            ReviewItem(keys.account_pk(account_id), keys.REVIEW_SK).delete(
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
        items = ReviewItem.by_group.query(keys.reviews_pk(school_id, status))
        return [codec.review_from_item(item) for item in items if isinstance(item, ReviewItem)]


def _file_review(review: Cet6Review, condition: Condition) -> None:
    """A review put on `condition`; a pending one counted for its school (R-OPS-1) at once."""

    def build(txn: Txn) -> None:
        txn.put("review", codec.review_item(review), condition)
        if review.status is ReviewStatus.PENDING:
            figures.review_pending(txn, review.account_id, review.school_id, 1)

    run(connection(), build)
