"""The published pre-opening order of an opening over HTTP (R-QUEUE-6).

Part of the HTTP contract (tests/e2e/contract.py): the registry sees its 400, 404, 409 and 503.
"""

from __future__ import annotations

import hashlib
import hmac

import pytest
from chalice.test import Client

from chalicelib.bootstrap import CLOCK
from chalicelib.domain.waiting_room import ORDER_GRACE
from chalicelib.storage import keys
from chalicelib.storage.waiting_room_items import QueueEntryItem
from tests import factories
from tests.e2e.contract import JOIN, account_id, admit, expect, join_queue, ok, queue_place, until
from tests.e2e.http import Reply, call, registered
from tests.e2e.test_contract_waiting_room import with_opening

pytestmark = pytest.mark.usefixtures("contract")

ORDER = "GET /openings/{opening_id}/order"


def order(client: Client, query: str = "", opening_id: str = "GL-OPENING") -> Reply:
    return call(client, "GET", f"/openings/{opening_id}/order{query}")  # public: no token


def test_r_queue_6_the_pre_opening_order_is_published_as_its_place_keys_page_by_page(client: Client) -> None:
    """R-QUEUE-6: after `opens_at` and the ordering, anyone (no login) reads the pre-opening
    order as the hex place keys of R-QUEUE-3 in place order, page by page; later arrivals are not
    in it; 409 QUEUE_NOT_ORDERED before; 404 for an unknown opening; 400 for a bad page."""
    opening = with_opening(rate=1, pass_minutes=10, extra_students=7)
    expect(order(client, opening_id="NO-SUCH"), ORDER, 404, "NOT_FOUND")
    expect(order(client), ORDER, 409, "QUEUE_NOT_ORDERED")
    until(opening.queue_opens_at)
    roll = iter(factories.many_students(7))
    early = [registered(client, next(roll)) for _ in range(5)]
    for token in early:
        ok(join_queue(client, token), JOIN, 201)
    until(opening.opens_at)
    late = [registered(client, next(roll)) for _ in range(2)]
    for token in late:
        ok(join_queue(client, token), JOIN, 201)
    admit(client)
    expect(order(client), ORDER, 409, "QUEUE_NOT_ORDERED")  # after opens_at, not yet ordered
    until(opening.opens_at + ORDER_GRACE)
    admit(client)
    for bad, field in (("?from=0", "from"), ("?from=x", "from"), ("?count=1001", "count"), ("?count=0", "count")):
        expect(order(client, bad), ORDER, 400, "INVALID_REQUEST", field)
    whole = order(client)
    page = ok(whole, ORDER)
    assert whole.header("Cache-Control") == "public, max-age=3600"
    seed = page["seed"]
    key_of = {t: hmac.new(seed.encode(), account_id(client, t).encode(), hashlib.sha256).hexdigest() for t in early}
    by_place = sorted(early, key=lambda t: queue_place(client, t)["position"])
    assert (page["total"], page["from"]) == (5, 1)
    assert page["keys"] == [key_of[t] for t in by_place] == sorted(key_of.values())
    pages = [ok(order(client, f"?from={first}&count=2"), ORDER) for first in (1, 3, 5)]
    assert [p["from"] for p in pages] == [1, 3, 5]
    assert [k for p in pages for k in p["keys"]] == page["keys"]
    assert ok(order(client, "?from=6"), ORDER)["keys"] == []
    CLOCK.advance(11 * 60)  # the first place's admission lapsed: it joins again at the back
    ok(join_queue(client, by_place[0]), JOIN, 201)
    admit(client)
    assert queue_place(client, by_place[0])["position"] == 8
    assert ok(order(client), ORDER)["keys"] == page["keys"]  # its pre-opening place is kept


def test_r_queue_6_a_place_the_index_does_not_show_is_busy_not_a_hole(client: Client) -> None:
    """R-QUEUE-6: no page skips a place: one the index does not show (yet) is 503 BUSY."""
    opening = with_opening(rate=1, pass_minutes=10, extra_students=3)
    until(opening.queue_opens_at)
    tokens = [registered(client, entry) for entry in factories.many_students(3)]
    for token in tokens:
        ok(join_queue(client, token), JOIN, 201)
    until(opening.opens_at + ORDER_GRACE)
    admit(client)
    second = next(t for t in tokens if queue_place(client, t)["position"] == 2)
    QueueEntryItem(keys.account_pk(account_id(client, second)), keys.queue_sk(opening.id)).delete()
    expect(order(client), ORDER, 503, "BUSY")
    assert len(ok(order(client, "?count=1"), ORDER)["keys"]) == 1
