"""The repository is a Chalice project: `.chalice/config.json` has a `dev` stage for `chalice local`
and no province's values; a province's stage is written by `make province` into its own throwaway
project (province/package.py), which the repository's config never reaches."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from province.description import PROVINCES, ROOT, load
from province.package import chalice_config, write_project

CONFIG = ROOT / ".chalice" / "config.json"


def repository_config() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(CONFIG.read_text(encoding="utf-8"))
    return loaded


def test_going_live_the_dev_stage_is_local_and_names_no_province() -> None:
    config = repository_config()
    assert (config["version"], config["app_name"]) == ("2.0", "cet-registration")
    assert set(config["stages"]) == {"dev"}
    env = config["stages"]["dev"]["environment_variables"]
    assert env["AWS_ENDPOINT_URL_DYNAMODB"].startswith("http://127.0.0.1:")  # never a real table
    assert env["TEST_MODE"] == "0"
    assert not {name for name in env if name.endswith("_SECRET_NAME")}  # no real stage's secrets
    as_text = json.dumps(config)
    for path in PROVINCES.glob("*.json"):
        province = json.loads(path.read_text(encoding="utf-8"))
        for key in ("name", "table", "public_api_url", "payment_secret"):
            assert province[key] not in as_text, f"{path.name}: {key}"


def test_going_live_a_province_project_is_written_from_its_description_only(tmp_path: Path) -> None:
    """`chalice package` runs in out/<name>/project with the province's own config: the
    repository's `dev` stage is not copied there, so the province's values are the only ones."""
    province = load("zhejiang", "cn-northwest-1")
    project = write_project(province, tmp_path)
    written = json.loads((project / ".chalice" / "config.json").read_text(encoding="utf-8"))
    assert written == chalice_config(province)
    assert set(written["stages"]) == {"zhejiang"}
    assert sorted(p.name for p in (project / ".chalice").iterdir()) == ["config.json"]


def test_going_live_chalices_own_state_stays_out_of_the_repository() -> None:
    def ignored(path: str) -> bool:
        done = subprocess.run(["git", "check-ignore", "-q", path], cwd=ROOT, check=False)
        return done.returncode == 0

    assert not ignored(".chalice/config.json")
    assert ignored(".chalice/deployments/dev.json")
    assert ignored(".chalice/venv/bin/python")
