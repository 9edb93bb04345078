"""What IAM would say: every DynamoDB call made while a function's role is in force, checked
against that role's grants in province/template/roles.py (action, table or index, `dynamodb:LeadingKeys`).

moto and DynamoDB Local enforce no IAM, so a role narrower than its function's calls would pass
every other test and fail on AWS. Under `acting_as(role)` each call is taken apart as IAM does:
a transaction into its items, a BatchGet into its keys, a Query into its (index's) partition key,
an update into the attributes it names (for a grant limited by `dynamodb:Attributes`).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from fnmatch import fnmatchcase
from typing import Any

import botocore.client

from province.template.roles import TABLE, TABLE_ACCESS, merged

HASH_KEY = {TABLE: "pk", "gsi1": "gsi1pk", "gsi2": "gsi2pk"}
TRANSACT_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}
_acting: list[str] = []  # a list, not a ContextVar: the jobs' worker threads act under it too
refused: list[str] = []


@contextlib.contextmanager
def acting_as(role: str) -> Iterator[None]:
    _acting.append(role)
    try:
        yield
    finally:
        _acting.pop()


NONE: frozenset[str] = frozenset()


def attributes(body: dict[str, Any]) -> frozenset[str]:
    """The attribute names an update names (`dynamodb:Attributes`): its key's, and every name its
    expressions use (PynamoDB puts each one in ExpressionAttributeNames)."""
    return frozenset(body["Key"]) | frozenset(body.get("ExpressionAttributeNames", {}).values())


def requests(operation: str, params: dict[str, Any]) -> list[tuple[str, str, str | None, frozenset[str]]]:
    """(action, table or index, partition key value, attribute names) of each request IAM evaluates
    in a call; the names for an update only, the one action a grant here may limit by them."""
    if operation in ("GetItem", "DeleteItem"):
        return [(operation, TABLE, params["Key"]["pk"]["S"], NONE)]
    if operation == "UpdateItem":
        return [(operation, TABLE, params["Key"]["pk"]["S"], attributes(params))]
    if operation == "PutItem":
        return [(operation, TABLE, params["Item"]["pk"]["S"], NONE)]
    if operation == "BatchGetItem":
        asked = [key for request in params["RequestItems"].values() for key in request["Keys"]]
        return [(operation, TABLE, key["pk"]["S"], NONE) for key in asked]
    if operation == "TransactWriteItems":
        found = []
        for item in params["TransactItems"]:
            ((kind, body),) = item.items()
            key = body["Item"] if kind == "Put" else body["Key"]
            found.append(
                (TRANSACT_ACTIONS[kind], TABLE, key["pk"]["S"], attributes(body) if kind == "Update" else NONE)
            )
        return found
    if operation == "Query":
        on = params.get("IndexName") or TABLE
        names = params.get("ExpressionAttributeNames", {})
        values = params.get("ExpressionAttributeValues", {})
        for name, value in re.findall(r"(#\w+) = (:\w+)", params["KeyConditionExpression"]):
            if names.get(name) == HASH_KEY[on]:
                return [(operation, on, values[value]["S"], NONE)]
        return [(operation, on, None, NONE)]
    return [(operation, TABLE, None, NONE)]


def allowed(role: str, action: str, on: str, key: str | None, named: frozenset[str] = NONE) -> bool:
    return any(
        grant.action == action
        and grant.on == on
        and (grant.keys is None or (key is not None and any(fnmatchcase(key, k) for k in grant.keys)))
        and (grant.attributes is None or named <= set(grant.attributes))
        for grant in merged(TABLE_ACCESS[role])
    )


_original = botocore.client.BaseClient._make_api_call


def _checked(self: Any, operation: str, params: dict[str, Any]) -> Any:
    if _acting and self.meta.service_model.service_name == "dynamodb":
        role = _acting[-1]
        for action, on, key, named in requests(operation, params):
            if not allowed(role, action, on, key, named):
                naming = f" naming {sorted(named)}" if named else ""
                refused.append(f"{role}: dynamodb:{action} on {on} for {key}{naming}")
    return _original(self, operation, params)


def watch() -> None:
    """From now on, calls under `acting_as` are checked (idempotent)."""
    botocore.client.BaseClient._make_api_call = _checked  # type: ignore[method-assign]


def refusals() -> list[str]:
    """What IAM would have refused since the last call; forgotten once told."""
    told = sorted(set(refused))
    refused.clear()
    return told
