"""What a payment and an offer from the waiting list make (R-WAIT-2, R-ROOM-1, R-ROOM-3)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from chalicelib.domain.registration import ChosenSubject, SubjectStatus
from chalicelib.domain.roll import Accommodation
from chalicelib.domain.room_plan import Sitter, sitters_paid
from chalicelib.domain.waitlist import offer_pay_by
from tests.factories import NOW, ZHANG, entry, subjects


def test_r_wait_2_an_offer_is_held_2_hours_never_past_the_r_pay_1_deadline() -> None:
    assert offer_pay_by(NOW + timedelta(hours=24), NOW) == NOW + timedelta(hours=2)
    assert offer_pay_by(NOW + timedelta(minutes=90), NOW) == NOW + timedelta(minutes=90)
    assert offer_pay_by(NOW + timedelta(hours=2), NOW) == NOW + timedelta(hours=2)


def paid(code: str, campus_id: str | None = None) -> ChosenSubject:
    held = ChosenSubject.unpaid(subjects()[code], campus_id, NOW, NOW + timedelta(hours=24))
    return replace(held, status=SubjectStatus.PAID, pay_by=None)


def test_r_room_1_a_payment_gives_a_sitter_for_each_written_subject_at_the_candidates_campus() -> None:
    candidate = entry(ZHANG)
    settled = NOW + timedelta(minutes=3)
    sitters = sitters_paid("acc1", candidate, (paid("CET4"), paid("CET-SET4", "NJU-GL"), paid("CJT6")), settled)
    assert sitters == [
        Sitter("acc1", "NJU-GL", "CET4", 4, settled, "张三", candidate.masked_id, "NJU"),
        Sitter("acc1", "NJU-GL", "CJT6", 6, settled, "张三", candidate.masked_id, "NJU"),
    ]
    assert sitters_paid("acc1", candidate, (paid("CET-SET4", "NJU-GL"),), settled) == []


def test_r_room_3_a_sitter_keeps_the_candidates_accommodation() -> None:
    candidate = replace(entry(ZHANG), accommodation=Accommodation(separate_room=True, extra_minutes=25))
    (sitter,) = sitters_paid("acc1", candidate, (paid("CET6"),), NOW)
    assert (sitter.separate_room, sitter.extra_minutes) == (True, 25)


def test_r_wait_2_a_hold_is_marked_offered_only_when_the_waiting_list_gave_it() -> None:
    """The page and the expiry tell an offered seat (2 hours to pay) from a seat the student took."""
    subject = subjects()["CET-SET4"]
    assert not ChosenSubject.unpaid(subject, "NJU-GL", NOW, NOW + timedelta(hours=24)).offered
    assert ChosenSubject.unpaid(subject, "NJU-GL", NOW, NOW + timedelta(hours=2), offered=True).offered
