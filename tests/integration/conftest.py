"""The storage contract runs on moto and on DynamoDB Local; concurrency only on DynamoDB Local."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from chalicelib.config import Settings, settings
from chalicelib.storage.tables import create_table, drop_table
from devstack import ddb_local


@pytest.fixture(scope="session")
def dynamodb_local_endpoint() -> Iterator[str]:
    """`make test` starts DynamoDB Local and passes its endpoint; plain pytest starts its own."""
    given = os.environ.get("DYNAMODB_LOCAL_ENDPOINT")
    if given:
        yield given
        return
    try:
        with ddb_local.running() as endpoint:
            yield endpoint
    except ddb_local.DynamoDBLocalMissing as missing:
        pytest.fail(f"DynamoDB Local is required for these tests and is not available: {missing}")


def _fresh_table(monkeypatch: pytest.MonkeyPatch, endpoint: str | None) -> Settings:
    monkeypatch.setenv("TABLE_NAME", f"cet-test-{uuid.uuid4().hex[:12]}")
    if endpoint:
        monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", endpoint)
    else:
        monkeypatch.delenv("AWS_ENDPOINT_URL_DYNAMODB", raising=False)
    config = settings()
    create_table(config)
    return config


@pytest.fixture
def local_table(monkeypatch: pytest.MonkeyPatch, dynamodb_local_endpoint: str) -> Iterator[Settings]:
    config = _fresh_table(monkeypatch, dynamodb_local_endpoint)
    yield config
    drop_table(config)


@pytest.fixture(params=["moto", "dynamodb_local"])
def table(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """The same contract on both backends (style habit 6)."""
    if request.param == "moto":
        from moto import mock_aws

        with mock_aws():
            yield _fresh_table(monkeypatch, None)
        return
    endpoint = request.getfixturevalue("dynamodb_local_endpoint")
    config = _fresh_table(monkeypatch, endpoint)
    yield config
    drop_table(config)
