"""Read the table's stream the way Lambda would: REMOVE records to the seat-releasing handler,
new items to the message sender.

`chalice local` and the local stack have no event sources: this poller plays that part for the
local stack and for the tests (DynamoDB Local deletes TTL-expired items within seconds, and its
stream records of those deletions carry no `userIdentity`, unlike AWS's, and the event name
`UNKNOWN_TO_SDK_VERSION` instead of REMOVE: a removal is told by an old image without a new one).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3

Handler = Callable[[list[dict[str, Any]]], int]
NewHandler = Callable[[list[dict[str, Any]]], object]


class StreamPoller:
    def __init__(self, endpoint: str | None, region: str, table_name: str) -> None:
        dynamodb = boto3.client("dynamodb", region_name=region, endpoint_url=endpoint)
        self._streams = boto3.client("dynamodbstreams", region_name=region, endpoint_url=endpoint)
        self._arn = dynamodb.describe_table(TableName=table_name)["Table"]["LatestStreamArn"]
        self._iterators: dict[str, str | None] = {}

    def _refresh_shards(self) -> None:
        shards = self._streams.describe_stream(StreamArn=self._arn)["StreamDescription"].get("Shards", [])
        for shard in shards:
            shard_id = shard["ShardId"]
            if shard_id not in self._iterators:
                self._iterators[shard_id] = self._streams.get_shard_iterator(
                    StreamArn=self._arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
                )["ShardIterator"]

    def poll_once(self, handler: Handler, on_new: NewHandler | None = None) -> int:
        """Read what is new on every shard: removals go to `handler`, new items to `on_new`
        (as AWS gives every record to each of the table's stream handlers); returns how many
        removals there were."""
        removed, created = self.read_new()
        if removed:
            handler(removed)
        if created and on_new is not None:
            on_new(created)
        return len(removed)

    def read_new(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """What is new on every shard: the old images of removed items, the new images of new ones."""
        self._refresh_shards()
        removed: list[dict[str, Any]] = []
        created: list[dict[str, Any]] = []
        for shard_id, iterator in list(self._iterators.items()):
            if iterator is None:
                continue
            answer = self._streams.get_records(ShardIterator=iterator, Limit=1000)
            self._iterators[shard_id] = answer.get("NextShardIterator")
            for record in answer.get("Records", []):
                images = record.get("dynamodb", {})
                if images.get("OldImage") and not images.get("NewImage"):  # see is_removal
                    removed.append(images["OldImage"])
                elif images.get("NewImage") and not images.get("OldImage"):
                    created.append(images["NewImage"])
        return removed, created
