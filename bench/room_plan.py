"""How long a province's room plan takes in memory, and how much memory (R-ROOM-1..3, issue 20).

    .venv/bin/python -m bench.room_plan [--subjects 1000000] [--sites 300] [--separate 0.01]

Builds `subjects` paid written subjects (untimed): one account each (a uuid4-like hex id), spread
over `sites` test sites of uneven size (a site holds 0.3 to 4 times the average, a seeded draw),
60% CET4 and 40% CET6, a `separate` share asking for a separate room. Then times
`plan_province` on them, the first run of the plan job without storage, and prints

    plan: <n> subjects in <s> s, peak <m> MB

The seconds are the process's CPU time (`time.process_time`): the plan runs on one thread, so this
is its time on one core, and other work on the machine does not inflate it. The goal is under 60 s
and 1 GB for a million subjects.
"""

from __future__ import annotations

import argparse
import random
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass

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


# The lines printed after the plan's, each added with the work it measures:
#   `ratio plan/batch-write <x>`       the plan's time against writing its seats to the table
#   `tickets: <n> PDFs/s on one core`  the admission ticket's PDF
# Each is a function of the arguments and the plan's figure returning its line.
MORE_LINES: list[Callable[[argparse.Namespace, PlanFigure], str]] = []


def run(args: argparse.Namespace) -> None:
    figure = measure_plan(args.subjects, args.sites, args.separate)
    print(plan_line(figure), flush=True)
    for line in MORE_LINES:
        print(line(args, figure), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subjects", type=int, default=1_000_000, help="paid written subjects to seat")
    parser.add_argument("--sites", type=int, default=300, help="test sites (考点)")
    parser.add_argument("--separate", type=float, default=0.01, help="share asking for a separate room")
    run(parser.parse_args())


if __name__ == "__main__":
    main()
