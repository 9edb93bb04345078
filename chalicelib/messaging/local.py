"""The local stack's outbox: messages kept in this process, readable at `GET /_test/outbox`."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

from chalicelib.domain.clock import Clock
from chalicelib.domain.messages import Message


@dataclass(frozen=True)
class Delivered:
    message: Message
    sent_at: datetime


class LocalOutbox:
    """Sends nothing anywhere: a message "sent" here is one a test or a developer reads back."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._delivered: list[Delivered] = []
        self._lock = threading.Lock()

    def send(self, message: Message) -> None:
        with self._lock:
            self._delivered.append(Delivered(message, self._clock.now()))

    def to(self, address: str) -> list[Delivered]:
        """Everything sent to `address`, oldest first."""
        with self._lock:
            return [d for d in self._delivered if d.message.to == address]

    def everything(self) -> list[Delivered]:
        with self._lock:
            return list(self._delivered)
