"""The storage contract runs on the in-memory fakes, on moto and on DynamoDB Local; concurrency only
on DynamoDB Local."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from chalicelib.config import Settings, settings
from chalicelib.storage.tables import create_table, drop_table
from devstack import ddb_local


def _fresh_table(
    monkeypatch: pytest.MonkeyPatch, endpoint: str | None, *, ttl: bool = True, stream: bool = False
) -> Settings:
    """A table of its own, without its stream unless the test reads it: on DynamoDB Local every write
    to a table with a stream costs about twice as much (README, Tests)."""
    monkeypatch.setenv("TABLE_NAME", f"cet-test-{uuid.uuid4().hex[:12]}")
    if endpoint:
        monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", endpoint)
    else:
        monkeypatch.delenv("AWS_ENDPOINT_URL_DYNAMODB", raising=False)
    config = settings()
    create_table(config, ttl=ttl, stream=stream)
    return config


@pytest.fixture
def local_table(monkeypatch: pytest.MonkeyPatch, dynamodb_local_endpoint: str) -> Iterator[Settings]:
    config = _fresh_table(monkeypatch, dynamodb_local_endpoint)
    yield config
    drop_table(config)


@pytest.fixture
def lone_table_without_ttl(monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """A table alone on a DynamoDB Local of its own, TTL not yet on: the test turns TTL on when its
    data is in place, so DynamoDB Local's TTL sweeper starts a pass from the table's first item with
    no other table's background jobs in its pool (docs/decisions/0011-dynamodb-local-ttl-in-tests.md)."""
    try:
        with ddb_local.running() as endpoint:
            config = _fresh_table(monkeypatch, endpoint, ttl=False, stream=True)  # test_expiry reads it
            yield config
    except ddb_local.DynamoDBLocalMissing as missing:
        pytest.fail(f"DynamoDB Local is required for this test and is not available: {missing}")


TABLE_BACKENDS = ["moto", "dynamodb_local", pytest.param("real_aws", marks=pytest.mark.real_aws)]


@contextmanager
def _table_on(backend: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    if backend == "moto":
        from moto import mock_aws

        with mock_aws():
            yield _fresh_table(monkeypatch, None)
        return
    endpoint = None if backend == "real_aws" else request.getfixturevalue("dynamodb_local_endpoint")
    config = _fresh_table(monkeypatch, endpoint)
    yield config
    drop_table(config)


@pytest.fixture(params=TABLE_BACKENDS)
def table(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """The same contract on both backends (style habit 6)."""
    with _table_on(request.param, request, monkeypatch) as config:
        yield config


@pytest.fixture(params=["fakes", *TABLE_BACKENDS])
def contract_table(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings | None]:
    """The storage contract's backends: None for the in-memory fakes of the unit tests (tests/fakes),
    else a fresh table. A test of what only a table has takes `table` instead."""
    if request.param == "fakes":
        yield None
        return
    with _table_on(request.param, request, monkeypatch) as config:
        yield config
