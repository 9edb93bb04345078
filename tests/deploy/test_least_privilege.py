"""Least privilege (architecture notes, "Going live: the province stack"; issue 25): each function's
role reaches only the table's actions, indexes and partition keys that function uses. Asserted on
the stack's template, statement by statement, so that widening any one of them fails here.
docs/decisions/0026-least-privilege-and-no-test-mode-in-production.md has the same table."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from province.description import load
from province.template import FUNCTIONS, additions

ROOT = Path(__file__).resolve().parents[2]
Json = dict[str, Any]
TABLE_ARN = {"Fn::GetAtt": ["ProvinceTable", "Arn"]}
GSI1 = {"Fn::Sub": "${ProvinceTable.Arn}/index/gsi1"}
GSI2 = {"Fn::Sub": "${ProvinceTable.Arn}/index/gsi2"}
STREAM = {"Fn::GetAtt": ["ProvinceTable", "StreamArn"]}

RELEASING = {
    ("PutItem", "table", ("RELEASE#*", "PENDING#*")),
    ("UpdateItem", "table", ("SEATS#*",)),
    ("ConditionCheckItem", "table", ("WAITLIST#*",)),
}
API_WRITES = (
    "ACCOUNT#*", "LOGIN#*", "SESSION#*", "CAPTCHA#*", "THROTTLE#*", "DECOY#*", "CANDIDATE#*", "SEATS#*",
    "RELEASE#*", "PENDING#*", "WAITLIST#*", "ORDER#*", "ORDERNO#*", "LATE#*", "OUTBOX#*", "FIGURES#*",
    "CATALOG", "CHANGES", "ROOMPLAN#*",
)  # fmt: skip
OFFER_TABLE = {
    ("Query", "table", ("ACCOUNT#*", "CATALOG")),
    ("GetItem", "table", ("ACCOUNT#*",)),
    ("PutItem", "table", ("ACCOUNT#*", "OUTBOX#*", "RELEASE#*", "PENDING#*")),
    ("UpdateItem", "table", ("ACCOUNT#*", "WAITLIST#*", "SEATS#*")),
    ("DeleteItem", "table", ("ACCOUNT#*", "PENDING#*")),
    ("ConditionCheckItem", "table", ("WAITLIST#*",)),
}
# (action, where, partition keys: None for any) of every statement on the table or an index.
EXPECTED: dict[str, set[tuple[str, str, tuple[str, ...] | None]]] = {
    "ApiRole": {
        ("GetItem", "table", None),
        ("Query", "table", None),
        ("BatchGetItem", "table", None),
        ("Query", "gsi1", None),
        *{(action, "table", API_WRITES) for action in ("PutItem", "UpdateItem", "DeleteItem", "ConditionCheckItem")},
    },
    "ExpiryJobRole": {
        ("Query", "gsi2", ("DUE#*",)),
        ("Query", "table", ("ACCOUNT#*",)),
        ("UpdateItem", "table", ("ACCOUNT#*", "FIGURES#*", "SEATS#*")),
        ("DeleteItem", "table", ("ACCOUNT#*", "CANDIDATE#*")),
        ("PutItem", "table", ("RELEASE#*", "PENDING#*")),
        ("ConditionCheckItem", "table", ("WAITLIST#*",)),
    },
    "ReconcileJobRole": {
        ("Query", "gsi1", ("OPENORDERS#*", "REFUNDS#*")),
        ("GetItem", "table", ("ORDER#*",)),
        ("UpdateItem", "table", ("ORDER#*", "ACCOUNT#*", "FIGURES#*", "SEATS#*")),
        ("BatchGetItem", "table", ("SEATS#*",)),
        ("Query", "table", ("ACCOUNT#*",)),
        ("PutItem", "table", ("ACCOUNT#*", "CANDIDATE#*", "LATE#*", "ROOMPLAN#*", "RELEASE#*", "PENDING#*")),
        ("DeleteItem", "table", ("ACCOUNT#*", "CANDIDATE#*")),
        ("ConditionCheckItem", "table", ("CATALOG", "WAITLIST#*")),
    },
    "MessageStreamRole": {("UpdateItem", "table", ("OUTBOX#*",))},
    "SendJobRole": {("Query", "gsi2", ("OUTBOX#*",)), ("UpdateItem", "table", ("OUTBOX#*",))},
    "ReminderJobRole": {
        ("Query", "gsi2", ("DUE#*",)),
        ("GetItem", "table", ("ACCOUNT#*",)),
        ("Query", "table", ("ACCOUNT#*",)),
        ("PutItem", "table", ("OUTBOX#*",)),
    },
    "AdmissionJobRole": {
        ("Query", "table", ("CATALOG",)),
        ("Query", "gsi1", ("QUEUE#*",)),
        ("GetItem", "table", ("OPENING#*",)),
        ("BatchGetItem", "table", ("OPENING#*", "ACCOUNT#*")),  # the admitted accounts' logins (R-NOTE-2)
        ("UpdateItem", "table", ("OPENING#*",)),
        ("UpdateItem", "table", ("ACCOUNT#*",)),  # and only a queue entry's attributes
        ("PutItem", "table", ("OUTBOX#*", "LEASE#*")),  # the admission's message (R-NOTE-2)
        ("DeleteItem", "table", ("LEASE#*",)),
    },
    "OfferJobRole": {("Query", "gsi1", ("PENDING", "WAITLIST#*")), *OFFER_TABLE},
    # the stream's reader for seats: the offer step for a pending seat it brings, and a removed
    # hold's seat given back (RELEASING, within the offer's grants)
    "SeatStreamRole": {("Query", "gsi1", ("WAITLIST#*",)), *OFFER_TABLE},
    # R-ROOM-1..3, R-TICKET-1: PlanBegin, PlanSeat and PlanFinish (decision 0030)
    "PlanJobRole": {
        ("Query", "table", ("CATALOG", "ROOMPLAN#*")),
        ("GetItem", "table", ("SITTING#*", "ROOMPLAN")),
        ("PutItem", "table", ("ROOMPLAN", "ROOMPLAN#*")),
        ("UpdateItem", "table", ("ROOMPLAN",)),
        ("UpdateItem", "table", ("ACCOUNT#*",)),  # and only a seat's ticket attributes
        ("Query", "gsi1", ("ROOMPLAN",)),
    },
}


@pytest.fixture(scope="module")
def resources() -> Json:
    found: Json = additions(load("zhejiang", "cn-northwest-1"))["Resources"]
    return found


def statements(resources: Json, role: str) -> list[Json]:
    (policy,) = resources[role]["Properties"]["Policies"]
    found: list[Json] = policy["PolicyDocument"]["Statement"]
    return found


def actions_of(statement: Json) -> list[str]:
    return [statement["Action"]] if isinstance(statement["Action"], str) else list(statement["Action"])


def table_grants(resources: Json, role: str) -> set[tuple[str, str, tuple[str, ...] | None]]:
    """Every (action, table or index, leading keys) the role's statements on the table allow."""
    places = {json.dumps(TABLE_ARN): "table", json.dumps(GSI1): "gsi1", json.dumps(GSI2): "gsi2"}
    found = set()
    for statement in statements(resources, role):
        dynamodb = [a for a in actions_of(statement) if a.startswith("dynamodb:")]
        if not dynamodb or statement["Resource"] in (STREAM, "*"):
            continue
        resources_named = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        keys = statement.get("Condition", {}).get("ForAllValues:StringLike", {}).get("dynamodb:LeadingKeys")
        for resource in resources_named:
            place = places.get(json.dumps(resource), json.dumps(resource))
            for action in dynamodb:
                found.add((action.removeprefix("dynamodb:"), place, tuple(keys) if keys else None))
    return found


