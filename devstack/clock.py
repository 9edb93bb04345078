"""Move the local stack's service clock forward to a moment, in the steps `POST /_test/clock`
takes (at most 400 days each), and print the service's time.

    python -m devstack.clock 2099-11-01T09:05:00+08:00 [--base http://127.0.0.1:8000/api]

The stack must run with TEST_MODE=1. The demo's exam sitting is December 2099's (R-ROOM-1): its
room plan may be drawn from 2099-11-01 09:00 (`plan_at`), after every school's window has closed,
and its tickets open at 2099-12-08 09:00 (`tickets_open_at`). The clock never moves back.
"""

from __future__ import annotations

import argparse
import math
import sys
from datetime import datetime

from chalicelib.domain.clock import iso, parse_iso
from devstack.walkthrough import Api

STEP_SECONDS = 400 * 24 * 3600  # the most one POST /_test/clock moves (devstack/test_mode.py)


def steps(now: datetime, target: datetime) -> list[int]:
    """The `advance_seconds` that take the clock from `now` to `target` (none if it is past)."""
    left = max(0, math.ceil((target - now).total_seconds()))
    return [STEP_SECONDS] * (left // STEP_SECONDS) + ([left % STEP_SECONDS] if left % STEP_SECONDS else [])


def advance(api: Api, seconds: int) -> datetime:
    status, reply = api.call("POST", "/_test/clock", {"advance_seconds": seconds})
    if status != 200:
        raise SystemExit(f"POST /_test/clock -> {status}: {reply} (start the stack with TEST_MODE=1)")
    return parse_iso(reply["now"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack.clock", description=__doc__)
    parser.add_argument("to", type=parse_iso, help="ISO 8601 with an offset, e.g. 2099-11-01T09:05:00+08:00")
    parser.add_argument("--base", default="http://127.0.0.1:8000/api")
    args = parser.parse_args(argv)
    api = Api(args.base)
    now = advance(api, 0)
    for seconds in steps(now, args.to):
        now = advance(api, seconds)
    print(f"服务时间：{iso(now)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
