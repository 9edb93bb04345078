"""A short rehearsal of the opening minute (`python -m province rehearse`) against the local stack
on DynamoDB Local in test mode, loaded with a synthetic roll (`python -m province synth-roll`):
every student walks from a new account to a paid oral seat over HTTP, through Locust."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.stack import ROOT, start_stack, stop

STUDENTS = 8


@pytest.fixture
def rehearsal_stack(tmp_path: Path, dynamodb_local_endpoint: str) -> Iterator[tuple[str, Path]]:
    made = subprocess.run(
        [sys.executable, "-m", "province", "synth-roll", "--students", str(STUDENTS), "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    stack = start_stack(
        {"AWS_ENDPOINT_URL_DYNAMODB": dynamodb_local_endpoint, "DATASET": str(tmp_path / "dataset.json")}
    )
    yield stack.base, tmp_path
    output = stop(stack)
    assert "Traceback" not in output, output


def test_r_oral_3_a_rehearsal_over_http_pays_every_seat_it_holds_and_sells_none_twice(
    rehearsal_stack: tuple[str, Path],
) -> None:
    """R-ORAL-3 (no campus above its capacity), R-PAY-2 (paid through the test gateway): the
    rehearsal's verdict reads /admin/overview before and after and fails on any error but BUSY."""
    base, folder = rehearsal_stack
    command = ["rehearse", "--url", base + "/", "--users", str(STUDENTS), "--seconds", "240", "--workers", "1"]
    command += ["--roll", str(folder / "roll.csv"), "--report", str(folder)]
    done = subprocess.run(
        [sys.executable, "-m", "province", *command],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=400,
    )
    out = done.stdout
    assert done.returncode == 0, out[-4000:] + done.stderr[-4000:]
    assert "rehearsal: 0 errors, 0 oversell" in out
    assert f"for {STUDENTS} oral grabs answered 201 (they add up)" in out  # seats for all, none full
    paid = next(line for line in out.splitlines() if line.startswith("10 order paid?"))
    assert int(paid.split()[3]) >= STUDENTS  # each student saw their order paid ...
    assert int(paid.split()[4]) == 0  # ... and none waited in vain
    assert (folder / "report.html").stat().st_size > 0
