"""The loader's progress on stderr: rows written, rows per second and the time left, per file;
at the end the rows written per file and their rate."""

from __future__ import annotations

import sys
import threading
import time
from dataclasses import dataclass
from typing import TextIO

NAMES = {"roll": "学籍", "cet4_scores": "四级成绩", "settle": "等待各实例更新", "catalog": "目录"}
EVERY_SECONDS = 0.5


@dataclass
class _File:
    total: int
    started: float
    done: int = 0
    finished: float | None = None

    def rate(self, now: float) -> float:
        spent = (self.finished or now) - self.started
        return self.done / spent if spent > 0 else 0.0


def clock_text(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"


class Shown:
    def __init__(self, out: TextIO | None = None) -> None:
        self._out = out or sys.stderr
        self._files: dict[str, _File] = {}
        self._lock = threading.Lock()
        self._shown_at = 0.0

    def progress(self, what: str, done: int, total: int) -> None:
        """A Progress (domain/province.py), called from the writers' threads."""
        now = time.monotonic()
        with self._lock:
            file = self._files.setdefault(what, _File(total, now))
            file.done = max(file.done, done)
            last = file.done >= total
            if last and file.finished is None:
                file.finished = now
            if not last and now - self._shown_at < EVERY_SECONDS:
                return
            self._shown_at = now
            rate = file.rate(now)
            left = f"，预计还需 {clock_text((total - file.done) / rate)}" if rate and not last else ""
            name = NAMES.get(what, what)
            line = f"\r  {name}：{file.done}/{total} 行，{rate:,.0f} 行/秒{left}"
            print(line + ("\n" if last else "   "), end="", file=self._out, flush=True)

    def summary(self) -> list[str]:
        now = time.monotonic()
        return [
            f"{NAMES.get(what, what)}：写入 {file.done} 行，{file.rate(now):,.0f} 行/秒"
            for what, file in self._files.items()
            if what != "settle"
        ]
