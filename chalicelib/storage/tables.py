"""Binding the models to a table, and creating that table where the stack makes its own."""

from __future__ import annotations

import functools
from typing import Any

from pynamodb.connection import Connection

from chalicelib.config import Settings
from chalicelib.storage import models, room_plan_items, waiting_room_items
from chalicelib.storage.models import TableItem

# Every item class, so that all are registered with `TableItem` before the table is used.
ALL_MODELS: tuple[type[TableItem], ...] = (
    models.TableItem,
    models.CatalogPartItem,
    models.SeatCounterItem,
    models.SeatReleaseItem,
    models.RollItem,
    models.Cet4ScoreItem,
    models.AccountItem,
    models.LoginItem,
    models.SessionItem,
    models.CaptchaItem,
    models.ThrottleItem,
    models.ReviewItem,
    models.RegistrationItem,
    models.BindingItem,
    models.SubjectItem,
    models.OrderItem,
    models.OrderNumberItem,
    models.OpenOrderItem,
    models.LatePaymentItem,
    models.DataKeyItem,
    models.LoadRecordItem,
    models.ChangesSettledItem,
    models.CodeItem,
    models.OutboxItem,
    waiting_room_items.QueueEntryItem,
    waiting_room_items.QueueClaimItem,
    waiting_room_items.QueuePlaceItem,
    waiting_room_items.OpeningProgressItem,
    waiting_room_items.OpeningSeedItem,
    models.JobLeaseItem,
    models.SittingSeedItem,
    models.WaitlistHeadItem,
    models.WaitlistEntryItem,
    models.PendingSeatItem,
    models.FigureItem,
    models.ChangeItem,
    room_plan_items.SitterItem,
    room_plan_items.PlanSeatItem,
    room_plan_items.PlanGroupItem,
    room_plan_items.PlanRunItem,
)


def model_meta(**changes: Any) -> None:
    """Point every model at a table (see tables.bind_table)."""
    for model in ALL_MODELS:
        for name, value in changes.items():
            setattr(model.Meta, name, value)
        model._connection = None
    # One table, one connection: a botocore client per model class would cost ~0.1 s each.
    shared = TableItem._get_connection()
    for model in ALL_MODELS:
        model._connection = shared


def bind_table(settings: Settings) -> None:
    model_meta(table_name=settings.table_name, region=settings.region, host=settings.dynamodb_endpoint)


def table_definition(table_name: str, *, stream: bool = True) -> dict[str, Any]:
    """The table as docs/data-model.md describes it; deploy templates use the same shape. Without
    `stream` only for tests that read no stream: on DynamoDB Local a table with a stream is markedly
    slower to write (README, Tests)."""
    string_keys = ("pk", "sk", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk")
    return {
        "TableName": table_name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": k, "AttributeType": "S"} for k in string_keys],
        "KeySchema": [
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": "gsi1",
                "KeySchema": [
                    {"AttributeName": "gsi1pk", "KeyType": "HASH"},
                    {"AttributeName": "gsi1sk", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            },
            {
                "IndexName": "gsi2",
                "KeySchema": [
                    {"AttributeName": "gsi2pk", "KeyType": "HASH"},
                    {"AttributeName": "gsi2sk", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["kind"]},
            },
        ],
        "StreamSpecification": (
            {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"} if stream else {"StreamEnabled": False}
        ),
    }


def create_table(settings: Settings, *, ttl: bool = True, stream: bool = True) -> None:
    """Create the table (with TTL on `expires` unless `ttl` is false, with its stream unless `stream`
    is false) unless it exists; for local stacks and tests."""
    import boto3  # admin and test use only: the Lambda never creates tables

    client = boto3.client("dynamodb", region_name=settings.region, endpoint_url=settings.dynamodb_endpoint)
    if not _exists(client, settings.table_name):
        client.create_table(**table_definition(settings.table_name, stream=stream))
        client.get_waiter("table_exists").wait(TableName=settings.table_name)
        if ttl:
            enable_ttl(settings)
    bind_table(settings)


def enable_ttl(settings: Settings) -> None:
    """TTL on `expires`. On DynamoDB Local this starts the table's TTL sweeper (see
    docs/decisions/0011-dynamodb-local-ttl-in-tests.md)."""
    import boto3

    client = boto3.client("dynamodb", region_name=settings.region, endpoint_url=settings.dynamodb_endpoint)
    client.update_time_to_live(
        TableName=settings.table_name,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"},
    )


def _exists(client: Any, table_name: str) -> bool:
    try:
        client.describe_table(TableName=table_name)
    except client.exceptions.ResourceNotFoundException:
        return False
    return True


def drop_table(settings: Settings) -> None:
    import boto3

    client = boto3.client("dynamodb", region_name=settings.region, endpoint_url=settings.dynamodb_endpoint)
    client.delete_table(TableName=settings.table_name)
    TableItem._connection = None


@functools.cache
def _connection_to(region: str | None, host: str | None, pool: int) -> Connection:
    return Connection(region=region, host=host, max_pool_connections=pool)


def connection() -> Connection:
    """One connection (one botocore client) per endpoint: building a client costs milliseconds."""
    meta = TableItem.Meta
    return _connection_to(meta.region, meta.host, meta.max_pool_connections)
