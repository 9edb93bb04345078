"""`make soak`: the lifecycle state machine (tests/lifecycle.py, decision 0032) for a budget of steps
on DynamoDB Local, run after run with fresh seeds, counting the runs that broke an invariant (or
raised anything but a refusal) instead of stopping at the first. Prints one headline,
`soak: <steps> steps, <n> violations`, then each violation's failing steps as Hypothesis reports
them; exits 1 when there is any.

    python -m devstack.ddb_local run -- python -m tests.soak --steps 10000
"""

from __future__ import annotations

import argparse
import os
import sys
import traceback

from hypothesis import HealthCheck, Phase, settings
from hypothesis.reporting import with_reporter
from hypothesis.stateful import run_state_machine_as_test

from devstack.payments_local import install_sandbox
from tests import factories
from tests.conftest import FAKE_AWS
from tests.lifecycle import Lab, MovableClock, lifecycle_in

RUN = settings(
    max_examples=20,  # examples per run; each run draws a fresh seed
    stateful_step_count=50,
    derandomize=False,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=list(HealthCheck),
)


def soak(steps: int, shrink: bool = True) -> tuple[Lab, list[str]]:
    """Runs of the machine until `steps` steps ran; the lab (its steps and outcomes) and each
    violation's report."""
    clock = MovableClock(factories.NOW)
    driver, payment_settings = install_sandbox(clock, "https://sandbox.invalid")
    os.environ.update(payment_settings)
    lab = Lab(driver, clock)
    machine = lifecycle_in(lab)
    violations: list[str] = []
    phases = list(Phase) if shrink else [p for p in Phase if p not in (Phase.shrink, Phase.explain)]
    while lab.steps < steps:
        said: list[str] = []

        def hear(text: object, said: list[str] = said) -> None:
            said.append(str(text))

        examples = max(1, min(RUN.max_examples, (steps - lab.steps) // RUN.stateful_step_count))
        try:
            with with_reporter(hear):
                run_state_machine_as_test(machine, settings=settings(RUN, max_examples=examples, phases=phases))
        except Exception as failure:
            notes = [note for note in getattr(failure, "__notes__", []) if note not in said]
            violations.append("\n".join([*said, *notes, *traceback.format_exception_only(failure)]))
    return lab, violations


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10_000)
    parser.add_argument("--no-shrink", action="store_true", help="report each failing sequence as found, unshrunk")
    parser.add_argument("--outcomes", action="store_true", help="then how each kind of step ended, counted")
    args = parser.parse_args(argv)
    endpoint = os.environ.get("DYNAMODB_LOCAL_ENDPOINT")
    if not endpoint:
        print("soak: DYNAMODB_LOCAL_ENDPOINT is not set (run it under `python -m devstack.ddb_local run --`)")
        return 2
    os.environ.update(FAKE_AWS)
    os.environ.update(
        AWS_ENDPOINT_URL_DYNAMODB=endpoint, POWERTOOLS_LOG_LEVEL="CRITICAL", POWERTOOLS_METRICS_DISABLED="true"
    )
    lab, violations = soak(args.steps, shrink=not args.no_shrink)
    print(f"soak: {lab.steps} steps, {len(violations)} violations")
    for n, report in enumerate(violations, 1):
        print(f"\n--- violation {n} ---\n{report}")
    if args.outcomes:
        print("\n".join(f"{n:6d}  {outcome}" for outcome, n in sorted(lab.outcomes.items())))
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
