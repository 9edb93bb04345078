"""The home page state after logging in (R-PAY-4)."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.domain.accounts import Account
from chalicelib.domain.registration import Registration
from chalicelib.domain.reviews import Cet6Review
from chalicelib.services.qualification import RegistrationContext
from chalicelib.services.registration import registration_or_none


@dataclass(frozen=True)
class HomeState:
    account: Account
    registration: Registration | None
    review: Cet6Review | None


def home_state(ctx: RegistrationContext, account: Account) -> HomeState:
    return HomeState(account, registration_or_none(ctx, account), ctx.reviews.get(account.account_id))
