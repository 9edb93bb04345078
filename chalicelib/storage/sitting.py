"""The room plan's seed (R-ROOM-2), kept as an opening's is (R-QUEUE-3): drawn once per sitting at
the first load that declares it, never drawn again; its digest readable from then on."""

from __future__ import annotations

from dataclasses import replace

from pynamodb.exceptions import DoesNotExist, PutError

from chalicelib.domain.sitting import ExamSitting
from chalicelib.domain.waiting_room import draw_seed, seed_sha256
from chalicelib.storage import keys
from chalicelib.storage.keys_room_plan import sitting_pk
from chalicelib.storage.models import SittingSeedItem
from chalicelib.storage.transactions import error_code


def keep_seed(exam: ExamSitting) -> None:
    """Put a new seed unless the sitting has one: a reload, or a load run again, keeps the first."""
    seed = draw_seed()
    item = SittingSeedItem(sitting_pk(exam), keys.SEED_SK, seed=seed, seed_sha256=seed_sha256(seed))
    try:
        item.save(condition=SittingSeedItem.pk.does_not_exist())
    except PutError as error:
        if error_code(error) != "ConditionalCheckFailedException":
            raise


def with_seed(exam: ExamSitting, seed: bool) -> ExamSitting:
    """The sitting with its digest, and its seed when asked (the plan job; anyone once drawn)."""
    wanted = ["seed_sha256", "seed"] if seed else ["seed_sha256"]
    try:
        item = SittingSeedItem.get(sitting_pk(exam), keys.SEED_SK, consistent_read=True, attributes_to_get=wanted)
    except DoesNotExist:
        return exam
    return replace(exam, seed_sha256=item.seed_sha256, seed=item.seed if seed else None)
