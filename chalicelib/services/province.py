"""Loading a province's dataset: catalog, seat counters, roll, score records, staff accounts.

ID numbers are protected before anything is written (decision 0013). A table that still holds
the old form (whole numbers) or digests of an older key version is converted first.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from chalicelib.domain.accounts import Account, Role, normalize_login
from chalicelib.domain.errors import IdentityKeyUnavailable
from chalicelib.domain.province import ProtectedProvince, ProvinceData
from chalicelib.services.ports import Conversion, Progress, Protection, ProvinceStore
from chalicelib.services.security import PasswordHasher


def staff_accounts(data: ProvinceData, passwords: PasswordHasher, now: datetime) -> list[Account]:
    return [
        Account(
            account_id=uuid.uuid5(uuid.NAMESPACE_URL, f"staff:{member.login}").hex,
            login=normalize_login(member.login),
            password_hash=passwords.hash(member.password),
            role=Role.STAFF,
            school_id=member.school_id,
            agreement_accepted_at=now,
            created_at=now,
        )
        for member in data.staff
    ]


def protected(data: ProvinceData, protection: Protection) -> ProtectedProvince:
    return ProtectedProvince(
        catalog=data.catalog,
        roll=tuple(row.protected(protection.protect) for row in data.roll),
        cet4_scores=tuple(row.protected(protection.protect) for row in data.cet4_scores),
        identity=protection.mark,
    )


def check_keys(store: ProvinceStore, protection: Protection) -> bool:
    """Refuse a key that would make the table's digests unfindable; True if a conversion is due."""
    target = protection.mark
    held, pending = store.identity_mark(), store.pending_identity_mark()
    for mark in (held, pending):
        if mark is not None and mark.version == target.version and mark.check != target.check:
            raise IdentityKeyUnavailable(
                f"表中证件号码摘要用的是另一把版本 {mark.version} 的密钥：请使用原密钥，或以新版本号引入新密钥。"
            )
    if pending is not None:
        return True  # a conversion was interrupted: finish it
    if held is None:
        return store.province_loaded()  # loaded, yet no mark: the form before decision 0013
    return held.version != target.version


@dataclass(frozen=True)
class ProvinceLoading:
    store: ProvinceStore
    passwords: PasswordHasher
    protection: Callable[[], Protection]  # a new data key for each load
    # Called once the mark is withdrawn, before converting: long enough for every API instance to
    # drop its cached mark and finish a request begun under it (the composition root decides).
    settle: Callable[[], None] = lambda: None


def load_province(
    ctx: ProvinceLoading, data: ProvinceData, now: datetime, progress: Progress | None = None
) -> Conversion | None:
    """Write the province; the conversion of what the table held, if one was due."""
    store, passwords, protection = ctx.store, ctx.passwords, ctx.protection()
    due = check_keys(store, protection)
    store.keep_data_key(protection.data_key, now)  # first: nothing is sealed under a key the table lacks
    conversion = None
    if due:
        store.withdraw_identity_mark(protection.mark)  # while digests change, lookups refuse, never miss
        report = progress or (lambda _what, _done, _total: None)
        report("settle", 0, 1)
        ctx.settle()
        report("settle", 1, 1)
        conversion = store.convert_identities(protection, progress)
    store.load_province(protected(data, protection), staff_accounts(data, passwords, now), progress)
    return conversion
