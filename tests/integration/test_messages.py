"""The outbox and its senders (R-NOTE-1), and one-time codes (R-ACC-3, R-ACC-4), on the real
storage: moto and DynamoDB Local alike, concurrency on DynamoDB Local with real threads; e-mail
through a real local SMTP server (aiosmtpd), SMS through a local fake of the provider's API."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from email import message_from_bytes
from email.header import decode_header, make_header
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from chalicelib.bootstrap import Services, build_services
from chalicelib.config import Settings
from chalicelib.domain.accounts import Account, Session
from chalicelib.domain.clock import FixedClock
from chalicelib.domain.errors import Unauthenticated
from chalicelib.domain.messages import Message, MessageKind, MessageNotSent, queue_admitted
from chalicelib.domain.recovery import CODE_LIFETIME, CodePurpose, OneTimeCode
from chalicelib.messaging.settings import senders_from
from chalicelib.services.messages import GIVE_UP_AFTER_ATTEMPTS, Messaging, deliver, retry_at, send_due
from chalicelib.services.recovery import code_digest, request_login_code
from chalicelib.storage.messages import DynamoOutbox
from chalicelib.storage.models import OutboxItem
from devstack.ddb_local import free_port
from tests import factories
from tests.race import all_at_once
from tests.sms_api import running_sms_api

NOW = factories.NOW


def outcome(result: object) -> str:
    return type(result).__name__ if isinstance(result, Exception) else str(result)


class Flaky:
    """A channel that fails its first `failures` sends, then takes every message."""

    def __init__(self, failures: int = 0, slow: float = 0.0) -> None:
        self.failures, self.slow = failures, slow
        self.sent: list[Message] = []
        self._lock = threading.Lock()

    def send(self, message: Message) -> None:
        time.sleep(self.slow)
        with self._lock:
            if self.failures:
                self.failures -= 1
                raise MessageNotSent("the relay did not answer")
            self.sent.append(message)


def message(event: str = "reset#acc1#1", to: str = "student1@example.edu.cn", code: str | None = "123456") -> Message:
    return Message(event, to, MessageKind.PASSWORD_RESET, (code or "", "10"), NOW, code)


@pytest.fixture
def built(table: Settings) -> Services:
    return build_services(table, FixedClock(NOW))


def messaging(sender: Any, clock: FixedClock | None = None) -> Messaging:
    return Messaging(DynamoOutbox(), sender, clock or FixedClock(NOW))


def test_r_note_1_one_message_per_event(built: Services) -> None:
    """R-NOTE-1: an event has one message in the outbox, however often it is added."""
    outbox = DynamoOutbox()
    assert outbox.add(message()) is True
    assert outbox.add(message(code="654321")) is False
    assert outbox.due(NOW, 10) == ["reset#acc1#1"]


def test_r_note_1_a_failed_send_is_tried_again_later_and_then_forgets_what_it_said(built: Services) -> None:
    """R-NOTE-1: a failed send is retried (1 minute later, then longer); once sent, the message is
    sent no more and the outbox keeps neither its words nor its code."""
    clock = FixedClock(NOW)
    channel = Flaky(failures=2)
    box = messaging(channel, clock)
    box.outbox.add(message())
    assert deliver(box, "reset#acc1#1") == "failed"
    assert box.outbox.due(NOW, 10) == []
    clock.advance(60)
    assert send_due(box).as_dict() == {"sent": 0, "failed": 1, "abandoned": 0}
    clock.advance(60)
    assert box.outbox.due(clock.now(), 10) == []  # the second retry waits two minutes
    clock.advance(60)
    assert send_due(box).as_dict() == {"sent": 1, "failed": 0, "abandoned": 0}
    assert [m.code for m in channel.sent] == ["123456"]
    clock.advance(3600)
    assert send_due(box).sent == 0
    assert deliver(box, "reset#acc1#1") == "skipped"
    item = OutboxItem.get("OUTBOX#reset#acc1#1", "MESSAGE", consistent_read=True)
    assert (item.state, item.attempts, item.code, item.params) == ("sent", 3, None, None)


def test_r_note_1_retries_grow_to_an_hour_and_give_up_after_about_a_day() -> None:
    """R-NOTE-1: retries back off 1, 2, 4 … minutes up to an hour; after 30 failures it gives up."""
    waits = [retry_at(n, NOW) for n in range(1, GIVE_UP_AFTER_ATTEMPTS + 1)]
    minutes = [(w - NOW).total_seconds() / 60 for w in waits if w]
    assert minutes[:7] == [1, 2, 4, 8, 16, 32, 60]
    assert max(minutes) == 60
    assert waits[-1] is None
    assert 20 <= sum(minutes) / 60 <= 30  # about a day of trying


@pytest.mark.dynamodb_local
def test_r_note_1_twenty_senders_at_once_send_a_message_once(local_table: Settings) -> None:
    """R-NOTE-1, never twice: the stream handler, the job and retries may reach one message at the
    same moment; the lease lets one of them send it."""
    build_services(local_table, FixedClock(NOW))
    channel = Flaky(slow=0.05)
    box = messaging(channel)
    box.outbox.add(message())
    outcomes = Counter(all_at_once([lambda: deliver(box, "reset#acc1#1")] * 20))
    assert outcomes == {"sent": 1, "skipped": 19}, outcomes
    assert len(channel.sent) == 1


def _code(account: Account, code: str, target: str | None = None) -> OneTimeCode:
    purpose = CodePurpose.LOGIN_CHANGE if target else CodePurpose.PASSWORD_RESET
    return OneTimeCode(
        account.account_id,
        purpose,
        code_digest(factories.IDENTITY_KEYS, account.account_id, purpose, code),
        NOW + CODE_LIFETIME,
        target,
    )


@pytest.mark.dynamodb_local
def test_r_acc_3_a_code_brought_twice_at_once_works_once(local_table: Settings) -> None:
    """R-ACC-3: ten requests bring the same right code at once: one sets the password."""
    built = build_services(local_table, FixedClock(NOW))
    account = Account("acc1", "student1@example.edu.cn", "old-hash", created_at=NOW)
    built.accounts.accounts.create(account)
    code = _code(account, "111111")
    built.recovery.codes.issue(code, message())

    def use(n: int) -> Callable[[], str]:
        return lambda: built.recovery.codes.reset_password(code, f"hash-{n}") or "ok"

    outcomes = Counter(outcome(result) for result in all_at_once([use(n) for n in range(10)]))
    assert outcomes == {"ok": 1, "InvalidCode": 9}, outcomes
    after = built.accounts.accounts.get("acc1")
    assert after is not None
    assert after.session_generation == 1
    assert after.password_hash.startswith("hash-")


@pytest.mark.dynamodb_local
def test_r_acc_4_two_accounts_take_one_new_login_at_once_one_gets_it(local_table: Settings) -> None:
    """R-ACC-4 with R-ACC-1: two accounts with codes for the same new login use them at once: one
    gets it, the other LOGIN_TAKEN, and the login points at the winner."""
    built = build_services(local_table, FixedClock(NOW))
    accounts = [Account(f"acc{n}", f"student{n}@example.edu.cn", "hash", created_at=NOW) for n in (1, 2)]
    codes = []
    for n, account in enumerate(accounts):
        built.accounts.accounts.create(account)
        built.accounts.sessions.save(Session(f"token{n}", account.account_id, NOW + timedelta(hours=2)))
        codes.append(_code(account, "222222", "13900001111"))
        built.recovery.codes.issue(codes[-1], message(f"login#{n}"))

    def use(n: int) -> Callable[[], str]:
        return lambda: built.recovery.codes.change_login(codes[n], accounts[n].login, NOW, f"token{n}", 0) or "ok"

    outcomes = Counter(outcome(result) for result in all_at_once([use(0), use(1)]))
    assert outcomes == {"ok": 1, "LoginTaken": 1}, outcomes
    owner = built.accounts.accounts.by_login("13900001111")
    assert owner is not None
    assert owner.login == "13900001111"


@pytest.mark.dynamodb_local
def test_r_acc_6_a_login_change_after_a_reset_signed_the_account_out_is_told_401_not_a_wrong_code(
    local_table: Settings,
) -> None:
    """R-ACC-3 with R-ACC-6: a reset commits between the login change's read of the session and its
    transaction: the change is refused as signed out (401), not as a wrong code, and the code stays
    usable once the student signs in again."""
    built = build_services(local_table, FixedClock(NOW))
    account = Account("acc1", "student1@example.edu.cn", "hash", created_at=NOW)
    built.accounts.accounts.create(account)
    built.accounts.sessions.save(Session("token1", account.account_id, NOW + timedelta(hours=2)))
    change = _code(account, "333333", "13900002222")
    built.recovery.codes.issue(change, message("login#1"))
    reset = _code(account, "444444")
    built.recovery.codes.issue(reset, message("reset#1"))
    built.recovery.codes.reset_password(reset, "new-hash")  # the account's generation is 1 now

    with pytest.raises(Unauthenticated):
        built.recovery.codes.change_login(change, account.login, NOW, "token1", 0)  # read at 0
    unchanged = built.accounts.accounts.get("acc1")
    assert unchanged is not None
    assert unchanged.login == account.login
    built.accounts.sessions.save(Session("token2", account.account_id, NOW + timedelta(hours=2), generation=1))
    built.recovery.codes.change_login(change, account.login, NOW, "token2", 1)
    assert built.accounts.accounts.by_login("13900002222") is not None


class Inbox:
    """aiosmtpd's handler: what the SMTP server received."""

    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


