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
        self.retired: dict[str, tuple[str, datetime]] = {}  # login -> (account, retired until)
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

    def reset_password(self, code: OneTimeCode, password_hash: str) -> None:
        with self.db.lock:
            account = self.db.accounts.get(code.account_id)
            if account is None:
                raise InvalidCode()
            self._use(code)
            generation = account.session_generation + 1
            self.db.accounts[account.account_id] = replace(
                account, password_hash=password_hash, session_generation=generation
            )

    def change_login(self, code: OneTimeCode, old_login: str, now: datetime, keep: str, generation: int) -> None:
        with self.db.lock:
            account = self.db.accounts.get(code.account_id)
            new_login = code.target
            if account is None or new_login is None or account.login != old_login:
                raise InvalidCode()
            if account.session_generation != generation:
                raise InvalidCode()
            session = self.db.sessions.get(keep)
            if session is None or session.account_id != account.account_id:
                raise Unauthenticated()
            holder = self.db.logins.get(new_login)
            if holder is not None and holder != account.account_id:
                retired = self.retired.get(new_login)
                if retired is None or (retired[1] > now and retired[0] != account.account_id):
                    raise LoginTaken()
            self._use(code)
            self.db.logins[new_login] = account.account_id
            self.retired[old_login] = (account.account_id, now + RETIRED_LOGIN_KEPT)
            self.db.logins.pop(old_login, None)
            self.db.accounts[account.account_id] = replace(account, login=new_login, session_generation=generation + 1)
            self.db.sessions[keep] = replace(session, generation=generation + 1)

    def login_in_use(self, login: str, now: datetime, asking: str) -> bool:
        with self.db.lock:
            retired = self.retired.get(login)
            if retired is not None:
                return retired[1] > now and retired[0] != asking
            return login in self.db.logins
