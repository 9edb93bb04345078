"""A province's release: the version a build is, and `deploy.sh`, which releases it or rolls back.

`make province` records the version it built (the git commit, `-dirty` when the tree had changes)
in `out/<name>/VERSION` and writes `out/<name>/deploy.sh`:

    deploy.sh [--yes]                   package this folder's version, keep it, release it
    deploy.sh rollback VERSION [--yes]  release the kept packaged template of VERSION again
    deploy.sh versions                  the kept versions, and the one the stack runs

Every release is a change set: created, shown (its resource changes as a table), executed only
when `yes` is typed (or `--yes` / `CONFIRM=yes` is given), then waited for. Each version's Lambda
package and packaged template stay under `s3://$DEPLOY_BUCKET/<stack>/<version>/` (decision 0037).
"""

from __future__ import annotations

import hashlib
import shlex
import shutil
import subprocess
from pathlib import Path

from province.description import ROOT, Province

CAPABILITIES = "CAPABILITY_IAM CAPABILITY_AUTO_EXPAND"
# How the province is reached (province/template/site.py): a rollback keeps the stack's values.
REACH_PARAMETERS = ("SiteDomain", "SiteCertificate", "ApiDomain", "ApiCertificate")
KEPT_PARAMETERS = " ".join(f"ParameterKey={name},UsePreviousValue=true" for name in REACH_PARAMETERS)


def build_version(template: Path, root: Path = ROOT) -> str:
    """The commit the build is of (`<short sha>[-dirty]`), or the template's digest outside git."""

    git_program = shutil.which("git")

    def git(*args: str) -> str:
        if git_program is None:
            return ""
        done = subprocess.run([git_program, "-C", str(root), *args], capture_output=True, text=True, check=False)
        return done.stdout.strip() if done.returncode == 0 else ""

    commit = git("rev-parse", "--short=12", "HEAD")
    if not commit:
        return "build-" + hashlib.sha256(template.read_bytes()).hexdigest()[:12]
    return commit + ("-dirty" if git("status", "--porcelain", "--untracked-files=no") else "")


def template_host(province: Province) -> str:
    """Where CloudFormation reads a template kept in the bucket: S3's endpoint in the region."""
    suffix = "amazonaws.com.cn" if province.partition == "aws-cn" else "amazonaws.com"
    return f"s3.{province.region}.{suffix}"


