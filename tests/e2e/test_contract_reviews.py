"""The CET6 review (R-REV) as the student files, modifies and deletes it.

Part of the HTTP contract: tests/e2e/contract.py holds the shared helpers and the registry that
tests/e2e/test_contract_zz_registry.py checks.
"""

from __future__ import annotations

from typing import Any

import pytest
from chalice.test import Client

from chalicelib.domain.identity import IdType
from chalicelib.storage.keys import roll_pk
from chalicelib.storage.models import RollItem
from tests import factories
from tests.e2e.contract import (
    LI,
    NJU_STAFF,
    QIAN,
    REVIEW_KEYS,
    SUN,
    ZHANG,
    chosen,
    codes,
    current_review,
    expect,
    look_up,
    modify_review,
    ok,
    parse_time,
    pending_review,
    rejected_review,
    staff_list,
    subject_options,
    submit_review,
)
from tests.e2e.http import (
    agreed_student,
    call,
    registered,
    staff,
)

pytestmark = pytest.mark.usefixtures("contract")


def test_r_rev_3_rule_1_ticket_and_id_number_match_is_201_approved_and_locked(client: Client) -> None:
    """R-REV-3 rule 1: ticket + ID number (whatever the name): approved, CET6 qualified at once; R-REV-4: locked."""
    token = registered(client, ZHANG)
    review = ok(submit_review(client, token, ZHANG, factories.TICKET_APPROVE), "POST /cet6-reviews", 201)
    assert set(review) == REVIEW_KEYS, review
    assert (review["status"], review["ticket_number"]) == ("approved", factories.TICKET_APPROVE)
    assert parse_time(review["decided_at"]) >= parse_time(review["submitted_at"])
    assert current_review(client, token) == review
    looked_up = look_up(client, token, ZHANG)
    assert "CET6" in looked_up["qualified_subjects"]
    assert (looked_up["cet6_review"], looked_up["cet6_review_offered"]) == (review, False)
    assert subject_options(client, token)["CET6"]["qualified"] is True
    assert codes(chosen(client, token, "CET6")) == ["CET6"]
    expect(modify_review(client, token, factories.TICKET_PENDING), "PUT /cet6-reviews/current", 409, "REVIEW_LOCKED")
    reply = call(client, "DELETE", "/cet6-reviews/current", token=token)
    expect(reply, "DELETE /cet6-reviews/current", 409, "REVIEW_LOCKED")
    assert current_review(client, token) == review


def test_r_rev_3_rule_2_ticket_and_name_match_is_201_pending_and_locked(client: Client) -> None:
    """R-REV-3 rule 2: ticket + name, another ID number: pending, and a pending review cannot change (R-REV-4)."""
    token, _ = pending_review(client)
    current = current_review(client, token)
    assert set(current) == REVIEW_KEYS, current
    assert (current["status"], current["decided_at"]) == ("pending", None)
    expect(modify_review(client, token, factories.TICKET_APPROVE), "PUT /cet6-reviews/current", 409, "REVIEW_LOCKED")
    reply = call(client, "DELETE", "/cet6-reviews/current", token=token)
    expect(reply, "DELETE /cet6-reviews/current", 409, "REVIEW_LOCKED")
    # R-REV-4: viewable from the qualification page and from the home page.
    looked_up = look_up(client, token, ZHANG)
    assert looked_up["cet6_review"] == current
    assert "CET6" not in looked_up["qualified_subjects"]
    assert ok(call(client, "GET", "/me", token=token), "GET /me")["cet6_review"] == current


def test_r_rev_3_rule_3_no_matching_pass_is_422_review_no_match(client: Client) -> None:
    """R-REV-3 rule 3: no passing record for ticket + ID number or ticket + name: cannot be submitted."""
    token = agreed_student(client)
    for ticket in (factories.TICKET_NOBODY, factories.TICKET_LOW, "999999999999999"):
        expect(submit_review(client, token, ZHANG, ticket), "POST /cet6-reviews", 422, "REVIEW_NO_MATCH")
    expect(call(client, "GET", "/cet6-reviews/current", token=token), "GET /cet6-reviews/current", 404, "NOT_FOUND")


