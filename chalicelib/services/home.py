"""The home page state after logging in (R-PAY-4), with the school's window (R-DATE-1)."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.domain.accounts import Account
from chalicelib.domain.catalog import Window
from chalicelib.domain.registration import Registration
from chalicelib.domain.reviews import Cet6Review
from chalicelib.services.qualification import RegistrationContext
from chalicelib.services.registration import registration_or_none


@dataclass(frozen=True)
class HomeState:
    account: Account
    registration: Registration | None
    review: Cet6Review | None
    window: Window | None = None


def home_state(ctx: RegistrationContext, account: Account) -> HomeState:
    registration = registration_or_none(ctx, account)
    # R-DATE-1: the bound candidate's school, else the school of the candidate last looked up
    school_id = registration.candidate.school_id if registration else account.looked_up_school_id
    window = ctx.catalogs.catalog().window_of(school_id, ctx.clock.now()) if school_id else None
    return HomeState(account, registration, ctx.reviews.get(account.account_id), window)
