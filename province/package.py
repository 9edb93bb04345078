"""The Lambda package and Chalice's SAM template for one province, from a throwaway Chalice project.

The project under `out/<name>/project/` holds copies of `app.py`, `chalicelib/` and
`requirements.txt` and a `.chalice/config.json` written from the province's description: no stage
or policy file is kept or copied by hand. Each function's IAM role is declared by the stack's own
template (province/template/roles.py), so Chalice manages none.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from chalicelib.config import ARGON2_MEMORY_KIB, ARGON2_TIME_COST
from province.description import ROOT, Province

STAGE = "api"
# The stream handler's ARN is needed when the app is imported; the template replaces it with the
# stack's own table stream (Fn::GetAtt), so this value never reaches AWS.
PACKAGING_STREAM_ARN = "arn:aws:dynamodb:us-east-1:000000000000:table/packaging/stream/packaging"
PACKAGING_ROLE_ARN = "arn:aws:iam::000000000000:role/declared-by-the-template"

# Sites and subjects seated at once by the room plan's state machine (its map's MaxConcurrency):
# each writes up to ~2,000 WRU/s, so two fill the 4,000 WRU/s a new on-demand table takes at once
# (decision 0030).
PLAN_SEATING_AT_ONCE = 2

# How many of each function may run at once: the API takes the opening minute's herd up to what
# the table and the payment providers bear; one expiry and one reconcile run at a time; each of the
# stream's two readers gets one per shard and a little room.
RESERVED_CONCURRENCY = {
    "api_handler": 400,
    "expire_unpaid": 1,
    "reconcile_orders": 1,
    "seats_from_stream": 10,
    "send_new_messages": 10,
    "send_messages": 1,
    "remind_unpaid": 1,
    "admit_queued": 1,
    "offer_seats": 1,
    # The room plan (decision 0030): one begins a run, one finishes it; the seating functions are
    # as many as the state machine's map runs at once, so that no later execution adds writers.
    "plan_begin": 1,
    "plan_seat": PLAN_SEATING_AT_ONCE,
    "plan_finish": 1,
}
JOB_TIMEOUT_SECONDS = 240
LAMBDA_MEMORY_MB = 512
# The admission job orders a whole pre-opening pool in one run (decision 0021): Lambda's longest.
ADMIT_TIMEOUT_SECONDS = 900
# A batch of sites and subjects is seated in one function run: Lambda's longest (decision 0030).
PLAN_SEAT_TIMEOUT_SECONDS = 900
PAYMENT_FUNCTIONS = ("api_handler", "reconcile_orders")


def environment(province: Province) -> dict[str, str]:
    """What every function of the province reads from its environment: no key, no secret."""
    return {
        "TABLE_NAME": province.table,
        "TEST_MODE": "0",
        "PUBLIC_API_URL": province.public_api_url,
        "SESSION_SECONDS": "7200",
        "CAPTCHA_SECONDS": "300",
        # R-ACC-2 (decision 0018): OWASP's argon2id minimum, about 120 ms per login at 512 MB; every
        # function checks them at start and refuses anything weaker.
        "ARGON2_MEMORY_KIB": str(ARGON2_MEMORY_KIB),
        "ARGON2_TIME_COST": str(ARGON2_TIME_COST),
        "POWERTOOLS_SERVICE_NAME": metrics_service(province),
    }


def metrics_service(province: Province) -> str:
    """The `service` dimension Powertools puts on every metric (chalicelib/metrics.py), and so what
    the alarms and the dashboard ask for: the stack's name, so that provinces sharing an account
    never add up each other's figures."""
    return province.stack_name


