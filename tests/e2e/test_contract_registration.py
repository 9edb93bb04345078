"""Saving the registration (R-BIND): the masked snapshot, the window, one account one candidate.

Part of the HTTP contract: tests/e2e/contract.py holds the shared helpers and the registry that
tests/e2e/test_contract_zz_registry.py checks.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.bootstrap import services
from chalicelib.domain.identity import IdType
from chalicelib.domain.registration import Registration
from chalicelib.domain.seats import SeatGrab
from chalicelib.storage.keys import roll_pk
from chalicelib.storage.models import RollItem
from tests import factories
from tests.e2e.contract import (
    DAY,
    LI,
    REMOVE,
    ZHANG,
    ZHAO,
    advance,
    assert_registration,
    choose,
    chosen,
    expect,
    look_up,
    ok,
    parse_time,
    remove,
    save,
    server_now,
)
from tests.e2e.http import (
    agreed_student,
    call,
    log_in,
    new_login,
    registered,
)

pytestmark = pytest.mark.usefixtures("contract")


def test_r_bind_1_saving_is_201_with_a_masked_snapshot_of_the_roll(client: Client) -> None:
    """R-BIND-1: save and continue stores the registration; R-BIND-3: a snapshot the roll no longer changes."""
    token = agreed_student(client)
    before = server_now(client)
    saved = ok(save(client, token, ZHANG), "POST /registration", 201)
    assert_registration(saved, ZHANG)
    assert (saved["subjects"], saved["amount_due"]) == ([], 0)
    saved_at = parse_time(saved["saved_at"])
    assert before <= saved_at <= server_now(client)
    assert parse_time(saved["expires_at"]) == saved_at + timedelta(hours=24)  # R-BIND-4: nothing chosen yet
    assert ok(call(client, "GET", "/registration", token=token), "GET /registration") == saved
    assert ok(call(client, "GET", "/me", token=token), "GET /me")["registration"] == saved
    roll = RollItem.get(roll_pk(IdType.RESIDENT_ID, factories.entry(ZHANG).identity.digest), "ROLL")
    roll.update(actions=[RollItem.student_no.set("S999999"), RollItem.campus_id.set("NJU-XL")])
    assert ok(call(client, "GET", "/registration", token=token), "GET /registration") == saved


def test_r_bind_1_unconfirmed_or_bad_input_is_400_invalid_request(client: Client) -> None:
    """R-BIND-1: only after confirming the roll and qualification data is the registration saved."""
    token = agreed_student(client)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"confirm": False}, "confirm"),
        ({"confirm": None}, "confirm"),
        ({"id_type": "id_card"}, "id_type"),
        ({"id_number": None}, "id_number"),
    ]
    for change, field in cases:
        expect(save(client, token, ZHANG, **change), "POST /registration", 400, "INVALID_REQUEST", field)
    reply = call(client, "POST", "/registration", raw="{", token=token)
    expect(reply, "POST /registration", 400, "INVALID_REQUEST", "body")
    expect(call(client, "GET", "/registration", token=token), "GET /registration", 404, "NOT_FOUND")


def test_r_bind_1_outside_the_window_is_403_registration_closed(client: Client) -> None:
    """R-BIND-1: only inside the candidate's online registration window."""
    token = agreed_student(client)
    look_up(client, token, ZHAO)
    expect(save(client, token, ZHAO), "POST /registration", 403, "REGISTRATION_CLOSED")


def test_r_bind_2_one_account_one_candidate_is_409_already_bound(client: Client) -> None:
    """R-BIND-2: one account binds at most one candidate, one candidate binds to at most one account."""
    token = registered(client, ZHANG)
    for entry in (LI, ZHANG):
        expect(save(client, token, entry), "POST /registration", 409, "ACCOUNT_ALREADY_BOUND")
    other = agreed_student(client)
    expect(save(client, other, ZHANG), "POST /registration", 409, "CANDIDATE_ALREADY_BOUND")
    expect(call(client, "GET", "/registration", token=other), "GET /registration", 404, "NOT_FOUND")
    saved = ok(call(client, "GET", "/registration", token=token), "GET /registration")
    assert saved["candidate"]["name"] == ZHANG.name


def test_r_bind_4_empty_registration_goes_after_24_hours_and_frees_both_sides(client: Client) -> None:
    """R-BIND-4: no subject 24 hours after saving: deleted; both sides of the binding are free again."""
    login = new_login()
    token = registered(client, ZHANG, agreed_student(client, login))
    advance(client, DAY + 1)
    token = log_in(client, login)
    expect(call(client, "GET", "/registration", token=token), "GET /registration", 404, "NOT_FOUND")
    expect(call(client, "GET", "/subjects", token=token), "GET /subjects", 404, "NOT_FOUND")
    assert ok(call(client, "GET", "/me", token=token), "GET /me")["registration"] is None
    registered(client, ZHANG)  # the candidate is free
    registered(client, LI, token)  # and so is the account


def test_r_bind_4_stale_registration_changing_during_its_cleanup_is_404_not_found(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """R-BIND-4: clearing a gone registration that changes meanwhile: 404 NOT_FOUND (retry), then it binds."""
    old = registered(client, ZHANG)
    chosen(client, old, "CET4")
    chosen(client, old, "CET-SET4", "NJU-GL")
    advance(client, DAY + 1)
    store = services().registration.registrations
    original = store.delete_registration
    raced: list[str] = []

    def racing_delete(registration: Registration, now: datetime) -> None:
        if not raced:  # meanwhile another request reclaims the expired oral seat (R-PAY-1)
            raced.append(registration.account_id)
            assert store.reclaim_expired_holds(SeatGrab("NJU-GL", "CET-SET4"), now).released == 1
        original(registration, now)

    monkeypatch.setattr(store, "delete_registration", racing_delete)
    token = agreed_student(client)
    reply = save(client, token, ZHANG)
    assert raced, "the gone registration was never cleared"
    expect(reply, "POST /registration", 404, "NOT_FOUND")
    assert ok(save(client, token, ZHANG), "POST /registration", 201)["subjects"] == []


def test_r_bind_1_no_registration_yet_is_404_not_found(client: Client) -> None:
    """R-BIND-1: subjects come after saving the registration; before it, 404 NOT_FOUND."""
    t = agreed_student(client)
    expect(call(client, "GET", "/registration", token=t), "GET /registration", 404, "NOT_FOUND")
    expect(call(client, "GET", "/subjects", token=t), "GET /subjects", 404, "NOT_FOUND")
    reply = call(client, "GET", "/oral-campuses?subject=CET-SET4", token=t)
    expect(reply, "GET /oral-campuses", 404, "NOT_FOUND")
    expect(choose(client, t, "CET4"), "POST /registration/subjects", 404, "NOT_FOUND")
    expect(remove(client, t, "CET4"), REMOVE, 404, "NOT_FOUND")
