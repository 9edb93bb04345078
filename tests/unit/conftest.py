"""The service tests' world: the in-memory stores at the fixed demo time."""

from __future__ import annotations

import pytest

from chalicelib.domain.clock import FixedClock
from tests.factories import NOW
from tests.fakes import FakeContexts, fake_contexts


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def world(clock: FixedClock) -> FakeContexts:
    return fake_contexts(clock)
