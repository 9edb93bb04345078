"""Decision 0013: ID numbers at rest. Keyed hashes that are versioned and checked against the
table's mark; envelope encryption whose every failure is a clear refusal, never a silent miss."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest
from aws_lambda_powertools.utilities import parameters
from moto import mock_aws

from chalicelib.config import settings
from chalicelib.domain.errors import IdentityKeyUnavailable
from chalicelib.domain.identity import IdentityMark, ProtectedId, same_number
from chalicelib.protection import envelope
from chalicelib.protection.keys import KeyRing, KeyRingError, ring_from_secret
from chalicelib.protection.province_keys import ProvinceKeys, key_ring, key_ring_reader
from tests import factories

NUMBER = factories.ZHANG.id_number
KEY_A = "a" * 40
KEY_B = "b" * 40


def ring(current: str = "1", **keys: str) -> KeyRing:
    return ring_from_secret({"current": current, **{f"v{v.removeprefix('v')}": k for v, k in keys.items()}})


def test_a_digest_is_keyed_versioned_and_never_holds_the_number() -> None:
    one = ring(v1=KEY_A)
    digest = one.digest(NUMBER)
    assert digest == one.digest(NUMBER)  # the same number is found again
    assert digest.startswith("1:")
    assert NUMBER not in digest
    assert NUMBER[-6:] not in digest
    assert ring(v1=KEY_B).digest(NUMBER) != digest  # without the key, nobody can compute it
    assert one.digest(factories.resident_id(2)) != digest


def test_a_ring_hashes_under_any_version_it_holds_and_refuses_one_it_lacks() -> None:
    rotated = ring("2", v1=KEY_A, v2=KEY_B)
    assert rotated.digest(NUMBER).startswith("2:")
    assert rotated.digest(NUMBER, "1") == ring(v1=KEY_A).digest(NUMBER)
    with pytest.raises(IdentityKeyUnavailable):
        rotated.digest(NUMBER, "3")


@pytest.mark.parametrize(
    "secret",
    [
        {"v1": KEY_A},  # no current version
        {"current": "2", "v1": KEY_A},  # the current version is missing
        {"current": "1", "v1": "short"},  # under 32 bytes
    ],
)
def test_an_unusable_secret_is_refused_by_what_is_wrong_never_by_the_key(secret: dict[str, str]) -> None:
    with pytest.raises(KeyRingError) as refused:
        ring_from_secret(secret)
    assert KEY_A not in str(refused.value)


def test_a_ring_never_shows_its_keys() -> None:
    assert KEY_A not in repr(ring(v1=KEY_A))


def test_digests_of_different_key_versions_are_not_compared() -> None:
    """R-REV-3 compares digests: under different keys that would be a silent "no"."""
    old = ProtectedId(ring(v1=KEY_A).digest(NUMBER), "m")
    new = ProtectedId(ring("2", v2=KEY_B).digest(NUMBER), "m")
    assert same_number(old, old)
    with pytest.raises(IdentityKeyUnavailable):
        same_number(old, new)


class Reader:
    """A secret store that can change: what `ProvinceKeys` reads, and how often it was forced."""

    def __init__(self, ring: KeyRing | None) -> None:
        self.ring = ring
        self.forced = 0

    def __call__(self, force: bool) -> KeyRing | None:
        self.forced += force
        return self.ring


def test_province_keys_hash_under_the_table_s_version() -> None:
    rotated = ring("2", v1=KEY_A, v2=KEY_B)
    keys = ProvinceKeys(Reader(rotated))
    assert keys.digest(NUMBER, IdentityMark("1", rotated.check("1"))) == rotated.digest(NUMBER, "1")


@pytest.mark.parametrize(
    "mark",
    [None, IdentityMark("1", ring(v1=KEY_B).check("1")), IdentityMark("2", "0" * 24)],
    ids=["no mark (not loaded or not converted)", "another key of the same version", "a version it lacks"],
)
def test_province_keys_refuse_a_table_they_do_not_match(mark: IdentityMark | None) -> None:
    reader = Reader(ring(v1=KEY_A))
    with pytest.raises(IdentityKeyUnavailable):
        ProvinceKeys(reader).digest(NUMBER, mark)


def test_province_keys_read_the_secret_again_once_when_the_table_moved_to_a_new_key() -> None:
    """A province rotates: the secret gains v2 and the table is reloaded under it; a warm Lambda
    reads the secret again instead of refusing, and does not read it at every request."""
    reader = Reader(ring(v1=KEY_A))
    keys = ProvinceKeys(reader)
    newer = ring("2", v1=KEY_A, v2=KEY_B)
    mark = IdentityMark("2", newer.check("2"))
    keys.digest(NUMBER, IdentityMark("1", ring(v1=KEY_A).check("1")))
    reader.ring = newer
    assert keys.digest(NUMBER, mark) == newer.digest(NUMBER)
    assert reader.forced == 1
    keys.digest(NUMBER, mark)
    assert reader.forced == 1


class CountingReader(Reader):
    def __init__(self, ring: KeyRing | None) -> None:
        super().__init__(ring)
        self.reads = 0

    def __call__(self, force: bool) -> KeyRing | None:
        self.reads += 1
        return super().__call__(force)


def test_province_keys_do_not_hammer_an_unreadable_secret() -> None:
    reader = CountingReader(None)
    keys = ProvinceKeys(reader)
    for _ in range(5):
        with pytest.raises(IdentityKeyUnavailable):
            keys.digest(NUMBER, IdentityMark("1", "x"))
    assert reader.reads <= 2  # the first lookup reads (then forces once); the next ones wait a minute


def test_without_a_secret_or_the_local_opt_in_there_are_no_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the local stack and the tests may use the throwaway keys, and they must say so; a
    function given no keys (only the API is) refuses every lookup, and a load is refused."""
    monkeypatch.delenv("IDENTITY_THROWAWAY_KEYS")
    keys = ProvinceKeys(key_ring_reader(settings()))
    with pytest.raises(IdentityKeyUnavailable):
        keys.digest(NUMBER, ring(v1=KEY_A).mark())
    with pytest.raises(IdentityKeyUnavailable, match="IDENTITY_SECRET_NAME"):
        key_ring(settings())


