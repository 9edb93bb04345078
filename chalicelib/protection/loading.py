"""What one load protects ID numbers with: the key ring's current key and a new data key."""

from __future__ import annotations

from chalicelib.domain.identity import ProtectedId, Protection, WrappedDataKey, mask_id_number
from chalicelib.protection import envelope
from chalicelib.protection.keys import KeyRing


def protection(ring: KeyRing, wrapper: envelope.KeyWrapper, wrapped_keys: envelope.WrappedKeys) -> Protection:
    data_key = envelope.new_data_key(wrapper)

    def protect(number: str) -> ProtectedId:
        return ProtectedId(ring.digest(number), mask_id_number(number), envelope.seal(data_key, number))

    wrapped = WrappedDataKey(data_key.key_id, data_key.wrapped, data_key.wrapped_by)
    return Protection(ring.mark(), wrapped, protect, envelope.Opener(wrapper, wrapped_keys).open, ring.digest, ring)
