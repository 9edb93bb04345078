"""AWS that never reaches AWS: fake credentials, cheap password hashing, throwaway keys, and the
province's one table on moto."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

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
TABLE_NAME = "cet-test"


def fake_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings under which no call can reach AWS."""
    for name, value in FAKE_AWS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@contextmanager
def moto_table(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The province's table, empty, on moto; the service's composition root forgotten around it."""
    from moto import mock_aws

    from chalicelib.bootstrap import reset_services
    from chalicelib.config import settings
    from chalicelib.storage.tables import create_table

    monkeypatch.delenv("AWS_ENDPOINT_URL_DYNAMODB", raising=False)
    monkeypatch.setenv("TABLE_NAME", TABLE_NAME)
    with mock_aws():
        create_table(settings())
        reset_services()
        yield
        reset_services()
