"""The expiry job and the TTL stream handler on the in-memory fakes (R-PAY-1, R-BIND-4)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from chalicelib.domain.clock import FixedClock
from chalicelib.domain.registration import PAY_WITHIN, Registration, SubjectStatus
from chalicelib.services import expiry
from chalicelib.services import registration as reg
from tests.factories import LI, ZHANG, entry
from tests.fakes import FakeContexts
from tests.unit.test_services_registration import GL_SET4, HOUR, choose, saved_student, student


def run(world: FakeContexts, clock: FixedClock) -> dict[str, int]:
    return expiry.expire(world.registration.registrations, clock.now()).as_dict()


def stored(world: FakeContexts, account_id: str) -> Registration | None:
    return world.registration.registrations.get(account_id)


def test_r_pay_1_unpaid_subjects_go_at_pay_by_with_their_seat(world: FakeContexts, clock: FixedClock) -> None:
    """R-PAY-1 and R-BIND-4: 24 h after choosing, nothing paid: subjects, seat and registration go."""
    early = saved_student(world, ZHANG, "CET4")
    choose(world.registration, early, "CET-SET4", "NJU-GL")
    clock.advance(HOUR)
    later = saved_student(world, LI, "CET4")
    assert world.db.seats[GL_SET4] == 1

    clock.advance(PAY_WITHIN.total_seconds() - HOUR + 1)  # ZHANG's subjects are due, LI's are not
    report = run(world, clock)

    assert report == {"expired_subjects": 2, "deleted_registrations": 1, "rescheduled": 0, "skipped": 0}
    assert stored(world, early.account_id) is None
    assert world.registration.registrations.bound_account(entry(ZHANG).key) is None  # R-BIND-4: both sides
    assert world.db.seats[GL_SET4] == 0
    later_registration = stored(world, later.account_id)
    assert later_registration is not None
    assert [s.code for s in later_registration.subjects] == ["CET4"]


def test_r_bind_4_a_registration_that_never_chose_goes_after_24_hours(world: FakeContexts, clock: FixedClock) -> None:
    account = saved_student(world, ZHANG)
    clock.advance(PAY_WITHIN.total_seconds() - 1)
    assert run(world, clock)["deleted_registrations"] == 0
    clock.advance(2)
    assert run(world, clock)["deleted_registrations"] == 1
    assert stored(world, account.account_id) is None
    another = student(world)
    reg.save_registration(world.registration, another, ZHANG.id_type.value, ZHANG.id_number, ZHANG.name)


def test_r_bind_4_a_registration_with_live_subjects_waits_for_them(world: FakeContexts, clock: FixedClock) -> None:
    """Due at saved + 24 h but holding a subject chosen later: rescheduled, then deleted with it."""
    account = saved_student(world, ZHANG)
    clock.advance(2 * HOUR)
    choose(world.registration, account, "CET4")
    clock.advance(PAY_WITHIN.total_seconds() - HOUR)  # saved + 25 h: the subject is due at + 26 h

    assert run(world, clock) == {"expired_subjects": 0, "deleted_registrations": 0, "rescheduled": 1, "skipped": 0}
    assert stored(world, account.account_id) is not None
    clock.advance(HOUR + 1)
    assert run(world, clock)["deleted_registrations"] == 1


def test_r_pay_1_an_expired_oral_hold_goes_while_a_later_subject_keeps_the_registration(
    world: FakeContexts, clock: FixedClock
) -> None:
    account = saved_student(world, LI, "CET4")
    choose(world.registration, account, "CET-SET4", "NJU-GL")
    clock.advance(23 * HOUR)
    choose(world.registration, account, "CET6")
    clock.advance(HOUR + 1)

    report = run(world, clock)

    assert report == {"expired_subjects": 2, "deleted_registrations": 0, "rescheduled": 1, "skipped": 0}
    left = stored(world, account.account_id)
    assert left is not None
    assert [s.code for s in left.subjects] == ["CET6"]
    assert world.db.seats[GL_SET4] == 0
    assert run(world, clock) == {"expired_subjects": 0, "deleted_registrations": 0, "rescheduled": 0, "skipped": 0}


def test_r_pay_3_a_paid_subject_keeps_the_registration_for_good(world: FakeContexts, clock: FixedClock) -> None:
    account = saved_student(world, ZHANG, "CET4")
    hold = world.db.holds[account.account_id]["written#4"]
    world.db.holds[account.account_id]["written#4"] = replace(hold, status=SubjectStatus.PAID)
    clock.advance(3 * PAY_WITHIN.total_seconds())
    run(world, clock)
    assert stored(world, account.account_id) is not None
    assert run(world, clock)["rescheduled"] == 0  # out of the queue once paid


@pytest.mark.parametrize("first", ["job", "ttl"])
def test_r_oral_4_a_seat_goes_back_once_whether_the_job_or_ttl_gets_there_first(
    world: FakeContexts, clock: FixedClock, first: str
) -> None:
    """Architecture invariant: a seat is released at most once; TTL deletion reaches us by stream."""
    account = saved_student(world, LI, "CET4")
    choose(world.registration, account, "CET-SET4", "NJU-GL")
    clock.advance(23 * HOUR)
    choose(world.registration, account, "CET6")  # keeps the registration alive
    clock.advance(2 * HOUR)
    registrations = world.registration.registrations
    hold = next(s for s in world.db.holds[account.account_id].values() if s.code == "CET-SET4")

    if first == "job":
        run(world, clock)
        released = expiry.release_removed_holds(registrations, [{"hold": hold}], clock.now())
    else:
        image = registrations.expire_by_ttl(account.account_id, hold)
        released = expiry.release_removed_holds(registrations, [image, image], clock.now())  # redelivered
        run(world, clock)

    assert released == (0 if first == "job" else 1)
    assert world.db.seats[GL_SET4] == 0
    assert world.db.released >= {hold.hold_id}
