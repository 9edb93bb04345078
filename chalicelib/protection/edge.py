"""Who the client is behind the province's CloudFront distribution (decision 0034).

CloudFront sends every request for `/api/*` on with a header only it knows the value of
(`X-Cet-Edge`, the stack's `EdgeSecret`) and the viewer's address appended to `X-Forwarded-For`.
API Gateway's `sourceIp` is then the edge server's address, shared by everyone it carries; the
client is the address CloudFront appended. A request without the right key (a caller reaching the
API directly, or the local stack) is its `sourceIp`, whatever `X-Forwarded-For` it claims.
"""

from __future__ import annotations

import hmac
import time

from chalicelib.config import settings
from chalicelib.secret_store import json_secret

EDGE_HEADER = "x-cet-edge"
KEY_MAX_AGE_SECONDS = 300  # a new key (a stack update) is taken within five minutes
MIN_KEY_LENGTH = 32  # the stack makes 48 characters; anything shorter is not its key


UNREADABLE_WAIT_SECONDS = 60.0  # after a failed read: no Secrets Manager call per request meanwhile
_unreadable_until = [0.0]


def through_edge(sent: str | None) -> bool:
    """Whether `sent` is the distribution's key: compared in constant time, never logged. A key that
    cannot be read trusts no request (each counted by where it comes from) and is asked for again a
    minute later, not on every request."""
    if not sent or time.monotonic() < _unreadable_until[0]:
        return False  # nothing to compare: no settings read, no secret asked for
    name = settings().edge_secret_name
    if not name:
        return False
    secret = json_secret(name, KEY_MAX_AGE_SECONDS, "edge: the CloudFront key cannot be read")
    key = secret.get("value") if secret else None
    if not isinstance(key, str) or len(key) < MIN_KEY_LENGTH:
        _unreadable_until[0] = time.monotonic() + UNREADABLE_WAIT_SECONDS
        return False
    return hmac.compare_digest(sent.encode(), key.encode())


def viewer_address(forwarded: str | None, source: str) -> str | None:
    """The address CloudFront appended to `X-Forwarded-For`: the last one, or the one before it when
    API Gateway appended the edge's own (`source`) after it. Whatever a viewer wrote comes first."""
    addresses = [a.strip() for a in (forwarded or "").split(",") if a.strip()]
    if addresses and addresses[-1] == source:
        addresses.pop()
    return addresses[-1] if addresses else None
