"""R-TICKET-2: the ticket's QR code carries a signed text a gate checks offline with the province's
public keys; keys rotate without making printed tickets fail (decision 0028)."""

from __future__ import annotations

import base64
import json
from datetime import datetime

import pytest

from chalicelib.config import settings
from chalicelib.domain.clock import SHANGHAI
from chalicelib.domain.errors import TicketKeyUnavailable
from chalicelib.domain.ticket_document import (
    BadTicketSignature,
    MalformedTicketQr,
    TicketDocument,
    UnknownTicketKey,
    b64url,
    from_b64url,
)
from chalicelib.tickets.keys import TicketKeyError, TicketKeys, ring_from_secret, throwaway_ring, ticket_keys
from chalicelib.tickets.signing import TicketSigner, new_private_key, verify_ticket_qr
from province.ticket_key import new_secret, rotated_secret

WHOLE_ID = "320102200001011234"


def ticket(**changes: object) -> TicketDocument:
    fields: dict[str, object] = {
        "ticket_number": "320001262100101",
        "name": "欧阳晓燕",
        "masked_id": WHOLE_ID,
        "school": "南京大学",
        "subject": "CET4",
        "subject_name": "英语四级笔试",
        "exam_at": datetime(2026, 12, 19, 9, 0, tzinfo=SHANGHAI),
        "exam_minutes": 140,
        "site_code": "320001",
        "campus_name": "鼓楼校区",
        "room": "001",
        "seat": "01",
    }
    fields.update(changes)
    return TicketDocument(**fields)  # type: ignore[arg-type]


def signer(key_id: str = "k1") -> TicketSigner:
    return TicketSigner(key_id, new_private_key())


def payload_of(text: str) -> dict[str, object]:
    loaded: dict[str, object] = json.loads(from_b64url(text.split(".", maxsplit=1)[0]))
    return loaded


def test_r_ticket_2_a_signed_ticket_verifies_and_gives_back_its_fields() -> None:
    key = signer()
    text = key.sign(ticket())

    fields = verify_ticket_qr(text, {"k1": key.public_key})

    assert fields["ticket_number"] == "320001262100101"
    assert fields["name"] == "欧阳晓燕"
    assert fields["subject"] == "CET4"
    assert fields["exam_at"] == "2026-12-19T09:00:00+08:00"
    assert fields["ends_at"] == "2026-12-19T11:20:00+08:00"
    assert (fields["room"], fields["seat"], fields["key_id"]) == ("001", "01", "k1")


def test_r_ticket_2_the_payload_is_compact_sorted_utf8_json_naming_its_key_and_never_the_whole_id() -> None:
    document = ticket(extra_minutes=40)
    text = signer("k9").sign(document)
    payload_part, signature_part = text.split(".")
    raw = from_b64url(payload_part)

    assert "=" not in text
    assert "+" not in text
    assert "/" not in text
    assert len(from_b64url(signature_part)) == 64
    assert raw == document.payload("k9")
    assert "欧阳晓燕".encode() in raw  # ensure_ascii=False
    assert b", " not in raw
    assert b": " not in raw
    fields = json.loads(raw)
    assert list(fields) == sorted(fields)
    assert fields["key_id"] == "k9"
    assert fields["ends_at"] == "2026-12-19T12:00:00+08:00"  # 140 minutes and 40 more
    assert WHOLE_ID not in raw.decode()
    assert fields["masked_id"] == "3201**********1234"


def test_r_ticket_2_a_ticket_given_a_whole_id_number_masks_it_with_the_services_masking() -> None:
    assert ticket().masked_id == "3201**********1234"
    assert ticket(masked_id="3201**********1234").masked_id == "3201**********1234"


