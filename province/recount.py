"""Rebuild the province administrator's counters from the items (R-OPS-1, decision 0027).

    TABLE_NAME=cet-registration-jiangsu python -m province recount [--dry-run] [--segments N] [--rounds N]

Counts the registrations, orders, paid oral subjects, pending reviews and late payments in the
table (a parallel scan, progress on stderr) and writes each counter of the overview that differs,
safely while registration runs: a counter written while it was counted is counted again in the next
round. Each difference is printed (kept value, counted value). --dry-run prints them and writes
nothing. Exit 0 when every counter settled; 1 with the counters that kept changing (run it again).
With AWS_ENDPOINT_URL_DYNAMODB unset, the real DynamoDB of the configured region and credentials is used.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from typing import TextIO

from chalicelib.domain.recount import CounterKey, Difference, RecountOutcome
from chalicelib.storage.keys_ops import figure_pk
from province.progress import EVERY_SECONDS


class ScanShown:
    """Items scanned and items per second, per round, on one line of stderr."""

    def __init__(self, out: TextIO | None = None) -> None:
        self._out = out or sys.stderr
        self._lock = threading.Lock()
        self._round = 0
        self._started = self._shown_at = 0.0
        self.scanned = 0

    def progress(self, scanned: int, round_number: int) -> None:
        now = time.monotonic()
        with self._lock:
            if round_number != self._round:
                self.end()
                self._round, self._started, self._shown_at = round_number, now, 0.0
            self.scanned = scanned
            if now - self._shown_at < EVERY_SECONDS:
                return
            self._shown_at = now
            print(f"\r  {self._line(now)}   ", end="", file=self._out, flush=True)

    def end(self) -> None:
        if self._round:
            print(f"\r  {self._line(time.monotonic())}", file=self._out, flush=True)
            self._round = 0

    def _line(self, now: float) -> str:
        spent = now - self._started
        rate = self.scanned / spent if spent > 0 else 0.0
        return f"扫描（第 {self._round} 轮）：{self.scanned:,} 条，{rate:,.0f} 条/秒"


def counter_name(key: CounterKey) -> str:
    """The counter as the table names it: its pk and sort key."""
    return f"{figure_pk(key.shard)} {key.sk}"


def difference_line(difference: Difference) -> str:
    kept, counted = difference.kept, difference.counted
    line = f"{counter_name(difference.key)}：记录 {kept.value}，实有 {counted.value}（{difference.value_delta:+d}）"
    if difference.amount_delta:
        line += f"，金额 {kept.amount} 分，实为 {counted.amount} 分（{difference.amount_delta:+d}）"
    return line


def report(outcome: RecountOutcome, dry_run: bool, out: TextIO, err: TextIO) -> int:
    for difference in outcome.differences:
        print(difference_line(difference), file=out)
    done = "试运行，未写入" if dry_run else f"已更正 {len(outcome.corrected)} 个"
    found = len(outcome.differences)
    print(f"核对计数 {outcome.counters} 个（{outcome.rounds} 轮）：不符 {found} 个，{done}。", file=out)
    if outcome.unsettled:
        print("以下计数在核对期间一直在变化，未能核对，请再运行一次：", file=err)
        for key in outcome.unsettled:
            print(f"  {counter_name(key)}", file=err)
        return 1
    return 0


def arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m province recount", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dry-run", action="store_true", help="只列出不符的计数，不写入")
    parser.add_argument("--segments", type=int, default=8, help="parallel scan segments (default 8)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds for counters that keep changing (default 3)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None, out: TextIO | None = None, err: TextIO | None = None) -> int:
    args = arguments(argv)
    out, err = out or sys.stdout, err or sys.stderr

    from chalicelib.config import settings
    from chalicelib.services.recount import recount
    from chalicelib.storage.recount import DynamoRecount
    from chalicelib.storage.tables import bind_table

    config = settings()
    bind_table(config)
    print(f"核对表 {config.table_name} 的概况计数{'（试运行）' if args.dry_run else ''}：", file=out, flush=True)
    shown = ScanShown(err)
    try:
        outcome = recount(
            DynamoRecount(max(1, args.segments)),
            dry_run=args.dry_run,
            rounds=max(1, args.rounds),
            progress=shown.progress,
        )
    except KeyboardInterrupt:
        print("\n已中断：已写入的更正都是完整的，再运行一次即可。", file=err)
        return 130
    shown.end()
    return report(outcome, args.dry_run, out, err)


if __name__ == "__main__":
    sys.exit(main())
