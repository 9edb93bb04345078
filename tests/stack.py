"""The local stack of `make run`, started for a test: `devstack.serve` in test mode on a free port."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from devstack import ddb_local

ROOT = Path(__file__).resolve().parents[1]


def start_stack(extra_env: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    port = ddb_local.free_port()
    env = {**os.environ, "TEST_MODE": "1", "PORT": str(port), "DEVSTACK_QUIET": "1", **extra_env}
    env.pop("TABLE_NAME", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "devstack.serve"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the stack exited: {process.stdout.read() if process.stdout else ''}")
        try:
            with urllib.request.urlopen(base + "/api/health", timeout=1):
                return process, base
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise AssertionError("the stack did not answer within 90 s")


def stop(process: subprocess.Popen[str]) -> str:
    process.terminate()
    output, _ = process.communicate(timeout=20)
    return output
