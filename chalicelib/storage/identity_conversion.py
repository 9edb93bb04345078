"""Converting a table's ID numbers to the protected form under the current key (decision 0013).

Whole numbers (the form before decision 0013) are taken as they are; digests of an older key
version are recomputed from the sealed number, which must hash to the old digest first. Every
item is rewritten by one conditional write that changes only its ID fields, conditioned on
their old value (a transaction where the key itself moves: roll entry, binding): a concurrent
change of anything else survives, a concurrent change of the same fields makes the write fail and
the item is read again. A bound registration never loses its binding.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from pynamodb.attributes import UnicodeAttribute
from pynamodb.exceptions import UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from chalicelib.domain.errors import IdentityKeyUnavailable
from chalicelib.domain.identity import Conversion, IdType, ProtectedId, Protection, candidate_key, key_version
from chalicelib.domain.province import Progress
from chalicelib.storage import codec, keys
from chalicelib.storage.models import (
    AccountItem,
    BindingItem,
    Cet4ScoreItem,
    OrderItem,
    RegistrationItem,
    ReviewItem,
    RollItem,
    TableItem,
)
from chalicelib.storage.tables import connection
from chalicelib.storage.transactions import ConditionsFailed, Txn, run

Raw = dict[str, Any]
ATTEMPTS = 5


def whole_number() -> UnicodeAttribute:
    """The old form's attribute, no longer modelled: only a conversion names it."""
    return UnicodeAttribute(attr_name="id_number")


@dataclass
class _Converter:
    protection: Protection
    converted: dict[str, int] = field(default_factory=dict)
    old_form: bool = False
    _memo: dict[str, ProtectedId] = field(default_factory=dict)

    @property
    def current(self) -> str:
        return self.protection.mark.version

    def fresh(self, fields: dict[str, Any]) -> ProtectedId | None:
        """The protected form of the number `fields` hold, or None when it is current already."""
        if fields.get("id_number"):
            self.old_form = True
            return self._protected(str(fields["id_number"]))
        digest = str(fields.get("id_digest") or "")
        if not digest or key_version(digest) == self.current:
            return None
        number = self.protection.open_sealed(str(fields.get("id_sealed") or ""))
        if not hmac.compare_digest(self.protection.digest_under(number, key_version(digest)), digest):
            raise IdentityKeyUnavailable("密封的证件号码与其摘要不符：数据或密钥不对，未转换。")
        return self._protected(number)

    def _protected(self, number: str) -> ProtectedId:
        found = self._memo.get(number)
        if found is None:
            found = self._memo[number] = self.protection.protect(number)
        return found

    def count(self, kind: str) -> None:
        self.converted[kind] = self.converted.get(kind, 0) + 1


def convert_table(protection: Protection, progress: Progress | None = None) -> Conversion:
    report = progress or (lambda _what, _done, _total: None)
    converter = _Converter(protection)
    total = max(1, int(connection().describe_table(TableItem.Meta.table_name).get("ItemCount", 0)))
    scanned = 0
    for raw in _scan():
        scanned += 1
        kind = raw.get("kind", {}).get("S", "")
        if kind in _CONVERT:
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
        arguments: dict[str, Any] = {"TableName": TableItem.Meta.table_name, "ConsistentRead": True}
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
        except (ConditionsFailed, UpdateError):
            fresh = _read(raw)
            if fresh is None:
                return  # deleted meanwhile: nothing left to convert
            raw = fresh
    raise IdentityKeyUnavailable(f"一条 {kind} 记录在转换时反复被修改（{ATTEMPTS} 次），请稍后重新载入。")


def _read(raw: Raw) -> Raw | None:
    client: Any = connection().client
    found = client.get_item(
        TableName=TableItem.Meta.table_name, Key={"pk": raw["pk"], "sk": raw["sk"]}, ConsistentRead=True
    )
    item: Raw | None = found.get("Item")
    return item


def _plain(raw: Raw) -> dict[str, Any]:
    return {name: next(iter(value.values())) for name, value in raw.items()}


def _identity_actions(model: type[Cet4ScoreItem] | type[ReviewItem], identity: ProtectedId) -> list[Action]:
    return [
        model.id_digest.set(identity.digest),
        model.id_masked.set(identity.masked),
        model.id_sealed.set(identity.sealed),
        whole_number().remove(),
    ]


def _unchanged(model: type[Cet4ScoreItem] | type[ReviewItem], raw: Raw) -> Condition:
    if "id_number" in raw:
        return _equals(whole_number(), raw["id_number"]["S"])
    return _equals(model.id_digest, raw["id_digest"]["S"])


def _equals(attribute: UnicodeAttribute, value: str) -> Condition:
    held: Condition = attribute == value
    return held


