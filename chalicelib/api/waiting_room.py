"""The waiting room (R-QUEUE-1..6): openings, joining the queue, one's place in it, the published order."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Response

from chalicelib.api import render
from chalicelib.api.errors import handles_errors, json_response
from chalicelib.api.requests import BODY_TYPES, current_request, path_id, query_param
from chalicelib.api.students import student
from chalicelib.bootstrap import services
from chalicelib.domain.errors import InvalidRequest
from chalicelib.domain.waiting_room import Standing
from chalicelib.services import waiting_room

bp = Blueprint(__name__)
# R-QUEUE-6: once ordered, a page of the pre-opening order never changes: any cache may keep it.
ORDER_CACHE = {"Cache-Control": "public, max-age=3600"}


@bp.route("/openings", methods=["GET"])
@handles_errors
def list_openings() -> Response:
    return json_response(
        [
            {
                "opening_id": v.opening.id,
                "name": v.opening.name,
                "campuses": list(v.opening.campuses),
                "queue_opens_at": render.optional_iso(v.opening.queue_opens_at),
                "opens_at": render.optional_iso(v.opening.opens_at),
                "closes_at": render.optional_iso(v.opening.closes_at),
                "admit_per_minute": v.opening.admit_per_minute,
                "pass_minutes": v.opening.pass_minutes,
                "state": v.state.value,
                "seed_sha256": v.progress.seed_sha256,
                "seed": v.progress.seed,
                "queued": v.progress.queued,
                "admitted": v.progress.admitted,
            }
            for v in waiting_room.list_openings(services().waiting_room)
        ]
    )


def _entry(place: Standing) -> dict[str, Any]:
    entry = place.entry
    return {
        "opening_id": entry.opening_id,
        "position": place.position,
        "state": place.state.value,
        "joined_at": render.optional_iso(entry.joined_at),
        "admitted_at": render.optional_iso(entry.admitted_at),
        "admitted_until": render.optional_iso(entry.admitted_until),
        "ahead": place.ahead,
        "estimated_wait_seconds": place.estimated_wait_seconds,
    }


@bp.route("/openings/{opening_id}/entries", methods=["POST"], content_types=BODY_TYPES)
@handles_errors
def join_queue(opening_id: str) -> Response:
    ctx = services().waiting_room
    account = student()
    joined = waiting_room.join(ctx, account, path_id(opening_id, "排队场次"))
    place = waiting_room.standing_of(ctx, joined.opening, joined.entry)
    return json_response(_entry(place), 201 if joined.created else 200)


@bp.route("/openings/{opening_id}/entries/current", methods=["GET"])
@handles_errors
def current_entry(opening_id: str) -> Response:
    account = student()
    _, place = waiting_room.current_entry(services().waiting_room, account, path_id(opening_id, "排队场次"))
    return json_response(_entry(place))


def _whole_number(name: str, default: int) -> int:
    raw = query_param(current_request(bp), name)
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 10:
        raise InvalidRequest(name, "应为正整数")
    return int(raw)


@bp.route("/openings/{opening_id}/order", methods=["GET"])
@handles_errors
def pre_opening_order(opening_id: str) -> Response:
    """R-QUEUE-6: public, no login: a page of the pre-opening order as its place keys."""
    first = _whole_number("from", 1)
    count = _whole_number("count", waiting_room.ORDER_PAGE_MAX)
    page = waiting_room.order_page(services().waiting_room, path_id(opening_id, "排队场次"), first, count)
    body = {"seed": page.seed, "total": page.total, "from": page.first, "keys": page.keys}
    return json_response(body, headers=ORDER_CACHE)
