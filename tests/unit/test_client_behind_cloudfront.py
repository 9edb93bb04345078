"""The client the per-client throttles count (R-ACC-2, R-ACC-6) behind the province's CloudFront
distribution (decision 0034): the viewer CloudFront names, only for a request carrying its key."""

from __future__ import annotations

from typing import Any

import pytest
from chalice.app import Request

from chalicelib.api.requests import client_address
from chalicelib.config import settings
from chalicelib.protection import edge

KEY = "k" * 40
EDGE = "130.176.1.1"  # a CloudFront edge server: API Gateway's sourceIp behind the distribution


def request(headers: dict[str, str], source: str = EDGE) -> Request:
    event: dict[str, Any] = {
        "multiValueQueryStringParameters": None,
        "headers": headers,
        "pathParameters": None,
        "requestContext": {"httpMethod": "POST", "resourcePath": "/sessions", "identity": {"sourceIp": source}},
        "body": None,
        "isBase64Encoded": False,
        "stageVariables": None,
    }
    return Request(event)


@pytest.fixture(autouse=True)
def no_failed_read_remembered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(edge, "_unreadable_until", [0.0])


@pytest.fixture
def behind_cloudfront(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDGE_SECRET_NAME", "cet-registration-zhejiang/edge")
    monkeypatch.setattr(edge, "json_secret", lambda name, max_age, unreadable: {"value": KEY})


def test_r_acc_2_behind_cloudfront_each_student_is_their_own_client(behind_cloudfront: None) -> None:
    one = request({"x-cet-edge": KEY, "x-forwarded-for": "36.112.0.7"})
    other = request({"x-cet-edge": KEY, "x-forwarded-for": "36.112.9.9"})
    assert (client_address(one), client_address(other)) == ("36.112.0.7", "36.112.9.9")


def test_r_acc_2_an_address_the_viewer_wrote_itself_is_never_the_client(behind_cloudfront: None) -> None:
    """A viewer's own X-Forwarded-For comes first; CloudFront appends the address it saw, and API
    Gateway may append the edge's after that."""
    forged = request({"x-cet-edge": KEY, "x-forwarded-for": "1.2.3.4, 36.112.0.7"})
    assert client_address(forged) == "36.112.0.7"
    appended = request({"x-cet-edge": KEY, "x-forwarded-for": f"1.2.3.4, 36.112.0.7, {EDGE}"})
    assert client_address(appended) == "36.112.0.7"


def test_r_acc_6_without_the_key_a_forwarded_address_counts_for_nothing(behind_cloudfront: None) -> None:
    """A caller reaching the API directly cannot spend a campus's budget by naming its address."""
    assert client_address(request({"x-forwarded-for": "36.112.0.7"}, source="9.9.9.9")) == "9.9.9.9"
    wrong = request({"x-cet-edge": "k" * 39 + "x", "x-forwarded-for": "36.112.0.7"}, source="9.9.9.9")
    assert client_address(wrong) == "9.9.9.9"


def test_r_acc_6_a_stack_without_a_key_counts_where_requests_come_from(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EDGE_SECRET_NAME", raising=False)
    monkeypatch.setattr(edge, "json_secret", lambda name, max_age, unreadable: {"value": KEY})
    assert settings().edge_secret_name is None
    assert client_address(request({"x-cet-edge": KEY, "x-forwarded-for": "36.112.0.7"})) == EDGE


def test_r_acc_6_an_unreadable_key_trusts_no_forwarded_address(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDGE_SECRET_NAME", "cet-registration-zhejiang/edge")
    monkeypatch.setattr(edge, "json_secret", lambda name, max_age, unreadable: None)
    assert client_address(request({"x-cet-edge": KEY, "x-forwarded-for": "36.112.0.7"})) == EDGE


def test_r_acc_6_a_key_too_short_or_missing_from_the_secret_is_no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDGE_SECRET_NAME", "cet-registration-zhejiang/edge")
    for stored in ({"value": "short"}, {}):
        monkeypatch.setattr(edge, "_unreadable_until", [0.0])
        monkeypatch.setattr(edge, "json_secret", lambda name, max_age, unreadable, stored=stored: stored)
        sent = stored.get("value", KEY)
        assert client_address(request({"x-cet-edge": sent, "x-forwarded-for": "36.112.0.7"})) == EDGE


def test_r_acc_6_a_key_that_cannot_be_read_is_asked_for_once_a_minute(monkeypatch: pytest.MonkeyPatch) -> None:
    """Not on every request: at the opening that would be thousands of reads a second, each failing."""
    monkeypatch.setenv("EDGE_SECRET_NAME", "cet-registration-zhejiang/edge")
    reads: list[str] = []
    monkeypatch.setattr(edge, "json_secret", lambda name, max_age, unreadable: reads.append(name))
    for _ in range(5):
        assert client_address(request({"x-cet-edge": KEY, "x-forwarded-for": "36.112.0.7"})) == EDGE
    assert len(reads) == 1


def test_r_acc_2_a_keyed_request_naming_no_viewer_counts_where_it_comes_from(behind_cloudfront: None) -> None:
    assert client_address(request({"x-cet-edge": KEY})) == EDGE
    assert client_address(request({"x-cet-edge": KEY, "x-forwarded-for": EDGE})) == EDGE