@pytest.mark.parametrize("role", sorted(EXPECTED))
def test_least_privilege_each_role_reaches_only_the_actions_indexes_and_keys_its_function_uses(
    resources: Json, role: str
) -> None:
    assert table_grants(resources, role) == EXPECTED[role]


def test_least_privilege_every_function_has_its_expected_role() -> None:
    assert set(FUNCTIONS.values()) == set(EXPECTED)


def test_least_privilege_message_job_reads_only_the_outbox_and_its_index(resources: Json) -> None:
    """Issue 25: the sending job queries GSI2's outbox shards and updates outbox items; it can
    neither scan the table nor read an account."""
    grants = table_grants(resources, "SendJobRole")
    assert not [g for g in grants if g[0] in ("Scan", "GetItem", "BatchGetItem")]
    assert all(g[2] == ("OUTBOX#*",) for g in grants)
    (query,) = [s for s in statements(resources, "SendJobRole") if "dynamodb:Query" in actions_of(s)]
    assert query["Resource"] == GSI2


def test_least_privilege_no_role_scans_batch_writes_or_names_every_index(resources: Json) -> None:
    for role in EXPECTED:
        for statement in statements(resources, role):
            assert not {"dynamodb:Scan", "dynamodb:BatchWriteItem", "dynamodb:PartiQLSelect"} & set(
                actions_of(statement)
            )
            assert "/index/*" not in json.dumps(statement["Resource"]), role


