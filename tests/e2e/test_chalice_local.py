"""`chalice local --stage dev` serves the API from `.chalice/config.json` on a machine with nothing
set: no AWS credentials, no region, no table (README, "chalice local")."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack.ddb_local import free_port

ROOT = Path(__file__).resolve().parents[2]
START_SECONDS = 60


def answer(url: str) -> tuple[int, dict[str, object]]:
    try:
        with urllib.request.urlopen(url, timeout=5) as reply:
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.fixture
def chalice_local(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    log = (tmp_path / "chalice-local.log").open("w")
    chalice = Path(sys.executable).parent / "chalice"
    bare = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "LANG": "C.UTF-8"}  # nothing of this machine's
    process = subprocess.Popen(
        [str(chalice), "local", "--stage", "dev", "--port", str(port), "--no-autoreload"],
        cwd=ROOT,
        env=bare,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline and process.poll() is None:
            try:
                urllib.request.urlopen(f"{url}/health", timeout=2).close()
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.3)
        assert process.poll() is None, (tmp_path / "chalice-local.log").read_text()[-3000:]
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def test_going_live_chalice_local_serves_the_api_from_the_dev_stage(chalice_local: str) -> None:
    assert answer(f"{chalice_local}/health") == (200, {"status": "ok"})
    status, body = answer(f"{chalice_local}/nowhere")
    assert (status, body["code"]) == (404, "NOT_FOUND")