def test_r_ticket_2_a_tampered_payload_is_refused() -> None:
    key = signer()
    text = key.sign(ticket())
    fields = payload_of(text)
    fields["seat"] = "02"
    forged = b64url(json.dumps(fields, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode())

    with pytest.raises(BadTicketSignature):
        verify_ticket_qr(f"{forged}.{text.split('.')[1]}", {"k1": key.public_key})


def test_r_ticket_2_a_ticket_signed_with_another_key_of_the_same_name_is_refused() -> None:
    text = signer("k1").sign(ticket())

    with pytest.raises(BadTicketSignature):
        verify_ticket_qr(text, {"k1": signer("k1").public_key})


def test_r_ticket_2_a_ticket_naming_a_key_the_province_does_not_have_is_refused() -> None:
    text = signer("other-province").sign(ticket())

    with pytest.raises(UnknownTicketKey, match="other-province"):
        verify_ticket_qr(text, {"k1": signer("k1").public_key})


@pytest.mark.parametrize(
    "text",
    [
        "",
        "no-dot-at-all",
        "a.b.c",
        "eyJr.!!!",
        "eyJrZXlfaWQiOiJrMSJ9." + "A" * 85,  # 63 bytes of signature
        "eyJrZXlfaWQiOiJrMSJ9=." + "A" * 86,  # padding
        "bm90IGpzb24." + "A" * 86,  # "not json"
        "WzFd." + "A" * 86,  # [1]: JSON, not an object
        b64url(b'{"name":"x"}') + "." + "A" * 86,  # no key_id
        "x" * 3000,
    ],
)
def test_r_ticket_2_a_malformed_text_is_refused_as_such(text: str) -> None:
    with pytest.raises(MalformedTicketQr):
        verify_ticket_qr(text, {"k1": signer("k1").public_key})


def test_r_ticket_2_a_signed_text_that_is_not_a_ticket_is_refused() -> None:
    key = signer()
    text = key.sign_payload(b'{"key_id":"k1","name":"x"}')

    with pytest.raises(MalformedTicketQr, match="ticket_number"):
        verify_ticket_qr(text, {"k1": key.public_key})


def test_r_ticket_2_after_a_rotation_old_tickets_still_verify_and_new_ones_use_the_new_key() -> None:
    first = new_secret("k1")
    old_ticket = ring_from_secret(first).signer.sign(ticket())

    second = rotated_secret(first, "k2")
    ring = ring_from_secret(second)
    new_ticket = ring.signer.sign(ticket())

    assert ring.signer.key_id == "k2"
    assert verify_ticket_qr(old_ticket, ring.public_keys)["key_id"] == "k1"
    assert verify_ticket_qr(new_ticket, ring.public_keys)["key_id"] == "k2"
    assert "private_key" not in second["keys"][1]  # the old key can no longer sign
    document = ring.public_key_document()
    assert (document["key_id"], document["alg"]) == ("k2", "Ed25519")
    assert base64.b64decode(document["public_key"]) == ring.public_keys["k2"]
    assert [k["key_id"] for k in document["keys"]] == ["k2", "k1"]


def test_r_ticket_2_a_key_dropped_after_its_sitting_no_longer_verifies() -> None:
    first = new_secret("k1")
    old_ticket = ring_from_secret(first).signer.sign(ticket())
    third = rotated_secret(rotated_secret(first, "k2"), "k3", drop=("k1",))

    with pytest.raises(UnknownTicketKey):
        verify_ticket_qr(old_ticket, ring_from_secret(third).public_keys)


@pytest.mark.parametrize(
    ("secret", "problem"),
    [
        ({}, "expected"),
        ({"keys": []}, "expected"),
        ({"keys": [{"key_id": "k1", "private_key": "AAAA", "active": True}]}, "3 bytes"),
        ({"keys": [{"key_id": "k 1", "private_key": base64.b64encode(b"1" * 32).decode(), "active": True}]}, "key_id"),
        ({"keys": [{"key_id": "k1", "public_key": base64.b64encode(b"1" * 32).decode(), "active": True}]}, "needs"),
        ({"keys": [{"key_id": "k1", "public_key": base64.b64encode(b"1" * 32).decode()}]}, "0 active"),
        ({"keys": [{"key_id": "local", "private_key": base64.b64encode(b"1" * 32).decode(), "active": True}]}, "local"),
    ],
)
def test_r_ticket_2_a_secret_that_is_not_a_key_ring_is_refused_by_name(secret: object, problem: str) -> None:
    with pytest.raises(TicketKeyError, match=problem):
        ring_from_secret(secret)


def test_r_ticket_2_two_active_keys_or_a_public_key_not_its_private_keys_are_refused() -> None:
    one, two = new_secret("k1")["keys"][0], new_secret("k2")["keys"][0]
    with pytest.raises(TicketKeyError, match="2 active"):
        ring_from_secret({"keys": [one, two]})
    with pytest.raises(TicketKeyError, match="not the private key"):
        ring_from_secret({"keys": [{**one, "public_key": base64.b64encode(b"1" * 32).decode()}]})


def test_r_ticket_2_the_stage_signs_with_the_secrets_active_key_and_follows_a_rotation() -> None:
    value: dict[str, object] = new_secret("k1")
    keys = TicketKeys(lambda: value, "test")
    assert keys.ring().signer.key_id == "k1"

    value = rotated_secret(new_secret("k1"), "k2")

    assert keys.ring().signer.key_id == "k2"


@pytest.mark.parametrize("value", [None, {"keys": "nonsense"}])
def test_r_ticket_2_an_unreadable_or_unusable_secret_refuses_to_sign(value: object) -> None:
    with pytest.raises(TicketKeyUnavailable):
        TicketKeys(lambda: value, "test").ring()


def test_r_ticket_2_the_tests_and_the_local_stack_sign_with_the_throwaway_key(monkeypatch: pytest.MonkeyPatch) -> None:
    assert ticket_keys(settings()).ring().signer.key_id == "local"
    assert throwaway_ring().signer.public_key == ticket_keys(settings()).ring().public_keys["local"]
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "api")  # never on Lambda
    with pytest.raises(TicketKeyUnavailable):
        ticket_keys(settings()).ring()


def test_r_ticket_2_a_ring_given_as_json_off_aws_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TICKET_KEYS", json.dumps(new_secret("given")))
    assert ticket_keys(settings()).ring().signer.key_id == "given"
    monkeypatch.setenv("TICKET_KEYS", "{not json")
    with pytest.raises(TicketKeyUnavailable):
        ticket_keys(settings()).ring()


def test_r_ticket_2_a_real_stage_reads_the_key_from_its_secret_and_refuses_the_throwaway_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Decision 0028: the province's secret, read through Powertools Parameters (moto's here); a
    secret holding the local stack's throwaway key is never used to sign."""
    import boto3
    from aws_lambda_powertools.utilities import parameters
    from moto import mock_aws

    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "api")
    monkeypatch.setenv("TICKET_SECRET_NAME", "cet-registration-zhejiang/tickets")
    with mock_aws():
        client = boto3.client("secretsmanager")
        value = new_secret("20261101-3fa9")
        client.create_secret(Name="cet-registration-zhejiang/tickets", SecretString=json.dumps(value))
        parameters.clear_caches()

        ring = ticket_keys(settings()).ring()

        assert ring.signer.key_id == "20261101-3fa9"
        local = {"keys": [{"key_id": "local", "private_key": value["keys"][0]["private_key"], "active": True}]}
        client.put_secret_value(SecretId="cet-registration-zhejiang/tickets", SecretString=json.dumps(local))
        parameters.clear_caches()
        with pytest.raises(TicketKeyUnavailable):
            ticket_keys(settings()).ring()
        parameters.clear_caches()
