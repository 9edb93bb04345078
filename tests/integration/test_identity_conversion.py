"""Decision 0013 on both backends: a table loaded before ID numbers were protected, or under an
older key, is converted by the next load; bound registrations stay bound, nothing is left whole."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any

import boto3
import pytest

from chalicelib.bootstrap import Services, build_services
from chalicelib.config import Settings
from chalicelib.domain import errors
from chalicelib.domain.clock import FixedClock, iso
from chalicelib.domain.registration import Registration
from chalicelib.domain.roll import RollRow
from chalicelib.protection import envelope
from chalicelib.protection.keys import KeyRing, ring_from_secret
from chalicelib.protection.loading import protection
from chalicelib.protection.province_keys import THROWAWAY_SECRET, ProvinceKeys
from chalicelib.services import registration as reg
from chalicelib.services.province import ProvinceLoading, load_province
from chalicelib.storage import catalog_items
from chalicelib.storage.province import wrapped_data_key
from tests import factories
from tests.at_rest import no_whole_id_number_at_rest

NOW = factories.NOW
ZHANG, LI = factories.ZHANG, factories.LI
OLD_ACCOUNT = "acc-before-0013"


def put(config: Settings, item: dict[str, Any]) -> None:
    client = boto3.client("dynamodb", region_name=config.region, endpoint_url=config.dynamodb_endpoint)
    client.put_item(TableName=config.table_name, Item={name: attribute(value) for name, value in item.items()})


def attribute(value: object) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int):
        return {"N": str(value)}
    if isinstance(value, list | tuple):
        return {"L": [{"S": str(v)} for v in value]}
    return {"S": str(value)}


def old_roll_json(row: RollRow) -> dict[str, Any]:
    """A roll entry as the service wrote it before decision 0013: the whole number in clear."""
    return {
        "id_type": row.id_type.value,
        "id_number": row.id_number,
        "name": row.name,
        "school_id": row.school_id,
        "campus_id": row.campus_id,
        "student_no": row.student_no,
        "qualified_subjects": list(row.qualified_subjects),
        "cet6_barred": row.cet6_barred,
    }


def table_of_the_old_form(config: Settings) -> None:
    """What a province loaded, and one student did, before decision 0013, item by item."""
    for part in catalog_items.catalog_parts(factories.catalog(capacity=2)):
        part.save()
    for row in (ZHANG, LI):
        key = f"{row.id_type.value}#{row.id_number}"
        put(config, {"pk": f"ROLL#{key}", "sk": "ROLL", "kind": "roll", **old_roll_json(row)})
    for score in factories.scores():
        put(config, {"pk": f"TICKET#{score.ticket_number}", "sk": "CET4", "kind": "cet4", **vars(score)})
    zhang = f"resident_id#{ZHANG.id_number}"
    snapshot = json.dumps(old_roll_json(ZHANG), ensure_ascii=False)
    account = f"ACCOUNT#{OLD_ACCOUNT}"
    put(
        config,
        {
            "pk": account,
            "sk": "REGISTRATION",
            "kind": "registration",
            "account_id": OLD_ACCOUNT,
            "candidate_key": zhang,
            "candidate": snapshot,
            "saved_at": iso(NOW),
            "version": 3,
        },
    )
    put(config, {"pk": f"CANDIDATE#{zhang}", "sk": "BINDING", "kind": "binding", "account_id": OLD_ACCOUNT})
    put(
        config,
        {
            "pk": account,
            "sk": "REVIEW",
            "kind": "review",
            "review_id": OLD_ACCOUNT,
            "account_id": OLD_ACCOUNT,
            "school_id": "NJU",
            "id_type": "resident_id",
            "id_number": ZHANG.id_number,
            "name": ZHANG.name,
            "ticket_number": factories.TICKET_PENDING,
            "status": "pending",
            "submitted_at": iso(NOW),
            "gsi1pk": "REVIEWS#NJU#pending",
            "gsi1sk": f"{iso(NOW)}#{OLD_ACCOUNT}",
            "note": "",
        },
    )
    put(config, {"pk": "ORDER#o-1", "sk": "ORDER", "kind": "order", "order_id": "o-1", "account_id": OLD_ACCOUNT,
                 "school_id": "NJU", "provider": "alipay", "subjects": "[]", "status": "paid", "created_at": iso(NOW),
                 "expires_at": iso(NOW), "pay_url": "", "candidate": snapshot})  # fmt: skip


class Settled:
    """Stands in for the wait after the mark is withdrawn (60 s on a real load); counts the calls."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> None:
        self.calls += 1


