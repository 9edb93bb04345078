"""The waiting room per candidate over HTTP (R-QUEUE-2 amended): joining needs a saved
registration, and a second account of the same candidate gets no second place.

Part of the HTTP contract (tests/e2e/contract.py): the registry sees its 409 REGISTRATION_REQUIRED.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from chalice.test import Client

from chalicelib.bootstrap import CLOCK, reset_services, services
from chalicelib.domain.waiting_room import ORDER_GRACE, Opening
from chalicelib.services.province import load_province
from tests import factories
from tests.e2e.contract import (
    JOIN,
    admit,
    chosen,
    expect,
    join_queue,
    ok,
    queue_place,
    the_opening,
    until,
)
from tests.e2e.http import agreed_student, registered

pytestmark = pytest.mark.usefixtures("contract")

DAY = timedelta(days=1)


def opening_a_day_long() -> Opening:
    """GL-OPENING on NJU-GL whose queue opens in 10 minutes and whose opening comes a day and an
    hour later: long enough for a registration saved now to be gone (R-BIND-4) before it."""
    now = CLOCK.now()
    opening = Opening(
        "GL-OPENING",
        "鼓楼校区口试集中开放",
        now + timedelta(minutes=10),
        now + DAY + timedelta(hours=1),
        now + DAY + timedelta(hours=2),
        ("NJU-GL",),
        2,
        10,
    )
    data = factories.province(capacity=3)
    data.catalog.openings[opening.id] = opening
    load_province(services().loading, data, now)
    reset_services()
    return opening


def test_r_queue_2_joining_needs_a_saved_registration(client: Client) -> None:
    """R-QUEUE-2 (amended): an account without a bound candidate is answered 409
    REGISTRATION_REQUIRED and holds no place; once it saves a registration it joins (201)."""
    opening = opening_a_day_long()
    until(opening.queue_opens_at)
    token = agreed_student(client)
    expect(join_queue(client, token), JOIN, 409, "REGISTRATION_REQUIRED")
    expect(join_queue(client, token), JOIN, 409, "REGISTRATION_REQUIRED")
    admit(client)
    assert the_opening(client)["queued"] == 0
    registered(client, factories.ZHANG, token)
    ok(join_queue(client, token), JOIN, 201)


def test_r_queue_2_a_second_account_of_the_candidate_gets_no_second_place(client: Client) -> None:
    """R-QUEUE-2 (amended): ZHANG joins from one account; a day later that registration, still
    without a subject, is gone (R-BIND-4) and ZHANG saves one on a second account: its join is
    answered 200 with the same entry, the queue counts one place, and the admission of that place
    lets the second account choose the campus (R-QUEUE-1)."""
    opening = opening_a_day_long()
    first = registered(client, factories.ZHANG)
    until(opening.queue_opens_at)
    joined = ok(join_queue(client, first), JOIN, 201)
    until(opening.queue_opens_at + DAY)  # the first registration is gone; sessions too
    second = registered(client, factories.ZHANG)
    assert ok(join_queue(client, second), JOIN, 200) == joined
    assert queue_place(client, second) == joined
    admit(client)
    assert the_opening(client)["queued"] == 1
    until(opening.opens_at + ORDER_GRACE)
    admit(client)
    place = queue_place(client, second)
    assert (place["position"], place["state"], place["joined_at"]) == (1, "admitted", joined["joined_at"])
    assert the_opening(client)["queued"] == 1
    chosen(client, second, "CET4")
    chosen(client, second, "CET-SET4", "NJU-GL")
