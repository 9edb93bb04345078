"""`make province` before and after the build: the region refused at once, a deploy script that runs
from wherever its folder is, and the checkov findings the template itself accepts (the whole command
runs in tests/deploy/test_province_stack.py)."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from province import stack
from province.description import PROVINCES, DescriptionError, load, parse
from province.findings import unexplained_skips, with_accepted_findings


def test_going_live_a_region_no_partition_has_is_refused_before_anything_is_built(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """cn-southwest-1 does not exist: one line naming China's regions, exit 2, no package built."""

    def no_build(*_: object) -> None:
        raise AssertionError("the package was built for a region that does not exist")

    monkeypatch.setattr(stack, "build", no_build)
    assert stack.main(["--province", "zhejiang", "--region", "cn-southwest-1"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("make province: region 'cn-southwest-1' is not a region of AWS (aws or aws-cn)")
    assert "cn-north-1, cn-northwest-1" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("region", ["cn-north-1", "cn-northwest-1", "ap-east-1", "us-east-1"])
def test_going_live_the_regions_of_both_partitions_are_known(region: str) -> None:
    sample = json.loads((PROVINCES / "zhejiang.json").read_text(encoding="utf-8"))
    assert parse({**sample, "region": region}).region == region


def test_going_live_a_description_naming_a_region_that_does_not_exist_is_refused() -> None:
    sample = json.loads((PROVINCES / "zhejiang.json").read_text(encoding="utf-8"))
    with pytest.raises(DescriptionError, match="region: region 'cn-southwest-1' is not a region of AWS"):
        parse({**sample, "region": "cn-southwest-1"})


FAKE_AWS_CLI = """#!/usr/bin/env bash
echo "$(pwd) $*" >> "$CALLS"
"""


def test_going_live_deploy_sh_runs_from_its_own_folder_wherever_it_is_copied(tmp_path: Path) -> None:
    """No absolute path of the building machine: the folder moved elsewhere deploys its own files."""
    built = tmp_path / "built" / "zhejiang"
    built.mkdir(parents=True)
    script = built / "deploy.sh"
    script.write_text(stack.deploy_commands(load("zhejiang", "cn-northwest-1"), built / "template.json"))
    (built / "VERSION").write_text("0123abcd\n")
    assert str(tmp_path) not in script.read_text()
    moved = tmp_path / "elsewhere" / "zhejiang"
    shutil.copytree(built, moved)
    shutil.rmtree(built)
    tools = tmp_path / "bin"
    tools.mkdir()
    (tools / "aws").write_text(FAKE_AWS_CLI)
    (tools / "aws").chmod(stat.S_IRWXU)
    calls = tmp_path / "calls"
    env = {**os.environ, "PATH": f"{tools}:{os.environ['PATH']}", "DEPLOY_BUCKET": "bucket", "CALLS": str(calls)}
    env["CONFIRM"] = "yes"
    subprocess.run(["bash", str(moved / "deploy.sh")], cwd=tmp_path, env=env, check=True, timeout=30)
    package = calls.read_text().splitlines()[0]
    assert package.startswith(f"{moved} cloudformation package --region cn-northwest-1 --template-file template.json")
    assert all(line.startswith(f"{moved} ") for line in calls.read_text().splitlines())


def sam_resources() -> dict[str, object]:
    function = {"Type": "AWS::Serverless::Function", "Properties": {}}
    return {
        "APIHandler": dict(function),
        "ExpireUnpaid": dict(function),
        "SendNewMessages": dict(function),
        "PlanSeat": dict(function),
        "SomeNewFunction": dict(function),
        "RestAPI": {"Type": "AWS::Serverless::Api", "Properties": {}},
        "ProvinceTable": {"Type": "AWS::DynamoDB::Table", "Properties": {}},
    }


def skips(template: dict[str, dict[str, dict[str, object]]], name: str) -> dict[str, str]:
    found = template["Resources"][name].get("Metadata", {})
    return {skip["id"]: skip["comment"] for skip in found.get("checkov", {}).get("skip", [])}  # type: ignore[attr-defined]


def test_going_live_each_accepted_finding_is_in_its_resources_metadata_with_its_reason() -> None:
    template = with_accepted_findings({"Resources": sam_resources()})
    assert unexplained_skips(template) == []
    assert set(skips(template, "APIHandler")) == {"CKV_AWS_116", "CKV_AWS_117", "CKV_AWS_173"}
    assert "API Gateway" in skips(template, "APIHandler")["CKV_AWS_116"]
    assert "JobFailures" in skips(template, "ExpireUnpaid")["CKV_AWS_116"]
    assert "StreamFailures" in skips(template, "SendNewMessages")["CKV_AWS_116"]
    assert "state machine" in skips(template, "PlanSeat")["CKV_AWS_116"]
    # a function nobody has said where its failures go does not get the dead-letter queue excused
    assert set(skips(template, "SomeNewFunction")) == {"CKV_AWS_117", "CKV_AWS_173"}
    assert set(skips(template, "RestAPI")) == {"CKV_AWS_120", "CKV_AWS_76", "CKV_AWS_73"}
    assert skips(template, "ProvinceTable") == {}


def test_going_live_a_skip_without_a_reason_fails_the_command(tmp_path: Path) -> None:
    template = with_accepted_findings({"Resources": sam_resources()})
    template["Resources"]["RestAPI"]["Metadata"]["checkov"]["skip"].append({"id": "CKV_AWS_59"})
    assert unexplained_skips(template) == ["CKV_AWS_59 on RestAPI"]
    path = tmp_path / "template.json"
    path.write_text(json.dumps(template), encoding="utf-8")
    with pytest.raises(SystemExit, match=r"give no reason .*: CKV_AWS_59 on RestAPI"):
        stack.security_checks(path, checkov=Path("/bin/true"))
