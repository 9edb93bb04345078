"""A province's first tests with the CET test kit (docs/testing.md).

Copy this file into a directory of your own and run `pytest` there: the kit's plugin gives the
fixtures (`cet_province`, `cet_service`, `cet_clock`, `cet_payments`, `cet_outbox`, `cet_student`).
The service is this repository's app.py, in-process on moto, in test mode; nothing reaches AWS.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from cet_testkit import Payments, ProvinceBuilder, Service, ServiceClock, Students


@pytest.fixture
def cet_province() -> ProvinceBuilder:
    """Our province: one university, two oral seats at 鼓楼, five students on the roll."""
    return (
        ProvinceBuilder(code="32", name="江苏省")
        .school("NJU", "南京大学")
        .campus("NJU-GL", "鼓楼校区", written=("CET4", "CET6"), oral={"CET-SET4": 2})
        .students(5)
    )


def test_a_student_who_paid_owes_nothing(cet_student: Students) -> None:
    student = cet_student(at="paid", oral="NJU-GL")
    registration = student.call("GET", "/registration").body
    assert registration["amount_due"] == 0
    assert [s["status"] for s in registration["subjects"]] == ["paid", "paid"]


def test_a_notification_sent_three_times_pays_once(cet_student: Students, cet_payments: Payments) -> None:
    student = cet_student(at="ordered")
    assert cet_payments.duplicated(student, times=3).answers == ("success",) * 3
    assert student.call("GET", f"/orders/{student.order_id}").body["status"] == "paid"


def test_an_unpaid_registration_is_gone_a_day_later(
    cet_service: Service, cet_student: Students, cet_clock: ServiceClock
) -> None:
    student = cet_student(at="chosen")
    cet_clock.advance(timedelta(days=1, minutes=1))
    cet_service.job("expire")
    student.again()  # the session ended while the clock moved
    assert student.call("GET", "/registration").status == 404
