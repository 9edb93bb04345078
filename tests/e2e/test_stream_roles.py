"""Least privilege for the stream's two readers (issue 25, decision 0026): each runs under its own role, and
every DynamoDB call it makes is one that role allows (tests/iam.py; the client fixture asserts no
refusal at teardown). The scheduled jobs are checked the same way through the test controls; nothing
else calls a stream reader, so these tests hand each one the images its stream would carry."""

from __future__ import annotations

from typing import Any

import boto3
from chalice.test import Client

from chalicelib.config import settings
from chalicelib.jobs.messages import send_new
from chalicelib.jobs.waitlist import seats_back
from tests import iam
from tests.e2e.http import call, captcha, new_login, new_student, registered
from tests.factories import LI, PASSPORT, QIAN, ZHANG


def items(kind: str) -> list[dict[str, Any]]:
    """The table's items of one kind, as a stream's images carry them (DynamoDB JSON)."""
    config = settings()
    table = boto3.client("dynamodb", region_name=config.region, endpoint_url=config.dynamodb_endpoint)
    found: list[dict[str, Any]] = []
    for page in table.get_paginator("scan").paginate(TableName=config.table_name):
        found += [item for item in page["Items"] if item.get("kind", {}).get("S") == kind]
    return found


def delete(image: dict[str, Any]) -> None:
    """As TTL would: the item goes, and the stream carries its old image."""
    config = settings()
    table = boto3.client("dynamodb", region_name=config.region, endpoint_url=config.dynamodb_endpoint)
    table.delete_item(TableName=config.table_name, Key={"pk": image["pk"], "sk": image["sk"]})


def choose(client: Client, token: str, subject: str, campus_id: str | None = None) -> None:
    body = {"subject": subject} if campus_id is None else {"subject": subject, "campus_id": campus_id}
    reply = call(client, "POST", "/registration/subjects", body, token)
    assert reply.status == 201, reply.text


def holder(client: Client, entry: Any) -> str:
    token = registered(client, entry)
    choose(client, token, "CET4")
    choose(client, token, "CET-SET4", "NJU-GL")
    return token


def test_least_privilege_new_messages_are_sent_under_the_message_stream_role(client: Client) -> None:
    """SendNewMessages (MessageStreamRole: UpdateItem on OUTBOX# only) sends a reset code as it
    reaches the stream (R-ACC-3, R-NOTE-1)."""
    login = new_login()
    new_student(client, login)
    reply = call(client, "POST", "/password-resets", {"login": login, **captcha(client)})
    assert reply.status == 202, reply.text
    pending = [item for item in items("outbox") if item.get("state", {}).get("S") == "pending"]
    assert pending, "the reset's message waits in the outbox"
    with iam.acting_as("MessageStreamRole"):
        report = send_new(pending)
    assert report.get("sent") == len(pending), report
    assert iam.refusals() == []


def test_least_privilege_a_ttl_deleted_hold_is_released_under_the_stream_handler_role(client: Client) -> None:
    """SeatsFromStream (SeatStreamRole) gives back the seat of an unpaid hold TTL deleted
    (R-PAY-1, R-ORAL-4): released once, and a new student can take it."""
    holders = [holder(client, entry) for entry in (ZHANG, LI, QIAN)]
    [oral] = [
        item
        for item in items("subject")
        if item.get("campus_id", {}).get("S") == "NJU-GL" and item["pk"]["S"].endswith(held_by(client, holders[0]))
    ]
    delete(oral)
    with iam.acting_as("SeatStreamRole"):
        assert seats_back([oral], [])["released"] == 1
        assert seats_back([oral], [])["released"] == 0  # released once, whichever delivery comes again
    assert iam.refusals() == []
    newcomer = registered(client, PASSPORT)
    choose(client, newcomer, "CET4")
    choose(client, newcomer, "CET-SET4", "NJU-GL")


def test_least_privilege_a_returned_seat_is_offered_under_the_offer_stream_role(client: Client) -> None:
    """SeatsFromStream (SeatStreamRole) offers a seat that comes back to the first on the waiting
    list as it reaches the stream (R-WAIT-2), and offers it once when the batch comes again."""
    holders = [holder(client, entry) for entry in (ZHANG, LI, QIAN)]
    waiting = registered(client, PASSPORT)
    choose(client, waiting, "CET4")
    joined = call(client, "POST", "/waitlist", {"subject": "CET-SET4", "campus_id": "NJU-GL"}, waiting)
    assert joined.status == 201, joined.text
    removed = call(client, "DELETE", "/registration/subjects/CET-SET4", token=holders[1])
    assert removed.status == 200, removed.text
    pending = items("pending_seat")
    assert len(pending) == 1, pending
    with iam.acting_as("SeatStreamRole"):
        report = seats_back([], pending)
        again = seats_back([], pending)
    assert report["offered"] == 1, report
    assert again["offered"] == 0, again
    assert iam.refusals() == []
    mine = call(client, "GET", "/registration", token=waiting).body
    assert ("CET-SET4", "unpaid") in [(s["code"], s["status"]) for s in mine["subjects"]]


def held_by(client: Client, token: str) -> str:
    """The account id behind a token, as its partition key ends."""
    me = call(client, "GET", "/me", token=token)
    assert me.status == 200, me.text
    return str(me.body["account_id"])