@pytest.fixture
def smtp_server() -> Any:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield inbox, controller.port
    controller.stop()


def test_r_note_1_e_mail_goes_through_a_real_smtp_server_in_chinese(built: Services, smtp_server: Any) -> None:
    """R-NOTE-1: a message to an e-mail login leaves through SMTP: subject and body in Chinese,
    the code in the body, the event in the Message-ID; an SMS login does not go there."""
    inbox, port = smtp_server
    settings = {"smtp": {"host": "127.0.0.1", "port": port, "from": "noreply@cet.example.cn", "starttls": False}}
    box = messaging(senders_from(settings, None))
    box.outbox.add(message())
    assert send_due(box).sent == 1
    ((sender, recipients, raw),) = inbox.received
    assert (sender, recipients) == ("noreply@cet.example.cn", ["student1@example.edu.cn"])
    mail = message_from_bytes(raw)
    assert str(make_header(decode_header(mail["Subject"]))).startswith("重设密码验证码")
    body = mail.get_payload(decode=True).decode(mail.get_content_charset() or "utf-8")
    assert "验证码为 123456" in body, body
    assert "10 分钟" in body, body
    assert "reset.acc1.1" in mail["Message-ID"]


def test_r_note_1_an_smtp_server_that_does_not_answer_is_a_failed_send(built: Services) -> None:
    """R-NOTE-1: a relay that is down is a failed send (tried again later), not an error."""
    settings = {"smtp": {"host": "127.0.0.1", "port": free_port(), "from": "noreply@cet.example.cn", "starttls": False}}
    box = messaging(senders_from(settings, None))
    box.outbox.add(message())
    assert send_due(box).as_dict() == {"sent": 0, "failed": 1, "abandoned": 0}


