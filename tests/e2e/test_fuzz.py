"""Arbitrary bodies at every route that takes one: never a 5xx, always a coded error (api.md conventions)."""

from __future__ import annotations

import json
import urllib.parse
from typing import Any

import pytest
from chalice.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import factories
from tests.e2e.http import province_admin

KNOWN_FIELDS = [
    "login", "password", "captcha_id", "captcha_answer", "accepted", "id_type", "id_number", "name",
    "ticket_number", "confirm", "subject", "campus_id", "approve", "note", "advance_seconds", "provider", "bank",
]  # fmt: skip

plain_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.sampled_from(["resident_id", "military_officer", "CET4", "CET-SET4", "NJU-GL"]),
)


def nested(leaves: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.recursive(
        leaves,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
        max_leaves=12,
    )


json_values = nested(st.one_of(plain_scalars, st.just(factories.ZHANG.id_number)))
bodies = st.one_of(
    st.dictionaries(st.sampled_from(KNOWN_FIELDS), json_values, max_size=8),
    json_values,
    st.binary(max_size=64),
)

ROUTES = [
    ("POST", "/captchas"),
    ("POST", "/accounts"),
    ("POST", "/sessions"),
    ("POST", "/me/agreement"),
    ("POST", "/qualification"),
    ("POST", "/cet6-reviews"),
    ("PUT", "/cet6-reviews/current"),
    ("POST", "/registration"),
    ("POST", "/registration/subjects"),
    ("POST", "/staff/cet6-reviews/x/decision"),
    ("POST", "/_test/clock"),
    ("POST", "/orders"),
    ("POST", "/orders/x/refresh"),
    ("POST", "/payments/alipay/notify"),
    ("POST", "/payments/bank/notify"),
    ("POST", "/_test/gateway/x/pay"),
]


def token_for(client: Client) -> str:
    captcha = json.loads(client.http.post("/captchas").body)
    login = {"login": "fuzz@example.cn", "password": "fuzzing123", "captcha_id": captcha["captcha_id"]}
    headers = {"Content-Type": "application/json"}
    client.http.post("/accounts", headers=headers, body=json.dumps({**login, "captcha_answer": captcha["answer"]}))
    captcha = json.loads(client.http.post("/captchas").body)
    login["captcha_id"] = captcha["captcha_id"]
    reply = client.http.post(
        "/sessions", headers=headers, body=json.dumps({**login, "captcha_answer": captcha["answer"]})
    )
    token = json.loads(reply.body)["token"]
    client.http.post(
        "/me/agreement", headers={**headers, "Authorization": f"Bearer {token}"}, body='{"accepted": true}'
    )
    return str(token)


def encode(body: Any) -> bytes:
    return body if isinstance(body, bytes) else json.dumps(body).encode()


def assert_coded(status: int, raw: bytes | str) -> None:
    assert status < 500, raw
    if status >= 400:
        error = json.loads(raw)
        assert set(error) <= {"code", "message", "field"}
        assert error["code"].isupper()
        assert error["message"]


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_no_body_yields_a_5xx(client: Client, method: str, path: str) -> None:
    """api.md conventions: every bad input gets a clear 4xx with a code; no input yields a 500."""
    token = token_for(client)

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(body=bodies, content_type=st.sampled_from(["application/json", "text/plain"]))
    def check(body: Any, content_type: str) -> None:
        headers = {"Content-Type": content_type, "Authorization": f"Bearer {token}"}
        reply = client.http.request(method, path, headers=headers, body=encode(body))
        assert_coded(reply.status_code, reply.body)

    check()


def test_no_path_or_query_yields_a_5xx(client: Client) -> None:
    """api.md conventions: path and query parameters are input too."""
    token = token_for(client)

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(value=st.text(min_size=1, max_size=30))
    def check(value: str) -> None:
        quoted = urllib.parse.quote(value, safe="")
        headers = {"Authorization": f"Bearer {token}"}
        for method, path in (
            ("DELETE", f"/registration/subjects/{quoted}"),
            ("GET", f"/oral-campuses?subject={quoted}"),
            ("GET", f"/staff/cet6-reviews?status={quoted}"),
        ):
            reply = client.http.request(method, path, headers=headers)
            assert_coded(reply.status_code, reply.body)
        garbage = client.http.get("/me", headers={"Authorization": value})
        assert_coded(garbage.status_code, garbage.body)

    check()


ADMIN_ROUTES = [
    ("PUT", "/admin/windows/NJU"),
    ("PUT", "/admin/windows/nowhere"),
    ("PUT", "/admin/seats/NJU-GL/CET-SET4"),
    ("PUT", "/admin/seats/NJU-GL/CET4"),
    ("PUT", "/admin/notices/province"),
    ("PUT", "/admin/notices/NJU"),
]
ADMIN_FIELDS = ["opens_at", "closes_at", "capacity", "notice"]
# No whole ID number here: a notice is the administrator's own text, stored as typed and shown to every
# student, so one drawn into it would be the test, not the service, putting it at rest (decision 0013).
admin_values = nested(plain_scalars)
admin_bodies = st.one_of(
    st.dictionaries(
        st.sampled_from(ADMIN_FIELDS),
        st.one_of(admin_values, st.sampled_from(["2099-01-01T00:00:00+08:00", "2000-01-01T00:00:00Z", "2099-13-01"])),
        max_size=4,
    ),
    admin_values,
    st.binary(max_size=64),
)


@pytest.mark.parametrize(("method", "path"), ADMIN_ROUTES)
def test_r_ops_2_no_body_at_an_administrator_route_yields_a_5xx(client: Client, method: str, path: str) -> None:
    """R-OPS-2 and the api.md conventions: the administrator's changes, signed in as the province's
    administrator (so past the 403), answer every body with a 2xx or a coded 4xx, never a 500."""
    token = province_admin(client)

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(body=admin_bodies, content_type=st.sampled_from(["application/json", "text/plain"]))
    def check(body: Any, content_type: str) -> None:
        headers = {"Content-Type": content_type, "Authorization": f"Bearer {token}"}
        reply = client.http.request(method, path, headers=headers, body=encode(body))
        assert_coded(reply.status_code, reply.body)

    check()