def chalice_config(province: Province) -> dict[str, Any]:
    functions: dict[str, dict[str, Any]] = {
        name: {"reserved_concurrency": limit} for name, limit in RESERVED_CONCURRENCY.items()
    }
    jobs = ("expire_unpaid", "reconcile_orders", "send_messages", "remind_unpaid", "send_new_messages", "offer_seats")
    for job in (*jobs, "seats_from_stream"):
        functions[job]["lambda_timeout"] = JOB_TIMEOUT_SECONDS
    functions["admit_queued"]["lambda_timeout"] = ADMIT_TIMEOUT_SECONDS
    for short in ("plan_begin", "plan_finish"):  # the catalog and one run item; every group's summary
        functions[short]["lambda_timeout"] = JOB_TIMEOUT_SECONDS
    functions["plan_seat"]["lambda_timeout"] = PLAN_SEAT_TIMEOUT_SECONDS
    # Only the functions that talk to the payment providers learn where their keys are (and only
    # their roles may read the secret: province/template/roles.py).
    for payer in PAYMENT_FUNCTIONS:
        functions[payer]["environment_variables"] = {"PAYMENT_SECRET_NAME": province.payment_secret}
    # Only the API looks ID numbers up (decision 0013); the jobs never need the identity keys.
    functions["api_handler"]["environment_variables"]["IDENTITY_SECRET_NAME"] = province.identity_secret
    # Only the API tells a request that came through CloudFront by its key (decision 0034).
    functions["api_handler"]["environment_variables"]["EDGE_SECRET_NAME"] = province.edge_secret
    # Only the API signs admission tickets (decision 0028).
    functions["api_handler"]["environment_variables"]["TICKET_SECRET_NAME"] = province.ticket_secret
    # Only a staging stack's API answers the rehearsal's captchas (decision 0038).
    if province.rehearsal:
        functions["api_handler"]["environment_variables"]["REHEARSAL_SECRET_NAME"] = province.rehearsal_secret
    # Only the senders of messages learn where the SMTP relay's and the SMS account's keys are.
    for sender in ("send_new_messages", "send_messages"):
        functions[sender]["environment_variables"] = {"MESSAGING_SECRET_NAME": province.messaging_secret}
    return {
        "version": "2.0",
        "app_name": "cet-registration",
        "api_gateway_stage": STAGE,
        "api_gateway_endpoint_type": "REGIONAL",
        # 0.29 of a vCPU: an argon2 login in about 120 ms of CPU (decision 0018)
        "lambda_memory_size": LAMBDA_MEMORY_MB,
        "lambda_timeout": 30,
        "manage_iam_role": False,
        "iam_role_arn": PACKAGING_ROLE_ARN,
        "autogen_policy": False,
        "stages": {
            province.name: {
                "environment_variables": environment(province),
                "lambda_functions": functions,
            }
        },
    }


def write_project(province: Province, out: Path) -> Path:
    project = out / "project"
    if project.exists():
        shutil.rmtree(project)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "chalicelib", project / "chalicelib", ignore=ignore)
    for name in ("app.py", "requirements.txt"):
        shutil.copy2(ROOT / name, project / name)
    (project / ".chalice").mkdir()
    config = json.dumps(chalice_config(province), indent=2, ensure_ascii=False)
    (project / ".chalice" / "config.json").write_text(config + "\n", encoding="utf-8")
    return project


def chalice_package(province: Province, out: Path) -> dict[str, Any]:
    """`chalice package` for the province's stage; Chalice's SAM template (the zip beside it)."""
    out = out.resolve()
    project = write_project(province, out)
    packaged = out / "package"
    if packaged.exists():
        shutil.rmtree(packaged)
    env = {
        **os.environ,
        "AWS_DEFAULT_REGION": province.region,
        "TABLE_STREAM_ARN": PACKAGING_STREAM_ARN,
    }
    chalice = Path(sys.executable).parent / "chalice"
    done = subprocess.run(
        [str(chalice), "package", "--stage", province.name, str(packaged)],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"chalice package failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    sam: dict[str, Any] = json.loads((packaged / "sam.json").read_text(encoding="utf-8"))
    return sam