def test_r_rev_2_result_before_2005_is_422_review_before_2005(client: Client) -> None:
    """R-REV-2: results before 2005 go to school staff by hand: a clear message."""
    token = agreed_student(client)
    expect(submit_review(client, token, ZHANG, factories.TICKET_OLD), "POST /cet6-reviews", 422, "REVIEW_BEFORE_2005")


def test_r_rev_1_review_not_offered_is_409_review_not_offered(client: Client) -> None:
    """R-REV-1: offered only when the campus offers CET6, the candidate is not barred and not yet CET6 qualified."""
    token = agreed_student(client)
    for entry in (LI, QIAN, SUN):  # CET6 already qualified; barred; written campus without CET6
        assert look_up(client, token, entry)["cet6_review_offered"] is False, entry.name
        reply = submit_review(client, token, entry, factories.TICKET_APPROVE)
        expect(reply, "POST /cet6-reviews", 409, "REVIEW_NOT_OFFERED")


def test_r_rev_4_a_review_for_another_candidate_is_403_identity_mismatch(client: Client) -> None:
    """api.md: a bound account files a CET6 review only for its candidate; an unbound one only for the
    candidate it last looked up. The probe's case: bound to LI, a pending review for ZHANG landed in
    NJU's staff queue."""
    token = registered(client, LI)
    expect(
        submit_review(client, token, ZHANG, factories.TICKET_PENDING), "POST /cet6-reviews", 403, "IDENTITY_MISMATCH"
    )
    look_up(client, token, ZHANG)  # once bound, another lookup changes nothing
    expect(
        submit_review(client, token, ZHANG, factories.TICKET_PENDING), "POST /cet6-reviews", 403, "IDENTITY_MISMATCH"
    )
    assert staff_list(client, staff(client, NJU_STAFF), "?status=pending") == []
    unbound = agreed_student(client)
    look_up(client, unbound, LI)
    expect(
        submit_review(client, unbound, ZHANG, factories.TICKET_PENDING), "POST /cet6-reviews", 403, "IDENTITY_MISMATCH"
    )
    look_up(client, unbound, ZHANG)
    assert ok(submit_review(client, unbound, ZHANG, factories.TICKET_PENDING), "POST /cet6-reviews", 201)["status"] == (
        "pending"
    )
    # a review filed for ZHANG before binding, resubmitted once bound to another candidate:
    # tests/e2e/test_contract_probe_fixes.py


def test_r_rev_4_one_review_per_account_is_409_review_exists(client: Client) -> None:
    """R-REV-4: one account, at most one review."""
    token, _ = pending_review(client)
    expect(submit_review(client, token, ZHANG, factories.TICKET_APPROVE), "POST /cet6-reviews", 409, "REVIEW_EXISTS")


def test_r_rev_2_review_bad_input_is_400_invalid_request(client: Client) -> None:
    """R-REV-2: a 15-digit admission-ticket number, and the student confirms."""
    token = agreed_student(client)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"ticket_number": "12345"}, "ticket_number"),
        ({"ticket_number": "32001216100000A"}, "ticket_number"),
        ({"ticket_number": 320012161000001}, "ticket_number"),
        ({"confirm": False}, "confirm"),
        ({"confirm": "true"}, "confirm"),
        ({"confirm": None}, "confirm"),
        ({"name": ""}, "name"),
        ({"id_type": "student_card"}, "id_type"),
    ]
    for change, field in cases:
        reply = submit_review(client, token, ZHANG, factories.TICKET_APPROVE, **change)
        expect(reply, "POST /cet6-reviews", 400, "INVALID_REQUEST", field)
    reply = call(client, "POST", "/cet6-reviews", raw="[]", token=token)
    expect(reply, "POST /cet6-reviews", 400, "INVALID_REQUEST", "body")
    expect(call(client, "GET", "/cet6-reviews/current", token=token), "GET /cet6-reviews/current", 404, "NOT_FOUND")


