"""The room plan (R-ROOM-1..3, R-TICKET-2, issue 20): in memory, on DynamoDB Local, and its tickets.

    .venv/bin/python -m bench.room_plan [--subjects 1000000] [--sites 300] [--separate 0.01]
        [--table-subjects 100000] [--skip-table] [--ticket-seconds 20]

Prints three lines:

    plan: <n> subjects in <s> s, peak <m> MB
    ratio plan/batch-write <x>
    tickets: <n> PDFs/s on one core

*plan*: builds `subjects` paid written subjects (untimed): one account each (a uuid4-like hex id),
spread over `sites` test sites of uneven size (a site holds 0.3 to 4 times the average, a seeded
draw), 60% CET4 and 40% CET6, a `separate` share asking for a separate room. Then times
`plan_province` on them, the first run of the plan job without storage. The seconds are the
process's CPU time (`time.process_time`): the plan runs on one thread, so this is its time on one
core, and other work on the machine does not inflate it. The goal is under 60 s and 1 GB for a
million subjects.

*ratio*: the whole plan job (`run_plan`) over `table-subjects` paid written subjects on DynamoDB
Local, against plain boto3 `batch_write_item` of the same items in the same run, in seats a second
(bench/room_plan_table.py says exactly what each writes). The sites are as many as keep the
in-memory province's average site size (at most `sites`), so a group is as big as a real one. The
goal is 0.7 or more; the lines above it say where the plan's time went. It starts its own
DynamoDB Local unless DYNAMODB_LOCAL_ENDPOINT names one. `--skip-table` leaves it out.

*tickets*: bench/tickets_pdf.py for `ticket-seconds`: tickets signed and rendered a second on one
core.

What none of them covers: each runs in this one process (the plan job's Lambda, the API's for the
tickets), with no HTTP in front; the ratio is on DynamoDB Local, whose transactions, locks and
costs are not DynamoDB's (DynamoDB spreads partitions over servers and bills a transaction's item
twice), so it says how much the plan's own work costs next to the writes, not how long a province
waits on DynamoDB; the tickets' rate leaves out the two reads and the HTTP answer of
`GET /tickets/{subject}/pdf`.
"""

from __future__ import annotations

import argparse
import random
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass

from bench.local import on_dynamodb_local
from bench.room_plan_table import TableFigure, details, measure_warm
from bench.tickets_pdf import pdfs_per_second
from chalicelib.domain.rooms import Candidate, SiteSubject, draw_seed, plan_province

SUBJECT_SHARES = (("CET4", 0.6), ("CET6", 0.4))


@dataclass(frozen=True)
class PlanFigure:
    subjects: int
    seconds: float
    peak_mb: float


def province(subjects: int, sites: int, separate_share: float) -> dict[SiteSubject, list[Candidate]]:
    """Paid written subjects as the plan job reads them, grouped by site and subject; seeded, so
    every run plans the same province."""
    rng = random.Random(2026)
    codes = [f"{320000 + n:06d}" for n in range(1, sites + 1)]
    weights = [rng.uniform(0.3, 4.0) for _ in codes]
    places = [SiteSubject(code, subject) for code in codes for subject, _ in SUBJECT_SHARES]
    place_weights = [w * share for w in weights for _, share in SUBJECT_SHARES]
    found: dict[SiteSubject, list[Candidate]] = {where: [] for where in places}
    for where in rng.choices(places, place_weights, k=subjects):
        found[where].append(Candidate(f"{rng.getrandbits(128):032x}", rng.random() < separate_share))
    return found


def peak_mb() -> float:
    """The process's peak resident memory (getrusage ru_maxrss, KiB on Linux): the interpreter,
    the province built for the run and the plan together, so an upper bound of the plan's own."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure_plan(subjects: int, sites: int, separate_share: float) -> PlanFigure:
    candidates = province(subjects, sites, separate_share)
    started = time.process_time()
    seats = plan_province(draw_seed(), candidates)
    seconds = time.process_time() - started
    assert len(seats) == subjects, (len(seats), subjects)  # every account is listed once
    return PlanFigure(subjects, seconds, peak_mb())


def plan_line(figure: PlanFigure) -> str:
    return f"plan: {figure.subjects} subjects in {figure.seconds:.1f} s, peak {figure.peak_mb:.0f} MB"


def table_sites(subjects: int, sites: int, table_subjects: int) -> int:
    """Sites for the table's subjects: the in-memory province's average site size, at most `sites`."""
    return max(1, min(sites, round(table_subjects * sites / subjects)))


def ratio_line(args: argparse.Namespace, _figure: PlanFigure) -> str:
    """The plan job on DynamoDB Local against plain batch writes of its items; what it measured
    is printed above it."""
    if args.skip_table:
        return "ratio plan/batch-write skipped (--skip-table)"
    sites = table_sites(args.subjects, args.sites, args.table_subjects)
    measured: list[TableFigure] = []
    on_dynamodb_local(lambda: measured.append(measure_warm(args.table_subjects, sites)))
    for line in details(measured[0]):
        print(line, flush=True)
    return f"ratio plan/batch-write {measured[0].ratio:.3f}"


def tickets_line(args: argparse.Namespace, _figure: PlanFigure) -> str:
    return f"tickets: {pdfs_per_second(args.ticket_seconds):.1f} PDFs/s on one core"


# The lines printed after the plan's, each a function of the arguments and the plan's figure.
MORE_LINES: list[Callable[[argparse.Namespace, PlanFigure], str]] = [ratio_line, tickets_line]
NOT_COVERED = "# one process each, no HTTP; the ratio on DynamoDB Local, not DynamoDB (see the module's docstring)"


def run(args: argparse.Namespace) -> None:
    figure = measure_plan(args.subjects, args.sites, args.separate)
    print(plan_line(figure), flush=True)
    for line in MORE_LINES:
        print(line(args, figure), flush=True)
    print(NOT_COVERED, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subjects", type=int, default=1_000_000, help="paid written subjects to seat")
    parser.add_argument("--sites", type=int, default=300, help="test sites (考点)")
    parser.add_argument("--separate", type=float, default=0.01, help="share asking for a separate room")
    parser.add_argument("--table-subjects", type=int, default=100_000, help="paid written subjects on DynamoDB Local")
    parser.add_argument("--skip-table", action="store_true", help="leave out the DynamoDB Local ratio")
    parser.add_argument("--ticket-seconds", type=float, default=20.0, help="how long to make ticket PDFs")
    run(parser.parse_args())


if __name__ == "__main__":
    main()
