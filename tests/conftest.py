"""Shared fixtures: AWS settings that never reach AWS and moto tables (the test kit's), DynamoDB Local."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from cet_testkit.aws import FAKE_AWS
from cet_testkit.aws import fake_aws as set_fake_aws
from cet_testkit.aws import moto_table as kit_moto_table
from devstack import ddb_local

# The test kit's fixtures (testkit/, docs/testing.md): some e2e tests use them, so they stay true.
pytest_plugins = ["cet_testkit.plugin"]


@pytest.fixture(autouse=True)
def fake_aws(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never reach AWS, except those marked real_aws (opt-in: `pytest -m real_aws`)."""
    if request.node.get_closest_marker("real_aws"):
        monkeypatch.setenv("ARGON2_MEMORY_KIB", FAKE_AWS["ARGON2_MEMORY_KIB"])
        monkeypatch.setenv("ARGON2_TIME_COST", FAKE_AWS["ARGON2_TIME_COST"])
        return
    set_fake_aws(monkeypatch)


@pytest.fixture
def moto_table(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    with kit_moto_table(monkeypatch):
        yield


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
