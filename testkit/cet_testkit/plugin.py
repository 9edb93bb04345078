"""The kit's pytest fixtures (registered by the `pytest11` entry point of testkit/pyproject.toml).

- `cet_province`: the province to load, a `ProvinceBuilder`; override it to build your own.
- `cet_service`: app.py in-process on moto in test mode, that province loaded (`.call`, `.job`).
- `cet_clock`: the service clock (`.now()`, `.advance(…)`, `.move_to(…)`).
- `cet_payments`: the providers' outcomes, one call each (`.paid`, `.duplicated`, `.late`, `.forged`, `.lost`).
- `cet_outbox`: the messages sent (`.to(login)`, `.code(login)`).
- `cet_student`: a new student at a step of the flow (`cet_student(at="paid")`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cet_testkit.aws import fake_aws, moto_table
from cet_testkit.builder import ProvinceBuilder, small_province
from cet_testkit.payments import Payments
from cet_testkit.service import Outbox, Service, ServiceClock, serving
from cet_testkit.students import Students


@pytest.fixture
def cet_province() -> ProvinceBuilder:
    """The province the service loads: one school, two campuses, 10 oral seats, 20 students."""
    return small_province()


@pytest.fixture
def cet_service(cet_province: ProvinceBuilder, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Service]:
    """The service with `cet_province` loaded, on its own empty moto table; nothing reaches AWS."""
    from chalicelib.bootstrap import CLOCK

    fake_aws(monkeypatch)
    with moto_table(monkeypatch):
        data = cet_province.build(CLOCK.now())
        with serving(monkeypatch, data, tmp_path) as client:
            yield Service(client, data)


@pytest.fixture
def cet_clock(cet_service: Service) -> ServiceClock:
    return ServiceClock(cet_service)


@pytest.fixture
def cet_payments(cet_service: Service, cet_clock: ServiceClock) -> Payments:
    return Payments(cet_service, cet_clock)


@pytest.fixture
def cet_outbox(cet_service: Service) -> Outbox:
    return Outbox(cet_service)


@pytest.fixture
def cet_student(cet_service: Service, cet_clock: ServiceClock, cet_payments: Payments) -> Students:
    return Students(cet_service, cet_clock, cet_payments)