def test_r_note_1_sms_through_the_providers_sdk_to_its_api(built: Services) -> None:
    """R-NOTE-1: a message to a mobile login goes through Tencent Cloud SMS's SDK, signed (the
    fake checks the TC3 signature), as the approved template with the message's values."""
    with running_sms_api() as api:
        box = messaging(senders_from({"sms": api.settings()}, None))
        box.outbox.add(message(to="13800138000", code="246810"))
        assert send_due(box).sent == 1
        assert api.refused == []
        (sent,) = api.accepted
        assert sent["PhoneNumberSet"] == ["+8613800138000"]
        assert (sent["TemplateId"], sent["TemplateParamSet"], sent["SignName"]) == (
            "100001",
            ["246810", "10"],
            "四六级报名",
        )
        assert sent["SessionContext"] == "reset#acc1#1"


def test_r_note_1_sms_refused_by_the_provider_is_retried_and_without_a_template_given_up(built: Services) -> None:
    """R-NOTE-1: the provider's refusal (a daily limit, say) or a wrong key is a failed send, tried
    again later; a kind without an approved template is given up at once (retrying cannot help)."""
    with running_sms_api() as api:
        api.fail_with = "LimitExceeded.PhoneNumberDailyLimit"
        box = messaging(senders_from({"sms": api.settings()}, None))
        box.outbox.add(message(to="13800138000"))
        assert send_due(box).failed == 1
        wrong_key = {**api.settings(), "secret_key": "not-the-key"}
        box = messaging(senders_from({"sms": wrong_key}, None))
        box.outbox.add(message("reset#acc1#2", to="13800138000"))
        assert send_due(box).failed == 1
        assert api.refused == ["AuthFailure.SignatureFailure"]
        no_template = messaging(senders_from({"sms": api.settings(templates={"pay_reminder": "1"})}, None))
        no_template.outbox.add(message("reset#acc1#3", to="13800138000"))
        assert send_due(no_template).abandoned == 1  # no template will appear by retrying: given up at once