def deploy_script(province: Province) -> str:
    region = shlex.quote(province.region)
    stack = shlex.quote(province.stack_name)
    return f"""#!/usr/bin/env bash
# Releases {province.stack_name} in {province.region}. DEPLOY_BUCKET: an S3 bucket in that region.
#   deploy.sh [--yes]                   this folder's version (VERSION): package, keep, change set, release
#   deploy.sh rollback VERSION [--yes]  the kept packaged template of VERSION, released the same way
#   deploy.sh versions                  the versions kept in the bucket, and the one the stack runs
# A change set is shown and executed only when `yes` is typed (--yes or CONFIRM=yes: without asking).
set -euo pipefail
: "${{DEPLOY_BUCKET:?set DEPLOY_BUCKET to an S3 bucket in {province.region} for the Lambda package}}"
cd "$(dirname "$0")"  # where make province wrote it, wherever that folder has been copied to
REGION={region}
STACK={stack}
CONFIRM="${{CONFIRM:-}}"
words=()
for word in "$@"; do
    if [ "$word" = --yes ]; then CONFIRM=yes; else words+=("$word"); fi
done
set -- "${{words[@]+"${{words[@]}}"}}"

kept() {{  # the key of a version's packaged template in the bucket
    echo "$STACK/$1/packaged.json"
}}

release() {{  # $1: a version whose packaged template is kept in the bucket; $2: keep, on a rollback
    local version=$1 keep=${{2:-}} change_set type status parameters=()
    change_set="release-$(echo "$version" | tr -c 'A-Za-z0-9-\\n' '-')-$(date -u +%Y%m%d%H%M%S)"
    status=$(aws cloudformation describe-stacks --region "$REGION" --stack-name "$STACK" \
        --query 'Stacks[0].StackStatus' --output text 2>/dev/null || echo NONE)
    case "$status" in  # a stack whose first change set was never executed is still to be created
        NONE|REVIEW_IN_PROGRESS) type=CREATE ;;
        *) type=UPDATE ;;
    esac
    if [ "$keep" = keep ] && [ "$type" = UPDATE ]; then
        # A rollback undoes code and settings, never how the province is reached: the stack keeps
        # its domains and certificates as they are now (an older version's defaults may be empty).
        parameters=(--parameters {KEPT_PARAMETERS})
    fi
    aws cloudformation create-change-set --region "$REGION" --stack-name "$STACK" \\
        --change-set-name "$change_set" --change-set-type "$type" \\
        --template-url "https://$DEPLOY_BUCKET.{template_host(province)}/$(kept "$version")" \\
        --capabilities {CAPABILITIES} --description "release $version" \\
        "${{parameters[@]+"${{parameters[@]}}"}}" >/dev/null
    if ! aws cloudformation wait change-set-create-complete --region "$REGION" --stack-name "$STACK" \\
        --change-set-name "$change_set"; then
        reason=$(aws cloudformation describe-change-set --region "$REGION" --stack-name "$STACK" \\
            --change-set-name "$change_set" --query StatusReason --output text)
        aws cloudformation delete-change-set --region "$REGION" --stack-name "$STACK" --change-set-name "$change_set"
        case "$reason" in
            *"didn't contain changes"*|*"No updates"*)
                echo "$STACK already runs version $version: nothing to do"
                return 0 ;;
            *) echo "the change set for version $version failed: $reason" >&2; return 1 ;;
        esac
    fi
    echo "Change set $change_set ($type $STACK to version $version):"
    aws cloudformation describe-change-set --region "$REGION" --stack-name "$STACK" \\
        --change-set-name "$change_set" --output table \\
        --query 'Changes[].ResourceChange.{{Action:Action,Id:LogicalResourceId,Type:ResourceType,Replace:Replacement}}'
    if [ "$CONFIRM" != yes ]; then
        read -r -p "Type yes to release version $version to $STACK: " CONFIRM || true
    fi
    if [ "$CONFIRM" != yes ]; then
        echo "Not released. The change set $change_set stays for review; delete it with" >&2
        echo "  aws cloudformation delete-change-set --region $REGION --stack-name $STACK" \
            "--change-set-name $change_set" >&2
        return 1
    fi
    aws cloudformation execute-change-set --region "$REGION" --stack-name "$STACK" --change-set-name "$change_set"
    if [ "$type" = CREATE ]; then
        aws cloudformation wait stack-create-complete --region "$REGION" --stack-name "$STACK"
    else
        aws cloudformation wait stack-update-complete --region "$REGION" --stack-name "$STACK"
    fi
    echo "$STACK runs version $version"
}}

case "${{1:-}}" in
    "")
        version=$(cat VERSION)
        case "$version" in
            *-dirty) echo "version $version: built from uncommitted changes: commit, then build, to keep it" >&2 ;;
        esac
        aws cloudformation package --region "$REGION" --template-file template.json \\
            --s3-bucket "$DEPLOY_BUCKET" --s3-prefix "$STACK/$version" --output-template-file packaged.json
        # Kept: `deploy.sh rollback $version` releases exactly this packaged template again.
        aws s3 cp --region "$REGION" packaged.json "s3://$DEPLOY_BUCKET/$(kept "$version")"
        release "$version"
        ;;
    rollback)
        version=${{2:?usage: deploy.sh rollback VERSION   (deploy.sh versions lists them)}}
        if ! aws s3api head-object --region "$REGION" --bucket "$DEPLOY_BUCKET" --key "$(kept "$version")" \
            >/dev/null 2>&1; then
            echo "version $version is not kept in s3://$DEPLOY_BUCKET/$STACK/ (deploy.sh versions lists them)" >&2
            exit 2
        fi
        release "$version" keep
        ;;
    versions)
        aws s3 ls --region "$REGION" "s3://$DEPLOY_BUCKET/$STACK/"
        echo "the stack's last release: $(aws cloudformation describe-stacks --region "$REGION" --stack-name "$STACK" \\
            --query 'Stacks[0].ChangeSetId' --output text 2>/dev/null || echo none)"
        ;;
    *)
        echo "usage: deploy.sh [--yes] | deploy.sh rollback VERSION [--yes] | deploy.sh versions" >&2
        exit 2
        ;;
esac
"""  # noqa: S608 (a shell script: the word SELECT nowhere, the rule matches its `set`/`from`)
