"""The student flow on the in-memory fakes: lookup, CET6 review, binding, subjects, seats, expiry.

R-QUAL, R-REV, R-BIND, R-WRIT, R-ORAL, R-PAY-1.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta

import pytest

from chalicelib.domain.accounts import Account
from chalicelib.domain.catalog import Capacity
from chalicelib.domain.clock import FixedClock
from chalicelib.domain.errors import (
    AccountAlreadyBound,
    AgreementRequired,
    CampusFull,
    CampusNotOpen,
    CandidateAlreadyBound,
    CandidateNotFound,
    DomainError,
    ExternalNotAllowed,
    Forbidden,
    IdentityMismatch,
    InvalidIdNumber,
    InvalidRequest,
    LevelTaken,
    NotFound,
    NotQualified,
    OralDepends,
    RegistrationClosed,
    ReviewBefore2005,
    ReviewExists,
    ReviewLocked,
    ReviewNoMatch,
    ReviewNotOffered,
    ReviewNotPending,
    SubjectPaid,
    SubjectTaken,
    UnsupportedIdType,
    WrittenRequired,
)
from chalicelib.domain.registration import PAY_WITHIN, Registration, SubjectStatus
from chalicelib.domain.reviews import Cet6Review, ReviewStatus
from chalicelib.domain.roll import RollRow
from chalicelib.services import qualification as qual
from chalicelib.services import registration as reg
from chalicelib.services.province import ProvinceLoading, load_province
from chalicelib.services.registration_context import RegistrationContext
from tests import factories
from tests.factories import LI, NOW, QIAN, SUN, WANG, ZHANG, ZHAO, entry
from tests.fakes import FakeAccounts, FakeActivations, FakeContexts, FakeDatabase, FakeProvince, fake_contexts
from tests.race import all_at_once

HOUR = 3600
GL_SET4 = ("NJU-GL", "CET-SET4")
SP_SET4 = ("SEU-SP", "CET-SET4")


@pytest.fixture
def ctx(world: FakeContexts) -> RegistrationContext:
    return world.registration


@pytest.fixture
def db(world: FakeContexts) -> FakeDatabase:
    return world.db


def student(world: FakeContexts, agreed: bool = True) -> Account:
    account = Account(
        account_id=uuid.uuid4().hex,
        login=f"{uuid.uuid4().hex[:12]}@example.com",
        password_hash="not-used-here",
        agreement_accepted_at=NOW if agreed else None,
        created_at=NOW,
    )
    world.accounts.accounts.create(account)
    return account


def staff(world: FakeContexts, school: str) -> Account:
    account = world.accounts.accounts.by_login(f"staff@{school.lower()}.edu.cn")
    assert account is not None
    return account


def look_up(ctx: RegistrationContext, account: Account, entry: RollRow) -> qual.Qualification:
    return qual.look_up(ctx, account, entry.id_type.value, entry.id_number, entry.name)


def submit(ctx: RegistrationContext, account: Account, entry: RollRow, ticket: str) -> Cet6Review:
    return qual.submit_review(ctx, account, entry.id_type.value, entry.id_number, entry.name, ticket)


def save(ctx: RegistrationContext, account: Account, entry: RollRow) -> Registration:
    return reg.save_registration(ctx, account, entry.id_type.value, entry.id_number, entry.name)


def choose(ctx: RegistrationContext, account: Account, code: str, campus_id: str | None = None) -> Registration:
    return reg.choose_subject(ctx, account, code, campus_id)


def codes(registration: Registration, clock: FixedClock) -> list[str]:
    return [s.code for s in registration.live_subjects(clock.now())]


def saved_student(world: FakeContexts, entry: RollRow = ZHANG, *written: str) -> Account:
    account = student(world)
    save(world.registration, account, entry)
    for code in written:
        choose(world.registration, account, code)
    return account


# Lookup (R-QUAL-1..4)
def test_r_qual_1_lookup_needs_the_agreement(world: FakeContexts, ctx: RegistrationContext) -> None:
    with pytest.raises(AgreementRequired):
        look_up(ctx, student(world, agreed=False), ZHANG)


def test_r_qual_3_lookup_shows_roll_and_qualification(world: FakeContexts, ctx: RegistrationContext) -> None:
    found = look_up(ctx, student(world), ZHANG)
    assert found.candidate == entry(ZHANG)
    assert found.qualified_subjects == ("CET4", "CJT4")
    assert found.review is None
    assert found.review_offered
    assert ZHANG.id_number not in found.candidate.masked_id


def test_r_qual_2_name_must_match_the_roll(world: FakeContexts, ctx: RegistrationContext) -> None:
    with pytest.raises(CandidateNotFound):
        qual.look_up(ctx, student(world), "resident_id", ZHANG.id_number, "李四")


def test_r_qual_2_name_is_trimmed(world: FakeContexts, ctx: RegistrationContext) -> None:
    assert qual.look_up(ctx, student(world), "resident_id", ZHANG.id_number, " 张三 ").candidate == entry(ZHANG)


def test_r_qual_2_unknown_id_number_is_candidate_not_found(world: FakeContexts, ctx: RegistrationContext) -> None:
    with pytest.raises(CandidateNotFound):
        qual.look_up(ctx, student(world), "resident_id", factories.resident_id(500), "张三")


def test_r_qual_2_military_officer_id_is_unsupported(world: FakeContexts, ctx: RegistrationContext) -> None:
    with pytest.raises(UnsupportedIdType):
        qual.look_up(ctx, student(world), "military_officer", "军字第123456号", "张三")


def test_r_qual_4_bad_check_digit_is_refused_before_lookup(world: FakeContexts, ctx: RegistrationContext) -> None:
    wrong = ZHANG.id_number[:17] + ("3" if ZHANG.id_number[17] != "3" else "4")
    with pytest.raises(InvalidIdNumber):
        qual.look_up(ctx, student(world), "resident_id", wrong, "张三")


def test_r_qual_2_passport_lookup_by_shape(world: FakeContexts, ctx: RegistrationContext) -> None:
    found = qual.look_up(ctx, student(world), "passport", "e12345678", "JOHN SMITH")
    assert found.candidate == entry(factories.PASSPORT)


def test_r_rev_1_lookup_says_when_the_review_is_not_offered(world: FakeContexts, ctx: RegistrationContext) -> None:
    account = student(world)
    assert not look_up(ctx, account, LI).review_offered
    assert not look_up(ctx, account, QIAN).review_offered
    assert not look_up(ctx, account, SUN).review_offered


# CET6 review (R-REV-1..4)
def test_r_rev_3_rule_1_approved_at_once_makes_cet6_qualified(
    world: FakeContexts, ctx: RegistrationContext, clock: FixedClock
) -> None:
    account = student(world)
    review = submit(ctx, account, ZHANG, factories.TICKET_APPROVE)
    assert review.status is ReviewStatus.APPROVED
    assert review.decided_at == NOW
    found = look_up(ctx, account, ZHANG)
    assert "CET6" in found.qualified_subjects
    assert found.review == review
    assert not found.review_offered
    save(ctx, account, ZHANG)
    assert codes(choose(ctx, account, "CET6"), clock) == ["CET6"]


def fresh(world: FakeContexts, account: Account) -> Account:
    """The account as the next request reads it (the API reads it again on every call)."""
    found = world.accounts.accounts.get(account.account_id)
    assert found is not None
    return found


def test_r_rev_4_a_bound_account_files_a_review_for_its_own_candidate_only(
    world: FakeContexts, ctx: RegistrationContext
) -> None:
    """api.md IDENTITY_MISMATCH: bound to LI, a review for ZHANG (pending, in NJU's queue) is refused."""
    account = saved_student(world, LI)
    with pytest.raises(IdentityMismatch):
        submit(ctx, fresh(world, account), ZHANG, factories.TICKET_PENDING)
    look_up(ctx, fresh(world, account), ZHANG)  # looking another one up changes nothing once bound
    with pytest.raises(IdentityMismatch):
        submit(ctx, fresh(world, account), ZHANG, factories.TICKET_PENDING)
    assert ctx.reviews.list_for_school("NJU", ReviewStatus.PENDING) == []
    mine = saved_student(world, ZHANG)
    look_up(ctx, fresh(world, mine), LI)
    assert submit(ctx, fresh(world, mine), ZHANG, factories.TICKET_PENDING).status is ReviewStatus.PENDING


def test_r_rev_4_an_unbound_account_files_for_the_candidate_it_last_looked_up(
    world: FakeContexts, ctx: RegistrationContext
) -> None:
    """api.md IDENTITY_MISMATCH: not bound, only the last looked-up candidate; kept as its digest key."""
    account = student(world)
    look_up(ctx, account, LI)
    assert fresh(world, account).looked_up == entry(LI).key
    with pytest.raises(IdentityMismatch):
        submit(ctx, fresh(world, account), ZHANG, factories.TICKET_PENDING)
    look_up(ctx, fresh(world, account), ZHANG)
    assert ZHANG.id_number not in (fresh(world, account).looked_up or "")
    assert submit(ctx, fresh(world, account), ZHANG, factories.TICKET_APPROVE).status is ReviewStatus.APPROVED


def test_r_rev_4_approved_review_can_be_neither_changed_nor_cancelled(
    world: FakeContexts, ctx: RegistrationContext
) -> None:
    account = student(world)
    submit(ctx, account, ZHANG, factories.TICKET_APPROVE)
    with pytest.raises(ReviewLocked):
        qual.modify_review(ctx, account, factories.TICKET_PENDING)
    with pytest.raises(ReviewLocked):
        qual.delete_review(ctx, account)
    assert qual.current_review(ctx, account).status is ReviewStatus.APPROVED


def test_r_rev_3_rule_2_pending_review_is_locked_and_grants_nothing(
    world: FakeContexts, ctx: RegistrationContext
) -> None:
    account = student(world)
    review = submit(ctx, account, ZHANG, factories.TICKET_PENDING)
    assert review.status is ReviewStatus.PENDING
    assert review.decided_at is None
    with pytest.raises(ReviewLocked):
        qual.modify_review(ctx, account, factories.TICKET_APPROVE)
    with pytest.raises(ReviewLocked):
        qual.delete_review(ctx, account)
    found = look_up(ctx, account, ZHANG)
    assert "CET6" not in found.qualified_subjects
    assert found.review is not None
    assert found.review.status is ReviewStatus.PENDING


def test_r_rev_3_rule_2_staff_approve_a_pending_review(world: FakeContexts, ctx: RegistrationContext) -> None:
    account = student(world)
    review = submit(ctx, account, ZHANG, factories.TICKET_PENDING)
    assert qual.pending_reviews(ctx, "NJU", ReviewStatus.PENDING) == [review]
    decided = qual.decide_review(ctx, "NJU", review.review_id, True, "成绩单核对无误")
    assert decided.status is ReviewStatus.APPROVED
    assert decided.note == "成绩单核对无误"
    assert qual.pending_reviews(ctx, "NJU", ReviewStatus.PENDING) == []
    assert qual.pending_reviews(ctx, "NJU", ReviewStatus.APPROVED) == [decided]
    assert "CET6" in look_up(ctx, account, ZHANG).qualified_subjects


def test_r_rev_3_rule_2_staff_of_another_school_are_forbidden(world: FakeContexts, ctx: RegistrationContext) -> None:
    review = submit(ctx, student(world), ZHANG, factories.TICKET_PENDING)
    school = staff(world, "SEU").school_id
    assert school == "SEU"
    with pytest.raises(Forbidden):
        qual.decide_review(ctx, school, review.review_id, True, "")
    assert qual.pending_reviews(ctx, "SEU", ReviewStatus.PENDING) == []


def test_r_rev_3_decided_review_is_not_pending_any_more(world: FakeContexts, ctx: RegistrationContext) -> None:
    review = submit(ctx, student(world), ZHANG, factories.TICKET_PENDING)
    qual.decide_review(ctx, "NJU", review.review_id, False, "准考证号与本人不符")
    with pytest.raises(ReviewNotPending):
        qual.decide_review(ctx, "NJU", review.review_id, True, "")


def test_r_rev_3_approved_at_once_review_cannot_be_decided(world: FakeContexts, ctx: RegistrationContext) -> None:
    review = submit(ctx, student(world), ZHANG, factories.TICKET_APPROVE)
    with pytest.raises(ReviewNotPending):
        qual.decide_review(ctx, "NJU", review.review_id, False, "")


def test_deciding_an_unknown_review_is_not_found(ctx: RegistrationContext) -> None:
    with pytest.raises(NotFound):
        qual.decide_review(ctx, "NJU", "no-such-review", True, "")


def test_r_rev_3_rejected_review_may_be_modified_and_resubmitted(
    world: FakeContexts, ctx: RegistrationContext, clock: FixedClock
) -> None:
    account = student(world)
    review = submit(ctx, account, ZHANG, factories.TICKET_PENDING)
    qual.decide_review(ctx, "NJU", review.review_id, False, "")
    assert "CET6" not in look_up(ctx, account, ZHANG).qualified_subjects
    clock.advance(HOUR)
    modified = qual.modify_review(ctx, account, factories.TICKET_APPROVE)
    assert modified.status is ReviewStatus.APPROVED
    assert modified.submitted_at == NOW + timedelta(hours=1)
    assert qual.current_review(ctx, account) == modified
    assert "CET6" in look_up(ctx, account, ZHANG).qualified_subjects


def test_r_rev_3_rejected_review_resubmitted_with_a_bad_ticket_stays_rejected(
    world: FakeContexts, ctx: RegistrationContext
) -> None:
    account = student(world)
    review = submit(ctx, account, ZHANG, factories.TICKET_PENDING)
    qual.decide_review(ctx, "NJU", review.review_id, False, "")
    with pytest.raises(ReviewNoMatch):
        qual.modify_review(ctx, account, factories.TICKET_NOBODY)
    assert qual.current_review(ctx, account).status is ReviewStatus.REJECTED


def test_r_rev_3_rejected_review_may_be_deleted(world: FakeContexts, ctx: RegistrationContext) -> None:
    account = student(world)
    review = submit(ctx, account, ZHANG, factories.TICKET_PENDING)
    qual.decide_review(ctx, "NJU", review.review_id, False, "")
    qual.delete_review(ctx, account)
    with pytest.raises(NotFound):
        qual.current_review(ctx, account)
    assert submit(ctx, account, ZHANG, factories.TICKET_APPROVE).status is ReviewStatus.APPROVED


def test_deleting_or_modifying_no_review_is_not_found(world: FakeContexts, ctx: RegistrationContext) -> None:
    account = student(world)
    with pytest.raises(NotFound):
        qual.delete_review(ctx, account)
    with pytest.raises(NotFound):
        qual.modify_review(ctx, account, factories.TICKET_APPROVE)


def test_r_rev_4_one_review_per_account(world: FakeContexts, ctx: RegistrationContext) -> None:
    account = student(world)
    submit(ctx, account, ZHANG, factories.TICKET_PENDING)
    with pytest.raises(ReviewExists) as raised:
        submit(ctx, account, ZHANG, factories.TICKET_APPROVE)
    assert raised.value.code == "REVIEW_EXISTS"


@pytest.mark.parametrize("entry", [LI, QIAN, SUN], ids=["already-cet6", "barred", "campus-without-cet6"])
def test_r_rev_1_review_not_offered(world: FakeContexts, ctx: RegistrationContext, entry: RollRow) -> None:
    with pytest.raises(ReviewNotOffered) as raised:
        submit(ctx, student(world), entry, factories.TICKET_APPROVE)
    assert raised.value.code == "REVIEW_NOT_OFFERED"


@pytest.mark.parametrize("ticket", [factories.TICKET_NOBODY, factories.TICKET_LOW, "320012169999999"])
def test_r_rev_3_rule_3_no_passing_match_cannot_be_submitted(
    world: FakeContexts, ctx: RegistrationContext, ticket: str
) -> None:
    account = student(world)
    with pytest.raises(ReviewNoMatch):
        submit(ctx, account, ZHANG, ticket)
    assert world.registration.reviews.get(account.account_id) is None


def test_r_rev_2_results_before_2005_cannot_be_submitted(world: FakeContexts, ctx: RegistrationContext) -> None:
    account = student(world)
    with pytest.raises(ReviewBefore2005):
        submit(ctx, account, ZHANG, factories.TICKET_OLD)
    assert world.registration.reviews.get(account.account_id) is None


def test_r_rev_2_ticket_must_be_15_digits(world: FakeContexts, ctx: RegistrationContext) -> None:
    with pytest.raises(InvalidRequest) as raised:
        submit(ctx, student(world), ZHANG, "12345")
    assert raised.value.field == "ticket_number"


def test_r_qual_1_review_needs_the_agreement(world: FakeContexts, ctx: RegistrationContext) -> None:
    with pytest.raises(AgreementRequired):
        submit(ctx, student(world, agreed=False), ZHANG, factories.TICKET_APPROVE)


# Saving and binding (R-BIND-1..4)
def test_r_bind_1_save_binds_a_snapshot_to_the_account(world: FakeContexts, ctx: RegistrationContext) -> None:
    account = student(world)
    saved = save(ctx, account, ZHANG)
    assert (saved.account_id, saved.candidate, saved.saved_at, saved.subjects) == (
        account.account_id,
        entry(ZHANG),
        NOW,
        (),
    )
    assert reg.current_registration(ctx, account) == saved
    assert ctx.registrations.bound_account(entry(ZHANG).key) == account.account_id


def test_r_bind_1_outside_the_window_registration_is_closed(world: FakeContexts, ctx: RegistrationContext) -> None:
    account = student(world)
    with pytest.raises(RegistrationClosed):
        save(ctx, account, ZHAO)
    assert ctx.registrations.get(account.account_id) is None
    assert ctx.registrations.bound_account(entry(ZHAO).key) is None


def test_r_bind_1_save_needs_a_matching_roll_entry(world: FakeContexts, ctx: RegistrationContext) -> None:
    with pytest.raises(CandidateNotFound):
        reg.save_registration(ctx, student(world), "resident_id", ZHANG.id_number, "王五")


def test_r_bind_2_one_account_binds_one_candidate(world: FakeContexts, ctx: RegistrationContext) -> None:
    account = student(world)
    save(ctx, account, ZHANG)
    with pytest.raises(AccountAlreadyBound):
        save(ctx, account, LI)
    with pytest.raises(AccountAlreadyBound):
        save(ctx, account, ZHANG)
    assert ctx.registrations.bound_account(entry(LI).key) is None


def test_r_bind_2_one_candidate_binds_to_one_account(world: FakeContexts, ctx: RegistrationContext) -> None:
    first = student(world)
    save(ctx, first, ZHANG)
    second = student(world)
    with pytest.raises(CandidateAlreadyBound):
        save(ctx, second, ZHANG)
    assert ctx.registrations.get(second.account_id) is None
    assert ctx.registrations.bound_account(entry(ZHANG).key) == first.account_id


def test_r_bind_2_concurrent_saves_of_one_candidate_bind_once(world: FakeContexts, ctx: RegistrationContext) -> None:
    accounts = [student(world) for _ in range(12)]
    results = all_at_once([lambda a=a: save(ctx, a, ZHANG) for a in accounts])
    outcomes = [r.code if isinstance(r, DomainError) else "bound" for r in results]
    assert sorted(outcomes) == ["CANDIDATE_ALREADY_BOUND"] * 11 + ["bound"]


def test_r_bind_3_saved_registration_is_a_snapshot_of_the_roll(
    world: FakeContexts, ctx: RegistrationContext, db: FakeDatabase
) -> None:
    account = student(world)
    save(ctx, account, ZHANG)
    edited = replace(ZHANG, student_no="S999999", qualified_subjects=("CET4",), campus_id="NJU-XL")
    data = factories.province()
    load_province(
        ProvinceLoading(FakeProvince(db), FakeAccounts(db), FakeActivations(db), factories.protection),
        replace(data, roll=(edited,)),
        NOW,
    )
    assert look_up(ctx, account, ZHANG).candidate == entry(edited)
    assert reg.current_registration(ctx, account).candidate == entry(ZHANG)


def test_r_bind_4_empty_registration_is_gone_after_24_hours(
    world: FakeContexts, ctx: RegistrationContext, clock: FixedClock
) -> None:
    account = saved_student(world)
    clock.advance(24 * HOUR - 1)
    reg.current_registration(ctx, account)
    clock.advance(1)
    with pytest.raises(NotFound):
        reg.current_registration(ctx, account)
    assert reg.registration_or_none(ctx, account) is None


def test_r_bind_4_gone_registration_no_longer_blocks_the_candidate(
    world: FakeContexts, ctx: RegistrationContext, clock: FixedClock
) -> None:
    first = saved_student(world)
    clock.advance(25 * HOUR)
    second = student(world)
    saved = save(ctx, second, ZHANG)
    assert saved.saved_at == NOW + timedelta(hours=25)
    assert ctx.registrations.bound_account(entry(ZHANG).key) == second.account_id
    assert ctx.registrations.get(first.account_id) is None  # both sides of the old binding are freed


def test_r_bind_4_gone_registration_no_longer_blocks_the_account(
    world: FakeContexts, ctx: RegistrationContext, clock: FixedClock
) -> None:
    account = saved_student(world)
    clock.advance(25 * HOUR)
    assert save(ctx, account, LI).candidate == entry(LI)
    assert ctx.registrations.bound_account(entry(ZHANG).key) is None


def test_r_bind_4_candidate_verifies_the_roll_again_after_a_gone_registration(
    world: FakeContexts, ctx: RegistrationContext, clock: FixedClock
) -> None:
    account = saved_student(world)
    clock.advance(25 * HOUR)
    assert save(ctx, account, ZHANG).saved_at == clock.now()
    assert ctx.registrations.bound_account(entry(ZHANG).key) == account.account_id


def test_r_bind_4_registration_still_alive_keeps_blocking(
    world: FakeContexts, ctx: RegistrationContext, clock: FixedClock
) -> None:
    saved_student(world)
    clock.advance(23 * HOUR)
    with pytest.raises(CandidateAlreadyBound):
        save(ctx, student(world), ZHANG)


def test_r_bind_4_unpaid_subject_keeps_the_registration_past_24_hours(
    world: FakeContexts, ctx: RegistrationContext, clock: FixedClock
) -> None:
    account = student(world)
    save(ctx, account, ZHANG)
    clock.advance(20 * HOUR)
    choose(ctx, account, "CET4")
    clock.advance(10 * HOUR)
    assert codes(reg.current_registration(ctx, account), clock) == ["CET4"]
    with pytest.raises(CandidateAlreadyBound):
        save(ctx, student(world), ZHANG)


def test_r_bind_4_gone_on_both_sides_does_not_block(
    world: FakeContexts, ctx: RegistrationContext, clock: FixedClock
) -> None:
    """BUG (chalicelib/services/registration.py save_registration): after purging the account's own
    gone registration it retries bind once, and a CandidateAlreadyBound raised by that retry is not
    checked for a gone registration of the candidate: the student is refused although both
    blocking registrations are gone (R-BIND-4)."""
    account = saved_student(world, LI)
    saved_student(world, ZHANG)
    clock.advance(25 * HOUR)
    try:
        outcome = save(ctx, account, ZHANG).candidate.name
    except CandidateAlreadyBound as refused:
        outcome = refused.code
    assert outcome == ZHANG.name, "BUG: a gone registration of the candidate still blocks the binding"


# Written subjects (R-WRIT-1/2), R-PAY-1
def test_r_writ_1_choose_a_written_subject(world: FakeContexts, ctx: RegistrationContext, clock: FixedClock) -> None:
    account = saved_student(world)
    clock.advance(HOUR)
    updated = choose(ctx, account, "CET4")
    (chosen,) = updated.subjects
    assert (chosen.code, chosen.status, chosen.campus_id) == ("CET4", SubjectStatus.UNPAID, None)
    assert chosen.chosen_at == NOW + timedelta(hours=1)
    assert chosen.pay_by == chosen.chosen_at + timedelta(hours=24)
    assert updated.amount_due(clock.now()) == 3000


def test_r_writ_1_unqualified_written_subject(world: FakeContexts, ctx: RegistrationContext) -> None:
    account = saved_student(world)
    with pytest.raises(NotQualified):
        choose(ctx, account, "CET6")


def test_r_writ_2_one_subject_per_level(world: FakeContexts, ctx: RegistrationContext) -> None:
    account = saved_student(world, ZHANG, "CET4")
    with pytest.raises(LevelTaken):
        choose(ctx, account, "CJT4")


def test_r_writ_2_same_subject_twice(world: FakeContexts, ctx: RegistrationContext) -> None:
    account = saved_student(world, ZHANG, "CET4")
    with pytest.raises(SubjectTaken):
        choose(ctx, account, "CET4")


def test_r_writ_2_both_levels_may_be_taken(world: FakeContexts, ctx: RegistrationContext, clock: FixedClock) -> None:
    account = saved_student(world, LI, "CET6", "CET4")
    assert codes(reg.current_registration(ctx, account), clock) == ["CET4", "CET6"]


@pytest.mark.parametrize("code", ["XYZ4", "cet4", None, 4])
def test_unknown_subject_is_an_invalid_request(world: FakeContexts, ctx: RegistrationContext, code: object) -> None:
    account = saved_student(world)
    with pytest.raises(InvalidRequest) as raised:
        reg.choose_subject(ctx, account, code, None)
    assert raised.value.field == "subject"


def test_choosing_without_a_registration_is_not_found(world: FakeContexts, ctx: RegistrationContext) -> None:
    with pytest.raises(NotFound):
        choose(ctx, student(world), "CET4")


def test_r_writ_1_subject_options_say_what_may_be_taken(world: FakeContexts, ctx: RegistrationContext) -> None:
    options = {o.subject.code: o.qualified for o in reg.subject_options(ctx, saved_student(world))}
    assert options == {"CET4": True, "CET6": False, "CJT4": True, "CJT6": False, "CET-SET4": True, "CET-SET6": False}


def test_r_pay_1_subject_is_gone_from_reads_at_pay_by(
    world: FakeContexts, ctx: RegistrationContext, clock: FixedClock
) -> None:
    account = saved_student(world, LI, "CET4")
    clock.advance(12 * HOUR)
    choose(ctx, account, "CET6")
    clock.advance(12 * HOUR)  # CET4's pay_by
    current = reg.current_registration(ctx, account)
    assert codes(current, clock) == ["CET6"]
    assert current.amount_due(clock.now()) == 3000
    with pytest.raises(NotFound):
        reg.remove_subject(ctx, account, "CET4")


def test_r_pay_1_level_of_an_expired_subject_can_be_chosen_again(
    world: FakeContexts, ctx: RegistrationContext, clock: FixedClock
) -> None:
    account = saved_student(world, LI, "CET4")
    stale = reg.current_registration(ctx, account).subjects[0]
    clock.advance(12 * HOUR)
    choose(ctx, account, "CET6")
    clock.advance(13 * HOUR)
    again = choose(ctx, account, "CET4")
    written4 = [s for s in again.subjects if s.code == "CET4"]
    assert len(written4) == 1
    assert written4[0].hold_id != stale.hold_id
    assert written4[0].pay_by == clock.now() + PAY_WITHIN


# Oral subjects (R-ORAL-1..4)
def test_r_oral_4_oral_subject_needs_its_written_subject(world: FakeContexts, ctx: RegistrationContext) -> None:
    account = saved_student(world)
    with pytest.raises(WrittenRequired):
        choose(ctx, account, "CET-SET4", "NJU-GL")


def test_r_oral_4_oral_subject_holds_a_seat(
    world: FakeContexts, ctx: RegistrationContext, db: FakeDatabase, clock: FixedClock
) -> None:
    account = saved_student(world, ZHANG, "CET4")
    updated = choose(ctx, account, "CET-SET4", "NJU-GL")
    oral = updated.live_code("CET-SET4", clock.now())
    assert oral is not None
    assert (oral.campus_id, oral.fee, oral.pay_by) == ("NJU-GL", 5000, NOW + PAY_WITHIN)
    assert db.seats[GL_SET4] == 1
    assert updated.amount_due(clock.now()) == 8000


def test_r_oral_1_campus_not_open_yet(world: FakeContexts, ctx: RegistrationContext, db: FakeDatabase) -> None:
    account = saved_student(world, ZHANG, "CET4")
    with pytest.raises(CampusNotOpen):
        choose(ctx, account, "CET-SET4", "NJU-XL")
    assert db.seats[("NJU-XL", "CET-SET4")] == 0


def test_r_oral_2_external_oral_not_allowed(world: FakeContexts, ctx: RegistrationContext, db: FakeDatabase) -> None:
    account = saved_student(world, WANG, "CET4")
    with pytest.raises(ExternalNotAllowed):
        choose(ctx, account, "CET-SET4", "NJU-GL")
    assert db.seats[GL_SET4] == 0
    choose(ctx, account, "CET-SET4", "SEU-SP")
    assert db.seats[SP_SET4] == 1


def test_r_oral_2_student_allowed_external_oral_may_go_elsewhere(
    world: FakeContexts, ctx: RegistrationContext, db: FakeDatabase
) -> None:
    account = saved_student(world, ZHANG, "CET4")
    choose(ctx, account, "CET-SET4", "SEU-SP")
    assert db.seats[SP_SET4] == 1


@pytest.mark.parametrize("campus_id", [None, "NOWHERE", 7])
def test_oral_subject_needs_a_known_campus(world: FakeContexts, ctx: RegistrationContext, campus_id: object) -> None:
    account = saved_student(world, ZHANG, "CET4")
    with pytest.raises(InvalidRequest) as raised:
        reg.choose_subject(ctx, account, "CET-SET4", campus_id)
    assert raised.value.field == "campus_id"


def test_r_oral_1_oral_subject_of_an_unqualified_level(world: FakeContexts, ctx: RegistrationContext) -> None:
    account = saved_student(world, ZHANG, "CET4")
    with pytest.raises(NotQualified):
        choose(ctx, account, "CET-SET6", "NJU-GL")


def test_r_oral_4_campus_full(clock: FixedClock) -> None:
    world = fake_contexts(clock, capacity=1)
    ctx = world.registration
    first = saved_student(world, ZHANG, "CET4")
    choose(ctx, first, "CET-SET4", "NJU-GL")
    second = saved_student(world, LI, "CET4")
    with pytest.raises(CampusFull) as raised:
        choose(ctx, second, "CET-SET4", "NJU-GL")
    assert raised.value.code == "CAMPUS_FULL"
    assert world.db.seats[GL_SET4] == 1
    assert codes(reg.current_registration(ctx, second), clock) == ["CET4"]
    choose(ctx, second, "CET-SET4", "SEU-SP")  # another campus still has room


def test_r_oral_4_capacity_holds_under_concurrent_choices(clock: FixedClock) -> None:
    world = fake_contexts(clock, capacity=3, extra_students=10)
    ctx = world.registration
    accounts = [saved_student(world, entry, "CET4") for entry in factories.many_students(10)]
    results = all_at_once([lambda a=a: choose(ctx, a, "CET-SET4", "NJU-GL") for a in accounts])
    outcomes = [r.code if isinstance(r, DomainError) else "held" for r in results]
    assert sorted(outcomes) == ["CAMPUS_FULL"] * 7 + ["held"] * 3
    assert world.db.seats[GL_SET4] == 3


def oral_colours(ctx: RegistrationContext, account: Account) -> dict[str, Capacity]:
    return {c.campus.id: c.remaining for c in reg.oral_campuses(ctx, account, "CET-SET4")}


def test_r_oral_3_capacity_colour_follows_the_seats_taken(clock: FixedClock) -> None:
    world = fake_contexts(clock, capacity=2)
    ctx = world.registration
    first = saved_student(world, ZHANG, "CET4")
    assert oral_colours(ctx, first)["NJU-GL"] is Capacity.GREEN
    choose(ctx, first, "CET-SET4", "NJU-GL")
    assert oral_colours(ctx, first)["NJU-GL"] is Capacity.YELLOW
    second = saved_student(world, LI, "CET4")
    choose(ctx, second, "CET-SET4", "NJU-GL")
    assert oral_colours(ctx, first) == {"NJU-GL": Capacity.NONE, "SEU-SP": Capacity.GREEN}


@pytest.mark.parametrize(
    ("taken", "colour"), [(4, Capacity.GREEN), (5, Capacity.YELLOW), (9, Capacity.YELLOW), (10, Capacity.NONE)]
)
def test_r_oral_3_capacity_colour_at_the_boundaries(
    world: FakeContexts, ctx: RegistrationContext, db: FakeDatabase, taken: int, colour: Capacity
) -> None:
    account = saved_student(world)
    db.seats[GL_SET4] = taken
    assert oral_colours(ctx, account)["NJU-GL"] is colour


def test_r_oral_1_only_open_campuses_are_listed(world: FakeContexts, ctx: RegistrationContext) -> None:
    campuses = reg.oral_campuses(ctx, saved_student(world), "CET-SET4")
    assert [(c.campus.id, c.school_name) for c in campuses] == [("NJU-GL", "南京大学"), ("SEU-SP", "东南大学")]
    assert campuses[0].notice == "南京大学口试须知：请携带身份证。"


def test_r_oral_2_without_external_oral_only_the_written_campus_is_listed(
    world: FakeContexts, ctx: RegistrationContext
) -> None:
    campuses = reg.oral_campuses(ctx, saved_student(world, WANG), "CET-SET4")
    assert [c.campus.id for c in campuses] == ["SEU-SP"]
    assert campuses[0].notice == "东南大学考生只能在本校参加口试。"


def test_oral_campuses_of_a_written_subject_is_an_invalid_request(
    world: FakeContexts, ctx: RegistrationContext
) -> None:
    with pytest.raises(InvalidRequest):
        reg.oral_campuses(ctx, saved_student(world), "CET4")


# R-PAY-1: expired oral holds
def expired_oral_hold(world: FakeContexts, clock: FixedClock) -> Account:
    """LI holds CET4 and CET-SET4 at NJU-GL, then CET6; 25 hours later only CET6 is live."""
    account = saved_student(world, LI, "CET4")
    choose(world.registration, account, "CET-SET4", "NJU-GL")
    clock.advance(12 * HOUR)
    choose(world.registration, account, "CET6")
    clock.advance(13 * HOUR)
    assert codes(reg.current_registration(world.registration, account), clock) == ["CET6"]
    return account


def test_r_pay_1_expired_oral_hold_at_another_campus_is_replaced_and_released_once(
    world: FakeContexts, ctx: RegistrationContext, db: FakeDatabase, clock: FixedClock
) -> None:
    account = expired_oral_hold(world, clock)
    stale = reg.current_registration(ctx, account).subjects[-1]
    assert (stale.campus_id, stale.code) == GL_SET4
    choose(ctx, account, "CET4")
    updated = choose(ctx, account, "CET-SET4", "SEU-SP")
    assert codes(updated, clock) == ["CET4", "CET6", "CET-SET4"]
    assert (db.seats[GL_SET4], db.seats[SP_SET4]) == (0, 1)
    assert stale.hold_id in db.released
    # the stale hold cannot be released a second time
    with pytest.raises(LevelTaken):
        ctx.registrations.add_subject(updated, replace(updated.subjects[-1], hold_id="again"), stale)
    assert (db.seats[GL_SET4], db.seats[SP_SET4]) == (0, 1)


def test_r_pay_1_expired_oral_hold_at_the_same_campus_keeps_its_seat(clock: FixedClock) -> None:
    world = fake_contexts(clock, capacity=1)
    ctx, db = world.registration, world.db
    account = expired_oral_hold(world, clock)
    stale = reg.current_registration(ctx, account).subjects[-1]
    choose(ctx, account, "CET4")
    updated = choose(ctx, account, "CET-SET4", "NJU-GL")  # the campus is full with the stale hold itself
    assert codes(updated, clock) == ["CET4", "CET6", "CET-SET4"]
    assert db.seats[GL_SET4] == 1
    assert stale.hold_id in db.released


# Removing subjects (R-ORAL-5, R-PAY-3)
def test_r_oral_4_removing_an_oral_subject_returns_its_seat(
    world: FakeContexts, ctx: RegistrationContext, db: FakeDatabase, clock: FixedClock
) -> None:
    account = saved_student(world, ZHANG, "CET4")
    held = choose(ctx, account, "CET-SET4", "NJU-GL").live_code("CET-SET4", clock.now())
    assert held is not None
    updated = reg.remove_subject(ctx, account, "CET-SET4")
    assert codes(updated, clock) == ["CET4"]
    assert db.seats[GL_SET4] == 0
    assert held.hold_id in db.released
    # the same hold cannot be removed (and its seat returned) twice
    with pytest.raises(SubjectPaid):
        ctx.registrations.remove_subject(account.account_id, held, clock.now())
    assert db.seats[GL_SET4] == 0


def test_r_oral_5_written_subject_under_an_oral_one_stays(world: FakeContexts, ctx: RegistrationContext) -> None:
    account = saved_student(world, ZHANG, "CET4")
    choose(ctx, account, "CET-SET4", "NJU-GL")
    with pytest.raises(OralDepends):
        reg.remove_subject(ctx, account, "CET4")
    reg.remove_subject(ctx, account, "CET-SET4")
    assert reg.remove_subject(ctx, account, "CET4").subjects == ()


def test_removing_a_subject_not_chosen_is_not_found(world: FakeContexts, ctx: RegistrationContext) -> None:
    account = saved_student(world, ZHANG, "CET4")
    with pytest.raises(NotFound):
        reg.remove_subject(ctx, account, "CJT4")


def test_r_writ_2_removed_level_can_be_chosen_again(
    world: FakeContexts, ctx: RegistrationContext, clock: FixedClock
) -> None:
    account = saved_student(world, ZHANG, "CET4")
    reg.remove_subject(ctx, account, "CET4")
    assert codes(choose(ctx, account, "CJT4"), clock) == ["CJT4"]


def test_r_pay_3_paid_subject_cannot_be_removed(
    world: FakeContexts, ctx: RegistrationContext, db: FakeDatabase
) -> None:
    account = saved_student(world, ZHANG, "CET4")
    hold = db.holds[account.account_id]["written#4"]
    db.holds[account.account_id]["written#4"] = replace(hold, status=SubjectStatus.PAID)
    with pytest.raises(SubjectPaid):
        reg.remove_subject(ctx, account, "CET4")
    with pytest.raises(SubjectPaid):  # nor by a stale read that still saw it unpaid
        ctx.registrations.remove_subject(account.account_id, hold, NOW)


def test_r_bind_4_registration_emptied_by_removal_goes_24_hours_after_saving(
    world: FakeContexts, ctx: RegistrationContext, clock: FixedClock
) -> None:
    account = saved_student(world, ZHANG, "CET4")
    clock.advance(HOUR)
    reg.remove_subject(ctx, account, "CET4")
    clock.advance(23 * HOUR)
    with pytest.raises(NotFound):
        reg.current_registration(ctx, account)


def test_r_bind_4_removing_the_last_subject_of_an_old_registration_reports_success(
    world: FakeContexts, ctx: RegistrationContext, db: FakeDatabase, clock: FixedClock
) -> None:
    """BUG (chalicelib/services/registration.py remove_subject, last line): the removal is committed,
    then `current_registration` raises NotFound because the now empty registration is more than
    24 hours old (R-BIND-4), so a successful removal reaches the student as 404 "no registration"."""
    account = saved_student(world)
    clock.advance(20 * HOUR)
    choose(ctx, account, "CET4")
    clock.advance(10 * HOUR)
    try:
        reg.remove_subject(ctx, account, "CET4")
        reported = "removed"
    except NotFound as error:
        reported = error.code
    assert db.holds[account.account_id] == {}  # the removal itself went through
    assert reported == "removed", "BUG: a committed removal is reported as NOT_FOUND"


def test_r_bind_4_every_subject_change_bumps_the_version(world: FakeContexts, ctx: RegistrationContext) -> None:
    account = saved_student(world)
    stale = reg.current_registration(ctx, account)
    assert stale.version == 0
    choose(ctx, account, "CET4")
    choose(ctx, account, "CET-SET4", "NJU-GL")
    assert reg.remove_subject(ctx, account, "CET-SET4").version == 3
    with pytest.raises(NotFound):  # a deletion decided on an old read does not go through
        ctx.registrations.delete_registration(stale, NOW)
    assert ctx.registrations.bound_account(entry(ZHANG).key) == account.account_id


def test_r_bind_4_deleting_a_registration_frees_both_sides_and_its_seats(
    world: FakeContexts, ctx: RegistrationContext, db: FakeDatabase
) -> None:
    account = saved_student(world, ZHANG, "CET4")
    current = choose(ctx, account, "CET-SET4", "NJU-GL")
    ctx.registrations.delete_registration(current, NOW)
    assert ctx.registrations.get(account.account_id) is None
    assert ctx.registrations.bound_account(entry(ZHANG).key) is None
    assert db.seats[GL_SET4] == 0
    assert db.holds[account.account_id] == {}


def test_r_pay_1_an_expired_hold_does_not_keep_a_full_campus_full(clock: FixedClock) -> None:
    """R-PAY-1, R-ORAL-4: a seat held past pay_by is free for the next student at once."""
    world = fake_contexts(clock, capacity=1)
    ctx = world.registration
    first = saved_student(world, ZHANG, "CET4")
    choose(ctx, first, "CET-SET4", "NJU-GL")
    clock.advance(23 * HOUR)
    second = saved_student(world, LI, "CET4")
    with pytest.raises(CampusFull):
        choose(ctx, second, "CET-SET4", "NJU-GL")
    nju_gl = [c.remaining for c in reg.oral_campuses(ctx, second, "CET-SET4") if c.campus.id == "NJU-GL"]
    assert nju_gl == [Capacity.NONE]

    clock.advance(HOUR + 1)  # the first student's hold is past pay_by, nothing has swept it
    nju_gl = [c.remaining for c in reg.oral_campuses(ctx, second, "CET-SET4") if c.campus.id == "NJU-GL"]
    assert nju_gl == [Capacity.GREEN]
    held = choose(ctx, second, "CET-SET4", "NJU-GL")

    assert "CET-SET4" in codes(held, clock)
    assert world.db.seats[GL_SET4] == 1
    assert len(world.db.released) == 1


def test_r_oral_4_an_oral_subject_never_outlives_its_unpaid_written_subject(
    world: FakeContexts, ctx: RegistrationContext, clock: FixedClock
) -> None:
    """R-ORAL-4 with R-PAY-1: chosen 30 minutes after CET4, CET-SET4 is still due when CET4 is."""
    account = saved_student(world, ZHANG, "CET4")
    clock.advance(HOUR // 2)
    registration = choose(ctx, account, "CET-SET4", "NJU-GL")
    written, oral = registration.subjects
    assert oral.pay_by == written.pay_by == NOW + PAY_WITHIN

    clock.advance(PAY_WITHIN.total_seconds() - HOUR // 2 + 1)
    assert codes(world.registration.registrations.get(account.account_id), clock) == []  # type: ignore[arg-type]
