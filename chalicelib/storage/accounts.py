"""Accounts and their logins: a login is claimed in the same write as its account (R-ACC-1)."""

from __future__ import annotations

from datetime import datetime

from pynamodb.exceptions import DoesNotExist, UpdateError

from chalicelib.domain.accounts import Account
from chalicelib.domain.clock import iso
from chalicelib.domain.errors import (
    LoginTaken,
)
from chalicelib.storage import codec, keys
from chalicelib.storage.models import (
    AccountItem,
    LoginItem,
)
from chalicelib.storage.tables import connection
from chalicelib.storage.transactions import ConditionsFailed, Txn, error_code, run


class DynamoAccounts:
    def create(self, account: Account) -> None:
        login = LoginItem(keys.login_pk(account.login), keys.LOGIN_SK, account_id=account.account_id)

        def build(txn: Txn) -> None:
            # a login given up by another account is free again once its 30 days are over (R-ACC-4)
            free_again = LoginItem.retired_until < iso(account.created_at) if account.created_at else None
            taken_condition = LoginItem.pk.does_not_exist()
            txn.put("login", login, taken_condition | free_again if free_again is not None else taken_condition)
            txn.put("account", codec.account_item(account), AccountItem.pk.does_not_exist())

        try:
            run(connection(), build)
        except ConditionsFailed:
            raise LoginTaken() from None

    def by_login(self, login: str) -> Account | None:
        try:
            pointer = LoginItem.get(keys.login_pk(login), keys.LOGIN_SK, consistent_read=True)
        except DoesNotExist:
            return None
        if pointer.retired_until:
            return None  # given up by its account (R-ACC-4): it signs nobody in
        try:  # read as written: a login changed a moment ago is already the account's
            item = AccountItem.get(keys.account_pk(pointer.account_id), keys.ACCOUNT_SK, consistent_read=True)
        except DoesNotExist:
            return None
        account = codec.account_from_item(item)
        return account if account.login == login else None

    def get(self, account_id: str) -> Account | None:
        try:
            return codec.account_from_item(AccountItem.get(keys.account_pk(account_id), keys.ACCOUNT_SK))
        except DoesNotExist:
            return None

    def logins(self, account_ids: list[str]) -> dict[str, str]:
        """One BatchGet (PynamoDB splits it by 100 and asks again for what DynamoDB left unread),
        projecting the login only."""
        wanted = [(keys.account_pk(account_id), keys.ACCOUNT_SK) for account_id in dict.fromkeys(account_ids)]
        found = AccountItem.batch_get(wanted, attributes_to_get=["pk", "kind", "login"]) if wanted else []
        return {keys.value_of(item.pk, keys.account_pk): item.login for item in found if isinstance(item, AccountItem)}

    def accept_agreement(self, account_id: str, at: datetime) -> None:
        item = AccountItem(keys.account_pk(account_id), keys.ACCOUNT_SK)
        item.update(actions=[AccountItem.agreement_accepted_at.set(iso(at))], condition=AccountItem.pk.exists())

    def replace_password_hash(self, account_id: str, verified_hash: str, new_hash: str) -> bool:
        item = AccountItem(keys.account_pk(account_id), keys.ACCOUNT_SK)
        try:
            item.update(
                actions=[AccountItem.password_hash.set(new_hash)],
                condition=AccountItem.password_hash == verified_hash,
            )
        except UpdateError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def remember_lookup(self, account_id: str, candidate_key: str, school_id: str) -> None:
        item = AccountItem(keys.account_pk(account_id), keys.ACCOUNT_SK)
        item.update(
            actions=[AccountItem.looked_up.set(candidate_key), AccountItem.looked_up_school_id.set(school_id)],
            condition=AccountItem.pk.exists(),
        )
