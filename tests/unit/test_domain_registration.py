"""The saved registration and the rules for its subjects (R-BIND-4, R-WRIT, R-ORAL, R-PAY-1, R-REV-3)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from chalicelib.domain.catalog import Capacity, capacity_colour
from chalicelib.domain.errors import (
    CampusNotOpen,
    ExternalNotAllowed,
    InvalidRequest,
    LevelTaken,
    NotFound,
    NotQualified,
    OralDepends,
    SubjectPaid,
    SubjectTaken,
    WrittenRequired,
)
from chalicelib.domain.identity import IdType
from chalicelib.domain.registration import (
    EMPTY_REGISTRATION_LIFETIME,
    PAY_WITHIN,
    ChosenSubject,
    Registration,
    SubjectStatus,
    check_oral_choice,
    check_removal,
    check_written_choice,
    oral_campus_choices,
    qualified_subjects,
    slot_of,
    subject_qualification,
    written_missing,
)
from chalicelib.domain.reviews import Cet6Review, ReviewStatus
from chalicelib.domain.roll import RollRow
from tests import factories
from tests.factories import NOW

SUBJECTS = factories.subjects()
CATALOG = factories.catalog()
HOUR = timedelta(hours=1)


def chosen(
    code: str,
    at: datetime = NOW,
    status: SubjectStatus = SubjectStatus.UNPAID,
    campus_id: str | None = None,
    hold_id: str | None = None,
) -> ChosenSubject:
    subject = SUBJECTS[code]
    return ChosenSubject(
        code=code,
        kind=subject.kind,
        level=subject.level,
        fee=subject.fee,
        status=status,
        chosen_at=at,
        pay_by=at + PAY_WITHIN,
        hold_id=hold_id or f"hold-{code}-{at.timestamp()}",
        campus_id=campus_id,
    )


def registration(*subjects: ChosenSubject, candidate: RollRow = factories.ZHANG) -> Registration:
    return Registration("acc-1", factories.entry(candidate), NOW, subjects)


def review(status: ReviewStatus, candidate: RollRow = factories.ZHANG) -> Cet6Review:
    return Cet6Review(
        review_id="acc-1",
        account_id="acc-1",
        school_id=candidate.school_id,
        id_type=candidate.id_type,
        identity=factories.protected_id(candidate.id_number),
        name=candidate.name,
        ticket_number=factories.TICKET_APPROVE,
        status=status,
        submitted_at=NOW,
    )


# R-ORAL-3: capacity colours
@pytest.mark.parametrize(
    ("capacity", "taken", "colour"),
    [
        (10, 0, Capacity.GREEN),
        (10, 4, Capacity.GREEN),  # 6 left: more than half
        (10, 5, Capacity.YELLOW),  # 5 left: exactly half
        (10, 9, Capacity.YELLOW),
        (10, 10, Capacity.NONE),
        (10, 11, Capacity.NONE),
        (1, 0, Capacity.GREEN),
        (1, 1, Capacity.NONE),
        (3, 1, Capacity.GREEN),  # 2 left of 3
        (3, 2, Capacity.YELLOW),  # 1 left of 3
        (0, 0, Capacity.NONE),
    ],
)
def test_r_oral_3_capacity_colour_at_the_boundaries(capacity: int, taken: int, colour: Capacity) -> None:
    assert capacity_colour(capacity, taken) is colour


# R-PAY-1: pay within 24 hours, gone at pay_by
def test_r_pay_1_a_subject_is_paid_within_24_hours_of_being_chosen() -> None:
    assert timedelta(hours=24) == PAY_WITHIN
    assert chosen("CET4").pay_by == NOW + timedelta(hours=24)


def test_r_pay_1_unpaid_subject_is_live_until_pay_by_and_gone_at_pay_by() -> None:
    subject = chosen("CET4")
    assert subject.is_live(NOW)
    assert subject.is_live(NOW + PAY_WITHIN - timedelta(seconds=1))
    assert not subject.is_live(NOW + PAY_WITHIN)
    assert not subject.is_live(NOW + 2 * PAY_WITHIN)


def test_r_pay_1_paid_subject_stays_live_after_pay_by() -> None:
    assert chosen("CET4", status=SubjectStatus.PAID).is_live(NOW + 10 * PAY_WITHIN)


def test_r_pay_1_subject_without_pay_by_stays_live() -> None:
    assert replace(chosen("CET4"), pay_by=None).is_live(NOW + 10 * PAY_WITHIN)


def test_r_pay_1_expired_subjects_are_left_out_of_live_reads() -> None:
    early = chosen("CET4")
    late = chosen("CET-SET4", at=NOW + 12 * HOUR, campus_id="NJU-GL")
    saved = registration(early, late)
    later = NOW + 25 * HOUR
    assert saved.live_subjects(later) == (late,)
    assert saved.expired_subjects(later) == (early,)
    assert saved.live_code("CET4", later) is None
    assert saved.in_slot(slot_of(early.kind, 4), later) is None
    assert saved.stale_in_slot(slot_of(early.kind, 4), later) == early


def test_r_writ_2_slot_is_one_per_kind_and_level() -> None:
    assert chosen("CET4").slot == chosen("CJT4").slot == "written#4"
    assert chosen("CET6").slot == "written#6"
    assert chosen("CET-SET4", campus_id="NJU-GL").slot == "oral#4"


# R-BIND-4: empty registrations go 24 hours after they were saved
def test_r_bind_4_empty_registration_expires_24_hours_after_it_was_saved() -> None:
    saved = registration()
    assert timedelta(hours=24) == EMPTY_REGISTRATION_LIFETIME
    assert saved.expires_at() == NOW + timedelta(hours=24)
    assert not saved.is_gone(NOW + 24 * HOUR - timedelta(seconds=1))
    assert saved.is_gone(NOW + 24 * HOUR)


def test_r_bind_4_an_unpaid_subject_keeps_the_registration_until_its_pay_by() -> None:
    saved = registration(chosen("CET4", at=NOW + 20 * HOUR))
    assert saved.expires_at() == NOW + 44 * HOUR
    assert not saved.is_gone(NOW + 30 * HOUR)
    assert saved.is_gone(NOW + 44 * HOUR)


def test_r_bind_4_registration_goes_once_its_subjects_expired_unpaid() -> None:
    saved = registration(chosen("CET4"))
    assert saved.expires_at() == NOW + 24 * HOUR
    assert saved.is_gone(NOW + 25 * HOUR)


def test_r_bind_4_registration_with_a_paid_subject_never_expires() -> None:
    saved = registration(chosen("CET4", status=SubjectStatus.PAID), chosen("CET-SET4", campus_id="NJU-GL"))
    assert saved.expires_at() is None
    assert not saved.is_gone(NOW + 1000 * HOUR)


def test_r_pay_2_amount_due_is_the_live_unpaid_fees() -> None:
    saved = registration(
        chosen("CET4", status=SubjectStatus.PAID),
        chosen("CET-SET4", campus_id="NJU-GL", at=NOW + 2 * HOUR),
        chosen("CET6", at=NOW + 3 * HOUR),
    )
    assert saved.amount_due(NOW + 3 * HOUR) == 5000 + 3000
    assert saved.amount_due(NOW + 26 * HOUR) == 3000  # the oral subject expired
    assert saved.amount_due(NOW + 28 * HOUR) == 0


# R-WRIT-1/2
def test_r_writ_1_written_subject_must_be_qualified() -> None:
    with pytest.raises(NotQualified):
        check_written_choice(registration(), SUBJECTS["CET6"], ("CET4", "CJT4"), NOW)


def test_r_writ_1_qualified_written_subject_is_accepted() -> None:
    check_written_choice(registration(), SUBJECTS["CET4"], ("CET4", "CJT4"), NOW)


def test_r_writ_2_second_subject_of_a_level_is_level_taken() -> None:
    with pytest.raises(LevelTaken):
        check_written_choice(registration(chosen("CET4")), SUBJECTS["CJT4"], ("CET4", "CJT4"), NOW)


def test_r_writ_2_same_subject_twice_is_subject_taken() -> None:
    with pytest.raises(SubjectTaken):
        check_written_choice(registration(chosen("CET4")), SUBJECTS["CET4"], ("CET4", "CJT4"), NOW)


def test_r_writ_2_other_level_is_free() -> None:
    check_written_choice(registration(chosen("CET4")), SUBJECTS["CET6"], ("CET4", "CET6"), NOW)


def test_r_pay_1_level_of_an_expired_subject_can_be_chosen_again() -> None:
    saved = registration(chosen("CET4"))
    check_written_choice(saved, SUBJECTS["CJT4"], ("CET4", "CJT4"), NOW + 25 * HOUR)
    check_written_choice(saved, SUBJECTS["CET4"], ("CET4", "CJT4"), NOW + 25 * HOUR)


def test_r_writ_2_oral_and_written_of_one_level_do_not_collide() -> None:
    saved = registration(chosen("CET4"))
    offering = check_oral_choice(saved, SUBJECTS["CET-SET4"], CATALOG.campuses["NJU-GL"], CATALOG, ("CET4",), NOW)
    assert offering.campus_id == "NJU-GL"


# R-ORAL-1/2/4
def test_r_oral_1_oral_subject_needs_the_qualification_of_its_level() -> None:
    saved = registration(chosen("CET4"))
    with pytest.raises(NotQualified):
        check_oral_choice(saved, SUBJECTS["CET-SET6"], CATALOG.campuses["NJU-GL"], CATALOG, ("CET4", "CJT4"), NOW)


def test_r_oral_1_subject_qualification_gives_a_reason() -> None:
    assert subject_qualification(SUBJECTS["CET-SET6"], ("CET4",)) == (False, "需先具备 CET6 笔试报考资格")
    assert subject_qualification(SUBJECTS["CET-SET4"], ("CET4",)) == (True, "")
    assert subject_qualification(SUBJECTS["CET6"], ("CET4",)) == (False, "无该科目报考资格")
    assert subject_qualification(SUBJECTS["CET4"], ("CET4",)) == (True, "")


def test_r_oral_1_campus_without_the_offering_is_an_invalid_request() -> None:
    saved = registration(chosen("CET4"))
    with pytest.raises(InvalidRequest) as raised:
        check_oral_choice(saved, SUBJECTS["CET-SET4"], CATALOG.campuses["OLD-1"], CATALOG, ("CET4",), NOW)
    assert raised.value.field == "campus_id"


def test_r_oral_1_campus_not_yet_open_is_refused() -> None:
    saved = registration(chosen("CET4"))
    with pytest.raises(CampusNotOpen):
        check_oral_choice(saved, SUBJECTS["CET-SET4"], CATALOG.campuses["NJU-XL"], CATALOG, ("CET4",), NOW)


def test_r_oral_1_campus_opens_at_its_own_time() -> None:
    saved = registration(chosen("CET4", at=factories.FAR_AHEAD - timedelta(hours=2)))
    opened = factories.FAR_AHEAD - timedelta(hours=1)
    offering = check_oral_choice(saved, SUBJECTS["CET-SET4"], CATALOG.campuses["NJU-XL"], CATALOG, ("CET4",), opened)
    assert offering.campus_id == "NJU-XL"


def test_r_oral_2_without_external_oral_only_the_written_campus_is_offered() -> None:
    choices = oral_campus_choices(factories.entry(factories.WANG), CATALOG, "CET-SET4")
    assert [c.id for c in choices] == ["SEU-SP"]


def test_r_oral_2_with_external_oral_every_offering_campus_is_a_choice() -> None:
    choices = oral_campus_choices(factories.entry(factories.ZHANG), CATALOG, "CET-SET4")
    assert sorted(c.id for c in choices) == ["NJU-GL", "NJU-XL", "SEU-SP"]


def test_r_oral_2_student_of_a_school_without_external_oral_cannot_choose_another_campus() -> None:
    saved = registration(chosen("CET4"), candidate=factories.WANG)
    with pytest.raises(ExternalNotAllowed):
        check_oral_choice(saved, SUBJECTS["CET-SET4"], CATALOG.campuses["NJU-GL"], CATALOG, ("CET4",), NOW)


def test_r_oral_2_student_of_a_school_without_external_oral_takes_the_written_campus() -> None:
    saved = registration(chosen("CET4"), candidate=factories.WANG)
    offering = check_oral_choice(saved, SUBJECTS["CET-SET4"], CATALOG.campuses["SEU-SP"], CATALOG, ("CET4",), NOW)
    assert offering.campus_id == "SEU-SP"


def test_r_oral_4_oral_subject_requires_the_english_written_subject_of_its_level() -> None:
    with pytest.raises(WrittenRequired):
        check_oral_choice(registration(), SUBJECTS["CET-SET4"], CATALOG.campuses["NJU-GL"], CATALOG, ("CET4",), NOW)


def test_r_oral_4_another_language_of_the_level_does_not_count() -> None:
    saved = registration(chosen("CJT4"))
    with pytest.raises(WrittenRequired):
        check_oral_choice(saved, SUBJECTS["CET-SET4"], CATALOG.campuses["NJU-GL"], CATALOG, ("CET4", "CJT4"), NOW)


def test_r_oral_4_expired_written_subject_does_not_count() -> None:
    saved = registration(chosen("CET4"), chosen("CET6", at=NOW + 12 * HOUR))
    with pytest.raises(WrittenRequired):
        check_oral_choice(
            saved, SUBJECTS["CET-SET4"], CATALOG.campuses["NJU-GL"], CATALOG, ("CET4", "CET6"), NOW + 25 * HOUR
        )


@pytest.mark.parametrize(
    ("held", "at", "missing"),
    [((), NOW, "CET4"), (("CJT4",), NOW, "CET4"), (("CET4",), NOW, None), (("CET4",), NOW + 25 * HOUR, "CET4")],
)
def test_r_oral_4_written_missing_is_what_the_oral_choice_refuses_on(
    held: tuple[str, ...], at: datetime, missing: str | None
) -> None:
    """The subject list's `needs_written` and WRITTEN_REQUIRED come from the same check."""
    saved = registration(*(chosen(code) for code in held), chosen("CET6", at=NOW + 12 * HOUR))
    assert written_missing(saved, SUBJECTS["CET-SET4"], at) == missing
    assert written_missing(saved, SUBJECTS["CET4"], at) is None
    campus, qualified = CATALOG.campuses["NJU-GL"], ("CET4", "CET6", "CJT4")
    if missing is None:
        check_oral_choice(saved, SUBJECTS["CET-SET4"], campus, CATALOG, qualified, at)
    else:
        with pytest.raises(WrittenRequired):
            check_oral_choice(saved, SUBJECTS["CET-SET4"], campus, CATALOG, qualified, at)


