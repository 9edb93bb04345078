"""The waiting room (R-QUEUE-1..5): openings, joining the queue, one's place in it."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Response

from chalicelib.api import render
from chalicelib.api.errors import handles_errors, json_response
from chalicelib.api.requests import BODY_TYPES, path_id
from chalicelib.api.students import student
from chalicelib.bootstrap import services
from chalicelib.domain.waiting_room import Standing
from chalicelib.services import waiting_room

bp = Blueprint(__name__)


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
