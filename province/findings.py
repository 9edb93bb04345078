"""checkov on a province's template: the findings the stack accepts, written into the template.

Each accepted finding is a `Metadata.checkov.skip` entry `{"id": …, "comment": why}` on the
resource it concerns (checkov honours it for CloudFormation), so plain
`checkov -f out/<name>/template.json` reports 0 failed and every skip says why it stays.
`make province` fails on any failed check, and on any skip without a reason.

checkov puts the scanned file's path into every mapping it reads; a path whose last run of
`[A-Za-z0-9/+=]` is 40 characters long looks like an AWS secret key to CKV_AWS_45, which then fails
on every function (bridgecrewio/checkov#7310). So checkov is run from the template's own folder on
`template.json`: the verdict is the same wherever the repository is cloned (decision 0033).
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

from province.cfn import Json
from province.description import ROOT
from province.template.functions import JOBS, STREAM_HANDLERS
from province.template.room_plan import PLAN_FUNCTIONS

CHECKOV = ROOT / ".venv-tools" / "bin" / "checkov"  # in a virtualenv of its own: its pins would fight the app's
FUNCTION = "AWS::Serverless::Function"
API = "AWS::Serverless::Api"

# What every function of the stack accepts, and why.
EVERY_FUNCTION = {
    "CKV_AWS_117": (
        "no VPC: the functions reach only DynamoDB, Secrets Manager, the payment providers and the "
        "province's SMTP relay and SMS provider over TLS; a VPC adds NAT cost and cold starts and "
        "protects nothing here"
    ),
    "CKV_AWS_173": "the environment holds names and URLs only, never a key: no CMK is needed for it",
}
# CKV_AWS_116 (a dead-letter queue): what each kind of function does with its failures instead.
SYNCHRONOUS_API = "called synchronously by API Gateway, which answers the error: a dead-letter queue would never fill"
SYNCHRONOUS_PLAN = "called synchronously by the room plan's state machine, which retries it and alarms (decision 0030)"
ASYNCHRONOUS_JOB = "an asynchronous job: its failures go to the JobFailures queue (on-failure destination)"
STREAM_READER = "a stream handler: its mapping sends what gives up to the StreamFailures queue (on-failure destination)"
NO_DEAD_LETTER_QUEUE = {
    "APIHandler": SYNCHRONOUS_API,
    **dict.fromkeys(PLAN_FUNCTIONS, SYNCHRONOUS_PLAN),
    **dict.fromkeys(JOBS, ASYNCHRONOUS_JOB),
    **dict.fromkeys(STREAM_HANDLERS, STREAM_READER),
}
THE_API = {
    "CKV_AWS_120": "API caching would serve one student's answer to another",
    "CKV_AWS_76": (
        "access logs need an account-wide API Gateway role, which one province's stack must not set "
        "for the others; the app logs one line per request"
    ),
    "CKV_AWS_73": "X-Ray is not offered in every region a province deploys to",
}


def accepted(name: str, resource: Json) -> list[Json]:
    """The checkov findings `resource` accepts, each with its reason."""
    reasons: dict[str, str] = {}
    if resource.get("Type") == FUNCTION:
        reasons.update(EVERY_FUNCTION)
        if name in NO_DEAD_LETTER_QUEUE:
            reasons["CKV_AWS_116"] = NO_DEAD_LETTER_QUEUE[name]
    elif resource.get("Type") == API and name == "RestAPI":
        reasons.update(THE_API)
    return [{"id": check, "comment": reason} for check, reason in sorted(reasons.items())]


def with_accepted_findings(template: Json) -> Json:
    """`template` with each resource's accepted findings in its `Metadata.checkov.skip`."""
    for name, resource in template["Resources"].items():
        skips = accepted(name, resource)
        if skips:
            checkov = resource.setdefault("Metadata", {}).setdefault("checkov", {})
            checkov["skip"] = [*checkov.get("skip", []), *skips]
    return template


@dataclass(frozen=True)
class Verdict:
    failed: tuple[tuple[str, str], ...]  # (check, resource)
    skipped: tuple[tuple[str, str, str], ...]  # (check, resource, reason)


def unexplained_skips(template: Json) -> list[str]:
    """Skips in the template's metadata that give no reason."""
    return [
        f"{skip.get('id')} on {name}"
        for name, resource in template.get("Resources", {}).items()
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
        if not str(skip.get("comment", "")).strip()
    ]


def run_checkov(checkov: Path, template: Path) -> Verdict:
    """checkov on `template`, run from its folder so that no clone path reaches its checks."""
    done = subprocess.run(
        [str(checkov), "--compact", "--framework", "cloudformation", "-o", "json", "-f", template.name],
        cwd=template.parent,
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        raise SystemExit(f"checkov gave no report:\n{done.stdout[-2000:]}{done.stderr[-2000:]}") from None
    reports = report if isinstance(report, list) else [report]
    results = [r.get("results", {}) for r in reports]
    failed = {(c["check_id"], c["resource"]) for r in results for c in r.get("failed_checks", [])}
    skipped = {
        (c["check_id"], c["resource"], c.get("check_result", {}).get("suppress_comment", ""))
        for r in results
        for c in r.get("skipped_checks", [])
    }
    return Verdict(tuple(sorted(failed)), tuple(sorted(skipped)))


def security_checks(template: Path, checkov: Path = CHECKOV) -> Verdict:
    """checkov: any failed check fails the run, and so does any accepted finding without a reason."""
    print("[4/4] checkov …", flush=True)
    if not checkov.exists():
        raise SystemExit(f"checkov is not installed at {checkov}: run `make province-tools`")
    silent = unexplained_skips(json.loads(template.read_text(encoding="utf-8")))
    if silent:
        raise SystemExit("checkov: skipped checks that give no reason (Metadata.checkov.skip): " + ", ".join(silent))
    verdict = run_checkov(checkov, template)
    accepted: dict[tuple[str, str], list[str]] = {}
    for check, resource, reason in verdict.skipped:
        accepted.setdefault((check, reason), []).append(resource.rsplit(".", 1)[-1])
    for (check, reason), resources in accepted.items():
        print(f"      accepted {check} on {', '.join(resources)}: {reason}")
    if verdict.failed:
        failures = ", ".join(f"{check} on {resource}" for check, resource in verdict.failed)
        raise SystemExit(
            f"checkov: failed checks the template does not accept (province/findings.py, docs/deploy.md): {failures}"
        )
    print(f"      0 failed, {len(verdict.skipped)} accepted in the template's metadata with their reasons", flush=True)
    return verdict
