"""Messages to a student's login address (R-NOTE-1): what is said, in Chinese, and to whom.

A message is made for one event (a reset code asked for, a deadline coming, a review decided);
its `event_id` names that event, so the outbox holds it once and it is never sent twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from chalicelib.domain.clock import beijing_text

SERVICE_NAME = "全国大学英语四、六级考试网上报名"


class MessageKind(StrEnum):
    PASSWORD_RESET = "password_reset"  # noqa: S105 (a kind of message, not a password)
    LOGIN_CHANGE = "login_change"
    PAY_REMINDER = "pay_reminder"
    REVIEW_DECIDED = "review_decided"
    SEAT_OFFERED = "seat_offered"
    STAFF_ACTIVATION = "staff_activation"
    LOGIN_CHANGED = "login_changed"  # R-NOTE-2: the account's owner is told of every change
    PASSWORD_CHANGED = "password_changed"  # noqa: S105 (a kind of message, not a password)
    QUEUE_ADMITTED = "queue_admitted"


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"


@dataclass(frozen=True)
class Message:
    """`params` are the template's values, in order: an SMS provider fills its approved template
    with them; the e-mail is rendered from the same values by `subject` and `body`."""

    event_id: str
    to: str
    kind: MessageKind
    params: tuple[str, ...]
    created_at: datetime
    code: str | None = None  # the one-time code the message carries, if any
    moot_at: datetime | None = None  # from then on sending it only confuses (an admission that ended)

    @property
    def channel(self) -> Channel:
        return channel_of(self.to)

    @property
    def subject(self) -> str:
        return f"{SUBJECTS[self.kind]}（{SERVICE_NAME}）"

    @property
    def body(self) -> str:
        return BODIES[self.kind].format(*self.params)


def channel_of(login: str) -> Channel:
    """A login is an e-mail address or a mainland mobile number (R-ACC-1)."""
    return Channel.EMAIL if "@" in login else Channel.SMS


SUBJECTS: dict[MessageKind, str] = {
    MessageKind.PASSWORD_RESET: "重设密码验证码",
    MessageKind.LOGIN_CHANGE: "更换登录账号验证码",
    MessageKind.PAY_REMINDER: "缴费提醒",
    MessageKind.REVIEW_DECIDED: "CET6 资格复核结果",
    MessageKind.SEAT_OFFERED: "口试考位候补通知",
    MessageKind.STAFF_ACTIVATION: "工作人员账号激活码",
    MessageKind.LOGIN_CHANGED: "登录账号已更换",
    MessageKind.PASSWORD_CHANGED: "密码已重新设置",
    MessageKind.QUEUE_ADMITTED: "口试集中开放排队已轮到您",
}

BODIES: dict[MessageKind, str] = {
    MessageKind.PASSWORD_RESET: (
        "您正在重设报名账号的密码，验证码为 {0}，{1} 分钟内有效，仅可使用一次。"
        "如非本人操作，请忽略本消息，您的密码不会改变。"
    ),
    MessageKind.LOGIN_CHANGE: (
        "您正在把报名账号的登录名更换为本地址，验证码为 {0}，{1} 分钟内有效，仅可使用一次。如非本人操作，请忽略本消息。"
    ),
    MessageKind.PAY_REMINDER: (
        "您已选择但尚未缴费的科目须在 {0}（北京时间）前完成缴费，逾期未缴费的科目将被取消。请登录报名网站完成缴费。"
    ),
    MessageKind.REVIEW_DECIDED: "您的 CET6 报考资格复核结果：{0}。{1}请登录报名网站查看。",
    MessageKind.SEAT_OFFERED: (
        "您候补的口试考位（{0}）已为您保留，请在 {1}（北京时间）前登录报名网站缴费，逾期将让给下一位。"
    ),
    MessageKind.STAFF_ACTIVATION: (
        "您的报名系统工作人员账号已开通，激活码为 {0}，{1} 小时内有效。请打开报名网站的“忘记密码”页面，"
        "点“已有验证码或激活码”，填写本账号、此激活码和新密码。"
    ),
    MessageKind.LOGIN_CHANGED: (
        "您的报名账号的登录名已于 {0}（北京时间）由 {1} 更换为 {2}，原登录名即时停用。"
        "如非本人操作，请立即联系所在学校的报名负责老师。"
    ),
    MessageKind.PASSWORD_CHANGED: (
        "您的报名账号的密码已于 {0}（北京时间）重新设置，所有设备上的登录均已退出。"
        "如非本人操作，请立即在报名网站用“忘记密码”重设密码，并联系所在学校的报名负责老师。"
    ),
    MessageKind.QUEUE_ADMITTED: (
        "“{0}”的排队已轮到您：请在 {1}（北京时间）前登录报名网站选择口试考点，逾期需重新排队。"
    ),
}


def masked_login(login: str) -> str:
    """A login as a message to another address names it (R-NOTE-2): enough to recognise, no more
    (138****5678, li***@example.com)."""
    name, at, domain = login.partition("@")
    if not at:
        return f"{login[:3]}****{login[-4:]}"
    shown = 2 if len(name) > 4 else 1  # a short name is never shown whole
    return f"{name[:shown]}***@{domain}"


def login_changed(event_id: str, to: str, old_login: str, new_login: str, now: datetime) -> Message:
    """R-NOTE-2: to the old address and the new, the same words."""
    params = (beijing_text(now), masked_login(old_login), masked_login(new_login))
    return Message(event_id, to, MessageKind.LOGIN_CHANGED, params, now)


def password_changed(event_id: str, to: str, now: datetime) -> Message:
    """R-NOTE-2: a reset, or a change in 账户设置 (the same path); never the password itself."""
    return Message(event_id, to, MessageKind.PASSWORD_CHANGED, (beijing_text(now),), now)


def queue_admitted(event_id: str, to: str, opening_name: str, until: datetime, now: datetime) -> Message:
    """R-NOTE-2, R-QUEUE-4: an admission lasts until `until`; a student who closed the page hears of it."""
    params = (opening_name, beijing_text(until))
    return Message(event_id, to, MessageKind.QUEUE_ADMITTED, params, now, moot_at=until)


def pay_reminder(event_id: str, to: str, pay_by: datetime, now: datetime) -> Message:
    return Message(event_id, to, MessageKind.PAY_REMINDER, (beijing_text(pay_by),), now)


def review_decided(event_id: str, to: str, approved: bool, note: str, now: datetime) -> Message:
    outcome = "通过，您可以报考 CET6" if approved else "不通过"
    reason = f"说明：{note}。" if note and not approved else ""
    return Message(event_id, to, MessageKind.REVIEW_DECIDED, (outcome, reason), now)


def seat_offered(event_id: str, to: str, seat: str, pay_by: datetime, now: datetime) -> Message:
    """R-WAIT-2: a seat that came back is held for the student until `pay_by`."""
    return Message(event_id, to, MessageKind.SEAT_OFFERED, (seat, beijing_text(pay_by)), now)


class MessageNotSent(Exception):
    """The channel refused the message or did not answer: it is tried again later, unless the
    refusal is `final` (no approved template, a number the provider rejects)."""

    def __init__(self, reason: str, final: bool = False) -> None:
        super().__init__(reason)
        self.final = final


class MessageSender(Protocol):
    def send(self, message: Message) -> None:
        """Hand the message to its channel (e-mail or SMS); raises MessageNotSent."""


@dataclass(frozen=True)
class ClaimedMessage:
    message: Message
    attempts: int  # sends tried before this one
    lease: str  # what this sender's `sent` or `failed` must show to be heard
