"""Real threads released together: the shape of every race the tests stage."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from chalicelib.api.errors import overloaded
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


def until_answered(task: Callable[[], T], tries: int = 20) -> T:
    """Overload is an answer (503 BUSY, api.md): a student told so tries again, as this does, until
    the service answers otherwise. On a loaded machine DynamoDB Local times out waiting for its own
    locks ("this request will succeed in actual DynamoDB"); what the races prove is unchanged."""
    for _ in range(tries - 1):
        try:
            return task()
        except Exception as error:
            if not overloaded(error):
                raise
            time.sleep(random.uniform(0.05, 0.5))
    return task()
