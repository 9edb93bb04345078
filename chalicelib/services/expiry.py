"""The 24-hour lifecycle: unpaid subjects go at `pay_by`, empty registrations after 24 hours.

R-PAY-1 (an unpaid subject is deleted and its oral seat released), R-BIND-4 (a registration with
no subject 24 hours after saving is deleted, both sides of the binding freed). Reads already
treat both as gone the moment they are due; this job makes it so in storage. A seat is released
at most once whoever gets there first: the job, a student's removal, or TTL (via the stream).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.domain.errors import NotFound, SubjectPaid
from chalicelib.domain.registration import Registration
from chalicelib.services.registration_ports import RegistrationStore


@dataclass
class ExpiryReport:
    expired_subjects: int = 0
    deleted_registrations: int = 0
    rescheduled: int = 0
    skipped: int = 0  # changed meanwhile: the next run looks again

    def as_dict(self) -> dict[str, int]:
        return dict(vars(self))


def expire(store: RegistrationStore, now: datetime) -> ExpiryReport:
    report = ExpiryReport()
    for account_id in store.overdue(now):
        registration = store.get(account_id)
        if registration is not None:
            _expire_registration(store, registration, now, report)
    return report


def _expire_registration(
    store: RegistrationStore, registration: Registration, now: datetime, report: ExpiryReport
) -> None:
    if registration.is_gone(now):
        try:
            store.delete_registration(registration, now)
        except NotFound:
            report.skipped += 1
            return
        report.deleted_registrations += 1
        report.expired_subjects += len(registration.expired_subjects(now))
        return
    for hold in registration.expired_subjects(now):
        try:
            store.remove_subject(registration.account_id, hold, now)
        except SubjectPaid:
            report.skipped += 1
            continue
        report.expired_subjects += 1
        registration = registration.without_subject(hold)
    store.reschedule(registration, registration.expires_at())
    report.rescheduled += 1


def release_removed_holds(store: RegistrationStore, old_images: Iterable[dict[str, Any]], now: datetime) -> int:
    """Stream REMOVE records: the seat of an unpaid hold goes back, unless it already did."""
    released = 0
    for image in old_images:
        hold = store.removed_hold(image)
        if hold is not None and store.release_seat(hold, now):
            released += 1
    return released
