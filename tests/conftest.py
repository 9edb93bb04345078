"""Shared fixtures: AWS settings that never reach AWS, moto tables, a loaded test province."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from devstack import ddb_local

FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    # moto's streams with botocore >= 1.40 (architecture notes)
    "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
    # cheap argon2 in tests; the stage default stays memory-hard
    "ARGON2_MEMORY_KIB": "1024",
    "ARGON2_TIME_COST": "1",
    # ID numbers protected under keys everyone knows (decision 0013): never a real stage.
    "IDENTITY_THROWAWAY_KEYS": "1",
    # tickets signed with the throwaway key (decision 0028): never a real stage.
    "TICKET_THROWAWAY_KEY": "1",
}


@pytest.fixture(autouse=True)
def fake_aws(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never reach AWS, except those marked real_aws (opt-in: `pytest -m real_aws`)."""
    if request.node.get_closest_marker("real_aws"):
        monkeypatch.setenv("ARGON2_MEMORY_KIB", FAKE_AWS["ARGON2_MEMORY_KIB"])
        monkeypatch.setenv("ARGON2_TIME_COST", FAKE_AWS["ARGON2_TIME_COST"])
        return
    for name, value in FAKE_AWS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
def moto_table(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from moto import mock_aws

    from chalicelib.bootstrap import reset_services
    from chalicelib.config import settings
    from chalicelib.storage.tables import create_table

    monkeypatch.delenv("AWS_ENDPOINT_URL_DYNAMODB", raising=False)
    monkeypatch.setenv("TABLE_NAME", "cet-test")
    with mock_aws():
        create_table(settings())
        reset_services()
        yield
        reset_services()


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
