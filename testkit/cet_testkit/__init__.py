"""The province's test kit: the CET registration service in-process on moto, for pytest.

Its fixtures are in `cet_testkit.plugin`; docs/testing.md walks through a first test.
"""

from cet_testkit.builder import ProvinceBuilder, resident_id
from cet_testkit.http import Reply, assert_error
from cet_testkit.payments import Notice, Payments
from cet_testkit.service import Outbox, Service, ServiceClock
from cet_testkit.students import STEPS, Student, Students

__all__ = [
    "STEPS",
    "Notice",
    "Outbox",
    "Payments",
    "ProvinceBuilder",
    "Reply",
    "Service",
    "ServiceClock",
    "Student",
    "Students",
    "assert_error",
    "resident_id",
]
