"""One-time codes and what they allow (R-ACC-3, R-ACC-4), each use in one transaction.

A code lives at `ACCOUNT#<id>` / `CODE#<purpose>`, only as a hash; a new one replaces the old.
Using it deletes it on the condition that it is still the same code, so a code works once even
when two requests bring it at the same moment.
"""

from __future__ import annotations

import contextlib
from datetime import datetime

from pynamodb.exceptions import DoesNotExist, UpdateError

from chalicelib.domain.clock import iso, parse_iso
from chalicelib.domain.errors import InvalidCode, LoginTaken, Unauthenticated
from chalicelib.domain.messages import Message
from chalicelib.domain.recovery import (
    CODE_LIFETIME,
    RETIRED_LOGIN_KEPT,
    WRONG_TRIES_ALLOWED,
    CodePurpose,
    OneTimeCode,
)
from chalicelib.storage import keys
from chalicelib.storage.messages import outbox_item
from chalicelib.storage.models import AccountItem, CodeItem, LoginItem, OutboxItem, SessionItem
from chalicelib.storage.tables import connection
from chalicelib.storage.transactions import ConditionsFailed, Txn, error_code, run


def _code_item(code: OneTimeCode) -> CodeItem:
    return CodeItem(
        keys.account_pk(code.account_id),
        keys.code_sk(code.purpose),
        purpose=code.purpose.value,
        code_digest=code.code_digest,
        expires_at=iso(code.expires_at),
        target=code.target,
        wrong_tries=code.wrong_tries,
        expires=code.expires_at,
    )


# The codes that set a password at `POST /password-resets/confirm` (R-ACC-3, R-OPS-3).
SETS_PASSWORD = frozenset({CodePurpose.PASSWORD_RESET, CodePurpose.ACTIVATION})


class DynamoRecovery:
    def issue(self, code: OneTimeCode, message: Message) -> None:
        def build(txn: Txn) -> None:
            txn.put("code", _code_item(code))
            txn.put("message", outbox_item(message), OutboxItem.pk.does_not_exist())

        run(connection(), build)

    def issue_once(self, code: OneTimeCode, message: Message) -> bool:
        """A staff account's activation (R-OPS-3): a load run again sends no second code."""
        try:
            self.issue(code, message)
        except ConditionsFailed:
            return False
        return True

    def take_try(self, account_id: str, purpose: CodePurpose, now: datetime) -> OneTimeCode | None:
        item = CodeItem(keys.account_pk(account_id), keys.code_sk(purpose))
        alive = CodeItem.pk.exists() & (CodeItem.expires_at > iso(now))
        try:
            item.update(
                actions=[CodeItem.wrong_tries.add(1)],
                condition=alive & (CodeItem.wrong_tries < WRONG_TRIES_ALLOWED),
            )
        except UpdateError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return None  # none, expired, or its tries used up
            raise
        return OneTimeCode(
            account_id=account_id,
            purpose=CodePurpose(item.purpose),
            code_digest=item.code_digest,
            expires_at=parse_iso(item.expires_at),
            target=item.target,
            wrong_tries=int(item.wrong_tries),
        )

    def decoy(self, key: str, now: datetime) -> None:
        with contextlib.suppress(DoesNotExist):
            AccountItem.get(keys.decoy_pk(key), keys.ACCOUNT_SK)  # as reading the account
        expires = now + CODE_LIFETIME

        def build(txn: Txn) -> None:  # as the code and its message
            for sk in (keys.code_sk(CodePurpose.PASSWORD_RESET), keys.MESSAGE_SK):
                txn.put(
                    sk,
                    CodeItem(
                        keys.decoy_pk(key),
                        sk,
                        purpose="decoy",
                        code_digest=key,
                        expires_at=iso(expires),
                        expires=expires,
                    ),
                )

        run(connection(), build)

    def _use(self, txn: Txn, code: OneTimeCode) -> None:
        # the very code that was tried, still there: a code works once
        txn.delete("code", _code_item(code), CodeItem.code_digest == code.code_digest)

    def reset_password(self, code: OneTimeCode, password_hash: str, notice: Message | None = None) -> None:
        account = AccountItem(keys.account_pk(code.account_id), keys.ACCOUNT_SK)

        def build(txn: Txn) -> None:
            self._use(txn, code)
            for other in SETS_PASSWORD - {code.purpose}:  # a password is set: the other code is moot
                txn.delete(f"other {other.value}", CodeItem(keys.account_pk(code.account_id), keys.code_sk(other)))
            txn.update(
                "account",
                account,
                [AccountItem.password_hash.set(password_hash), AccountItem.session_generation.add(1)],
                AccountItem.pk.exists(),
            )
            if notice is not None:  # R-NOTE-2
                txn.put("notice", outbox_item(notice), OutboxItem.pk.does_not_exist())

        try:
            run(connection(), build)
        except ConditionsFailed:
            raise InvalidCode() from None

    def change_login(
        self,
        code: OneTimeCode,
        old_login: str,
        now: datetime,
        keep: str,
        generation: int,
        notices: tuple[Message, ...] = (),
    ) -> None:
        new_login = code.target
        if new_login is None:
            raise InvalidCode()
        retired_until = now + RETIRED_LOGIN_KEPT
        free = LoginItem.pk.does_not_exist() | (LoginItem.retired_until < iso(now))
        mine_given_up = LoginItem.retired_until.exists() & (LoginItem.account_id == code.account_id)

        def build(txn: Txn) -> None:
            self._use(txn, code)
            txn.put(
                "new_login",
                LoginItem(keys.login_pk(new_login), keys.LOGIN_SK, account_id=code.account_id),
                free | mine_given_up,
            )
            txn.put(
                "old_login",
                LoginItem(
                    keys.login_pk(old_login),
                    keys.LOGIN_SK,
                    account_id=code.account_id,
                    retired_until=iso(retired_until),
                    expires=retired_until,
                ),
                LoginItem.account_id == code.account_id,
            )
            # R-ACC-6: a new generation ends every session of the account; the one that made the
            # change moves to it
            txn.update(
                "account",
                AccountItem(keys.account_pk(code.account_id), keys.ACCOUNT_SK),
                [AccountItem.login.set(new_login), AccountItem.session_generation.set(generation + 1)],
                (AccountItem.login == old_login) & (AccountItem.session_generation == generation),
            )
            txn.update(
                "session",
                SessionItem(keys.session_pk(keep), keys.SESSION_SK),
                [SessionItem.generation.set(generation + 1)],
                SessionItem.pk.exists() & (SessionItem.account_id == code.account_id),
            )
            for n, notice in enumerate(notices):  # R-NOTE-2: the old address and the new
                txn.put(f"notice{n}", outbox_item(notice), OutboxItem.pk.does_not_exist())

        try:
            run(connection(), build)
        except ConditionsFailed as failed:
            if failed.labels == {"new_login"}:
                raise LoginTaken() from None
            if "code" not in failed.labels and failed.labels & {"account", "old_login", "session"}:
                # signed out meanwhile: a reset or another change moved the account on; the code
                # was not used and works once the student signs in again
                raise Unauthenticated() from None
            raise InvalidCode() from None

    def login_in_use(self, login: str, now: datetime, asking: str) -> bool:
        try:
            item = LoginItem.get(keys.login_pk(login), keys.LOGIN_SK, consistent_read=True)
        except DoesNotExist:
            return False
        if not item.retired_until:
            return True
        return parse_iso(item.retired_until) > now and item.account_id != asking
