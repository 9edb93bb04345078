"""Converting a table's ID numbers to the protected form under the current key (decision 0013).

Whole numbers (the form before decision 0013) are taken as they are; digests of an older key
version are recomputed from the sealed number. Every item that holds one is rewritten in one
conditional write (two, in one transaction, where the key itself changes), so a concurrent change
makes the write fail and the item is read again: a bound registration never loses its binding.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from pynamodb.exceptions import PutError

from chalicelib.domain.identity import IdType, Protect, ProtectedId, key_version
from chalicelib.services.ports import Conversion, Progress
from chalicelib.storage import codec
from chalicelib.storage.models import (
    BindingItem,
    Cet4ScoreItem,
    OrderItem,
    RegistrationItem,
    ReviewItem,
    RollItem,
    TableItem,
)
from chalicelib.storage.repositories import connection
from chalicelib.storage.transactions import ConditionsFailed, Txn, run

Raw = dict[str, Any]
ATTEMPTS = 5
_HELD_BY = {"roll", "cet4", "review", "registration", "binding", "order"}


@dataclass
class _Converter:
    protect: Protect
    open_sealed: Callable[[str], str]
    current: str
    converted: dict[str, int] = field(default_factory=dict)
    old_form: bool = False
    _memo: dict[str, ProtectedId] = field(default_factory=dict)

    def fresh(self, fields: dict[str, Any]) -> ProtectedId | None:
        """The protected form of the number `fields` hold, or None when it is current already."""
        if fields.get("id_number"):
            self.old_form = True
            return self._protected(str(fields["id_number"]))
        digest = fields.get("id_digest")
        if digest and key_version(str(digest)) != self.current:
            return self._protected(self.open_sealed(str(fields["id_sealed"])))
        return None

    def _protected(self, number: str) -> ProtectedId:
        found = self._memo.get(number)
        if found is None:
            found = self._memo[number] = self.protect(number)
        return found

    def count(self, kind: str) -> None:
        self.converted[kind] = self.converted.get(kind, 0) + 1


def convert_table(
    current: str, protect: Protect, open_sealed: Callable[[str], str], progress: Progress | None = None
) -> Conversion:
    report = progress or (lambda _what, _done, _total: None)
    converter = _Converter(protect, open_sealed, current)
    total = max(1, int(connection().describe_table(TableItem.Meta.table_name).get("ItemCount", 0)))
    scanned = 0
    for raw in _scan():
        scanned += 1
        kind = raw.get("kind", {}).get("S", "")
        if kind in _HELD_BY:
            _convert_item(converter, kind, raw)
        if scanned % 500 == 0:
            report("conversion", scanned, max(total, scanned + 1))
    report("conversion", scanned, scanned)
    return Conversion(dict(converter.converted), converter.old_form)


def _scan() -> Iterator[Raw]:
    """Every item as DynamoDB holds it: a model would drop the attributes it no longer knows."""
    client: Any = connection().client
    start: Raw | None = None
    while True:
        arguments: dict[str, Any] = {"TableName": TableItem.Meta.table_name}
        if start:
            arguments["ExclusiveStartKey"] = start
        page = client.scan(**arguments)
        yield from page.get("Items", [])
        start = page.get("LastEvaluatedKey")
        if not start:
            return


def _convert_item(converter: _Converter, kind: str, raw: Raw) -> None:
    for _ in range(ATTEMPTS):
        try:
            if _CONVERT[kind](converter, raw):
                converter.count(kind)
            return
        except (ConditionsFailed, PutError):
            fresh = _read(raw)
            if fresh is None:
                return  # deleted meanwhile: nothing left to convert
            raw = fresh
    raise RuntimeError(f"could not convert a {kind} item after {ATTEMPTS} attempts: it keeps changing")


def _read(raw: Raw) -> Raw | None:
    found = connection().get_item(TableItem.Meta.table_name, raw["pk"]["S"], raw["sk"]["S"])
    item: Raw | None = found.get("Item")
    return item


def _plain(raw: Raw) -> dict[str, Any]:
    return {name: next(iter(value.values())) for name, value in raw.items()}


def _roll(converter: _Converter, raw: Raw) -> bool:
    fields = _plain(raw)
    identity = converter.fresh(fields)
    if identity is None:
        return False
    entry = codec.roll_from_json({**fields, **codec.identity_fields(identity), "qualified_subjects": _strings(raw)})
    old = RollItem(raw["pk"]["S"], "ROLL")

    def build(txn: Txn) -> None:
        txn.delete("old", old, RollItem.pk.exists())
        txn.put("new", codec.roll_item(entry))

    run(connection(), build)
    return True


def _strings(raw: Raw) -> list[str]:
    listed = raw.get("qualified_subjects", {}).get("L", [])
    return [value["S"] for value in listed]


def _cet4(converter: _Converter, raw: Raw) -> bool:
    item = Cet4ScoreItem.from_raw_data(raw)
    identity = converter.fresh(_plain(raw))
    if identity is None:
        return False
    unchanged = _unchanged(Cet4ScoreItem, raw)
    for name, value in codec.identity_fields(identity).items():
        setattr(item, name, value)
    item.save(condition=unchanged)
    return True


def _review(converter: _Converter, raw: Raw) -> bool:
    item = ReviewItem.from_raw_data(raw)
    identity = converter.fresh(_plain(raw))
    if identity is None:
        return False
    for name, value in codec.identity_fields(identity).items():
        setattr(item, name, value)
    item.save(condition=_unchanged(ReviewItem, raw) & (ReviewItem.status == raw["status"]["S"]))
    return True


def _unchanged(model: type[Cet4ScoreItem] | type[ReviewItem], raw: Raw) -> Any:
    if "id_number" in raw:
        return model.pk.exists() & _same("id_number", raw)
    return model.pk.exists() & (model.id_digest == raw["id_digest"]["S"])


def _same(name: str, raw: Raw) -> Any:
    from pynamodb.attributes import UnicodeAttribute

    attribute = UnicodeAttribute(attr_name=name)
    return attribute == raw[name]["S"]


def _snapshot(converter: _Converter, text: str) -> tuple[str, IdType, ProtectedId] | None:
    data = json.loads(text)
    identity = converter.fresh(data)
    if identity is None:
        return None
    data.pop("id_number", None)
    data.update(codec.identity_fields(identity))
    return json.dumps(data, ensure_ascii=False), IdType(data["id_type"]), identity


def _registration(converter: _Converter, raw: Raw) -> bool:
    item = RegistrationItem.from_raw_data(raw)
    converted = _snapshot(converter, item.candidate)
    if converted is None:
        return False
    item.candidate, id_type, identity = converted
    item.candidate_key = f"{id_type.value}#{identity.digest}"
    item.save(condition=RegistrationItem.version == int(raw["version"]["N"]))
    return True


def _order(converter: _Converter, raw: Raw) -> bool:
    item = OrderItem.from_raw_data(raw)
    converted = _snapshot(converter, item.candidate) if item.candidate else None
    if converted is None:
        return False
    item.candidate = converted[0]
    item.save(condition=OrderItem.status == item.status)
    return True


def _binding(converter: _Converter, raw: Raw) -> bool:
    """CANDIDATE#<type>#<number or old digest> moves to the current digest, in one transaction."""
    id_type, _, held = raw["pk"]["S"].removeprefix("CANDIDATE#").partition("#")
    fields = {"id_digest": held, "id_sealed": _sealed_of_account(raw)} if ":" in held else {"id_number": held}
    identity = converter.fresh(fields)
    if identity is None:
        return False
    account_id = raw["account_id"]["S"]
    old = BindingItem(raw["pk"]["S"], "BINDING")
    new = BindingItem(f"CANDIDATE#{id_type}#{identity.digest}", "BINDING", account_id=account_id)

    def build(txn: Txn) -> None:
        txn.delete("old", old, BindingItem.account_id == account_id)
        txn.put("new", new, BindingItem.pk.does_not_exist())

    run(connection(), build)
    return True


def _sealed_of_account(raw: Raw) -> str:
    """An older digest cannot be recomputed: the sealed number is in the bound registration."""
    found = (
        connection()
        .get_item(TableItem.Meta.table_name, codec.account_pk(raw["account_id"]["S"]), "REGISTRATION")
        .get("Item")
    )
    if found is None:
        return ""
    return str(json.loads(found["candidate"]["S"]).get("id_sealed", ""))


_CONVERT: dict[str, Callable[[_Converter, Raw], bool]] = {
    "roll": _roll,
    "cet4": _cet4,
    "review": _review,
    "registration": _registration,
    "binding": _binding,
    "order": _order,
}