@pytest.fixture
def secret_store(monkeypatch: pytest.MonkeyPatch) -> Iterator[boto3.client]:
    monkeypatch.setenv("IDENTITY_SECRET_NAME", "cet-registration/zhejiang/identity")
    monkeypatch.delenv("IDENTITY_THROWAWAY_KEYS")
    with mock_aws():
        parameters.clear_caches()
        yield boto3.client("secretsmanager")
        parameters.clear_caches()


def test_the_ring_comes_from_the_province_s_secret(secret_store: boto3.client) -> None:
    secret_store.create_secret(
        Name="cet-registration/zhejiang/identity", SecretString=json.dumps({"current": "1", "v1": KEY_A})
    )
    read = key_ring_reader(settings())(False)
    assert read is not None
    assert read.digest(NUMBER) == ring(v1=KEY_A).digest(NUMBER)


def test_an_unreadable_secret_reads_as_no_ring_and_a_refusal(secret_store: boto3.client) -> None:
    keys = ProvinceKeys(key_ring_reader(settings()))  # the secret does not exist
    with pytest.raises(IdentityKeyUnavailable):
        keys.digest(NUMBER, IdentityMark("1", "x"))


# Envelope encryption


def local_envelope() -> tuple[envelope.DataKey, envelope.Opener]:
    wrapper = envelope.LocalWrapper(envelope.THROWAWAY_WRAPPING_KEY)
    key = envelope.new_data_key(wrapper)
    return key, envelope.Opener(wrapper, {key.key_id: (key.wrapped, key.wrapped_by)}.get)


def test_a_sealed_number_opens_to_the_number_and_shows_nothing_of_it() -> None:
    key, opener = local_envelope()
    sealed = envelope.seal(key, NUMBER)
    assert NUMBER not in sealed
    assert envelope.seal(key, NUMBER) != sealed  # a fresh nonce each time
    assert opener.open(sealed) == NUMBER
    assert repr(key.plaintext)[2:-1] not in repr(key)
    assert "plaintext" not in repr(key)


def test_a_tampered_sealed_number_is_refused() -> None:
    key, opener = local_envelope()
    sealed = envelope.seal(key, NUMBER)
    head, body = sealed.split(".")
    flipped = body[:10] + ("A" if body[10] != "A" else "B") + body[11:]
    with pytest.raises(IdentityKeyUnavailable, match="无法解开"):
        opener.open(f"{head}.{flipped}")


def test_a_data_key_the_table_lacks_or_another_wrapping_key_is_refused() -> None:
    key, _ = local_envelope()
    sealed = envelope.seal(key, NUMBER)
    with pytest.raises(IdentityKeyUnavailable, match="没有数据密钥"):
        envelope.Opener(envelope.LocalWrapper(envelope.THROWAWAY_WRAPPING_KEY), {}.get).open(sealed)
    other = envelope.LocalWrapper(b"k" * 32)
    with pytest.raises(IdentityKeyUnavailable, match="密钥不对"):
        envelope.Opener(other, {key.key_id: (key.wrapped, key.wrapped_by)}.get).open(sealed)


@pytest.fixture
def kms() -> Iterator[boto3.client]:
    with mock_aws():
        yield boto3.client("kms")


def test_kms_wraps_the_data_keys_bound_to_the_table(kms: boto3.client) -> None:
    key_id = kms.create_key(Description="cet identity data keys")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/cet-identity", TargetKeyId=key_id)
    wrapper = envelope.KmsWrapper(key_id, "cet-registration-zhejiang", client=kms)
    key = envelope.new_data_key(wrapper)
    assert key.plaintext not in key.wrapped
    sealed = envelope.seal(key, NUMBER)
    by_alias = envelope.KmsWrapper("alias/cet-identity", "cet-registration-zhejiang", client=kms)
    assert by_alias.name == wrapper.name  # however the operator names the key, its data keys open
    fresh_opener = envelope.Opener(by_alias, {key.key_id: (key.wrapped, key.wrapped_by)}.get)
    assert fresh_opener.open(sealed) == NUMBER  # unwrapped by KMS, then kept in memory only


def test_kms_refuses_another_key_or_another_table_clearly(kms: boto3.client) -> None:
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    other_id = kms.create_key()["KeyMetadata"]["KeyId"]
    key = envelope.new_data_key(envelope.KmsWrapper(key_id, "cet-registration-zhejiang", client=kms))
    sealed = envelope.seal(key, NUMBER)
    for wrong in (
        envelope.KmsWrapper(other_id, "cet-registration-zhejiang", client=kms),
        envelope.KmsWrapper(key_id, "cet-registration-jiangsu", client=kms),
    ):
        stored = {key.key_id: (key.wrapped, wrong.name)}
        with pytest.raises(IdentityKeyUnavailable, match="KMS"):
            envelope.Opener(wrong, stored.get).open(sealed)
