"""Style habit 7: importing the app creates no AWS client, opens no connection, reads no table."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import socket, sys
import botocore.client, botocore.session

events = []
def refuse(what):
    def hook(*args, **kwargs):
        events.append(what)
        raise RuntimeError(f"{what} at import time")
    return hook

socket.socket.connect = refuse("socket.connect")
socket.create_connection = refuse("socket.create_connection")
botocore.session.Session.create_client = refuse("botocore create_client")

import app

assert app.app.routes, "no routes registered"
print("events:", events)
sys.exit(1 if events else 0)
"""


def test_importing_app_creates_no_client_and_opens_no_connection() -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "events: []" in result.stdout


def test_the_probe_would_notice_a_client_created_at_import() -> None:
    """The same probe fails when something does create a client: the test above can fail."""
    creates_client = (
        "import boto3\ntry:\n    boto3.client('dynamodb', region_name='us-east-1')\nexcept RuntimeError:\n    pass\n"
    )
    probe = PROBE.replace("import app\n", "import app\n" + creates_client)
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 1
    assert "botocore create_client" in result.stdout
