"""The agreement and the qualification lookup (R-QUAL): masked ID numbers, identity keys.

Part of the HTTP contract: tests/e2e/contract.py holds the shared helpers and the registry that
tests/e2e/test_contract_zz_registry.py checks.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.bootstrap import reset_services
from chalicelib.domain.identity import gb11643_check_digit
from tests import factories
from tests.e2e.contract import (
    BAD_CHECK_DIGIT,
    CANDIDATE_KEYS,
    NJU_STAFF,
    NOT_ON_ROLL,
    PASSPORT,
    ZHANG,
    assert_masked,
    chosen,
    expect,
    look_up,
    ok,
    save,
    submit_review,
)
from tests.e2e.http import (
    agreed_student,
    call,
    identity,
    new_student,
    registered,
    staff,
)

pytestmark = pytest.mark.usefixtures("contract")


def test_r_qual_1_agreement_is_204_and_comes_first(client: Client) -> None:
    """R-QUAL-1: before anything else the student reads and accepts the agreement (`accepted: true` only)."""
    token = new_student(client)
    reply = call(client, "POST", "/qualification", identity(ZHANG), token)
    expect(reply, "POST /qualification", 403, "AGREEMENT_REQUIRED")
    reply = submit_review(client, token, ZHANG, factories.TICKET_APPROVE)
    expect(reply, "POST /cet6-reviews", 403, "AGREEMENT_REQUIRED")
    expect(save(client, token, ZHANG), "POST /registration", 403, "AGREEMENT_REQUIRED")
    cases: list[tuple[Any, str]] = [
        ({"accepted": False}, "accepted"),
        ({"accepted": "true"}, "accepted"),
        ({}, "accepted"),
        ([True], "body"),
    ]
    for body, field in cases:
        expect(call(client, "POST", "/me/agreement", body, token), "POST /me/agreement", 400, "INVALID_REQUEST", field)
    assert ok(call(client, "GET", "/me", token=token), "GET /me")["agreement_accepted"] is False
    ok(call(client, "POST", "/me/agreement", {"accepted": True}, token), "POST /me/agreement", 204)
    assert ok(call(client, "GET", "/me", token=token), "GET /me")["agreement_accepted"] is True
    look_up(client, token, ZHANG)


def test_r_qual_3_lookup_is_200_with_roll_data_and_a_masked_id(client: Client) -> None:
    """R-QUAL-3: the roll data and the qualified subjects; the ID number is masked (api.md)."""
    token = agreed_student(client)
    body = look_up(client, token, ZHANG)
    assert set(body) == {"candidate", "qualified_subjects", "cet6_review", "cet6_review_offered"}, body
    candidate = body["candidate"]
    assert set(candidate) == CANDIDATE_KEYS, candidate
    assert candidate["id_number"] == ZHANG.id_number[:4] + "*" * 10 + ZHANG.id_number[-4:], candidate
    assert (candidate["school"], candidate["campus"], candidate["student_no"]) == ("南京大学", "鼓楼校区", "S000001")
    assert (body["qualified_subjects"], body["cet6_review"], body["cet6_review_offered"]) == (
        ["CET4", "CJT4"],
        None,
        True,
    )
    passport = {**identity(PASSPORT), "id_number": " e12345678 "}
    body = ok(call(client, "POST", "/qualification", passport, token), "POST /qualification")
    assert_masked(body["candidate"]["id_number"], PASSPORT.id_number)


def test_r_qual_2_military_officer_id_is_400_unsupported_id_type(client: Client) -> None:
    """R-QUAL-2: 军官证 is not supported: a clear error, not a silent miss."""
    token = agreed_student(client)
    officer = {"id_type": "military_officer", "id_number": "军字第123456号", "name": "张三"}
    expect(call(client, "POST", "/qualification", officer, token), "POST /qualification", 400, "UNSUPPORTED_ID_TYPE")
    reply = submit_review(client, token, ZHANG, factories.TICKET_APPROVE, **officer)
    expect(reply, "POST /cet6-reviews", 400, "UNSUPPORTED_ID_TYPE")
    reply = save(client, token, ZHANG, **officer)
    expect(reply, "POST /registration", 400, "UNSUPPORTED_ID_TYPE")


def test_r_qual_4_bad_check_digit_or_shape_is_400_invalid_id_number(client: Client) -> None:
    """R-QUAL-4: a resident ID's GB 11643 check digit, the other documents' shape, before any lookup."""
    token = agreed_student(client)
    assert gb11643_check_digit(BAD_CHECK_DIGIT[:17]) != BAD_CHECK_DIGIT[17]
    bad = {**identity(ZHANG), "id_number": BAD_CHECK_DIGIT}
    expect(call(client, "POST", "/qualification", bad, token), "POST /qualification", 400, "INVALID_ID_NUMBER")
    for kind, number in (("resident_id", "32010220050101001"), ("passport", "E-1234"), ("hk_macao_permit", "X1234")):
        body = {"id_type": kind, "id_number": number, "name": "张三"}
        expect(call(client, "POST", "/qualification", body, token), "POST /qualification", 400, "INVALID_ID_NUMBER")
    reply = submit_review(client, token, ZHANG, factories.TICKET_APPROVE, id_number=BAD_CHECK_DIGIT)
    expect(reply, "POST /cet6-reviews", 400, "INVALID_ID_NUMBER")
    expect(save(client, token, ZHANG, id_number=BAD_CHECK_DIGIT), "POST /registration", 400, "INVALID_ID_NUMBER")


def test_r_qual_2_missing_mistyped_or_unknown_field_is_400_invalid_request(client: Client) -> None:
    """R-QUAL-2: ID type, ID number and name are required; an unknown value names its field (api.md)."""
    token = agreed_student(client)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"id_type": "driving_licence"}, "id_type"),
        ({"id_type": 1}, "id_type"),
        ({"id_type": None}, "id_type"),
        ({"id_number": 320102}, "id_number"),
        ({"id_number": "  "}, "id_number"),
        ({"id_number": "3" * 33}, "id_number"),
        ({"name": None}, "name"),
        ({"name": "张" * 65}, "name"),
    ]
    for change, field in cases:
        body = {**identity(ZHANG), **change}
        reply = call(client, "POST", "/qualification", body, token)
        expect(reply, "POST /qualification", 400, "INVALID_REQUEST", field)
    reply = call(client, "POST", "/qualification", raw="[]", token=token)
    expect(reply, "POST /qualification", 400, "INVALID_REQUEST", "body")


def test_r_qual_3_unknown_candidate_is_404_candidate_not_found(client: Client) -> None:
    """R-QUAL-3: the lookup matches the school roll on document, ID number and name."""
    token = agreed_student(client)
    for who in (
        {**identity(ZHANG), "id_number": NOT_ON_ROLL},
        {**identity(ZHANG), "name": "张三丰"},
        {**identity(ZHANG), "id_type": "hk_macao_permit", "id_number": "H12345678"},
    ):
        expect(call(client, "POST", "/qualification", who, token), "POST /qualification", 404, "CANDIDATE_NOT_FOUND")
    reply = submit_review(client, token, ZHANG, factories.TICKET_APPROVE, id_number=NOT_ON_ROLL)
    expect(reply, "POST /cet6-reviews", 404, "CANDIDATE_NOT_FOUND")
    expect(save(client, token, ZHANG, name="张三丰"), "POST /registration", 404, "CANDIDATE_NOT_FOUND")


def test_r_qual_3_whole_id_numbers_never_leave_the_service(client: Client) -> None:
    """R-QUAL-3 / api.md: `candidate` never carries a whole ID number, in any response (see also http.call)."""
    token = registered(client, ZHANG)
    ok(submit_review(client, token, ZHANG, factories.TICKET_PENDING), "POST /cet6-reviews", 201)
    chosen(client, token, "CET4")
    nju = staff(client, NJU_STAFF)
    other = registered(client, PASSPORT)
    replies = [
        call(client, "POST", "/qualification", identity(ZHANG), token),
        call(client, "GET", "/registration", token=token),
        call(client, "GET", "/me", token=token),
        call(client, "GET", "/cet6-reviews/current", token=token),
        call(client, "GET", "/staff/cet6-reviews", token=nju),
        call(client, "GET", "/registration", token=other),
        call(client, "POST", "/qualification", identity(PASSPORT), other),
    ]
    for reply in replies:
        assert reply.status == 200, reply.text
        assert ZHANG.id_number not in reply.text, reply.text
        assert PASSPORT.id_number not in reply.text, reply.text
    assert_masked(replies[4].body[0]["candidate"]["id_number"], ZHANG.id_number)
    assert_masked(replies[5].body["candidate"]["id_number"], PASSPORT.id_number)


WRONG_KEY = {"current": "local", "vlocal": "another-key-under-the-same-version-as-the-table-00"}
ROTATED_AWAY = {"current": "2", "v2": "a-newer-key-while-the-table-still-holds-version-1"}


@pytest.mark.parametrize("ring", [WRONG_KEY, ROTATED_AWAY], ids=["wrong key", "rotated key"])
def test_identity_keys_that_do_not_match_the_table_are_503_never_not_found(
    client: Client, monkeypatch: pytest.MonkeyPatch, ring: dict[str, str]
) -> None:
    """Decision 0013: a stage whose identity keys do not match the table's digests would look up
    digests that cannot match; it refuses with 503 IDENTITY_KEY_UNAVAILABLE instead of telling a
    student on the roll that they are not on it."""
    token = agreed_student(client)
    monkeypatch.setenv("IDENTITY_KEYS", json.dumps(ring))
    reset_services()  # the stage restarts with these keys
    reply = call(client, "POST", "/qualification", identity(ZHANG), token)
    expect(reply, "POST /qualification", 503, "IDENTITY_KEY_UNAVAILABLE")
    reply = submit_review(client, token, ZHANG, factories.TICKET_APPROVE)
    expect(reply, "POST /cet6-reviews", 503, "IDENTITY_KEY_UNAVAILABLE")
    expect(save(client, token, ZHANG), "POST /registration", 503, "IDENTITY_KEY_UNAVAILABLE")
    # GET /health?deep=1 says so too: tests/e2e/test_contract_probe_fixes.py
    monkeypatch.delenv("IDENTITY_KEYS")
    reset_services()  # the right keys again: the same student is found
    ok(call(client, "POST", "/qualification", identity(ZHANG), token), "POST /qualification")
