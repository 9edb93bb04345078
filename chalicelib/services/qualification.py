"""Qualification lookup against the school roll (R-QUAL-1..4) and the CET6 review (R-REV)."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.domain.accounts import Account
from chalicelib.domain.catalog import Catalog
from chalicelib.domain.clock import iso
from chalicelib.domain.errors import (
    AgreementRequired,
    CandidateNotFound,
    Forbidden,
    IdentityKeyUnavailable,
    IdentityMismatch,
    NotFound,
    ReviewExists,
    ReviewNotPending,
)
from chalicelib.domain.identity import normalize_id_number, parse_id_type
from chalicelib.domain.messages import review_decided
from chalicelib.domain.registration import qualified_subjects
from chalicelib.domain.reviews import (
    Cet6Review,
    ReviewStatus,
    check_ticket_shape,
    ensure_offered,
    ensure_unlocked,
    judge_review,
    review_offered,
)
from chalicelib.domain.roll import Cet4Record, RollEntry
from chalicelib.services.registration_context import RegistrationContext


@dataclass(frozen=True)
class Qualification:
    candidate: RollEntry
    qualified_subjects: tuple[str, ...]
    review: Cet6Review | None
    review_offered: bool


def find_candidate(ctx: RegistrationContext, account: Account, id_type: object, id_number: str, name: str) -> RollEntry:
    """R-QUAL-1/2/4: agreement first, then the document, then the roll."""
    if account.agreement_accepted_at is None:
        raise AgreementRequired()
    kind = parse_id_type(id_type)
    number = normalize_id_number(kind, id_number)
    mark = ctx.catalogs.catalog().identity
    entry = ctx.roll.candidate(kind, ctx.identities.digest(number, mark))  # the number goes no further
    if entry is None and (fresh := ctx.catalogs.identity_mark()) != mark:
        # reloaded under another key since the catalog was cached: a miss must not be a stale one
        entry = ctx.roll.candidate(kind, ctx.identities.digest(number, fresh))
    if entry is None or entry.name != name.strip():
        raise CandidateNotFound()
    return entry


def qualification_of(entry: RollEntry, catalog: Catalog, review: Cet6Review | None) -> Qualification:
    codes = qualified_subjects(entry, review)
    offered = review_offered(entry, catalog) and (review is None or not review.grants_cet6_to(entry))
    return Qualification(entry, codes, review, offered)


def ensure_current_key(ctx: RegistrationContext, version: str) -> None:
    """A digest stored under `version` is only looked up while the table holds that version."""
    mark = ctx.catalogs.catalog().identity
    if mark is not None and mark.version == version:
        return
    fresh = ctx.catalogs.identity_mark()  # the cached catalog may predate a reload
    if fresh is None or fresh.version != version:
        raise IdentityKeyUnavailable()


def identity_keys_match(ctx: RegistrationContext) -> bool:
    """The deep health check (decision 0013): whether the key at hand matches the table's identity
    mark, which every lookup needs. One read of the mark; the ring is the lookups' own, cached and
    matched once as for them. A table with no mark (not loaded yet, or converting) is not a key fault."""
    mark = ctx.catalogs.identity_mark()
    if mark is None:
        return True
    try:
        ctx.identities.digest("health", mark)  # hashes a fixed text, no ID number: only whether a key matches
    except IdentityKeyUnavailable:
        return False
    return True


def look_up(ctx: RegistrationContext, account: Account, id_type: object, id_number: str, name: str) -> Qualification:
    entry = find_candidate(ctx, account, id_type, id_number, name)
    if account.looked_up != entry.key or account.looked_up_school_id != entry.school_id:
        # the digest key, never the number; the school's window is shown on /me (R-DATE-1)
        ctx.accounts.remember_lookup(account.account_id, entry.key, entry.school_id)
    return qualification_of(entry, ctx.catalogs.catalog(), ctx.reviews.get(account.account_id))


def ensure_own_candidate(ctx: RegistrationContext, account: Account, entry: RollEntry) -> None:
    """api.md: a bound account files a CET6 review for its bound candidate only; an account not yet
    bound, for the candidate it last looked up. One that never looked anyone up is not refused:
    filing carries the ID number and name, so it is itself a lookup of that candidate."""
    bound = ctx.registrations.get(account.account_id)
    own = bound.candidate.key if bound is not None else account.looked_up
    if own is not None and own != entry.key:
        raise IdentityMismatch()


def _judged(ctx: RegistrationContext, account: Account, entry: RollEntry, ticket: str) -> Cet6Review:
    """R-REV-2/3: the ticket checked against the CET4 score records; approved reviews decide at once."""
    ticket_number = check_ticket_shape(ticket)
    status = judge_review(entry, ctx.roll.cet4_record(ticket_number))
    now = ctx.clock.now()
    return Cet6Review(
        review_id=account.account_id,  # one review per account (R-REV-4)
        account_id=account.account_id,
        school_id=entry.school_id,
        id_type=entry.id_type,
        identity=entry.identity,
        name=entry.name,
        ticket_number=ticket_number,
        status=status,
        submitted_at=now,
        decided_at=now if status is ReviewStatus.APPROVED else None,
    )


def submit_review(
    ctx: RegistrationContext, account: Account, id_type: object, id_number: str, name: str, ticket: str
) -> Cet6Review:
    """R-REV-1..4: offered only when it can help; judged against the CET4 score records."""
    entry = find_candidate(ctx, account, id_type, id_number, name)
    ensure_own_candidate(ctx, account, entry)
    ensure_offered(entry, ctx.catalogs.catalog())
    if ctx.reviews.get(account.account_id) is not None:
        raise ReviewExists()
    review = _judged(ctx, account, entry, ticket)
    ctx.reviews.create(review)
    return review


def current_review(ctx: RegistrationContext, account: Account) -> Cet6Review:
    review = ctx.reviews.get(account.account_id)
    if review is None:
        raise NotFound("您还没有提交 CET6 资格复核申请。")
    return review


def modify_review(ctx: RegistrationContext, account: Account, ticket: str) -> Cet6Review:
    """R-REV-3: only a rejected review may be modified and resubmitted, and only for the candidate the
    account is bound to or looked up last, as when filing (api.md): the PUT carries no identity, so a
    review filed before binding is never resubmitted for another account's candidate."""
    review = current_review(ctx, account)
    ensure_unlocked(review)
    ensure_current_key(ctx, review.identity.key_version)  # an unconverted review: never "not found"
    entry = ctx.roll.candidate(review.id_type, review.identity.digest)
    if entry is None:
        raise CandidateNotFound()
    ensure_own_candidate(ctx, account, entry)
    updated = _judged(ctx, account, entry, ticket)
    ctx.reviews.replace_rejected(updated)
    return updated


