"""deploy.sh, run against a stand-in `aws` that records its calls: a release is a change set that is
shown before it is executed, and only on `yes`; each version's packaged template is kept, and
rollback releases exactly that one again (decision 0037, docs/deploy.md "Releasing and rolling back")."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from province import stack
from province.description import load
from province.release import build_version

# Records each call; answers describe-change-set with a canned table, head-object only for KEPT.
FAKE_AWS = """#!/usr/bin/env bash
echo "$*" >> "$CALLS"
case "$*" in
    *"describe-change-set"*"--output table"*) echo "| Modify | APIHandler | AWS::Lambda::Function | False |" ;;
    *"s3api head-object"*) case "$*" in *"$KEPT"*) echo '{"ContentLength": 1}' ;; *) exit 254 ;; esac ;;
    *"describe-stacks"*) [ -n "${STACK_STATUS:-}" ] || exit 254; echo "$STACK_STATUS" ;;
esac
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    out = tmp_path / "zhejiang"
    out.mkdir()
    (out / "deploy.sh").write_text(stack.deploy_commands(load("zhejiang", "cn-northwest-1"), out / "template.json"))
    (out / "VERSION").write_text("0123abcd\n")
    (out / "template.json").write_text("{}")
    tools = tmp_path / "bin"
    tools.mkdir()
    (tools / "aws").write_text(FAKE_AWS)
    (tools / "aws").chmod(stat.S_IRWXU)
    return out


