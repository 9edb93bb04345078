"""The table's stream has at most two readers (issue 21: DynamoDB Streams throttles a shard read by
more): one for seats, whose batch gives removed holds' seats back and offers new pending seats
(R-PAY-1, R-WAIT-2), and one for new messages (R-NOTE-1)."""

from __future__ import annotations

from typing import Any

import pytest
from chalice.app import DynamoDBEventConfig

import app as application
from chalicelib.jobs import waitlist as waitlist_jobs

HOLD = {"pk": {"S": "ACCOUNT#a1"}, "sk": {"S": "SUBJECT#CET4"}, "kind": {"S": "subject"}}
PENDING = {"pk": {"S": "PENDING#p1"}, "sk": {"S": "PENDING"}, "kind": {"S": "pending_seat"}}


def record(name: str, old: dict[str, Any] | None, new: dict[str, Any] | None) -> dict[str, Any]:
    """One record of the stream, as Lambda hands it to the function."""
    images: dict[str, Any] = {
        "ApproximateCreationDateTime": 1_765_000_000,
        "Keys": {"pk": (old or new or {})["pk"], "sk": (old or new or {})["sk"]},
        "SequenceNumber": "1",
        "SizeBytes": 100,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    }
    if old is not None:
        images["OldImage"] = old
    if new is not None:
        images["NewImage"] = new
    return {
        "eventName": name,
        "eventID": "e1",
        "awsRegion": "cn-northwest-1",
        "eventSourceARN": "arn:aws-cn:dynamodb:cn-northwest-1:0:table/t/stream/s",
        "dynamodb": images,
    }


def test_r_wait_2_the_table_stream_has_at_most_two_readers() -> None:
    readers = [source for source in application.app.event_sources if isinstance(source, DynamoDBEventConfig)]
    assert sorted(reader.name for reader in readers) == ["seats_from_stream", "send_new_messages"]
    assert len({reader.stream_arn for reader in readers}) == 1


def test_r_wait_2_the_seat_reader_gives_removed_holds_back_and_offers_new_pending_seats(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Removals (an old image alone) go to the release, inserts (a new image alone) to the offer
    step; an update (both images) to neither."""
    seen: dict[str, list[dict[str, Any]]] = {}

    def release(images: list[dict[str, Any]]) -> int:
        seen["released"] = images
        return len(images)

    def offer(images: list[dict[str, Any]]) -> dict[str, int]:
        seen["offered"] = images
        return {"offered": len(images)}

    monkeypatch.setattr(waitlist_jobs, "handle_removed", release)
    monkeypatch.setattr(waitlist_jobs, "offer_new", offer)
    event = {
        "Records": [
            record("REMOVE", HOLD, None),
            record("INSERT", None, PENDING),
            record("MODIFY", HOLD, {**HOLD, "status": {"S": "paid"}}),
        ]
    }
    waitlist_jobs.seats_from_stream(event, None)  # as Lambda calls it: the event, a context
    assert seen == {"released": [HOLD], "offered": [PENDING]}


def test_r_wait_2_a_failed_release_fails_the_batch_so_that_it_is_tried_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """The batch fails whole (the mapping splits and retries it, then gives it to StreamFailures):
    nothing is offered past a release that failed, and both are safe to run again."""
    offered: list[Any] = []

    def release(images: list[dict[str, Any]]) -> int:
        raise RuntimeError("the table refused")

    monkeypatch.setattr(waitlist_jobs, "handle_removed", release)
    monkeypatch.setattr(waitlist_jobs, "offer_new", offered.append)
    with pytest.raises(RuntimeError):
        waitlist_jobs.seats_from_stream({"Records": [record("REMOVE", HOLD, None)]}, None)
    assert offered == []
