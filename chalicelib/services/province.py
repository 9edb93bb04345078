"""Loading a province's dataset: catalog, seat counters, roll, score records, staff accounts."""

from __future__ import annotations

import uuid
from datetime import datetime

from chalicelib.domain.accounts import Account, Role, normalize_login
from chalicelib.domain.province import ProvinceData
from chalicelib.services.ports import Progress, ProvinceStore
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


def load_province(
    store: ProvinceStore, passwords: PasswordHasher, data: ProvinceData, now: datetime, progress: Progress | None = None
) -> None:
    store.load_province(data, staff_accounts(data, passwords, now), progress)
