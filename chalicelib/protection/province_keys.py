"""The identity key ring of a running stage: the province's secret on AWS (read through Powertools
Parameters, cached), the environment or a throwaway ring on the local stack and in tests."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable

from chalicelib.config import Settings
from chalicelib.domain.errors import IdentityKeyUnavailable
from chalicelib.domain.identity import IdentityMark
from chalicelib.logs import logger
from chalicelib.protection.keys import KeyRing, KeyRingError, ring_from_secret
from chalicelib.secret_store import json_secret

SECRET_MAX_AGE_SECONDS = 300
REFRESH_AT_MOST_EVERY_SECONDS = 60.0
# Known to everyone, so it protects nothing: only for the local stack and the tests.
# Its version, "local", is one no real stage's table ever holds: a table loaded with it by mistake is
# refused by a real stage (503), never served under keys everyone knows.
THROWAWAY_SECRET = {"current": "local", "vlocal": "local-stack-throwaway-identity-key-not-for-real-data"}


class ProvinceKeys:
    """Hashes ID numbers under the key the table's digests were made with (IdentityKeys port)."""

    def __init__(self, read: Callable[[bool], KeyRing | None]) -> None:
        self._read = read  # read(force) -> the ring, or None when it cannot be read
        self._ring: KeyRing | None = None
        self._refreshed_at = float("-inf")
        self._failed_at = float("-inf")
        self._matched: tuple[KeyRing, IdentityMark] | None = None  # checked once, not per lookup
        self._lock = threading.Lock()

    def digest(self, id_number: str, mark: IdentityMark | None) -> str:
        if mark is None:
            logger().error("identity: the table carries no identity mark (not loaded, or not yet converted)")
            raise IdentityKeyUnavailable()
        ring = self._matching(mark)
        return ring.digest(id_number, mark.version)

    def code_digest(self, text: str, version: str | None = None) -> str | None:
        """A one-time code's keyed hash (CodeKeys port, decision 0024): under the current version,
        or the one a stored code names; None when that version is no longer in the ring."""
        ring = self._current(force=False)
        if ring is not None and version is not None and version not in ring.keys:
            with self._lock:
                due = time.monotonic() - self._refreshed_at >= REFRESH_AT_MOST_EVERY_SECONDS
            ring = self._current(force=True) if due else ring
        if ring is None:
            logger().error("codes: no key to hash one-time codes with (IDENTITY_SECRET_NAME)")
            raise IdentityKeyUnavailable()
        if version is not None and version not in ring.keys:
            return None
        return ring.code_digest(text, version)

    def _matching(self, mark: IdentityMark) -> KeyRing:
        ring = self._current(force=False)
        matched = self._matched
        if matched is not None and matched[0] is ring and matched[1] == mark:
            return ring
        if ring is not None and ring.matches(mark):
            self._matched = (ring, mark)
            return ring
        with self._lock:
            due = time.monotonic() - self._refreshed_at >= REFRESH_AT_MOST_EVERY_SECONDS
        ring = self._current(force=True) if due else ring
        if ring is not None and ring.matches(mark):
            self._matched = (ring, mark)
            return ring
        logger().error(
            "identity: the key ring does not match the table's digests",
            extra={"table_key_version": mark.version, "ring_versions": sorted(ring.keys) if ring else []},
        )
        raise IdentityKeyUnavailable()

    def _current(self, force: bool) -> KeyRing | None:
        with self._lock:
            if self._ring is not None and not force:
                return self._ring
            failed_lately = time.monotonic() - self._failed_at < REFRESH_AT_MOST_EVERY_SECONDS
            if not force and failed_lately:
                return self._ring  # an unreadable secret is not asked again at every request
        ring = self._read(force)
        with self._lock:
            if force:
                self._refreshed_at = time.monotonic()
            if ring is None:
                self._failed_at = time.monotonic()
            else:
                self._ring = ring
            return self._ring


def key_ring_reader(config: Settings) -> Callable[[bool], KeyRing | None]:
    if config.identity_secret_name:
        name = config.identity_secret_name
        return lambda force: _ring_from_secret_store(name, force)
    if config.identity_keys:
        given = _parse(_json(config.identity_keys), "IDENTITY_KEYS")
        return lambda _force: given
    if config.identity_throwaway:
        ring = ring_from_secret(THROWAWAY_SECRET)
        return lambda _force: ring
    return _no_keys


def _no_keys(_force: bool) -> KeyRing | None:
    """A function that was given no identity keys (only the API is): it refuses any lookup."""
    logger().error("identity: no keys configured (IDENTITY_SECRET_NAME)")
    return None


def _json(text: str) -> object:
    try:
        return json.loads(text)
    except ValueError:
        return None


def key_ring(config: Settings) -> KeyRing:
    """The ring now, for the province's tools: an unreadable one is an error, said plainly."""
    if not (config.identity_secret_name or config.identity_keys or config.identity_throwaway):
        raise IdentityKeyUnavailable("未设置 IDENTITY_SECRET_NAME：没有本省的身份密钥。")
    ring = key_ring_reader(config)(True)
    if ring is None:
        raise IdentityKeyUnavailable("无法读取身份密钥（IDENTITY_SECRET_NAME）。")
    return ring


def _ring_from_secret_store(name: str, force: bool) -> KeyRing | None:
    secret = json_secret(name, SECRET_MAX_AGE_SECONDS, "identity secret unreadable: lookups refuse", force)
    return None if secret is None else _parse(secret, name)


def _parse(secret: object, source: str) -> KeyRing | None:
    try:
        if not isinstance(secret, dict):
            raise KeyRingError("not a JSON object")
        return ring_from_secret(secret)
    except KeyRingError as problem:
        logger().error("identity keys unusable", extra={"source": source, "problem": str(problem)})
        return None
