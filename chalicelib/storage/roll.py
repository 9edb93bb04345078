"""The school roll and the CET4 score records, read by candidate key and by ticket number."""

from __future__ import annotations

from pynamodb.exceptions import DoesNotExist

from chalicelib.domain.identity import IdType
from chalicelib.domain.roll import Cet4Record, RollEntry
from chalicelib.storage import codec, keys
from chalicelib.storage.models import (
    Cet4ScoreItem,
    RollItem,
)


class DynamoRoll:
    def candidate(self, id_type: IdType, id_digest: str) -> RollEntry | None:
        try:
            return codec.roll_from_item(RollItem.get(keys.roll_pk(id_type, id_digest), keys.ROLL_SK))
        except DoesNotExist:
            return None

    def cet4_record(self, ticket_number: str) -> Cet4Record | None:
        try:
            return codec.cet4_from_item(Cet4ScoreItem.get(keys.ticket_pk(ticket_number), keys.CET4_SK))
        except DoesNotExist:
            return None
