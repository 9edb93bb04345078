"""`make province PROVINCE=<name> REGION=<region>`: a province's stack, built, checked, deployable.

    .venv/bin/python -m province.stack --province zhejiang --region cn-northwest-1 [--deploy]

Writes `out/<name>/template.json`, the Lambda package beside it (`deployment.zip`), the version
built (`VERSION`: the git commit) and `out/<name>/deploy.sh`, which releases that version through a
reviewed change set and rolls back to a kept one (province/release.py); then checks the template with
cfn-lint (any error fails the run) and checkov (any failed check fails the run: the findings the
stack accepts are skipped in the template's own metadata, each with its reason: province/findings.py).
Needs no AWS account; `--deploy` (`DEPLOY=1`) runs deploy.sh with the credentials and the
`DEPLOY_BUCKET` (an S3 bucket in the region, for the package) of the caller.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from province.description import ROOT, DescriptionError, Province, load
from province.findings import security_checks, with_accepted_findings
from province.package import chalice_package
from province.prune import prune
from province.quotas import quotas, report
from province.release import build_version, deploy_script
from province.secret_formats import KINDS, SecretFileError, check_file
from province.template import stack_template

OUT = ROOT / "out"


@dataclass(frozen=True)
class Built:
    out: Path
    template: Path
    deploy_script: Path


def build(province: Province, out_root: Path = OUT) -> Built:
    out = out_root / province.name
    out.mkdir(parents=True, exist_ok=True)
    print(f"[1/4] Lambda package for {province.display_name} ({province.region}) …", flush=True)
    sam = chalice_package(province, out)
    shutil.move(out / "package" / "deployment.zip", out / "deployment.zip")
    before, after = prune(out / "deployment.zip")
    print(f"      Lambda package: {after / 2**20:.1f} MB unzipped ({before / 2**20:.1f} MB before pruning)", flush=True)
    template = with_accepted_findings(stack_template(province, sam))
    refuse_test_mode(template)
    refuse_rehearsal_key(template, province)
    path = out / "template.json"
    path.write_text(json.dumps(template, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (out / "VERSION").write_text(build_version(path) + "\n", encoding="utf-8")
    script = out / "deploy.sh"
    script.write_text(deploy_commands(province, path), encoding="utf-8")
    script.chmod(0o755)
    print(f"[2/4] {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}", flush=True)
    return Built(out, path, script)


def refuse_test_mode(template: dict[str, Any]) -> None:
    """Decision 0026: no function of a province's stack runs in test mode or calls itself the local
    stack, and its API has no test control (`/_test/…`, devstack/test_mode.py)."""
    for name, resource in template["Resources"].items():
        variables = resource.get("Properties", {}).get("Environment", {}).get("Variables", {})
        if variables.get("TEST_MODE", "0") != "0" or "STACK" in variables:
            raise SystemExit(f"{name} sets TEST_MODE or STACK: test mode is the local stack's only (decision 0026)")
    paths = json.dumps(template.get("Resources", {}).get("RestAPI", {}).get("Properties", {}).get("DefinitionBody", {}))
    if '"/_test' in paths:
        raise SystemExit("the API has test controls (/_test/…): app.py must not register devstack/test_mode.py")


def refuse_rehearsal_key(template: dict[str, Any], province: Province) -> None:
    """Decision 0038: only a staging stack's API learns where a rehearsal key is, and no function is
    ever given the key itself."""
    for name, resource in template["Resources"].items():
        variables = resource.get("Properties", {}).get("Environment", {}).get("Variables", {})
        if "REHEARSAL_KEY" in variables:
            raise SystemExit(f"{name} is given a rehearsal key: a stage reads it from its secret (decision 0038)")
        if "REHEARSAL_SECRET_NAME" in variables and not province.rehearsal:
            raise SystemExit(f"{name} answers the rehearsal's captchas, but {province.name} is no staging stack")


def refuse_rehearsal_provider(kind: str, secret: Path, province: Province) -> None:
    """Decision 0038: only a staging stack's payment secret may trust the rehearsal's Alipay key."""
    if kind != "payments" or province.rehearsal:
        return
    alipay = json.loads(secret.read_text(encoding="utf-8")).get("alipay") or {}
    if "rehearsal_public_key" in alipay:
        raise SecretFileError(
            f"{secret}: alipay.rehearsal_public_key is a staging stack's only (decision 0038); "
            f"{province.name} is the province's real stack"
        )


def deploy_commands(province: Province, template: Path) -> str:
    """deploy.sh for the template's folder: release this version, roll back to a kept one (province/release.py)."""
    del template  # the script works in its own folder: template.json and VERSION beside it
    return deploy_script(province)


def lint(template: Path, region: str) -> None:
    """cfn-lint against the province's region: errors fail the run; warnings are shown."""
    print(f"[3/4] cfn-lint ({region}) …", flush=True)
    cfn_lint = Path(sys.executable).parent / "cfn-lint"
    command = [str(cfn_lint), str(template), "--format", "parseable", "--regions", region]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode & 1 or (done.returncode and not done.stdout.strip()):  # cfn-lint itself failed
        raise SystemExit(f"cfn-lint could not check the template (exit {done.returncode}):\n{done.stderr[-2000:]}")
    findings = [line for line in done.stdout.splitlines() if line.strip()]
    errors = [line for line in findings if ":E" in line]
    for line in findings:
        print(f"      {line}")
    if errors:
        raise SystemExit(f"cfn-lint: {len(errors)} error(s) in {template}")
    print(f"      0 errors, {len(findings)} warning(s)", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--province", required=True)
    parser.add_argument("--region", required=True)
    parser.add_argument(
        "--deploy", action="store_true", help="then run out/<name>/deploy.sh (credentials, DEPLOY_BUCKET)"
    )
    for kind in KINDS:
        parser.add_argument(
            f"--{kind}-secret",
            type=Path,
            metavar="FILE",
            help=f"check the {kind} secret's file against deploy/schemas/{kind}.schema.json first",
        )
    parser.add_argument("--skip-checkov", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        province = load(args.province, args.region)
        for kind in KINDS:
            secret = getattr(args, f"{kind}_secret")
            if secret is not None:
                check_file(kind, secret)
                refuse_rehearsal_provider(kind, secret, province)
                print(f"{secret}: a valid {kind} secret", flush=True)
    except (DescriptionError, SecretFileError) as error:
        print(f"make province: {error}", file=sys.stderr)
        return 2
    built = build(province)
    lint(built.template, province.region)
    if not args.skip_checkov:
        security_checks(built.template)
    print()
    for line in report(quotas(json.loads(built.template.read_text(encoding="utf-8"))), province.region):
        print(line)
    version = (built.out / "VERSION").read_text(encoding="utf-8").strip()
    print(f"\nTo release version {version}: DEPLOY_BUCKET=<bucket in {province.region}> {built.deploy_script}")
    print(f"To roll back: DEPLOY_BUCKET=… {built.deploy_script} rollback <version>   (… versions lists them)")
    if province.rehearsal:
        print(
            f"\nA STAGING STACK (decision 0038): whoever reads {province.rehearsal_secret} answers its captchas. "
            "Never the province's real stack; rehearse it with python -m province rehearse (docs/deploy.md)."
        )
    if args.deploy:
        return subprocess.call([str(built.deploy_script)], env=os.environ)
    return 0


if __name__ == "__main__":
    sys.exit(main())