def run(folder: Path, *args: str, answer: str = "", **env: str) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    calls = folder.parent / "calls"
    calls.unlink(missing_ok=True)
    environment = {
        **os.environ,
        "PATH": f"{folder.parent / 'bin'}:{os.environ['PATH']}",
        "DEPLOY_BUCKET": "kept-releases",
        "CALLS": str(calls),
        "KEPT": "cet-registration-zhejiang/77aa55ff/packaged.json",
        "STACK_STATUS": "UPDATE_COMPLETE",
        **env,
    }
    environment.pop("CONFIRM", None)
    environment.update(env)
    done = subprocess.run(
        ["bash", str(folder / "deploy.sh"), *args],
        input=answer,
        env=environment,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    return done, calls.read_text().splitlines() if calls.exists() else []


def steps(calls: list[str]) -> list[str]:
    """Each call's service and operation (`cloudformation package`, `s3 cp`, …)."""
    return [" ".join(call.split()[:2]) for call in calls]


def test_going_live_deploy_sh_is_valid_bash(folder: Path) -> None:
    assert subprocess.run(["bash", "-n", str(folder / "deploy.sh")], check=False).returncode == 0


def test_going_live_a_release_is_packaged_kept_shown_then_executed_on_yes(folder: Path) -> None:
    done, calls = run(folder, answer="yes\n")
    assert done.returncode == 0, done.stderr
    assert steps(calls) == [
        "cloudformation package",
        "s3 cp",
        "cloudformation describe-stacks",
        "cloudformation create-change-set",
        "cloudformation wait",
        "cloudformation describe-change-set",
        "cloudformation execute-change-set",
        "cloudformation wait",
    ]
    package, keep, _, create, *_ = calls
    assert "--s3-bucket kept-releases --s3-prefix cet-registration-zhejiang/0123abcd " in package
    assert keep.endswith("packaged.json s3://kept-releases/cet-registration-zhejiang/0123abcd/packaged.json")
    assert "--change-set-type UPDATE" in create
    assert (
        "--template-url https://kept-releases.s3.cn-northwest-1.amazonaws.com.cn/"
        "cet-registration-zhejiang/0123abcd/packaged.json" in create
    )
    assert "APIHandler" in done.stdout  # the change set's resource changes were shown
    assert calls[-1].startswith("cloudformation wait stack-update-complete --region cn-northwest-1")


def test_going_live_no_yes_no_release(folder: Path) -> None:
    """Anything but `yes` (or no answer at all, as in a pipeline without --yes) executes nothing."""
    for answer in ("", "y\n", "no\n"):
        done, calls = run(folder, answer=answer)
        assert done.returncode == 1
        assert "cloudformation describe-change-set" in steps(calls)
        assert "cloudformation execute-change-set" not in steps(calls)
        assert "Not released" in done.stderr
        assert "delete-change-set" in done.stderr


@pytest.mark.parametrize("confirm", [("--yes",), ()])
def test_going_live_yes_or_confirm_releases_without_asking(folder: Path, confirm: tuple[str, ...]) -> None:
    done, calls = run(folder, *confirm, **({} if confirm else {"CONFIRM": "yes"}))
    assert done.returncode == 0, done.stderr
    assert steps(calls)[-2:] == ["cloudformation execute-change-set", "cloudformation wait"]


@pytest.mark.parametrize("status", ["", "REVIEW_IN_PROGRESS"])
def test_going_live_a_first_release_creates_the_stack(folder: Path, status: str) -> None:
    """No stack yet, or one whose first change set was never executed: the change set creates it."""
    done, calls = run(folder, "--yes", STACK_STATUS=status)
    assert done.returncode == 0, done.stderr
    assert "--change-set-type CREATE" in calls[3]
    assert calls[-1].startswith("cloudformation wait stack-create-complete")


def test_going_live_rollback_releases_the_kept_template_of_that_version_in_one_command(folder: Path) -> None:
    done, calls = run(folder, "rollback", "77aa55ff", answer="yes\n")
    assert done.returncode == 0, done.stderr
    assert steps(calls) == [
        "s3api head-object",
        "cloudformation describe-stacks",
        "cloudformation create-change-set",
        "cloudformation wait",
        "cloudformation describe-change-set",
        "cloudformation execute-change-set",
        "cloudformation wait",
    ]
    create = calls[2]
    assert (
        "--template-url https://kept-releases.s3.cn-northwest-1.amazonaws.com.cn/"
        "cet-registration-zhejiang/77aa55ff/packaged.json" in create
    )
    assert "0123abcd" not in " ".join(calls)  # nothing of this folder's own version is packaged or used
    # the domains and certificates stay as the stack has them now, whatever that version defaulted to
    for name in ("SiteDomain", "SiteCertificate", "ApiDomain", "ApiCertificate"):
        assert f"ParameterKey={name},UsePreviousValue=true" in create


def test_going_live_a_release_takes_the_descriptions_domains_not_the_stacks(folder: Path) -> None:
    done, calls = run(folder, "--yes")
    assert done.returncode == 0, done.stderr
    create = next(call for call in calls if call.startswith("cloudformation create-change-set"))
    assert "UsePreviousValue" not in create


def test_going_live_rollback_to_a_version_not_kept_is_refused(folder: Path) -> None:
    done, calls = run(folder, "rollback", "deadbeef", "--yes")
    assert done.returncode == 2
    assert "version deadbeef is not kept in s3://kept-releases/cet-registration-zhejiang/" in done.stderr
    assert steps(calls) == ["s3api head-object"]


def test_going_live_versions_lists_the_kept_ones(folder: Path) -> None:
    done, calls = run(folder, "versions")
    assert done.returncode == 0, done.stderr
    assert calls[0] == "s3 ls --region cn-northwest-1 s3://kept-releases/cet-registration-zhejiang/"


def test_going_live_the_version_is_the_commit_and_says_when_the_tree_had_changes(tmp_path: Path) -> None:
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(tmp_path), *args], capture_output=True, text=True, check=True).stdout

    template = tmp_path / "template.json"
    template.write_text("{}")
    assert build_version(template, tmp_path).startswith("build-")  # not a repository: the template's digest
    git("init", "-q")
    (tmp_path / "a").write_text("1")
    git("add", "a")
    git("-c", "user.name=p", "-c", "user.email=p@example.org", "commit", "-qm", "a")
    commit = git("rev-parse", "--short=12", "HEAD").strip()
    assert build_version(template, tmp_path) == commit
    (tmp_path / "a").write_text("2")
    assert build_version(template, tmp_path) == f"{commit}-dirty"


def test_going_live_the_parameters_a_rollback_keeps_are_the_stacks_reach_parameters() -> None:
    from province.release import REACH_PARAMETERS
    from province.template.site import parameters

    assert set(REACH_PARAMETERS) == set(parameters(load("zhejiang", "cn-northwest-1")))