@pytest.mark.dynamodb_local
def test_r_acc_3_guesses_sent_at_once_get_five_tries_between_them(local_table: Settings) -> None:
    """R-ACC-3: each try is counted before the code is compared, in one conditional write: thirty
    guesses at once get 5 tries between them, then the code is spent."""
    built = build_services(local_table, FixedClock(NOW))
    account = Account("acc1", "student1@example.edu.cn", "hash", created_at=NOW)
    built.accounts.accounts.create(account)
    built.recovery.codes.issue(_code(account, "333333"), message())
    tries = all_at_once([lambda: built.recovery.codes.take_try("acc1", CodePurpose.PASSWORD_RESET, NOW)] * 30)
    assert sum(1 for t in tries if t is not None) == 5
    assert built.recovery.codes.take_try("acc1", CodePurpose.PASSWORD_RESET, NOW) is None


def test_r_acc_3_a_code_past_its_ten_minutes_is_tried_no_more(built: Services) -> None:
    """R-ACC-3: a dead code is refused, and its message, unsent after 10 minutes, is given up
    rather than sent late."""
    account = Account("acc1", "student1@example.edu.cn", "hash", created_at=NOW)
    built.accounts.accounts.create(account)
    built.recovery.codes.issue(_code(account, "444444"), message())
    later = NOW + CODE_LIFETIME
    assert built.recovery.codes.take_try("acc1", CodePurpose.PASSWORD_RESET, later) is None
    channel = Flaky()
    box = messaging(channel, FixedClock(later))
    assert deliver(box, "reset#acc1#1") == "abandoned"
    assert channel.sent == []
    item = OutboxItem.get("OUTBOX#reset#acc1#1", "MESSAGE", consistent_read=True)
    assert (item.state, item.code, item.params) == ("abandoned", None, None)


