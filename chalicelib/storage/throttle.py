"""Failure and send counters per key and time window (R-ACC-6)."""

from __future__ import annotations

from datetime import datetime, timedelta

from pynamodb.exceptions import DoesNotExist, UpdateError

from chalicelib.storage import keys
from chalicelib.storage.models import (
    ThrottleItem,
)
from chalicelib.storage.transactions import error_code


class DynamoThrottle:
    def add_failure(self, key: str, window_ends: datetime) -> int:
        item = ThrottleItem(keys.throttle_pk(key, window_ends), keys.THROTTLE_SK)
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
        item = ThrottleItem(keys.throttle_pk(key, window_ends), keys.THROTTLE_SK)
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
            item = ThrottleItem.get(keys.throttle_pk(key, window_ends), keys.THROTTLE_SK)
        except DoesNotExist:
            return 0
        return int(item.failures)
