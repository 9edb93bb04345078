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


DEMO_STAFF_PASSWORD = "Staff2026pass"  # chosen by the tests at activation; no file holds it


def activate_staff(api_base: str, login: str, password: str = DEMO_STAFF_PASSWORD) -> None:
    """R-OPS-3: a demo staff member sets a password with the staff_activation code the load put in
    the local outbox (as the README says); an account activated earlier in the session keeps its
    password. The outbox is filled by the stack's jobs: waited for, up to 60 s."""
    from devstack.walkthrough import Api

    api = Api(api_base)
    deadline = time.monotonic() + 60
    while True:
        messages = api.expect(200, "GET", f"/_test/outbox?to={login}")
        codes = [m["code"] for m in messages if m["kind"] == "staff_activation"]
        if codes or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert codes, f"no staff_activation message for {login}"
    body = {"login": login, "code": codes[-1], "new_password": password}
    status, _ = api.call("POST", "/password-resets/confirm", body)
    assert status in (204, 400), status  # 400: the code was used, the account is active