def test_r_note_2_an_admission_notice_still_unsent_when_the_admission_ends_is_given_up(built: Services) -> None:
    """R-NOTE-2, R-QUEUE-4: the admission's notice says until when it lasts; one whose channel failed
    until then is given up, not sent telling the student to hurry for a pass already gone."""
    until = NOW + timedelta(minutes=15)
    notice = queue_admitted("queue_admitted#acc1#O#0", "student1@example.edu.cn", "集中开放", until, NOW)
    assert built.messaging.outbox.add(notice)
    channel = Flaky(failures=1)
    assert deliver(messaging(channel, FixedClock(NOW)), notice.event_id) == "failed"
    assert deliver(messaging(channel, FixedClock(until - timedelta(seconds=1))), notice.event_id) == "sent"
    again = replace(notice, event_id="queue_admitted#acc2#O#0")
    assert built.messaging.outbox.add(again)
    assert deliver(messaging(Flaky(), FixedClock(until)), again.event_id) == "abandoned"
    item = OutboxItem.get("OUTBOX#queue_admitted#acc2#O#0", "MESSAGE", consistent_read=True)
    assert (item.state, item.params) == ("abandoned", None)


def test_r_note_1_a_sender_that_lost_its_lease_is_not_heard(built: Services) -> None:
    """R-NOTE-1, never twice: a sender slower than its lease loses the message to another; its
    late "sent" or "failed" changes nothing, and the one that holds it now settles it."""
    box = DynamoOutbox()
    box.add(message())
    slow = box.claim("reset#acc1#1", NOW)
    assert slow is not None
    assert box.claim("reset#acc1#1", NOW) is None  # held
    fast = box.claim("reset#acc1#1", NOW + timedelta(seconds=61))
    assert fast is not None
    box.failed(slow, None)  # too late to give it up
    assert box.state("reset#acc1#1") == "pending"
    box.sent(fast, NOW)
    box.sent(slow, NOW)
    item = OutboxItem.get("OUTBOX#reset#acc1#1", "MESSAGE", consistent_read=True)
    assert (item.state, item.attempts) == ("sent", 1)


class Broken:
    def send(self, message: Message) -> None:
        raise ValueError("port: not a number")


def test_r_note_1_a_channel_that_breaks_is_a_failed_send_and_the_others_still_go(
    built: Services, caplog: pytest.LogCaptureFixture
) -> None:
    """R-NOTE-1: any failure of a channel is a failed send, tried again later and logged (its kind
    and reason, never the address or the code); the messages after it are still sent."""
    box = messaging(Broken())
    for n in range(3):
        box.outbox.add(message(f"reset#acc{n}#1"))
    assert send_due(box).as_dict() == {"sent": 0, "failed": 3, "abandoned": 0}
    lines = [r.getMessage() + str(r.__dict__) for r in caplog.records if r.getMessage() == "message not sent"]
    assert len(lines) == 3
    assert not [line for line in lines if "student1@example.edu.cn" in line or "123456" in line]


@pytest.mark.dynamodb_local
def test_r_acc_6_four_accounts_at_once_send_one_address_five_codes(local_table: Settings) -> None:
    """R-ACC-6: four accounts ask, 16 requests at once from 16 clients, for login-change codes to
    one number nobody uses; each account stays under its own 5, yet the address gets 5 codes and
    the rest are 429: the count is one conditional update (fails on the old code: 16 codes)."""
    built = build_services(local_table, FixedClock(NOW))
    accounts = [Account(f"acc{n}", f"student{n}@example.edu.cn", "hash", created_at=NOW) for n in range(4)]
    for account in accounts:
        built.accounts.accounts.create(account)

    def ask(n: int) -> Callable[[], str]:
        account = accounts[n % 4]
        return lambda: request_login_code(built.recovery, account, "13952044797", f"10.0.0.{n}") or "sent"

    outcomes = Counter(outcome(result) for result in all_at_once([ask(n) for n in range(16)]))
    assert outcomes == {"sent": 5, "TooManyAttempts": 11}, outcomes
    waiting = built.messaging.outbox.due(NOW + timedelta(minutes=1), 200)
    assert len([event for event in waiting if event.startswith("login#")]) == 5
