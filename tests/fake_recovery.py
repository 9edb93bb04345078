"""One-time codes in memory (the RecoveryStore port), with the semantics of
chalicelib/storage/recovery.py, on the shared `FakeDatabase` of tests/fakes.py."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from chalicelib.domain.errors import InvalidCode, LoginTaken, Unauthenticated
from chalicelib.domain.messages import Message
from chalicelib.domain.recovery import RETIRED_LOGIN_KEPT, WRONG_TRIES_ALLOWED, CodePurpose, OneTimeCode
from tests.fakes import FakeDatabase


class FakeRecovery:
    def __init__(self, db: FakeDatabase) -> None:
        self.db = db
        self.decoys = 0

    def issue(self, code: OneTimeCode, message: Message) -> None:
        with self.db.lock:
            if message.event_id in self.db.outbox:
                raise AssertionError("an event has one message")
            self.db.codes[(code.account_id, code.purpose.value)] = code
            self.db.outbox[message.event_id] = message

    def take_try(self, account_id: str, purpose: CodePurpose, now: datetime) -> OneTimeCode | None:
        with self.db.lock:
            code = self.db.codes.get((account_id, purpose.value))
            if code is None or code.expires_at <= now or code.wrong_tries >= WRONG_TRIES_ALLOWED:
                return None
            tried = replace(code, wrong_tries=code.wrong_tries + 1)
            self.db.codes[(account_id, purpose.value)] = tried
            return tried

    def decoy(self, key: str, now: datetime) -> None:
        self.decoys += 1

    def _use(self, code: OneTimeCode) -> None:
        stored = self.db.codes.get((code.account_id, code.purpose.value))
        if stored is None or stored.code_digest != code.code_digest:
            raise InvalidCode()
        del self.db.codes[(code.account_id, code.purpose.value)]

    def _notify(self, notices: tuple[Message, ...]) -> None:
        if any(n.event_id in self.db.outbox for n in notices):
            raise InvalidCode()  # the transaction's outbox condition failed: nothing written
        self.db.outbox.update({n.event_id: n for n in notices})

    def reset_password(self, code: OneTimeCode, password_hash: str, notice: Message | None = None) -> None:
        with self.db.lock:
            account = self.db.accounts.get(code.account_id)
            if account is None:
                raise InvalidCode()
            stored = self.db.codes.get((code.account_id, code.purpose.value))
            if stored is None or stored.code_digest != code.code_digest:
                raise InvalidCode()
            self._notify((notice,) if notice else ())
            self._use(code)
            for other in (CodePurpose.PASSWORD_RESET, CodePurpose.ACTIVATION):  # the other code is moot
                self.db.codes.pop((code.account_id, other.value), None)
            generation = account.session_generation + 1
            self.db.accounts[account.account_id] = replace(
                account, password_hash=password_hash, session_generation=generation
            )

    def change_login(
        self,
        code: OneTimeCode,
        old_login: str,
        now: datetime,
        keep: str,
        generation: int,
        notices: tuple[Message, ...] = (),
    ) -> None:
        """Every condition of the repository's one transaction checked first; LoginTaken or
        Unauthenticated only when that condition alone failed, else InvalidCode, as it does."""
        new_login = code.target
        if new_login is None:
            raise InvalidCode()
        with self.db.lock:
            db, account_id = self.db, code.account_id
            account, session = db.accounts.get(account_id), db.sessions.get(keep)
            stored = db.codes.get((account_id, code.purpose.value))
            failed = set()
            if stored is None or stored.code_digest != code.code_digest:
                failed.add("code")
            if not self._free_for(new_login, account_id, now):
                failed.add("new_login")
            if self._owner(old_login) != account_id:
                failed.add("old_login")
            if account is None or account.login != old_login or account.session_generation != generation:
                failed.add("account")
            if session is None or session.account_id != account_id:
                failed.add("session")
            if failed == {"new_login"}:
                raise LoginTaken()
            if failed == {"session"}:
                raise Unauthenticated()
            if failed or account is None or session is None:
                raise InvalidCode()
            self._notify(notices)
            self._use(code)
            db.retired_logins.pop(new_login, None)
            db.logins[new_login] = account_id
            db.logins.pop(old_login, None)
            db.retired_logins[old_login] = (account_id, now + RETIRED_LOGIN_KEPT)
            db.accounts[account_id] = replace(account, login=new_login, session_generation=generation + 1)
            db.sessions[keep] = replace(session, generation=generation + 1)

    def _owner(self, login: str) -> str | None:
        retired = self.db.retired_logins.get(login)
        return retired[0] if retired is not None else self.db.logins.get(login)

    def _free_for(self, login: str, account_id: str, now: datetime) -> bool:
        """Nobody's, or given up more than 30 days ago, or given up by this very account."""
        retired = self.db.retired_logins.get(login)
        if retired is not None:
            return retired[1] < now or retired[0] == account_id
        return login not in self.db.logins

    def login_in_use(self, login: str, now: datetime, asking: str) -> bool:
        with self.db.lock:
            retired = self.db.retired_logins.get(login)
            if retired is not None:
                return retired[1] > now and retired[0] != asking
            return login in self.db.logins
