"""Time is a parameter: services receive a clock, nothing deep inside reads the wall clock."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from typing import Protocol

# China has no daylight saving time: a fixed offset needs no tz database on Lambda.
SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(SHANGHAI)


class AdjustableClock:
    """The wall clock plus an offset that test mode may move forward (`/_test/clock`)."""

    def __init__(self) -> None:
        self._offset = timedelta()
        self._lock = threading.Lock()

    def now(self) -> datetime:
        return datetime.now(SHANGHAI) + self._offset

    def advance(self, seconds: float) -> datetime:
        with self._lock:
            self._offset += timedelta(seconds=seconds)
        return self.now()


class FixedClock:
    """A clock that moves only when told to: for tests."""

    def __init__(self, start: datetime) -> None:
        self._now = start

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float) -> datetime:
        self._now += timedelta(seconds=seconds)
        return self._now


def iso(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).isoformat(timespec="seconds")


def precise_iso(moment: datetime) -> str:
    """To the microsecond: where the stored time orders things made within one second."""
    return moment.astimezone(SHANGHAI).isoformat(timespec="microseconds")


def parse_iso(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"time without offset: {text}")
    return moment.astimezone(SHANGHAI)


def beijing_text(moment: datetime) -> str:
    """How a message or a receipt writes a time: 2026年6月1日 14:30, in Beijing time."""
    local = moment.astimezone(SHANGHAI)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"