def test_r_rev_4_no_review_yet_is_404_not_found(client: Client) -> None:
    """R-REV-4: a review belongs to the account; without one there is nothing to view, change or cancel."""
    token = agreed_student(client)
    expect(call(client, "GET", "/cet6-reviews/current", token=token), "GET /cet6-reviews/current", 404, "NOT_FOUND")
    expect(modify_review(client, token, factories.TICKET_APPROVE), "PUT /cet6-reviews/current", 404, "NOT_FOUND")
    reply = call(client, "DELETE", "/cet6-reviews/current", token=token)
    expect(reply, "DELETE /cet6-reviews/current", 404, "NOT_FOUND")


def test_r_rev_3_rule_2_rejected_review_is_modified_and_resubmitted(client: Client) -> None:
    """R-REV-3 rule 2: rejected → the student may modify and resubmit; the same rules judge it again."""
    token = rejected_review(client)
    cases: list[tuple[Any, str]] = [
        ({"confirm": True}, "ticket_number"),
        ({"ticket_number": factories.TICKET_APPROVE}, "confirm"),
        ({"ticket_number": "1234", "confirm": True}, "ticket_number"),
        ([], "body"),
    ]
    for body, field in cases:
        reply = call(client, "PUT", "/cet6-reviews/current", body, token)
        expect(reply, "PUT /cet6-reviews/current", 400, "INVALID_REQUEST", field)
    expect(modify_review(client, token, factories.TICKET_NOBODY), "PUT /cet6-reviews/current", 422, "REVIEW_NO_MATCH")
    expect(modify_review(client, token, factories.TICKET_OLD), "PUT /cet6-reviews/current", 422, "REVIEW_BEFORE_2005")
    assert current_review(client, token)["status"] == "rejected"
    again = ok(modify_review(client, token, factories.TICKET_PENDING), "PUT /cet6-reviews/current")
    assert set(again) == REVIEW_KEYS, again
    assert (again["status"], again["decided_at"], again["ticket_number"]) == ("pending", None, factories.TICKET_PENDING)
    assert [r["review_id"] for r in staff_list(client, staff(client, NJU_STAFF))] == [again["review_id"]]
    expect(modify_review(client, token, factories.TICKET_APPROVE), "PUT /cet6-reviews/current", 409, "REVIEW_LOCKED")


def test_r_rev_3_rule_1_rejected_review_resubmitted_with_own_ticket_is_approved(client: Client) -> None:
    """R-REV-3 rules 1 and 2: a rejected review resubmitted with the candidate's own ticket is approved at once."""
    token = rejected_review(client)
    review = ok(modify_review(client, token, factories.TICKET_APPROVE), "PUT /cet6-reviews/current")
    assert review["status"] == "approved", review
    assert "CET6" in look_up(client, token, ZHANG)["qualified_subjects"]


def test_r_rev_3_rule_2_resubmitting_for_a_candidate_gone_from_the_roll_is_404(client: Client) -> None:
    """R-REV-3 rule 2: a resubmission is judged against the roll; a candidate no longer on it: 404."""
    token = rejected_review(client)
    RollItem(
        roll_pk(IdType.RESIDENT_ID, factories.entry(ZHANG).identity.digest), "ROLL"
    ).delete()  # the province reloads its roll
    reply = modify_review(client, token, factories.TICKET_APPROVE)
    expect(reply, "PUT /cet6-reviews/current", 404, "CANDIDATE_NOT_FOUND")


def test_r_rev_3_rule_2_rejected_review_may_be_deleted(client: Client) -> None:
    """R-REV-3 rule 2: rejected → the student may delete the review, and then submit a new one."""
    token = rejected_review(client)
    ok(call(client, "DELETE", "/cet6-reviews/current", token=token), "DELETE /cet6-reviews/current", 204)
    expect(call(client, "GET", "/cet6-reviews/current", token=token), "GET /cet6-reviews/current", 404, "NOT_FOUND")
    assert ok(call(client, "GET", "/me", token=token), "GET /me")["cet6_review"] is None
    review = ok(submit_review(client, token, ZHANG, factories.TICKET_APPROVE), "POST /cet6-reviews", 201)
    assert review["status"] == "approved", review
