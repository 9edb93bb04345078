"""Staff accounts without passwords (R-OPS-3): each new one gets a `staff_activation` code through
the outbox (R-NOTE-1) and sets its password with it at `POST /password-resets/confirm` (R-ACC-3).
The code is kept apart from reset codes (`CODE#activation`): a reset code asked for meanwhile
(忘记密码) does not replace it, so the mailed code works as its message says.

An account is created once, by login, with no usable password. A load sends a code to every
staff account of its file that has not set a password yet, once per load (the event is the
account and the load): a run stopped half way and run again sends no second code, and an account
that has activated is never sent one. A staff member left out of a later file keeps the account.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from chalicelib.domain.accounts import NO_PASSWORD, Account, Role, normalize_login
from chalicelib.domain.errors import InvalidLogin, LoginTaken
from chalicelib.domain.identity import CodeKeys
from chalicelib.domain.messages import Message, MessageKind
from chalicelib.domain.province import StaffMember
from chalicelib.domain.recovery import (
    ACTIVATION_DIGITS,
    ACTIVATION_LIFETIME,
    CodePurpose,
    OneTimeCode,
    activation_hours,
    new_code,
)
from chalicelib.services.accounts_ports import AccountStore
from chalicelib.services.province_ports import StaffActivations
from chalicelib.services.recovery import code_digest


@dataclass(frozen=True)
class StaffOutcome:
    created: int = 0
    codes_sent: int = 0
    active: int = 0  # already set a password: no code
    refused: tuple[str, ...] = field(default=())  # logins held by a student's account


def staff_account_id(login: str) -> str:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"staff:{login}").hex


def new_staff_account(member: StaffMember, now: datetime) -> Account:
    login = normalize_login(member.login)
    return Account(
        account_id=staff_account_id(login),
        login=login,
        password_hash=NO_PASSWORD,
        role=member.role,
        school_id=member.school_id if member.role is Role.STAFF else None,
        agreement_accepted_at=now,
        created_at=now,
    )


def activation_message(account: Account, load_id: str, code: str, now: datetime) -> Message:
    event = f"staff_activation#{account.account_id}#{load_id}"
    return Message(event, account.login, MessageKind.STAFF_ACTIVATION, (code, activation_hours()), now, code)


def activate_staff(
    accounts: AccountStore,
    activations: StaffActivations,
    staff: tuple[StaffMember, ...],
    load_id: str,
    now: datetime,
    keys: CodeKeys,
) -> StaffOutcome:
    created = sent = active = 0
    refused: list[str] = []
    for member in staff:
        wanted = new_staff_account(member, now)
        account = accounts.by_login(wanted.login)
        if account is None:
            try:
                accounts.create(wanted)
                created += 1
            except LoginTaken:
                pass  # created meanwhile (another run): read it below
            account = accounts.by_login(wanted.login)
        if account is None or account.role is Role.STUDENT:
            refused.append(wanted.login)
            continue
        if account.activated:
            active += 1
            continue
        code = new_code(ACTIVATION_DIGITS)
        digest = code_digest(keys, account.account_id, CodePurpose.ACTIVATION, code)
        stored = OneTimeCode(account.account_id, CodePurpose.ACTIVATION, digest, now + ACTIVATION_LIFETIME)
        if activations.issue_once(stored, activation_message(account, load_id, code, now)):
            sent += 1
    return StaffOutcome(created, sent, active, tuple(refused))


def valid_login(login: str) -> bool:
    try:
        normalize_login(login)
    except InvalidLogin:
        return False
    return True
