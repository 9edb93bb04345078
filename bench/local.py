"""Where a bench runs: the DynamoDB Local at $DYNAMODB_LOCAL_ENDPOINT, or one started for the run."""

from __future__ import annotations

import os
from collections.abc import Callable

from devstack import ddb_local


def on_dynamodb_local(run: Callable[[], None]) -> None:
    """`run()` with AWS_ENDPOINT_URL_DYNAMODB set: to $DYNAMODB_LOCAL_ENDPOINT when it is set,
    else to a DynamoDB Local started here and stopped when `run` returns."""
    endpoint = os.environ.get("DYNAMODB_LOCAL_ENDPOINT")
    if endpoint:
        os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = endpoint
        run()
        return
    with ddb_local.running() as started:
        os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = started
        run()
