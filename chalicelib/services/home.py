"""The home page state after logging in (R-PAY-4), with the school's window (R-DATE-1)."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.domain.accounts import Account
from chalicelib.domain.catalog import Window
from chalicelib.domain.registration import AccountFile, Registration
from chalicelib.domain.reviews import Cet6Review
from chalicelib.services.registration_context import RegistrationContext


@dataclass(frozen=True)
class HomeState:
    account: Account
    registration: Registration | None
    review: Cet6Review | None
    window: Window | None = None
    open_order_id: str | None = None


def home_state(ctx: RegistrationContext, account: Account, file: AccountFile) -> HomeState:
    """From the account's partition, read once with the session (GET /me: two requests)."""
    now = ctx.clock.now()
    registration = file.registration if file.registration and not file.registration.is_gone(now) else None
    # R-DATE-1: the bound candidate's school, else the school of the candidate last looked up
    school_id = registration.candidate.school_id if registration else account.looked_up_school_id
    window = ctx.catalogs.catalog().window_of(school_id, now) if school_id else None
    return HomeState(account, registration, file.review, window, file.open_order_id)