def delete_review(ctx: RegistrationContext, account: Account) -> None:
    ensure_unlocked(current_review(ctx, account))
    ctx.reviews.delete_rejected(account.account_id)


def pending_reviews(ctx: RegistrationContext, school_id: str, status: ReviewStatus) -> list[Cet6Review]:
    return ctx.reviews.list_for_school(school_id, status)


@dataclass(frozen=True)
class ReviewCase:
    """A review as school staff weigh it: beside it, the CET4 score record its ticket names."""

    review: Cet6Review
    record: Cet4Record | None


def review_cases(ctx: RegistrationContext, school_id: str, status: ReviewStatus) -> list[ReviewCase]:
    """R-REV-3 rule 2: staff compare the candidate with the score record (masked IDs only, decision 0013)."""
    return [ReviewCase(r, ctx.roll.cet4_record(r.ticket_number)) for r in pending_reviews(ctx, school_id, status)]


def decide_review(
    ctx: RegistrationContext, school_id: str, review_id: str, approve: bool, note: str, tell: str | None = None
) -> Cet6Review:
    """R-REV-3 rule 2: school staff decide pending reviews of their own school only; the student
    is told at `tell`, the account's login, by a message written with the decision (R-NOTE-1)."""
    review = ctx.reviews.get(review_id)
    if review is None:
        raise NotFound("没有该复核申请。")
    if review.school_id != school_id:
        raise Forbidden("该复核申请不属于本校。")
    if review.status is not ReviewStatus.PENDING:
        raise ReviewNotPending()
    now = ctx.clock.now()
    decided = review.decided(approve, note, now)
    message = review_decided(f"review_decided#{review_id}#{iso(now)}", tell, approve, note, now) if tell else None
    ctx.reviews.decide(decided, message)
    return decided


def decide_case(
    ctx: RegistrationContext, school_id: str, review_id: str, approve: bool, note: str, tell: str | None = None
) -> ReviewCase:
    """The decision, answered as the staff screen lists reviews: beside the CET4 score record."""
    decided = decide_review(ctx, school_id, review_id, approve, note, tell)
    return ReviewCase(decided, ctx.roll.cet4_record(decided.ticket_number))
