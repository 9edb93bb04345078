"""A short rehearsal of the opening minute (`python -m province rehearse`) against the local stack
on DynamoDB Local, loaded with a synthetic roll (`python -m province synth-roll`): every student
walks from a new account to a paid oral seat over HTTP, through Locust. Once in test mode, once
playing a staging stack (decision 0038): no test controls, the captchas answered with the stack's
rehearsal key, the orders paid by the rehearsal playing Alipay."""

from __future__ import annotations

import html
import json
import os
import re
import secrets
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack.payments_local import DEMO_APP_ID, DEMO_SELLER_ID
from province.staging import KEY_VARIABLE
from tests.stack import ROOT, start_stack, stop

STUDENTS = 8


def province_command(*arguments: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "province", *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=400,
        env=env,
    )


def synthetic_roll(folder: Path, *opening: str) -> None:
    made = province_command("synth-roll", "--students", str(STUDENTS), "--out", str(folder), *opening)
    assert made.returncode == 0, made.stderr


@pytest.fixture
def rehearsal_stack(tmp_path: Path, dynamodb_local_endpoint: str) -> Iterator[tuple[str, Path]]:
    synthetic_roll(tmp_path)
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


# --- a staging stack (decision 0038) -------------------------------------------------------------

STAGING_KEY = secrets.token_urlsafe(36)
# The staging rehearsal goes through the waiting room (R-QUEUE): an opening whose queue opens once
# the stack has loaded it (an opening is loaded only before its queue opens, R-QUEUE-3).
QUEUE_OPENS_IN_SECONDS = 40
QUEUE_SECONDS = 15


def staging_payments(folder: Path) -> Path:
    """The staging payment secret as a province writes it before `province rehearsal-provider`."""
    path = folder / "staging-payments.json"
    alipay = {
        "app_id": DEMO_APP_ID,  # the local stack's sandbox application
        "seller_id": DEMO_SELLER_ID,
        "app_private_key": "made by the local stack",
        "public_key": "the local sandbox's, made by the local stack",
        "gateway_url": "https://openapi-sandbox.dl.alipaydev.com/gateway.do",
    }
    path.write_text(json.dumps({"alipay": alipay}), encoding="utf-8")
    return path


@pytest.fixture
def staging_stack(tmp_path: Path, dynamodb_local_endpoint: str) -> Iterator[tuple[str, Path]]:
    opening = ["--opening-in", str(QUEUE_OPENS_IN_SECONDS), "--queue-seconds", str(QUEUE_SECONDS)]
    synthetic_roll(tmp_path, *opening)
    made = province_command("rehearsal-provider", "--payments", str(staging_payments(tmp_path)), "--out", str(tmp_path))
    assert made.returncode == 0, made.stderr
    stack = start_stack(
        {
            "AWS_ENDPOINT_URL_DYNAMODB": dynamodb_local_endpoint,
            "DATASET": str(tmp_path / "dataset.json"),
            "TABLE_NAME": f"cet-staging-{secrets.token_hex(4)}",  # its own: the administrator not yet activated
            "TEST_MODE": "0",  # a staging stack has no test controls, no captcha answers, no test gateway
            "REHEARSAL_KEY": STAGING_KEY,
            "REHEARSAL_PROVIDER": str(tmp_path / "provider.json"),
            "DEVSTACK_JOB_SECONDS": "2",
        }
    )
    yield stack.base, tmp_path
    output = stop(stack)
    assert "Traceback" not in output, output


def post(url: str, body: dict[str, object], token: str | None = None) -> tuple[int, dict[str, object]]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST")
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            raw = answer.read()
            return answer.status, json.loads(raw) if raw else {}
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read() or b"{}")


