"""One HTTP call in, one `Reply` out (the api.md contract), and the student's first steps.

Every reply is checked for two things the contract promises for *any* input: no 5xx other than the
service's documented refusals, and no whole ID number anywhere in the body (R-QUAL-3: `candidate`
is always masked). The ID numbers checked are those of every province the kit loaded, and any a
test adds with `never_shown`.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from chalice.test import Client

from chalicelib.domain.roll import RollRow

STUDENT_PASSWORD = "Kaosheng2026"
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
UPPER_SNAKE = re.compile(r"[A-Z0-9_]+")

# 503s that are answers, not failures: overload (api.md), keys that do not match the table (0013),
# a ticket signing key that cannot be read (0028).
SERVICE_REFUSALS = frozenset({"BUSY", "IDENTITY_KEY_UNAVAILABLE", "TICKET_KEY_UNAVAILABLE"})

NEVER_SHOWN: set[str] = set()  # whole ID numbers no reply may carry
_logins = itertools.count(1)


def never_shown(id_numbers: Iterable[str]) -> None:
    """From now on, a reply carrying any of these whole ID numbers fails the test."""
    NEVER_SHOWN.update(id_numbers)


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any  # the JSON body, or None when the body is empty or not JSON
    headers: dict[str, str]
    text: str  # the raw body as text
    data: bytes = b""  # the raw body (a PDF's bytes)

    def header(self, name: str) -> str | None:
        """A response header, whatever its case."""
        wanted = name.lower()
        return next((value for key, value in self.headers.items() if key.lower() == wanted), None)


def call(
    client: Client,
    method: str,
    path: str,
    body: object = None,
    token: str | None = None,
    raw: bytes | str | None = None,
    headers: Mapping[str, str] | None = None,
) -> Reply:
    """One request. `body` is sent as JSON; `raw` is sent as is (for non-JSON bodies)."""
    sent = {"Content-Type": "application/json"}
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    sent.update(headers or {})
    if raw is not None:
        data = raw.encode("utf-8") if isinstance(raw, str) else raw
    else:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8") if body is not None else b""
    response = client.http.request(method.upper(), path, headers=sent, body=data)
    payload = response.body
    text = payload.decode("utf-8", errors="replace") if isinstance(payload, bytes) else str(payload or "")
    try:
        parsed = json.loads(text) if text.strip() else None
    except ValueError:
        parsed = None
    received = payload if isinstance(payload, bytes) else text.encode("utf-8")
    reply = Reply(response.status_code, parsed, dict(response.headers or {}), text, received)
    refused = reply.status == 503 and isinstance(parsed, dict) and parsed.get("code") in SERVICE_REFUSALS
    # a payment provider's notification is answered in its own text: 503 `fail` under overload
    refused = refused or (reply.status == 503 and path.startswith("/payments/") and text == "fail")
    assert reply.status < 500 or refused, (
        f"{method} {path} answered {reply.status} (api.md: no input ever yields a 500): {text}"
    )
    leaked = [number for number in NEVER_SHOWN if number in text]
    assert not leaked, f"{method} {path} answered a whole ID number {leaked} (api.md: always masked): {text}"
    return reply


def identity(entry: RollRow) -> dict[str, str]:
    """The three fields of a qualification lookup (R-QUAL-2)."""
    return {"id_type": entry.id_type.value, "id_number": entry.id_number, "name": entry.name}


def captcha(client: Client) -> dict[str, str]:
    """A fresh captcha's id and, in test mode, its answer, as the credential fields."""
    reply = call(client, "POST", "/captchas")
    assert reply.status == 201, reply.text
    assert "answer" in reply.body, "POST /captchas carries `answer` only in test mode: is TEST_MODE=1?"
    return {"captcha_id": reply.body["captcha_id"], "captcha_answer": reply.body["answer"]}


def credentials(client: Client, login: str, password: str) -> dict[str, str]:
    return {"login": login, "password": password, **captcha(client)}


def new_login() -> str:
    return f"student{next(_logins)}@example.edu.cn"


def create_account(client: Client, login: str, password: str = STUDENT_PASSWORD) -> str:
    reply = call(client, "POST", "/accounts", credentials(client, login, password))
    assert reply.status == 201, reply.text
    return str(reply.body["account_id"])


def log_in(client: Client, login: str, password: str = STUDENT_PASSWORD) -> str:
    reply = call(client, "POST", "/sessions", credentials(client, login, password))
    assert reply.status == 201, reply.text
    return str(reply.body["token"])


def new_student(client: Client, login: str | None = None, password: str = STUDENT_PASSWORD) -> str:
    """A new account, signed in (captcha, POST /accounts, captcha, POST /sessions): its token."""
    login = login or new_login()
    create_account(client, login, password)
    return log_in(client, login, password)


def agree(client: Client, token: str) -> None:
    reply = call(client, "POST", "/me/agreement", {"accepted": True}, token)
    assert reply.status == 204, reply.text


def agreed_student(client: Client, login: str | None = None) -> str:
    """A new student who has accepted the registration agreement (R-QUAL-1): their token."""
    token = new_student(client, login)
    agree(client, token)
    return token


def registered(client: Client, entry: RollRow, token: str | None = None) -> str:
    """A student whose registration for `entry` is saved and bound (R-BIND-1): their token."""
    token = token or agreed_student(client)
    reply = call(client, "POST", "/registration", {**identity(entry), "confirm": True}, token)
    assert reply.status == 201, reply.text
    return token


def assert_error(reply: Reply, status: int, code: str, field: str | None = None) -> dict[str, Any]:
    """The contract's error: this status and code, a body of exactly {code, message[, field]}.

    The message is readable Chinese (a CJK character at least); INVALID_REQUEST names its field
    (and, when `field` is given, that one), every other code carries no field.
    """
    assert (reply.status, _code(reply)) == (status, code), f"expected {status} {code}, got {reply.status}: {reply.text}"
    body = reply.body
    assert isinstance(body, dict), f"error body is not a JSON object: {reply.text}"
    expected_keys = {"code", "message", "field"} if code == "INVALID_REQUEST" else {"code", "message"}
    assert set(body) == expected_keys, f"error body keys {sorted(body)} != contract {sorted(expected_keys)}"
    assert UPPER_SNAKE.fullmatch(body["code"]), body
    message = body["message"]
    assert isinstance(message, str), body
    assert message.strip(), body
    assert CJK.search(message), f"error message is not readable Chinese: {message!r}"
    if code == "INVALID_REQUEST":
        assert isinstance(body["field"], str), body
        assert body["field"], body
        if field is not None:
            assert body["field"] == field, f"INVALID_REQUEST names {body['field']!r}, expected {field!r}"
    content_type = reply.header("Content-Type") or ""
    assert content_type.startswith("application/json"), f"error Content-Type is {content_type!r}"
    return body


def _code(reply: Reply) -> str | None:
    return reply.body.get("code") if isinstance(reply.body, dict) else None
