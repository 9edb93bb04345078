"""The local stack of `make run`, started for a test: `devstack.serve` in test mode on a free port."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from devstack import ddb_local

ROOT = Path(__file__).resolve().parents[1]
# Measured on the 2-core machine while five DynamoDB Locals were busy beside it: 4.2 to 7.1 s on
# moto, 7.1 to 13.7 s on DynamoDB Local (the demo province loads either way); the bound leaves
# room for a machine six times busier than that.
START_SECONDS = 90


@dataclass(frozen=True)
class Stack:
    process: subprocess.Popen[bytes]
    base: str
    output: Path  # a file, not a pipe: a stack that logs every request never blocks on a full pipe


def start_stack(extra_env: dict[str, str]) -> Stack:
    port = ddb_local.free_port()
    inherited = {name: value for name, value in os.environ.items() if name != "TABLE_NAME"}
    env = {**inherited, "TEST_MODE": "1", "PORT": str(port), "DEVSTACK_QUIET": "1", **extra_env}
    output = Path(tempfile.mkstemp(prefix="cet-stack-", suffix=".log")[1])
    with output.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "devstack.serve"], cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT
        )
    stack = Stack(process, f"http://127.0.0.1:{port}", output)
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the stack exited: {read_output(stack)}")
        try:
            with urllib.request.urlopen(stack.base + "/api/health", timeout=1):
                return stack
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise AssertionError(f"the stack did not answer within {START_SECONDS} s: {read_output(stack)}")


def read_output(stack: Stack) -> str:
    return stack.output.read_text(encoding="utf-8", errors="replace")


def stop(stack: Stack) -> str:
    """Stop the stack; what it printed."""
    stack.process.terminate()
    stack.process.wait(timeout=20)
    output = read_output(stack)
    stack.output.unlink(missing_ok=True)
    return output
