"""What the service logs while a test drives it: every line, formatted as CloudWatch gets it."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

from chalicelib.logs import logger

ACCESS_FIELDS = {"request_id", "method", "route", "status", "latency_ms", "cold_start"}


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []
        self.setFormatter(logger().registered_formatter)

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


PERSONAL_FIELDS = ("login", "password", "id_number", "new_login", "new_password")


@dataclass
class Watched:
    """The requests a test made and the personal data it sent or was given."""

    requests: int = 0
    personal: set[str] = field(default_factory=set)
    id_numbers: set[str] = field(default_factory=set)  # as typed, and as the service normalises them

    def saw_request(self, body: bytes | None) -> None:
        self.requests += 1
        try:
            sent: Any = json.loads(body or b"null")
        except (ValueError, RecursionError):
            return
        if isinstance(sent, dict):
            self.personal |= {v for k, v in sent.items() if k in PERSONAL_FIELDS and _telling(v, k)}
            number = sent.get("id_number")
            if _telling(number, "id_number"):
                self.id_numbers |= {number, number.strip().upper()}

    def saw_answer(self, answer: Any) -> None:
        if isinstance(answer, dict) and _telling(answer.get("token")):
            self.personal.add(answer["token"])


def _telling(value: object, field: str = "") -> bool:
    """Long enough that finding it in a log line means it was logged (not a digit by chance). An ID
    number has digits: a fuzzed `id_number` such as "NJU-GL" is the catalog's word, not a person's."""
    if not isinstance(value, str) or len(value) < 6:
        return False
    return field != "id_number" or sum(c in "0123456789" for c in value) >= 6


def access_lines(lines: list[str]) -> list[dict[str, Any]]:
    parsed = [json.loads(line) for line in lines]
    return [line for line in parsed if line.get("message") == "request"]
