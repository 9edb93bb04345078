"""Students for the races on DynamoDB Local: accounts, saved registrations, CET4 chosen."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from chalicelib.bootstrap import Services
from chalicelib.domain.accounts import Account
from chalicelib.domain.registration import Registration
from chalicelib.services import registration as reg
from tests import factories
from tests.race import until_answered

NOW = factories.NOW


def account(n: int) -> Account:
    return Account(f"acc{n}", f"s{n}@example.cn", "-", agreement_accepted_at=NOW, created_at=NOW)


def prepared(built: Services, roll: tuple[Any, ...], numbers: range) -> list[Account]:
    """Students `acc<n>` for n in `numbers`, each bound to `roll[n]` and holding CET4; a student told
    BUSY tries again (api.md)."""
    ctx = built.registration
    accounts = [account(n) for n in numbers]

    def one(a: Account) -> None:
        until_answered(lambda: built.accounts.accounts.create(a))
        entry = factories.entry(roll[int(a.account_id[3:])])
        until_answered(lambda: ctx.registrations.bind(Registration(a.account_id, entry, NOW)))
        until_answered(lambda: reg.choose_subject(ctx, a, "CET4", None))

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(one, accounts))
    return accounts
