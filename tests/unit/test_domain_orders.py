"""Orders (R-PAY-1, R-PAY-2, R-PAY-5..7): what is paid together, until when, the number, a late payment."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from chalicelib.domain.orders import (
    LateOutcome,
    LatePayment,
    Order,
    OrderStatus,
    is_order_number,
    late_payment_of,
    newest_first,
    order_deadline,
    order_number,
    payable,
)
from chalicelib.domain.registration import ChosenSubject, Registration, SubjectStatus
from tests.factories import NOW, ZHANG, entry, subjects


def chosen(code: str, pay_by_hours: float) -> ChosenSubject:
    return ChosenSubject.unpaid(subjects()[code], None, NOW, NOW + timedelta(hours=pay_by_hours))


def order(order_id: str, minutes: int, subject: ChosenSubject) -> Order:
    created = NOW + timedelta(minutes=minutes)
    return Order(order_id, "acc", "NJU", "alipay", None, (subject,), OrderStatus.OPEN, created, created)


def test_r_pay_1_an_order_lasts_until_the_earliest_pay_by_of_its_subjects() -> None:
    cet4, cet6 = chosen("CET4", 24), chosen("CET6", 3)
    assert order_deadline((cet4, cet6)) == NOW + timedelta(hours=3)
    assert order_deadline((cet6, cet4)) == NOW + timedelta(hours=3)
    paid = replace(cet6, status=SubjectStatus.PAID, pay_by=None)
    assert order_deadline((paid, cet4)) == NOW + timedelta(hours=24)


def test_r_pay_1_an_order_is_open_until_it_expires() -> None:
    placed = replace(order("o1", 0, chosen("CET4", 24)), expires_at=NOW + timedelta(hours=1))
    assert placed.is_open(NOW)
    assert not placed.is_open(NOW + timedelta(hours=1))
    assert not replace(placed, status=OrderStatus.PAID).is_open(NOW)


def test_r_pay_2_the_live_unpaid_subjects_are_paid_together() -> None:
    unpaid = chosen("CET4", 24)
    gone = chosen("CJT6", 1)
    paid = replace(chosen("CET6", 24), status=SubjectStatus.PAID)
    registration = Registration("acc", entry(ZHANG), NOW, (unpaid, gone, paid))
    assert payable(registration, NOW + timedelta(hours=2)) == (unpaid,)
    assert payable(registration, NOW) == (unpaid, gone)


def test_r_pay_6_the_number_is_the_beijing_date_then_eight_drawn_digits() -> None:
    drawn: list[int] = []

    def draw(below: int) -> int:
        drawn.append(below)
        return 42

    evening_in_greenwich = datetime(2098, 9, 1, 17, 30, tzinfo=UTC)  # 01:30 on 2 September in Beijing
    number = order_number(evening_in_greenwich, draw)
    assert number == "2098090200000042"
    assert drawn == [10**8]
    assert is_order_number(number)
    assert order_number(NOW, lambda below: below - 1) == "2098090199999999"


def test_r_pay_6_the_newest_order_is_listed_first() -> None:
    subject = chosen("CET4", 24)
    first, second, same_time = order("b", 0, subject), order("c", 5, subject), order("a", 5, subject)
    assert newest_first([first, same_time, second]) == [second, same_time, first]


def test_r_pay_7_only_the_sixteen_ascii_digits_of_a_number_are_read_as_one() -> None:
    """A merchant number the provider sends back is the order's number (R-PAY-7) only in the shape
    R-PAY-6 draws; anything else is an order id of an order placed before R-PAY-7."""
    assert is_order_number("2098090112345678")
    assert not is_order_number("209809011234567")
    assert not is_order_number("20980901abcdefgh")
    assert not is_order_number("２０９８０９０１１２３４５６７８")


def test_r_pay_5_a_late_payment_shows_the_staff_the_candidate_amount_and_number() -> None:
    candidate = entry(ZHANG)
    late = replace(order("o9", 0, chosen("CET4", 24)), candidate=candidate, number="2098090100000042")
    record = late_payment_of(late, LateOutcome.REFUNDED, NOW)
    assert record == LatePayment(
        "o9", "NJU", "acc", "张三", candidate.masked_id, 3000, LateOutcome.REFUNDED, NOW, number="2098090100000042"
    )
    older = late_payment_of(replace(late, candidate=None, number=None), LateOutcome.RE_RESERVED, NOW)
    assert (older.candidate_name, older.candidate_id, older.number) == ("", "", None)
