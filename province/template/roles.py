"""One IAM role per function, granting the table actions, indexes and keys that function uses.

Each role's access to the table is declared below as grants: an action, the table or one of its
indexes, and the partition keys (`dynamodb:LeadingKeys`) it may act on. They were traced from
the calls each function makes (docs/decisions/0026-least-privilege-and-no-test-mode-in-production.md
has the table, `python -m province roles` prints it); tests/deploy asserts them role by role, and
tests/iam.py checks every call the end-to-end tests make against them. Nothing scans the table.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from province.cfn import Json, get_att, iam_role, ref, sub
from province.description import Province

# Chalice's logical ids for the app's functions, and the role each gets.
FUNCTIONS = {
    "APIHandler": "ApiRole",
    "ExpireUnpaid": "ExpiryJobRole",
    "ReconcileOrders": "ReconcileJobRole",
    "SeatsFromStream": "SeatStreamRole",
    "SendNewMessages": "MessageStreamRole",
    "SendMessages": "SendJobRole",
    "RemindUnpaid": "ReminderJobRole",
    "AdmitQueued": "AdmissionJobRole",
    "OfferSeats": "OfferJobRole",
    # The room plan's three (chalicelib/jobs/room_plan.py), called by its state machine
    # (province/template/room_plan.py, decision 0030): one job, one role.
    "PlanBegin": "PlanJobRole",
    "PlanSeat": "PlanJobRole",
    "PlanFinish": "PlanJobRole",
}
# Roles whose functions are called synchronously (by API Gateway; by the room plan's state machine,
# which retries them and alarms on a failed execution): no failure queue to write to.
CALLED_SYNCHRONOUSLY = ("ApiRole", "PlanJobRole")

TABLE, GSI1, GSI2 = "table", "gsi1", "gsi2"


@dataclass(frozen=True)
class Grant:
    """`dynamodb:<action>` on the table or an index, for items whose partition key (the index's,
    for an index) matches one of `keys` (None: any); `attributes` limits what it may name."""

    action: str
    on: str
    keys: tuple[str, ...] | None
    attributes: tuple[str, ...] | None = None


def grants(actions: Iterable[str], keys: Iterable[str] | None, on: str = TABLE) -> list[Grant]:
    key_tuple = None if keys is None else tuple(keys)
    return [Grant(action, on, key_tuple) for action in actions]


# Giving a seat back (data model 15, 39): its release proof, or a pending seat where students wait
# for it, checked against the waiting list's head; the counter shard's `taken -= 1`.
RELEASING = [
    *grants(["PutItem"], ["RELEASE#*", "PENDING#*"]),
    *grants(["UpdateItem"], ["SEATS#*"]),
    *grants(["ConditionCheckItem"], ["WAITLIST#*"]),
]
# What the API writes: accounts and their partitions, logins, sessions, captchas, throttles, the
# decoys of unknown logins, bindings, seats, the waiting lists, orders and their numbers, late
# payments, messages, the overview's counters, and the administrator's catalog changes and log.
# Never the roll or score records, data keys, load records, openings' seeds, job leases.
API_WRITES = [
    "ACCOUNT#*",
    "LOGIN#*",
    "SESSION#*",
    "CAPTCHA#*",
    "THROTTLE#*",
    "DECOY#*",
    "CANDIDATE#*",
    "SEATS#*",
    "RELEASE#*",
    "PENDING#*",
    "WAITLIST#*",
    "ORDER#*",
    "ORDERNO#*",
    "LATE#*",
    "OUTBOX#*",
    "FIGURES#*",
    "CATALOG",
    "CHANGES",
    "ROOMPLAN#*",  # a paid written subject's sitter, written with its payment (R-ROOM-1)
]
# What the admission job writes on a queue entry (chalicelib/storage/waiting_room.py: place, admit), with
# the keys and the attributes its conditions name.
QUEUE_ENTRY_ATTRIBUTES = ("pk", "sk", "gsi1sk", "position", "round", "admitted_at", "admitted_until")

TABLE_ACCESS: dict[str, list[Grant]] = {
    # Every student, staff and administrator request; the payment providers' notifications.
    "ApiRole": [
        *grants(["GetItem", "Query", "BatchGetItem"], None),
        *grants(["Query"], None, GSI1),  # expired holds, reviews, waiting lists
        *grants(["PutItem", "UpdateItem", "DeleteItem", "ConditionCheckItem"], API_WRITES),
    ],
    # R-PAY-1, R-BIND-4: what is due (GSI2), the account's partition; holds and registrations go.
    "ExpiryJobRole": [
        *grants(["Query"], ["DUE#*"], GSI2),
        *grants(["Query", "UpdateItem", "DeleteItem"], ["ACCOUNT#*"]),
        *grants(["DeleteItem"], ["CANDIDATE#*"]),
        *grants(["UpdateItem"], ["FIGURES#*"]),
        *RELEASING,
    ],
    # R-PAY-3, R-PAY-5: open orders and refunds (GSI1); settle, re-reserve (one BatchGet of the
    # campus's shards; the registration saved again), refund, record the late payment.
    "ReconcileJobRole": [
        *grants(["Query"], ["OPENORDERS#*", "REFUNDS#*"], GSI1),
        *grants(["GetItem", "UpdateItem"], ["ORDER#*"]),
        *grants(["BatchGetItem"], ["SEATS#*"]),
        *grants(["Query", "PutItem", "UpdateItem", "DeleteItem"], ["ACCOUNT#*"]),
        *grants(["PutItem", "DeleteItem"], ["CANDIDATE#*"]),
        *grants(["PutItem"], ["LATE#*", "ROOMPLAN#*"]),  # and a paid written subject's sitter (R-ROOM-1)
        *grants(["UpdateItem"], ["FIGURES#*"]),
        *grants(["ConditionCheckItem"], ["CATALOG"]),  # the identity mark, when it saves again
        *RELEASING,
    ],
    # R-NOTE-1: a new message is leased and marked sent or failed.
    "MessageStreamRole": grants(["UpdateItem"], ["OUTBOX#*"]),
    # R-NOTE-1: what waits to be sent (GSI2's OUTBOX shards), each leased and marked.
    "SendJobRole": [*grants(["Query"], ["OUTBOX#*"], GSI2), *grants(["UpdateItem"], ["OUTBOX#*"])],
    # R-NOTE-1: registrations due soon (GSI2), their account and subjects; a reminder is added.
    "ReminderJobRole": [
        *grants(["Query"], ["DUE#*"], GSI2),
        *grants(["GetItem", "Query"], ["ACCOUNT#*"]),
        *grants(["PutItem"], ["OUTBOX#*"]),
    ],
    # R-QUEUE-2..4: the catalog's openings, the queue's shards (GSI1), each opening's progress and
    # seed; places and admissions of entries (those attributes only), progress, its own lease; the
    # admitted account's login and the admission's message (R-NOTE-2).
    "AdmissionJobRole": [
        *grants(["Query"], ["CATALOG"]),
        *grants(["Query"], ["QUEUE#*"], GSI1),
        *grants(["GetItem", "BatchGetItem", "UpdateItem"], ["OPENING#*"]),
        Grant("UpdateItem", TABLE, ("ACCOUNT#*",), QUEUE_ENTRY_ATTRIBUTES),
        *grants(["BatchGetItem"], ["ACCOUNT#*"]),
        *grants(["PutItem"], ["OUTBOX#*"]),
        *grants(["PutItem", "DeleteItem"], ["LEASE#*"]),
    ],
    # R-WAIT-2, every minute: pending seats and the lists (GSI1); the student's partition, account
    # and review, the catalog; the offer's transaction, a skip, a seat given back.
    "OfferJobRole": [
        *grants(["Query"], ["PENDING", "WAITLIST#*"], GSI1),
        *grants(["Query"], ["ACCOUNT#*", "CATALOG"]),
        *grants(["GetItem", "PutItem", "UpdateItem", "DeleteItem"], ["ACCOUNT#*"]),
        *grants(["PutItem"], ["OUTBOX#*"]),
        *grants(["UpdateItem"], ["WAITLIST#*"]),
        *grants(["DeleteItem"], ["PENDING#*"]),
        *RELEASING,
    ],
}
# The stream's reader for seats: a removed hold gives its seat back (RELEASING), and a pending seat
# the stream brings is offered as the offer job does, without ever listing the pending seats.
TABLE_ACCESS["SeatStreamRole"] = [
    *grants(["Query"], ["WAITLIST#*"], GSI1),
    *[g for g in TABLE_ACCESS["OfferJobRole"] if g.on == TABLE],
    *RELEASING,
]
# What the room plan writes on a paid written subject (chalicelib/storage/room_plan.py: the seat's
# ticket), with the keys and the attributes its condition names (code, status, ticket_number).
SUBJECT_SEAT_ATTRIBUTES = (
    "pk", "sk", "ticket_number", "site_code", "room", "seat", "separate_room", "extra_minutes", "code", "status"
)  # fmt: skip
# R-ROOM-1..3, R-TICKET-1: the catalog and the sitting's seed; the run (ROOMPLAN / RUN), each site
# and subject's sitters and seats, its summary (GSI1 `ROOMPLAN`); a seat and its ticket written by
# one transaction (Put on ROOMPLAN#…, Update on the account's subject, those attributes only).
TABLE_ACCESS["PlanJobRole"] = [
    *grants(["Query"], ["CATALOG", "ROOMPLAN#*"]),
    *grants(["GetItem"], ["SITTING#*", "ROOMPLAN"]),
    *grants(["PutItem"], ["ROOMPLAN", "ROOMPLAN#*"]),
    *grants(["UpdateItem"], ["ROOMPLAN"]),
    Grant("UpdateItem", TABLE, ("ACCOUNT#*",), SUBJECT_SEAT_ATTRIBUTES),
    *grants(["Query"], ["ROOMPLAN"], GSI1),
]


def merged(access: list[Grant]) -> list[Grant]:
    """One grant per action, place and attribute list: the keys of all of them, in order."""
    found: dict[tuple[str, str, tuple[str, ...] | None], list[str] | None] = {}
    for grant in access:
        place = (grant.action, grant.on, grant.attributes)
        keys = found.setdefault(place, [])
        if keys is None or grant.keys is None:
            found[place] = None
        else:
            keys.extend(k for k in grant.keys if k not in keys)
    return [
        Grant(action, on, tuple(keys) if keys is not None else None, attrs)
        for (action, on, attrs), keys in found.items()
    ]


def table_statements(access: list[Grant]) -> list[Json]:
    statements = []
    for grant in merged(access):
        resource = (
            get_att("ProvinceTable", "Arn") if grant.on == TABLE else sub(f"${{ProvinceTable.Arn}}/index/{grant.on}")
        )
        condition: Json = {}
        if grant.keys is not None:
            condition["ForAllValues:StringLike"] = {"dynamodb:LeadingKeys": list(grant.keys)}
        if grant.attributes is not None:
            condition["ForAllValues:StringEquals"] = {"dynamodb:Attributes": list(grant.attributes)}
        statements.append(allow([f"dynamodb:{grant.action}"], resource, condition or None))
    return statements


STREAM_READS = ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"]
STREAM_ROLES = ("SeatStreamRole", "MessageStreamRole")  # their failures: StreamFailures


def roles(province: Province) -> Json:
    key = allow(["kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"], get_att("ProvinceKey", "Arn"))
    payment_secret = allow(["secretsmanager:GetSecretValue"], secret_arn(province.payment_secret))
    messaging_secret = allow(["secretsmanager:GetSecretValue"], secret_arn(province.messaging_secret))
    secrets: dict[str, list[Json]] = {
        "ApiRole": [
            payment_secret,
            allow(["secretsmanager:GetSecretValue"], ref("IdentitySecret")),
            allow(["secretsmanager:GetSecretValue"], ref("EdgeSecret")),
            allow(["secretsmanager:GetSecretValue"], secret_arn(province.ticket_secret)),
        ],
        "ReconcileJobRole": [payment_secret],
        "MessageStreamRole": [messaging_secret],
        "SendJobRole": [messaging_secret],
    }
    if province.rehearsal:  # a staging stack's API answers the rehearsal's captchas (decision 0038)
        secrets["ApiRole"].append(allow(["secretsmanager:GetSecretValue"], ref("RehearsalSecret")))
    found: Json = {}
    for role, functions in functions_by_role().items():
        statements = table_statements(TABLE_ACCESS[role]) + secrets.get(role, [])
        if role in STREAM_ROLES:
            statements += [
                allow(STREAM_READS, get_att("ProvinceTable", "StreamArn")),
                allow(["dynamodb:ListStreams"], "*"),  # no resource-level permission exists
            ]
        if role not in CALLED_SYNCHRONOUSLY:  # the others' failures are their callers' answers
            failures = "StreamFailures" if role in STREAM_ROLES else "JobFailures"
            statements.append(allow(["sqs:SendMessage"], get_att(failures, "Arn")))
        found[role] = function_role([*statements, key], functions)
    return found


def functions_by_role() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for function, role in FUNCTIONS.items():
        found.setdefault(role, []).append(function)
    return found


def secret_arn(name: str) -> Json:
    return sub("arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:" + name + "-??????")


def allow(actions: list[str], resource: object, condition: Json | None = None) -> Json:
    statement: Json = {"Effect": "Allow", "Action": actions, "Resource": resource}
    if condition:
        statement["Condition"] = condition
    return statement


def function_role(statements: list[Json], functions: list[str]) -> Json:
    """The role of `functions` (one, but for the room plan's three): each one's log group."""
    groups = [get_att(f"{function}Logs", "Arn") for function in functions]
    logs = allow(["logs:CreateLogStream", "logs:PutLogEvents"], groups[0] if len(groups) == 1 else groups)
    return iam_role("lambda.amazonaws.com", [logs, *statements])


def markdown_table() -> str:
    """The table of docs/decisions/0026: function, role, action, where, partition keys."""
    lines = ["| function | role | action | on | partition keys (`dynamodb:LeadingKeys`) |", "|---|---|---|---|---|"]
    for role, functions in functions_by_role().items():
        function = ", ".join(functions)
        for grant in merged(TABLE_ACCESS[role]):
            keys = "any" if grant.keys is None else ", ".join(f"`{k}`" for k in grant.keys)
            if grant.attributes:
                keys += " (attributes " + ", ".join(f"`{a}`" for a in grant.attributes) + ")"
            place = "table" if grant.on == TABLE else f"index `{grant.on}`"
            lines.append(f"| {function} | {role} | {grant.action} | {place} | {keys} |")
    return "\n".join(lines)


def main(_argv: list[str]) -> int:
    """`python -m province roles`: the table, to paste into decision 0026."""
    print(markdown_table())
    return 0
