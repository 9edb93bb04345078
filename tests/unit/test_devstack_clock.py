"""`python -m devstack.clock` (R-ROOM-1 on `make run`): the demo's sitting, decades ahead, is reached
in the steps `POST /_test/clock` accepts."""

from __future__ import annotations

from datetime import datetime, timedelta

from chalicelib.domain.clock import SHANGHAI, AdjustableClock
from devstack.clock import STEP_SECONDS, steps
from devstack.test_mode import MAX_ADVANCE_SECONDS

NOW = datetime(2026, 12, 6, 17, 0, 30, tzinfo=SHANGHAI)
PLAN_AT = datetime(2099, 11, 1, 9, 5, tzinfo=SHANGHAI)


def test_r_room_1_the_demo_plan_at_is_reached_in_steps_the_test_clock_accepts() -> None:
    """R-ROOM-1: from today to just past the demo's `plan_at`: every step within the test clock's
    limit, all of them together exactly the distance; none once the moment has passed."""
    found = steps(NOW, PLAN_AT)
    assert STEP_SECONDS == MAX_ADVANCE_SECONDS
    assert all(0 < step <= MAX_ADVANCE_SECONDS for step in found)
    assert NOW + timedelta(seconds=sum(found)) == PLAN_AT
    assert len(found) == 67
    assert steps(NOW, NOW + timedelta(minutes=5)) == [300]
    assert steps(PLAN_AT, NOW) == []


def test_test_mode_the_clock_moves_forward_by_what_it_is_told_and_stays_there() -> None:
    """`POST /_test/clock` (devstack/test_mode.py): the stack's clock runs on from the new moment."""
    clock = AdjustableClock()
    before = datetime.now(SHANGHAI)
    moved = clock.advance(3600)
    after = datetime.now(SHANGHAI)
    assert before + timedelta(hours=1) <= moved <= after + timedelta(hours=1)
    clock.advance(60)
    assert (
        before + timedelta(hours=1, minutes=1) <= clock.now() <= datetime.now(SHANGHAI) + timedelta(hours=1, minutes=1)
    )
