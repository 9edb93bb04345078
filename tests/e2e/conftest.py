from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import botocore.session
import pynamodb.connection.base
import pytest
from chalice.test import Client

from cet_testkit.service import serving
from chalicelib.bootstrap import CLOCK, services
from chalicelib.logs import logger
from devstack import test_mode
from tests import factories, iam
from tests.at_rest import no_whole_id_number_at_rest
from tests.e2e.contract import RAN
from tests.e2e.http import WHOLE_ID_NUMBERS
from tests.e2e.logs import ACCESS_FIELDS, Lines, Watched, access_lines


@pytest.fixture
def client(moto_table: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Client]:
    """The test province (capacity 3) on the test kit's service (cet_testkit.service.serving),
    with what going live asks of every request checked."""
    # Each job the test controls run acts under its function's role (province/template/roles.py), each
    # request under the API's: every DynamoDB call is checked against it (tests/iam.py).
    iam.watch()
    iam.refusals()  # what an earlier test left is that test's
    for name, job in test_mode.JOBS.items():
        monkeypatch.setitem(test_mode.JOBS, name, _acting(JOB_ROLES[name], job))
    with serving(monkeypatch, factories.province(capacity=3), tmp_path) as test_client:
        built = services()
        factories.give_staff_passwords(built.accounts.accounts, built.accounts.passwords)
        lines = Lines()
        logger().addHandler(lines)
        watched = Watched()
        send = test_client.http.request

        def watching(method: str, path: str, headers: Any = None, body: bytes = b"") -> Any:
            watched.saw_request(body)
            with iam.acting_as("ApiRole"):
                response = send(method, path, headers=headers, body=body)
            with contextlib.suppress(ValueError, TypeError, RecursionError):
                watched.saw_answer(json.loads(response.body or b"null"))
            return response

        monkeypatch.setattr(test_client.http, "request", watching)
        yield test_client
    logger().removeHandler(lines)
    assert iam.refusals() == [], "calls the function's role does not allow (province/template/roles.py)"
    no_whole_id_number_at_rest(WHOLE_ID_NUMBERS | watched.id_numbers)
    the_log_says_what_an_operator_needs_and_nothing_personal(lines.lines, watched)


@cache
def _shared_botocore_session() -> botocore.session.Session:
    return botocore.session.get_session()


@pytest.fixture
def contract(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """The HTTP contract's files use it (tests/e2e/contract.py): note which tests ran, for the
    registry, and put the service clock back after each test (it is process-wide).

    Speed only: each PynamoDB model opens its own botocore session, which parses the service JSON
    again (about 0.1 s, a dozen times per test); here they share one, so the files stay fast.
    """
    RAN.add(request.node.originalname)
    monkeypatch.setattr(CLOCK, "_offset", CLOCK._offset)
    monkeypatch.setattr(pynamodb.connection.base, "get_session", _shared_botocore_session)


JOB_ROLES = {
    "admit": "AdmissionJobRole",
    "expire": "ExpiryJobRole",
    "reconcile": "ReconcileJobRole",
    "remind": "ReminderJobRole",
    "send": "SendJobRole",
    "offer": "OfferJobRole",
    "plan": "PlanJobRole",  # the room plan's three functions (province/template/roles.py, decision 0030)
}


def _acting(role: str, job: Callable[[], dict[str, int]]) -> Callable[[], dict[str, int]]:
    def run() -> dict[str, int]:
        with iam.acting_as(role):
            return job()

    return run


def the_log_says_what_an_operator_needs_and_nothing_personal(lines: list[str], watched: Watched) -> None:
    """Going live: one access line per request with its fields; no line holds a whole ID number,
    a token, a password or a login that the test sent or was given."""
    access = access_lines(lines)
    assert len(access) == watched.requests, f"{watched.requests} requests, {len(access)} access log lines"
    for line in access:
        assert set(line) >= ACCESS_FIELDS, line
        assert "{" not in line["route"] or "}" in line["route"]  # a route template, never a path's values
    personal = watched.personal | WHOLE_ID_NUMBERS
    for line in lines:
        leaked = [value for value in personal if value in line]
        assert not leaked, f"personal data in a log line: {line}"