def queue_opened(base: str) -> None:
    """Until the rehearsal's opening is queueing: the students join it as they would at 9 o'clock."""
    deadline = time.monotonic() + QUEUE_OPENS_IN_SECONDS + 30
    while time.monotonic() < deadline:
        with urllib.request.urlopen(base + "/api/openings", timeout=10) as answer:
            states = {o["opening_id"]: o["state"] for o in json.loads(answer.read())}
        if states.get("rehearsal") == "queueing":
            return
        assert states.get("rehearsal") == "upcoming", f"the rehearsal's opening was not loaded in time: {states}"
        time.sleep(1)
    raise AssertionError("the rehearsal's queue never opened")


def staging_admin_password(base: str) -> str:
    """The province administrator as on a staging stack: activated with the code the local outbox
    shows (the e-mail a real stack sends); the rehearsal signs in with the password chosen."""
    login = "admin@jyks.edu.cn"
    deadline, code = time.monotonic() + 60, None
    while code is None and time.monotonic() < deadline:
        with urllib.request.urlopen(base + "/outbox", timeout=10) as page:
            text = html.unescape(page.read().decode())
        row = next((r for r in text.split("<tr>") if f"<td>{login}</td>" in r and "激活码为" in r), "")
        found = re.search(r"激活码为 (\S+?)，", row)
        code = found.group(1) if found else None
        time.sleep(0 if code else 1)
    assert code, "the administrator's activation code never reached the outbox"
    password = f"Ad{secrets.token_hex(8)}9z"
    status, _ = post(base + "/api/password-resets/confirm", {"login": login, "code": code, "new_password": password})
    assert status == 204, status
    status, issued = post(base + "/api/captchas", {})
    assert status == 201
    assert "answer" not in issued  # no captcha answer is given away off test mode
    return password


def test_r_acc_2_r_pay_3_a_staging_stack_is_rehearsed_with_its_key_and_the_rehearsals_alipay(
    staging_stack: tuple[str, Path],
) -> None:
    """Decision 0038: off test mode, the rehearsal answers the captchas with the stack's key and pays
    each order with a notice signed by its own Alipay key; the verdict is the same as in test mode.
    R-QUEUE-2/4: every student joins the opening's queue before it opens and is admitted."""
    base, folder = staging_stack
    command = ["rehearse", "--url", base + "/", "--users", str(STUDENTS), "--seconds", "240", "--workers", "1"]
    command += ["--roll", str(folder / "roll.csv"), "--report", str(folder)]
    shell = {name: value for name, value in os.environ.items() if not name.startswith(("CET_REHEARSAL", "CET_ADMIN"))}
    provider = ["--provider", str(folder / "provider.json")]
    refusals = [  # each told before any student walks
        ([], {}, "站点要用 --provider"),
        (provider, {}, f"也没有演练密钥（{KEY_VARIABLE}"),
        (provider, {KEY_VARIABLE: secrets.token_urlsafe(36)}, "不是这个站点的演练密钥"),
    ]
    for arguments, key, told in refusals:
        refused = province_command(*command, *arguments, env={**shell, **key, "CET_ADMIN_TOKEN": "x"})
        assert refused.returncode != 0
        assert told in refused.stderr + refused.stdout
    env = {**shell, KEY_VARIABLE: STAGING_KEY, "CET_ADMIN_PASSWORD": staging_admin_password(base)}
    queue_opened(base)
    done = province_command(*command, *provider, env=env)
    out = done.stdout
    assert done.returncode == 0, out[-4000:] + done.stderr[-4000:]
    assert "rehearsal: 0 errors, 0 oversell" in out
    assert f"for {STUDENTS} oral grabs answered 201 (they add up)" in out
    notices = next(line for line in out.splitlines() if line.startswith("10 pay (Alipay notice)"))
    assert notices.split()[4:6] == [str(STUDENTS), "0"]  # each order paid by the rehearsal's Alipay
    paid = next(line for line in out.splitlines() if line.startswith("10 order paid?"))
    assert int(paid.split()[4]) == 0
    assert "test gateway" not in out
    joined = next(line for line in out.splitlines() if line.startswith("7 queue join"))
    assert joined.split()[3:5] == [str(STUDENTS), "0"]  # each joined the queue once, none refused
