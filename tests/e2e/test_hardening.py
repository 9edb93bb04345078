"""Hardening found by a black-box probe (api.md, "Changed shapes"): security headers on every answer,
and the framework's 415 in the contract's error shape."""

from __future__ import annotations

import json

from chalice.test import Client

from chalicelib.api.headers import security_headers
from tests.e2e.http import STUDENT_PASSWORD, Reply, assert_error, call, credentials, new_login, new_student

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def assert_nosniff(reply: Reply, what: str) -> None:
    assert reply.header("X-Content-Type-Options") == "nosniff", f"{what} ({reply.status}): {reply.headers}"


def test_api_every_answer_carries_nosniff_errors_204s_and_the_frameworks_own_included(client: Client) -> None:
    """api.md: every response carries X-Content-Type-Options: nosniff."""
    token = new_student(client)
    answers = {
        "200 GET /health": call(client, "GET", "/health"),
        "200 GET /me": call(client, "GET", "/me", token=token),
        "201 POST /captchas": call(client, "POST", "/captchas"),
        "400 POST /accounts": call(client, "POST", "/accounts", raw="not json"),
        "401 GET /me": call(client, "GET", "/me"),
        "404 GET /{proxy+}": call(client, "GET", "/no-such-route"),
        "405 PUT /health": call(client, "PUT", "/health"),
        "415 GET /me": call(client, "GET", "/me", token=token, raw="<x/>", headers={"Content-Type": "text/xml"}),
        "204 DELETE /sessions/current": call(client, "DELETE", "/sessions/current", token=token),
    }
    for what, reply in answers.items():
        assert reply.status == int(what[:3]), f"{what}: {reply.status} {reply.text}"
        assert_nosniff(reply, what)


def test_api_sessions_and_captchas_are_never_cached(client: Client) -> None:
    """api.md: responses of /sessions, /password-resets* and /captchas carry Cache-Control: no-store."""
    login = new_login()
    created = call(client, "POST", "/accounts", credentials(client, login, STUDENT_PASSWORD))
    assert created.status == 201, created.text
    session = call(client, "POST", "/sessions", credentials(client, login, STUDENT_PASSWORD))
    refused = call(client, "POST", "/sessions", credentials(client, login, "Wrong-password-2026"))
    token = session.body["token"]
    answers = {
        "POST /captchas": call(client, "POST", "/captchas"),
        "POST /sessions": session,
        "POST /sessions (401)": refused,
        "DELETE /sessions/current": call(client, "DELETE", "/sessions/current", token=token),
    }
    for what, reply in answers.items():
        assert reply.header("Cache-Control") == "no-store", f"{what} ({reply.status}): {reply.headers}"
        assert_nosniff(reply, what)
    assert call(client, "GET", "/health").header("Cache-Control") is None


def test_api_no_store_goes_by_path_prefix_so_password_resets_are_covered() -> None:
    """api.md: /password-resets and /password-resets/confirm (added by another change) are no-store too."""
    for path in ("/sessions", "/sessions/current", "/captchas", "/password-resets", "/password-resets/confirm"):
        assert security_headers(path) == {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"}, path
    for path in ("/health", "/me", "/accounts", "/{proxy+}", ""):
        assert security_headers(path) == {"X-Content-Type-Options": "nosniff"}, path


def test_api_a_refused_content_type_is_415_unsupported_media_type_in_the_contract_shape(client: Client) -> None:
    """api.md: where a content type is refused, 415 UNSUPPORTED_MEDIA_TYPE as {code, message}, not the
    framework's {"Code", "Message"}."""
    token = new_student(client)
    for path, kind in (("/me", "text/plain"), ("/health", "application/xml"), ("/registration", "text/html")):
        reply = call(client, "GET", path, token=token, raw="x=1", headers={"Content-Type": kind})
        body = assert_error(reply, 415, "UNSUPPORTED_MEDIA_TYPE")
        assert "Code" not in body


def test_api_json_sent_as_curls_default_form_type_keeps_working(client: Client) -> None:
    """api.md: JSON sent as application/x-www-form-urlencoded (curl -d) is read as JSON, never a 415."""
    login = new_login()
    body = json.dumps(credentials(client, login, STUDENT_PASSWORD))
    assert call(client, "POST", "/accounts", raw=body, headers=FORM).status == 201
    session = call(
        client, "POST", "/sessions", raw=json.dumps(credentials(client, login, STUDENT_PASSWORD)), headers=FORM
    )
    assert session.status == 201, session.text
    reply = call(client, "POST", "/me/agreement", raw='{"accepted": true}', token=session.body["token"], headers=FORM)
    assert reply.status == 204, reply.text
    assert_error(call(client, "POST", "/accounts", raw="login=a@b.cn&password=x", headers=FORM), 400, "INVALID_REQUEST")