def loading(built: Services, ring: KeyRing = factories.RING, settle: Settled | None = None) -> ProvinceLoading:
    wrapper = envelope.LocalWrapper(envelope.THROWAWAY_WRAPPING_KEY)
    made = lambda: protection(ring, wrapper, wrapped_data_key)  # noqa: E731
    return ProvinceLoading(built.province, built.accounts.accounts, built.recovery.codes, made, settle or Settled())


def digest_versions(config: Settings) -> set[str]:
    """The key versions of every digest of an ID number the table holds, in keys and attributes.
    One-time codes are left out: each is checked under the version it was issued with, and lives
    a day at most, so a conversion never re-keys one (decision 0024)."""
    client = boto3.client("dynamodb", region_name=config.region, endpoint_url=config.dynamodb_endpoint)
    found: set[str] = set()
    for page in client.get_paginator("scan").paginate(TableName=config.table_name):
        for item in page["Items"]:
            if item.get("kind", {}).get("S") == "code":
                continue
            text = json.dumps(item, ensure_ascii=False)
            found |= {match.split(":")[0] for match in re.findall(r"(?:[A-Za-z0-9]+):[A-Za-z0-9_-]{43}", text)}
    return found


def test_a_load_converts_the_old_form_and_bound_registrations_stay_bound(table: Settings) -> None:
    built = build_services(table, FixedClock(NOW))
    table_of_the_old_form(table)
    with pytest.raises(AssertionError, match="whole ID number at rest"):
        no_whole_id_number_at_rest({ZHANG.id_number})  # the check sees the old form

    settled = Settled()
    conversion = load_province(loading(built, settle=settled), factories.province(capacity=2), NOW)

    assert settled.calls == 1  # the API's cached marks were let expire before anything moved
    assert conversion is not None
    assert conversion.old_form
    assert conversion.converted == {"roll": 2, "cet4": 5, "registration": 1, "binding": 1, "review": 1, "order": 1}
    no_whole_id_number_at_rest(factories.WHOLE_ID_NUMBERS)
    ctx = built.registration
    zhang = factories.entry(ZHANG)
    assert ctx.registrations.bound_account(zhang.key) == OLD_ACCOUNT  # R-BIND-2 survives the conversion
    saved = ctx.registrations.get(OLD_ACCOUNT)
    assert saved is not None
    assert (saved.candidate, saved.version) == (zhang, 3)
    with pytest.raises(errors.CandidateAlreadyBound):
        ctx.registrations.bind(Registration("acc-new", zhang, NOW))
    review = ctx.reviews.get(OLD_ACCOUNT)
    assert review is not None
    assert review.identity == zhang.identity
    assert [r.review_id for r in ctx.reviews.list_for_school("NJU", review.status)] == [OLD_ACCOUNT]
    assert digest_versions(table) == {factories.RING.current}
    assert load_province(loading(built), factories.province(capacity=2), NOW) is None  # nothing left to convert


def test_a_new_key_version_is_introduced_by_reloading(table: Settings) -> None:
    """Keys are versioned: a load under version 2 rewrites every digest of version 1 from the
    sealed numbers, and the stage finds its students under the new key only once it holds it."""
    built = build_services(table, FixedClock(NOW))
    load_province(built.loading, factories.province(capacity=2), NOW)
    account = factories.student_account(1)
    built.accounts.accounts.create(account)
    reg.save_registration(built.registration, account, "resident_id", ZHANG.id_number, ZHANG.name)
    newer = ring_from_secret({**THROWAWAY_SECRET, "current": "2", "v2": "the-province-s-second-key-000000000000"})

    conversion = load_province(loading(built, newer), factories.province(capacity=2), NOW)

    assert conversion is not None
    assert not conversion.old_form
    assert digest_versions(table) == {"2"}
    assert conversion.converted["binding"] == 1
    assert conversion.converted["registration"] == 1
    old_keys = replace(built.registration, identities=factories.IDENTITY_KEYS)
    with pytest.raises(errors.IdentityKeyUnavailable):  # a stage still on version 1 refuses, never "not found"
        reg.save_registration(old_keys, factories.student_account(2), "resident_id", ZHANG.id_number, ZHANG.name)
    new_keys = replace(built.registration, identities=ProvinceKeys(lambda _force: newer))
    with pytest.raises(errors.CandidateAlreadyBound):  # still bound, under the new digest
        reg.save_registration(new_keys, factories.student_account(3), "resident_id", ZHANG.id_number, ZHANG.name)
    assert built.registration.registrations.bound_account(f"resident_id#{newer.digest(ZHANG.id_number)}") == (
        account.account_id
    )