def test_r_oral_4_oral_subject_twice_is_subject_taken() -> None:
    saved = registration(chosen("CET4"), chosen("CET-SET4", campus_id="NJU-GL"))
    with pytest.raises(SubjectTaken):
        check_oral_choice(saved, SUBJECTS["CET-SET4"], CATALOG.campuses["SEU-SP"], CATALOG, ("CET4",), NOW)


# R-ORAL-5, R-PAY-3: removal
def test_r_oral_5_written_subject_under_a_held_oral_subject_stays() -> None:
    saved = registration(chosen("CET4"), chosen("CET-SET4", campus_id="NJU-GL"))
    with pytest.raises(OralDepends):
        check_removal(saved, "CET4", NOW)


def test_r_oral_5_oral_subject_goes_first_then_the_written_one() -> None:
    oral = chosen("CET-SET4", campus_id="NJU-GL")
    written = chosen("CET4")
    assert check_removal(registration(written, oral), "CET-SET4", NOW) == oral
    assert check_removal(registration(written), "CET4", NOW) == written


def test_r_oral_5_oral_subject_of_another_level_does_not_pin_the_written_one() -> None:
    saved = registration(chosen("CET4"), chosen("CET6"), chosen("CET-SET6", campus_id="NJU-GL"))
    assert check_removal(saved, "CET4", NOW).code == "CET4"
    with pytest.raises(OralDepends):
        check_removal(saved, "CET6", NOW)


