"""The waiting room of an opening (R-QUEUE-1..5).

Part of the HTTP contract: tests/e2e/contract.py holds the shared helpers and the registry that
tests/e2e/test_contract_zz_registry.py checks.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import datetime, timedelta

import pytest
from chalice.test import Client

from chalicelib.bootstrap import CLOCK, reset_services, services
from chalicelib.domain.waiting_room import ORDER_GRACE, Opening
from chalicelib.services.province import load_province
from tests import factories
from tests.e2e.contract import (
    ENTRY_KEYS,
    JOIN,
    LI,
    NJU_STAFF,
    OPENINGS,
    PASSPORT,
    PLACE,
    QIAN,
    SUN,
    WAITLIST,
    ZHANG,
    account_id,
    admit,
    choose,
    chosen,
    expect,
    join,
    join_queue,
    ok,
    queue_place,
    the_opening,
    until,
)
from tests.e2e.http import (
    agreed_student,
    call,
    registered,
    staff,
)

pytestmark = pytest.mark.usefixtures("contract")


CHOOSE = "POST /registration/subjects"


def with_opening(
    rate: int = 2, pass_minutes: int = 10, campuses: tuple[str, ...] = ("NJU-GL",), extra_students: int = 0
) -> Opening:
    """The test province again (with `extra_students` on the roll, factories.many_students), with
    one opening on NJU-GL: its queue opens in 10 minutes, the opening 20 minutes later, and the
    queue window closes an hour after that (sessions last 2 h)."""
    now = CLOCK.now()
    opening = Opening(
        "GL-OPENING",
        "鼓楼校区口试集中开放",
        now + timedelta(minutes=10),
        now + timedelta(minutes=30),
        now + timedelta(minutes=90),
        campuses,
        rate,
        pass_minutes,
    )
    data = factories.province(capacity=3, extra_students=extra_students)
    data.catalog.openings[opening.id] = opening
    load_province(services().loading, data, now)
    reset_services()  # every cached catalog sees the opening
    return opening


def test_r_queue_1_openings_are_public_with_their_state_and_counts(client: Client) -> None:
    """R-QUEUE-1/3: upcoming, queueing, admitting, closed by the service clock; the seed's digest
    from the start, the seed itself never before `opens_at`."""
    assert ok(call(client, "GET", "/openings"), OPENINGS) == []
    opening = with_opening()
    found = the_opening(client)
    assert (found["state"], found["seed"], found["queued"], found["admitted"]) == ("upcoming", None, 0, 0)
    assert re.fullmatch(r"[0-9a-f]{64}", found["seed_sha256"])
    assert found["campuses"] == ["NJU-GL"]
    until(opening.queue_opens_at)
    assert (the_opening(client)["state"], the_opening(client)["seed"]) == ("queueing", None)
    until(opening.opens_at)
    revealed = the_opening(client)
    assert revealed["state"] == "admitting"
    assert hashlib.sha256(revealed["seed"].encode()).hexdigest() == found["seed_sha256"]
    until(opening.closes_at)
    assert the_opening(client)["state"] == "closed"


def test_r_queue_2_join_once_201_then_200_the_same_entry_only_inside_the_queue_window(client: Client) -> None:
    """R-QUEUE-2: once each (201, then 200 with the same entry); 409 QUEUE_NOT_OPEN before
    `queue_opens_at` and after `closes_at`, REGISTRATION_REQUIRED without a saved registration
    (amended: tests/e2e/test_contract_waiting_room_per_candidate.py); 404 for an opening that does not exist."""
    opening = with_opening()
    token, other = registered(client, ZHANG), registered(client, LI)  # R-QUEUE-2: a saved registration
    expect(join_queue(client, token), JOIN, 409, "QUEUE_NOT_OPEN")
    expect(join_queue(client, token, "NO-SUCH-OPENING"), JOIN, 404, "NOT_FOUND")
    expect(join_queue(client, token, "bad id!"), JOIN, 404, "NOT_FOUND")
    expect(call(client, "GET", "/openings/GL-OPENING/entries/current", token=token), PLACE, 404, "NOT_FOUND")
    until(opening.queue_opens_at)
    first = ok(join_queue(client, token), JOIN, 201)
    assert set(first) == ENTRY_KEYS
    assert (first["state"], first["position"], first["ahead"]) == ("waiting", None, None)
    assert ok(join_queue(client, token), JOIN, 200) == first
    assert queue_place(client, token) == first  # R-QUEUE-3: no place before opens_at, arriving early gains nothing
    ok(join_queue(client, other), JOIN, 201)
    admit(client)
    assert the_opening(client)["queued"] == 2
    expect(call(client, "GET", "/openings/NO-SUCH/entries/current", token=token), PLACE, 404, "NOT_FOUND")
    until(opening.closes_at)
    expect(join_queue(client, agreed_student(client)), JOIN, 409, "QUEUE_NOT_OPEN")


def test_r_queue_2_the_queue_is_for_signed_in_students(client: Client) -> None:
    """api.md conventions: no token 401, a staff account 403."""
    with_opening()
    expect(call(client, "POST", "/openings/GL-OPENING/entries"), JOIN, 401, "UNAUTHENTICATED")
    expect(call(client, "GET", "/openings/GL-OPENING/entries/current"), PLACE, 401, "UNAUTHENTICATED")
    teacher = staff(client, NJU_STAFF)
    expect(join_queue(client, teacher), JOIN, 403, "FORBIDDEN")
    expect(call(client, "GET", "/openings/GL-OPENING/entries/current", token=teacher), PLACE, 403, "FORBIDDEN")


def test_r_queue_3_the_pre_opening_order_is_the_hmac_order_anyone_can_check(client: Client) -> None:
    """R-QUEUE-2/3: everyone who joined before `opens_at` is placed in ascending hex
    HMAC-SHA256(seed, account_id); later arrivals behind, in the order they came."""
    opening = with_opening(rate=2, extra_students=7)
    until(opening.queue_opens_at)
    roll = iter(factories.many_students(7))
    early = [registered(client, next(roll)) for _ in range(5)]
    for token in early:
        ok(join_queue(client, token), JOIN, 201)
        CLOCK.advance(60)
    until(opening.opens_at)
    late = [registered(client, next(roll)) for _ in range(2)]
    for token in late:
        ok(join_queue(client, token), JOIN, 201)
        CLOCK.advance(1)
    until(opening.opens_at + ORDER_GRACE)
    report = admit(client)
    assert (report["ordered"], report["placed"], report["admitted"]) == (5, 2, 2)
    seed = the_opening(client)["seed"]
    ids = {token: account_id(client, token) for token in early + late}
    keys = {token: hmac.new(seed.encode(), ids[token].encode(), hashlib.sha256).hexdigest() for token in early}
    expected = sorted(early, key=lambda token: keys[token])
    assert [queue_place(client, token)["position"] for token in expected] == [1, 2, 3, 4, 5]
    assert [queue_place(client, token)["position"] for token in late] == [6, 7]
    shown = the_opening(client)
    assert (shown["queued"], shown["admitted"]) == (7, 2)
    assert admit(client) == {"openings": 1, "ordered": 0, "placed": 0, "admitted": 0, "busy": 0}  # nothing twice


def test_r_queue_4_admitted_at_the_rate_for_pass_minutes_then_lapsed_and_back_at_the_end(client: Client) -> None:
    """R-QUEUE-4: `admit_per_minute` places a minute, each for `pass_minutes`; the wait is
    estimated from the rate; a lapsed student joins again at the back (201)."""
    opening = with_opening(rate=1, pass_minutes=10)
    until(opening.queue_opens_at)
    tokens = [registered(client, entry) for entry in (ZHANG, LI, QIAN)]
    for token in tokens:
        ok(join_queue(client, token), JOIN, 201)
    until(opening.opens_at + ORDER_GRACE)
    admit(client)
    by_place = sorted(tokens, key=lambda token: queue_place(client, token)["position"])
    first, second, third = (queue_place(client, token) for token in by_place)
    assert (first["state"], first["ahead"]) == ("admitted", 0)
    assert datetime.fromisoformat(first["admitted_until"]) - datetime.fromisoformat(first["admitted_at"]) == timedelta(
        minutes=10
    )
    assert (second["state"], second["ahead"], third["ahead"]) == ("waiting", 0, 1)
    assert 0 < second["estimated_wait_seconds"] <= 60 < third["estimated_wait_seconds"] <= 120
    assert ok(join_queue(client, by_place[0]), JOIN, 200)["state"] == "admitted"  # still live: the same entry
    CLOCK.advance(60)
    admit(client)
    assert queue_place(client, by_place[1])["state"] == "admitted"
    assert the_opening(client)["admitted"] == 2
    CLOCK.advance(10 * 60)
    assert queue_place(client, by_place[0])["state"] == "lapsed"
    again = ok(join_queue(client, by_place[0]), JOIN, 201)
    assert (again["state"], again["position"]) == ("waiting", None)
    admit(client)
    assert queue_place(client, by_place[0])["position"] == 4  # behind everyone placed before


def test_r_queue_1_an_oral_choice_inside_the_queue_window_needs_a_live_admission(client: Client) -> None:
    """R-QUEUE-1/5: at a campus of the opening, between `queue_opens_at` and `closes_at`, 403
    NOT_ADMITTED without a live admission; before and after the window, none is needed; an
    admission never bypasses capacity (R-ORAL-3)."""
    opening = with_opening(rate=5, pass_minutes=10)
    before = registered(client, QIAN)
    chosen(client, before, "CET4")
    chosen(client, before, "CET-SET4", "NJU-GL")  # R-QUEUE-5: before the queue opens, no admission
    token = registered(client, ZHANG)
    chosen(client, token, "CET4")
    until(opening.queue_opens_at)
    expect(choose(client, token, "CET-SET4", "NJU-GL"), CHOOSE, 403, "NOT_ADMITTED")
    ok(join_queue(client, token), JOIN, 201)
    until(opening.opens_at + ORDER_GRACE)
    expect(choose(client, token, "CET-SET4", "NJU-GL"), CHOOSE, 403, "NOT_ADMITTED")  # placed, not yet admitted
    admit(client)
    assert queue_place(client, token)["state"] == "admitted"
    chosen(client, token, "CET-SET4", "NJU-GL")
    CLOCK.advance(11 * 60)  # the admission lapsed: the next student of the window needs one
    late = registered(client, LI)
    chosen(client, late, "CET4")
    expect(choose(client, late, "CET-SET4", "NJU-GL"), CHOOSE, 403, "NOT_ADMITTED")
    until(opening.closes_at)
    chosen(client, late, "CET-SET4", "NJU-GL")  # R-QUEUE-5: after the window, none is needed


def test_r_queue_5_an_admission_never_bypasses_capacity(client: Client) -> None:
    """R-QUEUE-5: admitted students still meet CAMPUS_FULL when the campus's seats are gone."""
    opening = with_opening(rate=10, pass_minutes=30)
    until(opening.queue_opens_at)
    tokens = [registered(client, entry) for entry in (ZHANG, LI, QIAN, SUN)]
    for token in tokens:
        chosen(client, token, "CET4")
        ok(join_queue(client, token), JOIN, 201)
    until(opening.opens_at + ORDER_GRACE)
    admit(client)
    for token in tokens[:3]:
        chosen(client, token, "CET-SET4", "NJU-GL")  # capacity 3
    expect(choose(client, tokens[3], "CET-SET4", "NJU-GL"), CHOOSE, 409, "CAMPUS_FULL")


def test_r_queue_1_the_waiting_list_is_no_way_around_the_queue(client: Client) -> None:
    """R-QUEUE-1, R-WAIT-1: inside the queue window, joining a full campus's waiting list asks for
    the same live admission as choosing it (403 NOT_ADMITTED); an admitted student may join."""
    opening = with_opening(rate=4, pass_minutes=30)
    until(opening.queue_opens_at)
    admitted = [registered(client, entry) for entry in (ZHANG, LI, QIAN, SUN)]
    for token in admitted:
        chosen(client, token, "CET4")
        ok(join_queue(client, token), JOIN, 201)
    outsider = registered(client, PASSPORT)
    chosen(client, outsider, "CET4")
    until(opening.opens_at + ORDER_GRACE)
    admit(client)
    for token in admitted[:3]:
        chosen(client, token, "CET-SET4", "NJU-GL")  # capacity 3: the campus is full
    expect(join(client, outsider), WAITLIST, 403, "NOT_ADMITTED")
    ok(join(client, admitted[3]), WAITLIST, 201)
