"""Real threads released together: the shape of every race the tests stage."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from chalicelib.domain import errors

T = TypeVar("T")


def all_at_once(tasks: list[Callable[[], T]]) -> list[T | Exception]:
    """Run every task on its own thread, released together by a barrier."""
    barrier = threading.Barrier(len(tasks))

    def run(task: Callable[[], T]) -> T | Exception:
        barrier.wait()
        try:
            return task()
        except errors.DomainError as error:
            return error

    with ThreadPoolExecutor(max_workers=len(tasks)) as pool:
        return list(pool.map(run, tasks))