def _in_place(model: type[Cet4ScoreItem] | type[ReviewItem]) -> Callable[[_Converter, Raw], bool]:
    """A score record or a review: same key, its ID fields set on their old value."""

    def convert(converter: _Converter, raw: Raw) -> bool:
        identity = converter.fresh(_plain(raw))
        if identity is None:
            return False
        item = model(raw["pk"]["S"], raw["sk"]["S"])
        item.update(actions=_identity_actions(model, identity), condition=_unchanged(model, raw))
        return True

    return convert


def _roll(converter: _Converter, raw: Raw) -> bool:
    """The key holds the number: the entry moves, in one transaction."""
    fields = _plain(raw)
    identity = converter.fresh(fields)
    if identity is None:
        return False
    subjects = [value["S"] for value in raw.get("qualified_subjects", {}).get("L", [])]
    entry = codec.roll_from_json({**fields, **codec.identity_fields(identity), "qualified_subjects": subjects})

    def build(txn: Txn) -> None:
        txn.delete("old", RollItem(raw["pk"]["S"], keys.ROLL_SK), RollItem.pk.exists())
        txn.put("new", codec.roll_item(entry))

    run(connection(), build)
    return True


def _snapshot(converter: _Converter, text: str) -> tuple[str, IdType, ProtectedId] | None:
    data = json.loads(text)
    identity = converter.fresh(data)
    if identity is None:
        return None
    data.pop("id_number", None)
    data.update(codec.identity_fields(identity))
    return json.dumps(data, ensure_ascii=False), IdType(data["id_type"]), identity


def _registration(converter: _Converter, raw: Raw) -> bool:
    old = raw["candidate"]["S"]
    converted = _snapshot(converter, old)
    if converted is None:
        return False
    snapshot, id_type, identity = converted
    item = RegistrationItem(raw["pk"]["S"], raw["sk"]["S"])
    actions: list[Action] = [
        RegistrationItem.candidate.set(snapshot),
        RegistrationItem.candidate_key.set(candidate_key(id_type, identity)),
    ]
    item.update(actions=actions, condition=RegistrationItem.candidate == old)
    return True


def _order(converter: _Converter, raw: Raw) -> bool:
    old = raw.get("candidate", {}).get("S")
    converted = _snapshot(converter, old) if old else None
    if converted is None:
        return False
    item = OrderItem(raw["pk"]["S"], raw["sk"]["S"])
    item.update(actions=[OrderItem.candidate.set(converted[0])], condition=OrderItem.candidate == old)
    return True


def _binding(converter: _Converter, raw: Raw) -> bool:
    """CANDIDATE#<type>#<number or old digest> moves to the current digest, in one transaction."""
    id_type, _, held = keys.value_of(raw["pk"]["S"], keys.candidate_pk).partition("#")
    fields = {"id_digest": held, "id_sealed": _sealed_of_account(raw)} if ":" in held else {"id_number": held}
    identity = converter.fresh(fields)  # an older digest is checked against the sealed number it came from
    if identity is None:
        return False
    account_id = raw["account_id"]["S"]
    old = BindingItem(raw["pk"]["S"], keys.BINDING_SK)
    new = BindingItem(keys.candidate_pk(f"{id_type}#{identity.digest}"), keys.BINDING_SK, account_id=account_id)

    def build(txn: Txn) -> None:
        txn.delete("old", old, BindingItem.account_id == account_id)
        txn.put("new", new, BindingItem.pk.does_not_exist())

    run(connection(), build)
    return True


def _account(converter: _Converter, raw: Raw) -> bool:
    """The last lookup's key, under an older key or a whole number: dropped, not converted (no
    sealed number goes with it); the next lookup sets it again."""
    held = raw.get("looked_up", {}).get("S")
    if not held or key_version(held.partition("#")[2]) == converter.current:
        return False
    item = AccountItem(raw["pk"]["S"], raw["sk"]["S"])
    item.update(actions=[AccountItem.looked_up.remove()], condition=AccountItem.looked_up == held)
    return True


def _sealed_of_account(raw: Raw) -> str:
    """An older digest cannot be recomputed: the sealed number is in the bound registration."""
    found = _read({"pk": {"S": keys.account_pk(raw["account_id"]["S"])}, "sk": {"S": keys.REGISTRATION_SK}})
    if found is None:
        return ""
    return str(json.loads(found["candidate"]["S"]).get("id_sealed", ""))


_CONVERT: dict[str, Callable[[_Converter, Raw], bool]] = {
    "roll": _roll,
    "cet4": _in_place(Cet4ScoreItem),
    "review": _in_place(ReviewItem),
    "registration": _registration,
    "binding": _binding,
    "order": _order,
    "account": _account,
}