def test_r_pay_3_paid_subject_cannot_be_removed() -> None:
    with pytest.raises(SubjectPaid):
        check_removal(registration(chosen("CET4", status=SubjectStatus.PAID)), "CET4", NOW)


def test_removing_a_subject_not_chosen_is_not_found() -> None:
    with pytest.raises(NotFound):
        check_removal(registration(chosen("CET4")), "CJT4", NOW)


def test_r_pay_1_removing_an_expired_subject_is_not_found() -> None:
    with pytest.raises(NotFound):
        check_removal(registration(chosen("CET4")), "CET4", NOW + 25 * HOUR)


# R-QUAL-3, R-REV-3: qualified subjects
def test_r_qual_3_qualified_subjects_come_from_the_roll() -> None:
    assert qualified_subjects(factories.entry(factories.ZHANG), None) == ("CET4", "CJT4")


def test_r_rev_3_approved_review_adds_cet6_at_once() -> None:
    assert qualified_subjects(factories.entry(factories.ZHANG), review(ReviewStatus.APPROVED)) == (
        "CET4",
        "CJT4",
        "CET6",
    )


@pytest.mark.parametrize("status", [ReviewStatus.PENDING, ReviewStatus.REJECTED])
def test_r_rev_3_pending_or_rejected_review_adds_nothing(status: ReviewStatus) -> None:
    assert qualified_subjects(factories.entry(factories.ZHANG), review(status)) == ("CET4", "CJT4")


def test_r_rev_3_approved_review_of_another_candidate_adds_nothing() -> None:
    assert qualified_subjects(
        factories.entry(factories.ZHANG), review(ReviewStatus.APPROVED, candidate=factories.QIAN)
    ) == (
        "CET4",
        "CJT4",
    )


def test_r_rev_3_same_number_under_another_id_type_adds_nothing() -> None:
    other_type = replace(review(ReviewStatus.APPROVED), id_type=IdType.HMT_RESIDENCE_PERMIT)
    assert "CET6" not in qualified_subjects(factories.entry(factories.ZHANG), other_type)


def test_r_rev_3_cet6_is_never_listed_twice() -> None:
    approved = review(ReviewStatus.APPROVED, candidate=factories.LI)
    assert qualified_subjects(factories.entry(factories.LI), approved) == ("CET4", "CET6")
