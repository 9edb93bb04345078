"""Sessions by the digest of their token."""

from __future__ import annotations

from pynamodb.exceptions import DoesNotExist

from chalicelib.domain.accounts import Session
from chalicelib.domain.clock import iso, parse_iso
from chalicelib.storage import keys
from chalicelib.storage.models import (
    SessionItem,
)


class DynamoSessions:
    def save(self, session: Session) -> None:
        SessionItem(
            keys.session_pk(session.token_digest),
            keys.SESSION_SK,
            account_id=session.account_id,
            expires_at=iso(session.expires_at),
            expires=session.expires_at,
            generation=session.generation,
        ).save()

    def get(self, token_digest: str) -> Session | None:
        try:
            item = SessionItem.get(keys.session_pk(token_digest), keys.SESSION_SK)
        except DoesNotExist:
            return None
        return Session(token_digest, item.account_id, parse_iso(item.expires_at), int(item.generation or 0))

    def revoke(self, token_digest: str) -> None:
        SessionItem(keys.session_pk(token_digest), keys.SESSION_SK).delete()
