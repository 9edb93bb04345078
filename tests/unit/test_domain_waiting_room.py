"""The waiting room's rules without storage (R-QUEUE-1..5)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

import pytest

from chalicelib.domain.clock import SHANGHAI
from chalicelib.domain.errors import NotAdmitted
from chalicelib.domain.waiting_room import (
    EntryState,
    Opening,
    OpeningProgress,
    OpeningState,
    QueueClaim,
    QueueEntry,
    check_admission,
    draw_seed,
    openings_at,
    place_key,
    pre_opening_order,
    seed_sha256,
    standing,
)

T0 = datetime(2098, 9, 1, 9, 0, tzinfo=SHANGHAI)
OPENING = Opening("O1", "集中开放", T0, T0 + timedelta(hours=1), T0 + timedelta(hours=3), ("C1",), 10, 15)


def test_r_queue_1_the_state_follows_the_clock() -> None:
    states = [OPENING.state(T0 + timedelta(minutes=m)) for m in (-1, 0, 59, 60, 179, 180)]
    assert states == [
        OpeningState.UPCOMING,
        OpeningState.QUEUEING,
        OpeningState.QUEUEING,
        OpeningState.ADMITTING,
        OpeningState.ADMITTING,
        OpeningState.CLOSED,
    ]


def test_r_queue_3_the_seed_and_the_order_are_what_the_rule_says() -> None:
    """R-QUEUE-3: 64 hex characters; digest of its UTF-8 bytes; ascending hex HMAC-SHA256 order."""
    seed = draw_seed()
    assert len(seed) == 64
    assert int(seed, 16) >= 0
    assert draw_seed() != seed
    assert seed_sha256(seed) == hashlib.sha256(seed.encode("utf-8")).hexdigest()
    ids = [f"account-{n}" for n in range(50)]
    key = hmac.new(seed.encode("utf-8"), b"account-7", hashlib.sha256).hexdigest()
    assert place_key(seed, "account-7") == key
    order = pre_opening_order(seed, ids)
    assert [place_key(seed, a) for a in order] == sorted(place_key(seed, a) for a in ids)


def test_r_queue_2_the_pool_is_ordered_once_every_pre_opening_join_is_written() -> None:
    """R-QUEUE-2: the API's 30 s timeout and the index's lag pass before the pool is closed."""
    assert not OPENING.may_order(OPENING.opens_at + timedelta(seconds=39))
    assert OPENING.may_order(OPENING.opens_at + timedelta(seconds=40))


def test_r_queue_4_admitted_by_the_rate_one_batch_a_minute_from_opens_at() -> None:
    opens = OPENING.opens_at
    assert OPENING.admitted_by(opens - timedelta(seconds=1)) == 0
    assert OPENING.admitted_by(opens) == 10
    assert OPENING.admitted_by(opens + timedelta(seconds=59)) == 10
    assert OPENING.admitted_by(opens + timedelta(minutes=5)) == 60


def test_r_queue_4_place_ahead_and_estimated_wait() -> None:
    now = OPENING.opens_at + timedelta(seconds=30)
    entry = QueueEntry("a", "O1", T0, position=35)
    seen = standing(OPENING, entry, OpeningProgress(admitted=10), now)
    assert (seen.state, seen.position, seen.ahead) == (EntryState.WAITING, 35, 24)
    assert seen.estimated_wait_seconds == 3 * 60 - 30  # the batch of places 31..40 starts 3 minutes in
    early = standing(OPENING, entry, OpeningProgress(), T0 + timedelta(minutes=5))
    assert (early.position, early.ahead, early.estimated_wait_seconds) == (None, None, None)


def test_r_queue_4_an_admission_lasts_pass_minutes_then_lapses_and_a_rejoin_goes_to_the_back() -> None:
    at = OPENING.opens_at
    entry = QueueEntry("a", "O1", T0, position=1, candidate="cand-a").admitted(at, OPENING)
    assert entry.state(at + timedelta(minutes=14)) is EntryState.ADMITTED
    assert entry.state(at + timedelta(minutes=15)) is EntryState.LAPSED
    back = at + timedelta(minutes=20)
    again = entry.rejoined(back)
    assert (again.round, again.position, again.admitted_at, again.joined_at) == (1, None, None, back)
    # the same candidate (R-QUEUE-2), in the same opening's queue, waiting again
    assert (again.account_id, again.opening_id, again.candidate) == ("a", "O1", "cand-a")
    assert again.state(back) is EntryState.WAITING


def test_r_queue_1_and_5_the_admission_check_inside_and_outside_the_window() -> None:
    admitted = QueueEntry("a", "O1", T0, position=1).admitted(OPENING.opens_at, OPENING)
    inside = OPENING.opens_at + timedelta(minutes=1)
    check_admission(OPENING, admitted, inside)
    for entry in (None, QueueEntry("a", "O1", T0, position=1)):
        with pytest.raises(NotAdmitted):
            check_admission(OPENING, entry, inside)
    with pytest.raises(NotAdmitted):  # lapsed
        check_admission(OPENING, admitted, OPENING.opens_at + timedelta(minutes=16))
    with pytest.raises(NotAdmitted):  # the queue is open, the opening not yet
        check_admission(OPENING, None, T0)
    check_admission(OPENING, None, T0 - timedelta(seconds=1))  # R-QUEUE-5: before the window
    check_admission(OPENING, None, OPENING.closes_at)  # R-QUEUE-5: after it


def test_r_queue_4_at_opens_at_the_place_is_shown_and_an_admitted_student_has_none_ahead() -> None:
    entry = QueueEntry("a", "O1", T0, position=3)
    at_opening = standing(OPENING, entry, OpeningProgress(), OPENING.opens_at)
    assert (at_opening.entry, at_opening.position, at_opening.ahead) == (entry, 3, 2)
    admitted = entry.admitted(OPENING.opens_at, OPENING)
    seen = standing(OPENING, admitted, OpeningProgress(admitted=10), OPENING.opens_at + timedelta(minutes=1))
    assert (seen.state, seen.position, seen.ahead, seen.estimated_wait_seconds) == (EntryState.ADMITTED, 3, 0, None)


def test_r_queue_4_a_place_already_due_waits_for_the_next_run_of_the_admission_job() -> None:
    """Places 11..20 are due one minute in; at 1:30 the job has admitted 10: a minute more at most."""
    now = OPENING.opens_at + timedelta(seconds=90)
    behind = standing(OPENING, QueueEntry("a", "O1", T0, position=15), OpeningProgress(admitted=10), now)
    assert (behind.ahead, behind.estimated_wait_seconds) == (4, 60)
    written = standing(OPENING, QueueEntry("b", "O1", T0, position=9), OpeningProgress(admitted=10), now)
    assert (written.ahead, written.estimated_wait_seconds) == (0, 0)


def test_r_queue_2_a_claim_names_only_its_own_entry_of_its_candidate() -> None:
    claim = QueueClaim("a", 1)
    entry = QueueEntry("a", "O1", T0, round=1, candidate="cand-a")
    assert claim.names(entry, "cand-a")
    assert not claim.names(None, "cand-a")
    assert not claim.names(entry, "cand-b")
    assert not claim.names(QueueEntry("b", "O1", T0, round=1, candidate="cand-a"), "cand-a")
    assert not claim.names(QueueEntry("a", "O1", T0, round=0, candidate="cand-a"), "cand-a")


def test_r_queue_1_an_opening_guards_only_its_own_campuses() -> None:
    other = Opening("O2", "另一场", T0, T0 + timedelta(hours=1), T0 + timedelta(hours=3), ("C2", "C3"), 10, 15)
    assert openings_at([OPENING, other], "C1") == [OPENING]
    assert openings_at([OPENING, other], "C3") == [other]
    assert openings_at([OPENING, other], "C9") == []
