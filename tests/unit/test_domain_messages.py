"""What a message says and where it goes (R-NOTE-1, R-WAIT-2): in Chinese, times in Beijing time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chalicelib.domain.messages import (
    Channel,
    Message,
    MessageKind,
    MessageNotSent,
    channel_of,
    login_changed,
    password_changed,
    pay_reminder,
    queue_admitted,
    review_decided,
    seat_offered,
)
from tests.factories import NOW

PAY_BY = datetime(2098, 9, 1, 22, 5, tzinfo=UTC)  # 2 September, 06:05 in Beijing


def header(message: Message) -> tuple[str, str, MessageKind, datetime]:
    """What every message carries: its event, its address, its kind, when it was made."""
    return message.event_id, message.to, message.kind, message.created_at


def test_r_note_1_a_message_goes_by_e_mail_to_an_address_and_by_sms_to_a_number() -> None:
    assert channel_of("li@example.com") is Channel.EMAIL
    assert channel_of("13800138000") is Channel.SMS
    assert pay_reminder("e1", "13800138000", PAY_BY, NOW).channel is Channel.SMS


def test_r_note_1_the_pay_reminder_gives_the_deadline_in_beijing_time() -> None:
    message = pay_reminder("reminder-1", "li@example.com", PAY_BY, NOW)
    assert header(message) == ("reminder-1", "li@example.com", MessageKind.PAY_REMINDER, NOW)
    assert message.params == ("2098年9月2日 06:05",)
    assert "2098年9月2日 06:05（北京时间）前完成缴费" in message.body
    assert message.subject.startswith("缴费提醒")


def test_r_note_1_an_approved_review_says_cet6_may_be_taken_and_gives_no_reason() -> None:
    message = review_decided("review-1", "li@example.com", True, "成绩核实无误", NOW)
    assert header(message) == ("review-1", "li@example.com", MessageKind.REVIEW_DECIDED, NOW)
    assert message.params == ("通过，您可以报考 CET6", "")


def test_r_note_1_a_rejected_review_gives_the_staffs_reason_when_there_is_one() -> None:
    assert review_decided("r", "li@example.com", False, "准考证号与姓名不符", NOW).params == (
        "不通过",
        "说明：准考证号与姓名不符。",
    )
    assert review_decided("r", "li@example.com", False, "", NOW).params == ("不通过", "")


def test_r_wait_2_the_offer_names_the_seat_and_until_when_it_is_held() -> None:
    message = seat_offered("offer-1", "13800138000", "鼓楼校区 英语四级口试", PAY_BY, NOW)
    assert header(message) == ("offer-1", "13800138000", MessageKind.SEAT_OFFERED, NOW)
    assert message.params == ("鼓楼校区 英语四级口试", "2098年9月2日 06:05")


def test_r_note_1_a_refusal_is_final_only_when_the_channel_says_so() -> None:
    assert not MessageNotSent("timeout").final
    refused = MessageNotSent("no template", final=True)
    assert refused.final
    assert str(refused) == "no template"


def test_r_note_2_an_admission_message_is_moot_once_the_admission_ended() -> None:
    """R-QUEUE-4: an admission lasts until `until`; a message still unsent then is not sent."""
    until = NOW + timedelta(minutes=15)
    message = queue_admitted("admitted-1", "13800138000", "鼓楼校区口试集中开放", until, NOW)
    assert (message.kind, message.created_at, message.moot_at) == (MessageKind.QUEUE_ADMITTED, NOW, until)
    assert message.params == ("鼓楼校区口试集中开放", "2098年9月1日 10:15")


def test_r_note_2_the_change_messages_are_dated_when_the_change_was_made() -> None:
    changed = login_changed("c1", "li@example.com", "li@example.com", "13800138000", NOW)
    assert (changed.kind, changed.created_at) == (MessageKind.LOGIN_CHANGED, NOW)
    reset = password_changed("p1", "li@example.com", NOW)
    assert (reset.kind, reset.created_at, reset.params) == (MessageKind.PASSWORD_CHANGED, NOW, ("2098年9月1日 10:00",))
