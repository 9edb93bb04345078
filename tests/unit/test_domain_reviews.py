"""The CET6 qualification review (R-REV-1..4)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from chalicelib.domain.errors import InvalidRequest, ReviewBefore2005, ReviewLocked, ReviewNoMatch, ReviewNotOffered
from chalicelib.domain.reviews import (
    Cet6Review,
    ReviewStatus,
    check_ticket_shape,
    ensure_offered,
    ensure_unlocked,
    judge_review,
    review_offered,
)
from chalicelib.domain.roll import CET4_PASS, Cet4Record
from tests import factories
from tests.factories import NOW

CATALOG = factories.catalog()
ZHANG_ROW = factories.ZHANG
ZHANG = factories.entry(ZHANG_ROW)  # as the service holds it: the number only as a keyed hash
RECORDS = {row.ticket_number: row.protected(factories.protected_id) for row in factories.scores()}


def record(ticket: str) -> Cet4Record:
    return RECORDS[ticket]


def a_review(status: ReviewStatus) -> Cet6Review:
    return Cet6Review(
        review_id="acc-1",
        account_id="acc-1",
        school_id="NJU",
        id_type=ZHANG.id_type,
        identity=ZHANG.identity,
        name=ZHANG.name,
        ticket_number=factories.TICKET_PENDING,
        status=status,
        submitted_at=NOW,
    )


# R-REV-1: when the review is offered
def test_r_rev_1_offered_to_a_cet4_candidate_at_a_cet6_campus() -> None:
    assert review_offered(ZHANG, CATALOG)
    ensure_offered(ZHANG, CATALOG)


def test_r_rev_1_not_offered_when_cet6_is_already_qualified() -> None:
    assert not review_offered(factories.LI, CATALOG)


def test_r_rev_1_not_offered_to_a_barred_candidate() -> None:
    assert not review_offered(factories.QIAN, CATALOG)


def test_r_rev_1_not_offered_when_the_written_campus_has_no_cet6() -> None:
    assert not review_offered(factories.SUN, CATALOG)
    with pytest.raises(ReviewNotOffered):
        ensure_offered(factories.SUN, CATALOG)


def test_r_rev_1_not_offered_when_the_campus_is_unknown() -> None:
    assert not review_offered(replace(ZHANG, campus_id="NOWHERE"), CATALOG)


def test_r_rev_1_offered_to_a_student_of_another_school_with_cet6() -> None:
    assert review_offered(factories.WANG, CATALOG)


# R-REV-2/3: judging a ticket
def test_r_rev_3_rule_1_ticket_and_id_number_approve_whatever_the_name() -> None:
    assert record(factories.TICKET_APPROVE).name != ZHANG.name
    assert judge_review(ZHANG, record(factories.TICKET_APPROVE)) is ReviewStatus.APPROVED


def test_r_rev_3_rule_2_ticket_and_name_with_another_id_number_is_pending() -> None:
    assert record(factories.TICKET_PENDING).identity != ZHANG.identity
    assert judge_review(ZHANG, record(factories.TICKET_PENDING)) is ReviewStatus.PENDING


def test_r_rev_3_rule_3_no_record_cannot_be_submitted() -> None:
    with pytest.raises(ReviewNoMatch):
        judge_review(ZHANG, None)


def test_r_rev_3_rule_3_neither_id_number_nor_name_match() -> None:
    with pytest.raises(ReviewNoMatch):
        judge_review(ZHANG, record(factories.TICKET_NOBODY))


def test_r_rev_3_failing_score_cannot_be_submitted() -> None:
    with pytest.raises(ReviewNoMatch):
        judge_review(ZHANG, record(factories.TICKET_LOW))


def test_r_rev_2_results_before_2005_go_to_staff_by_hand() -> None:
    with pytest.raises(ReviewBefore2005) as raised:
        judge_review(ZHANG, record(factories.TICKET_OLD))
    assert "学校负责老师" in raised.value.message


@pytest.mark.parametrize(("score", "passed"), [(CET4_PASS - 1, False), (CET4_PASS, True), (710, True)])
def test_r_rev_1_a_pass_is_a_score_of_425_or_more(score: int, passed: bool) -> None:
    found = replace(record(factories.TICKET_APPROVE), score=score)
    assert CET4_PASS == 425
    assert found.passed is passed
    if passed:
        assert judge_review(ZHANG, found) is ReviewStatus.APPROVED
    else:
        with pytest.raises(ReviewNoMatch):
            judge_review(ZHANG, found)


@pytest.mark.parametrize(("year", "before"), [(2004, True), (2005, False), (2025, False)])
def test_r_rev_2_2005_is_the_first_year_online(year: int, before: bool) -> None:
    found = replace(record(factories.TICKET_APPROVE), year=year)
    if before:
        with pytest.raises(ReviewBefore2005):
            judge_review(ZHANG, found)
    else:
        assert judge_review(ZHANG, found) is ReviewStatus.APPROVED


def test_r_rev_2_ticket_is_15_digits() -> None:
    assert check_ticket_shape(f" {factories.TICKET_APPROVE} ") == factories.TICKET_APPROVE


@pytest.mark.parametrize("ticket", ["", "32001216100000", "3200121610000011", "32001216100000A", "320012161 00001"])
def test_r_rev_2_ticket_of_another_shape_is_an_invalid_request(ticket: str) -> None:
    with pytest.raises(InvalidRequest) as raised:
        check_ticket_shape(ticket)
    assert raised.value.field == "ticket_number"


# R-REV-3/4: locking
@pytest.mark.parametrize(
    ("status", "locked"),
    [(ReviewStatus.PENDING, True), (ReviewStatus.APPROVED, True), (ReviewStatus.REJECTED, False)],
)
def test_r_rev_4_pending_and_approved_reviews_are_locked(status: ReviewStatus, locked: bool) -> None:
    review = a_review(status)
    assert review.locked is locked
    if locked:
        with pytest.raises(ReviewLocked):
            ensure_unlocked(review)
    else:
        ensure_unlocked(review)


def test_r_rev_3_staff_decision_records_status_note_and_time() -> None:
    later = NOW + timedelta(hours=3)
    approved = a_review(ReviewStatus.PENDING).decided(True, "核对成绩单无误", later)
    assert (approved.status, approved.note, approved.decided_at) == (ReviewStatus.APPROVED, "核对成绩单无误", later)
    rejected = a_review(ReviewStatus.PENDING).decided(False, "", later)
    assert rejected.status is ReviewStatus.REJECTED


def test_r_rev_3_only_an_approved_review_of_the_same_candidate_grants_cet6() -> None:
    assert a_review(ReviewStatus.APPROVED).grants_cet6_to(ZHANG)
    assert not a_review(ReviewStatus.PENDING).grants_cet6_to(ZHANG)
    assert not a_review(ReviewStatus.APPROVED).grants_cet6_to(factories.entry(factories.LI))


def test_review_shows_a_masked_id_number() -> None:
    assert a_review(ReviewStatus.PENDING).masked_id == ZHANG.masked_id
    assert ZHANG_ROW.id_number not in a_review(ReviewStatus.PENDING).masked_id
