from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from chalice.test import Client

from chalicelib.bootstrap import CLOCK, services
from chalicelib.services.province import load_province
from devstack.payments_local import install_sandbox
from tests import factories


@pytest.fixture
def client(moto_table: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Client]:
    monkeypatch.setenv("TEST_MODE", "1")
    from app import app

    _, payment_settings = install_sandbox(CLOCK, "https://sandbox.invalid")
    for name, value in payment_settings.items():
        monkeypatch.setenv(name, value)

    built = services()
    load_province(built.province, built.accounts.passwords, factories.province(capacity=3), CLOCK.now())
    # No .chalice/config.json here: the deploy stages' variables (TEST_MODE=0) stay out of the tests.
    with Client(app, project_dir=str(tmp_path)) as test_client:
        yield test_client
