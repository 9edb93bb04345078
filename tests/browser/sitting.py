"""The demo province's exam sitting, walked on a stack of its own (R-ROOM-1, R-TICKET-2, R-TICKET-3):
students paid before the windows close, the service clock moved past `plan_at`, the plan job run,
the clock moved past `tickets_open_at`. Sessions last 2 hours, so everyone signs in again after a move.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from chalicelib.domain.clock import parse_iso
from devstack.clock import advance, steps
from devstack.walkthrough import Api, pay_in_sandbox
from tests.browser.flows import DEMO, PASSWORD, Identity, api_student, new_login
from tests.stack import start_stack, stop

PLAN_AT = DEMO["exam"]["plan_at"]  # 2099-11-01T09:00:00+08:00
TICKETS_OPEN_AT = DEMO["exam"]["tickets_open_at"]  # 2099-12-08T09:00:00+08:00
AFTER_PLAN_AT = "2099-11-01T09:05:00+08:00"
AFTER_TICKETS_OPEN_AT = "2099-12-08T09:05:00+08:00"
assert PLAN_AT < AFTER_PLAN_AT < TICKETS_OPEN_AT < AFTER_TICKETS_OPEN_AT


def own_stack() -> Iterator[str]:
    """`make run` in test mode on moto, for one module (its `site` fixture): the service clock moves to
    December 2099 here, while the other browser tests keep theirs at today's date."""
    stack = start_stack({"AWS_ENDPOINT_URL_DYNAMODB": "", "DEVSTACK_JOB_SECONDS": "3600"})
    yield stack.base
    output = stop(stack)
    assert "Traceback" not in output, output


def move_clock_to(site: str, moment: str) -> None:
    """As `python -m devstack.clock MOMENT` does: forward, in steps of at most 400 days."""
    api = Api(site + "/api")
    now = advance(api, 0)
    for seconds in steps(now, parse_iso(moment)):
        now = advance(api, seconds)
    assert now >= parse_iso(moment), now


def run_plan_job(site: str) -> dict[str, Any]:
    report: dict[str, Any] = Api(site + "/api").expect(200, "POST", "/_test/jobs/plan")
    return report


def signed_in(site: str, login: str, password: str = PASSWORD) -> Api:
    """A new session for `login` (the last one lapsed with the clock's move)."""
    api = Api(site + "/api")
    api.token = api.expect(201, "POST", "/sessions", {"login": login, "password": password, **api.captcha()})["token"]
    return api


def paid_student(site: str, identity: Identity, written: str = "CET4") -> str:
    """A student who registered `written` and paid it through the sandbox; their login."""
    login = new_login()
    api, _ = api_student(site, identity, written, login_name=login)
    assert pay_in_sandbox(api)["status"] == "paid"
    return login