def test_a_key_of_the_same_version_that_is_not_the_table_s_is_refused(table: Settings) -> None:
    """Decision 0013: a wrong key under the same version would make every digest unfindable."""
    built = build_services(table, FixedClock(NOW))
    load_province(built.loading, factories.province(capacity=2), NOW)
    impostor = ring_from_secret({"current": "local", "vlocal": "not-the-key-this-table-was-loaded-with-0000"})
    with pytest.raises(errors.IdentityKeyUnavailable, match="另一把"):
        load_province(loading(built, impostor), factories.province(capacity=2), NOW)


def test_an_interrupted_conversion_is_finished_by_the_next_load_and_nothing_binds_meanwhile(table: Settings) -> None:
    """The mark is withdrawn while digests change: a binding begun under it is refused (never a
    second binding of one candidate); the next load finishes the conversion, with the same key
    only."""
    built = build_services(table, FixedClock(NOW))
    load_province(built.loading, factories.province(capacity=2), NOW)
    newer = ring_from_secret({**THROWAWAY_SECRET, "current": "2", "v2": "the-province-s-second-key-000000000000"})
    built.province.withdraw_identity_mark(newer.mark())  # a rotation that stopped right there
    with pytest.raises(errors.IdentityKeyUnavailable):
        built.registration.registrations.bind(Registration("acc-late", factories.entry(ZHANG), NOW))
    impostor = ring_from_secret(
        {"current": "2", "v2": "not-the-key-the-rotation-began-with-000000", "vlocal": "x" * 40}
    )
    with pytest.raises(errors.IdentityKeyUnavailable, match="另一把"):
        load_province(loading(built, impostor), factories.province(capacity=2), NOW)

    conversion = load_province(loading(built, newer), factories.province(capacity=2), NOW)

    assert conversion is not None
    assert built.province.identity_mark() == newer.mark()
    assert built.province.pending_identity_mark() is None
    assert digest_versions(table) == {"2"}


def test_a_conversion_changes_only_the_id_fields_of_an_item_changed_since_it_was_read(table: Settings) -> None:
    """A registration rescheduled, or an order's late outcome recorded, between the conversion's
    read and its write keeps that change: the write sets the snapshot only, on its old value."""
    from chalicelib.storage import identity_conversion as conversion

    built = build_services(table, FixedClock(NOW))
    table_of_the_old_form(table)
    client = boto3.client("dynamodb", region_name=table.region, endpoint_url=table.dynamodb_endpoint)
    key = {"pk": {"S": f"ACCOUNT#{OLD_ACCOUNT}"}, "sk": {"S": "REGISTRATION"}}
    stale = client.get_item(TableName=table.table_name, Key=key)["Item"]
    order_key = {"pk": {"S": "ORDER#o-1"}, "sk": {"S": "ORDER"}}
    stale_order = client.get_item(TableName=table.table_name, Key=order_key)["Item"]
    client.update_item(
        TableName=table.table_name,
        Key=key,
        UpdateExpression="SET gsi2pk = :p, gsi2sk = :s",
        ExpressionAttributeValues={":p": {"S": "DUE#3"}, ":s": {"S": "2098-09-02T10:00:00+08:00#x#REGISTRATION"}},
    )
    client.update_item(
        TableName=table.table_name,
        Key=order_key,
        UpdateExpression="SET late = :l",
        ExpressionAttributeValues={":l": {"S": "refunded"}},
    )
    converter = conversion._Converter(loading(built).protection())

    conversion._convert_item(converter, "registration", stale)
    conversion._convert_item(converter, "order", stale_order)

    now_held = client.get_item(TableName=table.table_name, Key=key)["Item"]
    assert now_held["gsi2pk"]["S"] == "DUE#3"
    assert ZHANG.id_number not in now_held["candidate"]["S"]
    order = client.get_item(TableName=table.table_name, Key=order_key)["Item"]
    assert order["late"]["S"] == "refunded"
    assert ZHANG.id_number not in order["candidate"]["S"]
