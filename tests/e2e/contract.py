"""The HTTP contract (api.md, docs/openapi.yaml), over HTTP: the helpers the tests/e2e/test_contract_*.py
files share, and the registry of what they exercised.

Every (route, status, code) of `x-error-codes` in docs/openapi.yaml is triggered at least once
through `expect(...)` in one of those files, and every route is seen succeeding through `ok(...)`;
tests/e2e/test_contract_zz_registry.py fails when one is missing. Every reply also passes the
checks of `tests.e2e.http.call`: no 5xx, and no whole ID number anywhere in any body.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache
from typing import Any

from chalice.test import Client

from chalicelib.bootstrap import CLOCK, reset_services
from chalicelib.domain.roll import RollRow
from chalicelib.storage.keys import account_pk
from chalicelib.storage.models import SubjectItem, TableItem
from tests import factories
from tests.e2e.http import (
    Reply,
    agreed_student,
    assert_error,
    call,
    identity,
    new_login,
    registered,
    staff,
)
from tests.spec import spec

HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
# The routes with a path parameter, as docs/openapi.yaml names them.
REMOVE = "DELETE /registration/subjects/{code}"
DECIDE = "POST /staff/cet6-reviews/{review_id}/decision"
ORDER = "GET /orders/{order_id}"
REFRESH = "POST /orders/{order_id}/refresh"
PAY = "POST /_test/gateway/{order_id}/pay"
UPCOMING = "GET /oral-campuses/upcoming"
NJU_STAFF = "staff@nju.edu.cn"
SEU_STAFF = "staff@seu.edu.cn"
DAY = 24 * 3600
ZHANG, LI, WANG, ZHAO = factories.ZHANG, factories.LI, factories.WANG, factories.ZHAO
QIAN, SUN, PASSPORT = factories.QIAN, factories.SUN, factories.PASSPORT
NOT_ON_ROLL = factories.resident_id(555, birth="20030303")  # a well-formed resident ID nobody holds
BAD_CHECK_DIGIT = ZHANG.id_number[:17] + ("0" if ZHANG.id_number[17] != "0" else "1")  # R-QUAL-4
REGISTRATION_KEYS = {"candidate", "saved_at", "expires_at", "subjects", "amount_due"}
CANDIDATE_KEYS = {"id_type", "id_number", "name", "school_id", "school", "campus_id", "campus", "student_no"}
SUBJECT_KEYS = {"code", "name", "kind", "level", "campus_id", "campus", "fee", "status", "pay_by", "offered"}
SUBJECT_OPTION_KEYS = {"code", "name", "kind", "level", "fee", "qualified", "reason", "exam_at", "needs_written"}
REVIEW_KEYS = {"review_id", "status", "ticket_number", "submitted_at", "decided_at", "note"}
STAFF_REVIEW_KEYS = REVIEW_KEYS | {"candidate", "cet4_record"}
ORDER_KEYS = {
    "order_id", "status", "provider", "bank", "amount", "subjects", "pay_url", "created_at", "expires_at", "paid_at",
    "late", "number",
}  # fmt: skip
LATE_PAYMENT_KEYS = {"order_id", "number", "candidate", "amount", "outcome", "recorded_at"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}

# The registry: what the tests exercised, checked by tests/e2e/test_contract_zz_registry.py.
COVERED: set[tuple[str, str, int, str]] = set()
SUCCEEDED: set[tuple[str, str, int]] = set()
RAN: set[str] = set()


@cache
def documented_errors() -> frozenset[tuple[str, str, int, str]]:
    """(METHOD, path, status, code) for every code of every operation's x-error-codes."""
    found = set()
    for path, item in spec()["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                for status, codes in (operation.get("x-error-codes") or {}).items():
                    found |= {(method.upper(), path, int(status), code) for code in codes}
    return frozenset(found)


def covers(method: str, path: str, status: int, code: str) -> None:
    """Record that a test triggers this documented error of this route."""
    triple = (method, path, status, code)
    assert triple in documented_errors(), f"{method} {path} {status} {code} is not in docs/openapi.yaml x-error-codes"
    COVERED.add(triple)


def expect(reply: Reply, route: str, status: int, code: str, field: str | None = None) -> dict[str, Any]:
    """`route` ("METHOD /path/{template}") answered this documented error, in the contract's shape."""
    method, path = route.split(" ", 1)
    covers(method, path, status, code)
    return assert_error(reply, status, code, field)


def ok(reply: Reply, route: str, status: int = 200) -> Any:
    """`route` succeeded with this status: its JSON body (a 204 has none)."""
    method, path = route.split(" ", 1)
    SUCCEEDED.add((method, path, status))
    assert reply.status == status, f"{route}: expected {status}, got {reply.status}: {reply.text}"
    if status == 204:
        assert reply.text == "", f"{route}: a 204 carries no body, got {reply.text!r}"
    return reply.body


# Small helpers


def advance(client: Client, seconds: float) -> datetime:
    body = ok(call(client, "POST", "/_test/clock", {"advance_seconds": seconds}), "POST /_test/clock")
    return parse_time(body["now"])


def server_now(client: Client) -> datetime:
    return advance(client, 0)


def parse_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    assert moment.utcoffset() == timedelta(hours=8), f"{text}: not Asia/Shanghai (+08:00)"
    return moment


def choose(client: Client, token: str, subject: str, campus_id: str | None = None) -> Reply:
    body = {"subject": subject} if campus_id is None else {"subject": subject, "campus_id": campus_id}
    return call(client, "POST", "/registration/subjects", body, token)


def chosen(client: Client, token: str, subject: str, campus_id: str | None = None) -> dict[str, Any]:
    return ok(choose(client, token, subject, campus_id), "POST /registration/subjects", 201)


def remove(client: Client, token: str, code: str) -> Reply:
    return call(client, "DELETE", f"/registration/subjects/{code}", token=token)


def codes(registration: dict[str, Any]) -> list[str]:
    return [s["code"] for s in registration["subjects"]]


def oral_campuses(client: Client, token: str, subject: str = "CET-SET4") -> list[dict[str, Any]]:
    return ok(call(client, "GET", f"/oral-campuses?subject={subject}", token=token), "GET /oral-campuses")


def colour(client: Client, token: str, campus_id: str) -> str | None:
    return next((c["remaining"] for c in oral_campuses(client, token) if c["campus_id"] == campus_id), None)


def subject_options(client: Client, token: str) -> dict[str, dict[str, Any]]:
    return {o["code"]: o for o in ok(call(client, "GET", "/subjects", token=token), "GET /subjects")}


def save(client: Client, token: str, entry: RollRow, **changes: Any) -> Reply:
    return call(client, "POST", "/registration", {**identity(entry), "confirm": True, **changes}, token)


def look_up(client: Client, token: str, entry: RollRow) -> dict[str, Any]:
    return ok(call(client, "POST", "/qualification", identity(entry), token), "POST /qualification")


def submit_review(client: Client, token: str, entry: RollRow, ticket: str, **changes: Any) -> Reply:
    body = {**identity(entry), "ticket_number": ticket, "confirm": True, **changes}
    return call(client, "POST", "/cet6-reviews", body, token)


def modify_review(client: Client, token: str, ticket: str) -> Reply:
    return call(client, "PUT", "/cet6-reviews/current", {"ticket_number": ticket, "confirm": True}, token)


def current_review(client: Client, token: str) -> dict[str, Any]:
    return ok(call(client, "GET", "/cet6-reviews/current", token=token), "GET /cet6-reviews/current")


def decide(client: Client, token: str, review_id: str, body: Any) -> Reply:
    return call(client, "POST", f"/staff/cet6-reviews/{review_id}/decision", body, token)


def staff_list(client: Client, token: str, query: str = "") -> list[dict[str, Any]]:
    return ok(call(client, "GET", f"/staff/cet6-reviews{query}", token=token), "GET /staff/cet6-reviews")


def pending_review(client: Client) -> tuple[str, str]:
    """An account with a pending review for ZHANG (R-REV-3 rule 2): (student token, review_id)."""
    token = agreed_student(client)
    review = ok(submit_review(client, token, ZHANG, factories.TICKET_PENDING), "POST /cet6-reviews", 201)
    assert review["status"] == "pending", review
    return token, review["review_id"]


def rejected_review(client: Client) -> str:
    """An account whose review for ZHANG school staff rejected: the student's token."""
    token, review_id = pending_review(client)
    decided = ok(decide(client, staff(client, NJU_STAFF), review_id, {"approve": False, "note": "不符"}), DECIDE)
    assert decided["status"] == "rejected", decided
    return token


def mark_paid(owner_account_id: str, code: str) -> None:
    """Write the paid status of one subject where a payment notification would (no order needed)."""
    for item in TableItem.query(account_pk(owner_account_id)):
        if isinstance(item, SubjectItem) and item.code == code:
            item.update(actions=[SubjectItem.status.set("paid")])
            return
    raise AssertionError(f"no {code} held by {owner_account_id}")


def assert_masked(masked: str, whole: str) -> None:
    assert masked != whole, f"{masked}: the whole ID number is shown"
    assert "*" in masked, f"{masked}: not masked"
    assert len(masked) == len(whole), (masked, whole)


def assert_registration(body: Any, entry: RollRow) -> None:
    """The contract's registration: its keys, and a masked snapshot of the roll entry."""
    assert set(body) == REGISTRATION_KEYS, body
    candidate = body["candidate"]
    assert set(candidate) == CANDIDATE_KEYS, candidate
    assert (candidate["name"], candidate["student_no"], candidate["school_id"], candidate["campus_id"]) == (
        entry.name,
        entry.student_no,
        entry.school_id,
        entry.campus_id,
    )
    assert_masked(candidate["id_number"], entry.id_number)
    parse_time(body["saved_at"])
    assert isinstance(body["amount_due"], int)
    for subject in body["subjects"]:
        assert set(subject) == SUBJECT_KEYS, subject
        assert subject["status"] in {"unpaid", "paid"}, subject


WAITLIST = "POST /waitlist"


def join(client: Client, token: str, subject: str = "CET-SET4", campus_id: str = "NJU-GL") -> Reply:
    return call(client, "POST", "/waitlist", {"subject": subject, "campus_id": campus_id}, token)


def fill_nju_gl(client: Client) -> list[str]:
    """ZHANG, LI and QIAN hold NJU-GL's three CET-SET4 seats: their tokens."""
    tokens = []
    for entry in (ZHANG, LI, QIAN):
        token = registered(client, entry)
        chosen(client, token, "CET4")
        chosen(client, token, "CET-SET4", "NJU-GL")
        tokens.append(token)
    return tokens


def holding(client: Client, entry: RollRow = ZHANG) -> tuple[str, str]:
    """A student holding CET4 and CET-SET4 at NJU-GL, both unpaid (8000 fen): (login, token)."""
    login = new_login()
    token = registered(client, entry, agreed_student(client, login))
    chosen(client, token, "CET4")
    chosen(client, token, "CET-SET4", "NJU-GL")
    return login, token


def place(client: Client, token: str, provider: str = "alipay", bank: str | None = None) -> dict[str, Any]:
    body = {"provider": provider} if bank is None else {"provider": provider, "bank": bank}
    return dict(ok(call(client, "POST", "/orders", body, token), "POST /orders", 201))


def sandbox_pay(client: Client, order_id: str, query: str = "deliveries=1") -> Reply:
    return call(client, "POST", f"/_test/gateway/{order_id}/pay?{query}")


def statuses(client: Client, token: str) -> list[tuple[str, str]]:
    registration = ok(call(client, "GET", "/registration", token=token), "GET /registration")
    return [(s["code"], s["status"]) for s in registration["subjects"]]


OUTBOX = "GET /_test/outbox"
JOB = "POST /_test/jobs/{name}"


def outbox(client: Client, to: str, kind: str | None = None) -> list[dict[str, Any]]:
    messages = ok(call(client, "GET", f"/_test/outbox?to={to}"), OUTBOX)
    return [m for m in messages if kind is None or m["kind"] == kind]


OPENINGS = "GET /openings"
JOIN = "POST /openings/{opening_id}/entries"
PLACE = "GET /openings/{opening_id}/entries/current"
OPENING_KEYS = {
    "opening_id", "name", "campuses", "queue_opens_at", "opens_at", "closes_at", "admit_per_minute", "pass_minutes",
    "state", "seed_sha256", "seed", "queued", "admitted",
}  # fmt: skip
ENTRY_KEYS = {
    "opening_id",
    "position",
    "state",
    "joined_at",
    "admitted_at",
    "admitted_until",
    "ahead",
    "estimated_wait_seconds",
}


def until(moment: datetime) -> None:
    """The service clock moves to `moment` (never back)."""
    CLOCK.advance(max(0.0, (moment - CLOCK.now()).total_seconds()))


def join_queue(client: Client, token: str, opening_id: str = "GL-OPENING") -> Reply:
    return call(client, "POST", f"/openings/{opening_id}/entries", token=token)


def queue_place(client: Client, token: str, opening_id: str = "GL-OPENING") -> dict[str, Any]:
    body: dict[str, Any] = ok(call(client, "GET", f"/openings/{opening_id}/entries/current", token=token), PLACE)
    assert set(body) == ENTRY_KEYS, body
    return body


def the_opening(client: Client) -> dict[str, Any]:
    (found,) = [o for o in ok(call(client, "GET", "/openings"), OPENINGS) if o["opening_id"] == "GL-OPENING"]
    assert set(found) == OPENING_KEYS, found
    return found


def admit(client: Client) -> dict[str, int]:
    report: dict[str, int] = ok(call(client, "POST", "/_test/jobs/admit"), JOB)
    reset_services()  # GET /openings caches progress for a few seconds per container
    return report


def account_id(client: Client, token: str) -> str:
    return str(ok(call(client, "GET", "/me", token=token), "GET /me")["account_id"])


CHANGES = "GET /admin/changes"
CHANGE_KEYS = {"at", "by", "what", "before", "after"}


def changes(client: Client, token: str) -> list[dict[str, Any]]:
    found = list(ok(call(client, "GET", "/admin/changes", token=token), CHANGES))
    assert all(set(change) == CHANGE_KEYS for change in found), found
    return found