def test_least_privilege_only_the_apis_reads_are_not_limited_to_keys(resources: Json) -> None:
    """Every job's table statement names its partition keys; the API reads what a student, staff
    member or administrator may ask for, and writes no roll, score record, data key or lease."""
    for role in EXPECTED:
        unlimited = {g for g in table_grants(resources, role) if g[2] is None}
        assert unlimited == (
            EXPECTED["ApiRole"] - {g for g in EXPECTED["ApiRole"] if g[2]} if role == "ApiRole" else set()
        )
    writes = {g for g in table_grants(resources, "ApiRole") if g[0] not in ("GetItem", "Query", "BatchGetItem")}
    assert {key for g in writes for key in g[2] or ("*",)} & {
        "ROLL#*",
        "TICKET#*",
        "DATAKEY#*",
        "LOAD#*",
        "LEASE#*",
        "*",
    } == set()


def test_least_privilege_the_admission_job_names_only_queue_entry_attributes_on_accounts(resources: Json) -> None:
    (entry,) = [
        s
        for s in statements(resources, "AdmissionJobRole")
        if s.get("Condition", {}).get("ForAllValues:StringLike", {}).get("dynamodb:LeadingKeys") == ["ACCOUNT#*"]
    ]
    assert actions_of(entry) == ["dynamodb:UpdateItem"]
    assert set(entry["Condition"]["ForAllValues:StringEquals"]["dynamodb:Attributes"]) == {
        "pk", "sk", "gsi1sk", "position", "round", "admitted_at", "admitted_until"
    }  # fmt: skip


def test_least_privilege_the_decision_record_shows_the_roles_as_declared() -> None:
    from province.template.roles import markdown_table

    record = (ROOT / "docs/decisions/0026-least-privilege-and-no-test-mode-in-production.md").read_text("utf-8")
    assert markdown_table() in record, "run `python -m province roles` and paste its table into decision 0026"


def test_least_privilege_the_room_plan_role_writes_on_a_students_subject_only_the_seats_ticket(
    resources: Json,
) -> None:
    """R-ROOM-1, R-TICKET-1: the plan's functions write runs, seats and summaries (ROOMPLAN…) and,
    on a student's subject, only the seat's ticket; they read no secret and have no failure queue
    (the state machine calls them and retries them); the three share the one role."""
    (ticket,) = [
        s
        for s in statements(resources, "PlanJobRole")
        if s.get("Condition", {}).get("ForAllValues:StringLike", {}).get("dynamodb:LeadingKeys") == ["ACCOUNT#*"]
    ]
    assert actions_of(ticket) == ["dynamodb:UpdateItem"]
    assert set(ticket["Condition"]["ForAllValues:StringEquals"]["dynamodb:Attributes"]) == {
        "pk", "sk", "ticket_number", "site_code", "room", "seat", "separate_room", "extra_minutes", "code", "status"
    }  # fmt: skip
    others = {a for s in statements(resources, "PlanJobRole") for a in actions_of(s) if not a.startswith("dynamodb:")}
    assert others == {
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "kms:Decrypt",
        "kms:GenerateDataKey",
        "kms:DescribeKey",
    }
    assert {f for f, role in FUNCTIONS.items() if role == "PlanJobRole"} == {"PlanBegin", "PlanSeat", "PlanFinish"}
    (logs,) = [s for s in statements(resources, "PlanJobRole") if "logs:PutLogEvents" in actions_of(s)]
    assert logs["Resource"] == [{"Fn::GetAtt": [f"{f}Logs", "Arn"]} for f in ("PlanBegin", "PlanSeat", "PlanFinish")]


def test_least_privilege_the_stream_reader_for_seats_may_give_a_removed_holds_seat_back(resources: Json) -> None:
    """R-PAY-1, R-WAIT-2: one reader of the stream gives removed holds' seats back and offers
    returned seats; its grants cover every write of a release (proof, pending seat, counter,
    the waiting list's head checked)."""
    grants = table_grants(resources, "SeatStreamRole")
    for action, place, keys in RELEASING:
        assert any(g[0] == action and g[1] == place and set(keys) <= set(g[2] or ()) for g in grants), action
