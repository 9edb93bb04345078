"""The service in-process: app.py on moto through Chalice's test client, in test mode, with the
payment sandbox as both providers and a province loaded; its clock and its outbox, through the
test controls of api.md (`/_test/…`, devstack/test_mode.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from chalice.test import Client

from cet_testkit.http import Reply, call, never_shown
from chalicelib.domain.clock import parse_iso
from chalicelib.domain.province import ProvinceData

# The sandbox's pages are never fetched: the kit plays the student on them (cet_testkit.payments).
SANDBOX_URL = "https://sandbox.invalid"


def load(data: ProvinceData) -> None:
    """Load a whole province at the service's current time, as the province's loader does; every
    cached catalog sees it. Its whole ID numbers are never to be shown from now on."""
    from chalicelib.bootstrap import CLOCK, reset_services, services
    from chalicelib.services.province import load_province

    load_province(services().loading, data, CLOCK.now())
    reset_services()
    never_shown({row.id_number for row in data.roll} | {score.id_number for score in data.cet4_scores})


@contextmanager
def serving(monkeypatch: pytest.MonkeyPatch, data: ProvinceData, project_dir: Path) -> Iterator[Client]:
    """app.py in test mode on the table already on moto (cet_testkit.aws.moto_table), `data` loaded;
    the service clock is put back where it was afterwards (it is process-wide)."""
    from chalicelib.bootstrap import CLOCK
    from devstack import test_mode
    from devstack.payments_local import install_sandbox

    monkeypatch.setenv("TEST_MODE", "1")
    monkeypatch.setenv("STACK", "local")  # test mode is the local stack's only (decision 0026)
    monkeypatch.setattr(CLOCK, "_offset", CLOCK._offset)
    from app import app

    test_mode.register(app)  # the test controls: never in app.py, never in the Lambda package
    _, payment_settings = install_sandbox(CLOCK, SANDBOX_URL)
    for name, value in payment_settings.items():
        monkeypatch.setenv(name, value)
    load(data)
    # No .chalice/config.json there: the deploy stages' variables (TEST_MODE=0) stay out.
    with Client(app, project_dir=str(project_dir)) as client:
        yield client


@dataclass
class Service:
    """The running service: its client and the province it was given."""

    client: Client
    province: ProvinceData

    def call(
        self,
        method: str,
        path: str,
        body: object = None,
        token: str | None = None,
        raw: bytes | str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        """One request (cet_testkit.http.call): never a 5xx, never a whole ID number."""
        return call(self.client, method, path, body, token, raw, headers)

    def job(self, name: str) -> dict[str, int]:
        """Run one of the scheduled jobs now (admit, expire, reconcile, remind, send, offer, plan)."""
        reply = self.call("POST", f"/_test/jobs/{name}")
        assert reply.status == 200, reply.text
        report: dict[str, int] = reply.body
        return report

    def load(self, data: ProvinceData) -> None:
        """Load the province again, changed (a reload as the province's loader makes it)."""
        load(data)
        self.province = data


# The most one POST /_test/clock moves (devstack/test_mode.py)
STEP = timedelta(days=400)


class ServiceClock:
    """The service's clock (R-DATE…): it starts at the real time and only ever moves forward."""

    def __init__(self, service: Service) -> None:
        self._service = service

    def now(self) -> datetime:
        return self.advance(0)

    def advance(self, by: float | timedelta) -> datetime:
        """Move the clock forward by seconds or a timedelta; the service's new time."""
        left = by.total_seconds() if isinstance(by, timedelta) else float(by)
        while True:
            step = min(left, STEP.total_seconds())
            now = self.now_after(step)
            left -= step
            if left <= 0:
                return now

    def move_to(self, moment: datetime) -> datetime:
        """Move the clock forward to `moment` (nothing if it is already past)."""
        return self.advance(max(timedelta(0), moment - self.now_after(0)))

    def now_after(self, seconds: float) -> datetime:
        reply = self._service.call("POST", "/_test/clock", {"advance_seconds": seconds})
        assert reply.status == 200, reply.text
        return parse_iso(reply.body["now"])


class Outbox:
    """What the service sent (SMS and e-mail, in test mode held here): codes and notices."""

    def __init__(self, service: Service) -> None:
        self._service = service

    def to(self, login: str) -> list[dict[str, Any]]:
        """Every message sent to `login`, oldest first: to, kind, subject, body, code, sent_at."""
        reply = self._service.call("GET", f"/_test/outbox?{urlencode({'to': login})}")
        assert reply.status == 200, reply.text
        sent: list[dict[str, Any]] = reply.body
        return sent

    def code(self, login: str) -> str:
        """The one-time code last sent to `login`."""
        codes = [message["code"] for message in self.to(login) if message.get("code")]
        assert codes, f"no code was sent to {login}"
        return str(codes[-1])
