"""The page's config.json as the local stack serves it (issue: one origin locally, configurable in production)."""

from __future__ import annotations

import json
from pathlib import Path

from devstack.serve import DEFAULT_DATASET, WEB, page_config


def test_the_committed_config_names_only_the_api_base() -> None:
    assert json.loads((WEB / "config.json").read_text(encoding="utf-8")) == {"api_base": "/api"}


def test_the_demo_province_brings_its_guide_for_newcomers() -> None:
    config = page_config(DEFAULT_DATASET)
    assert config["api_base"] == "/api"
    students = {s["title"]: s for s in config["demo"]["students"]}
    assert students["普通四级考生"]["name"] == "贺鑫阳"
    assert students["六级复核：立即通过"]["ticket_number"]
    assert {s["login"] for s in config["demo"]["staff"]} >= {"staff@nyit.edu.cn"}


def test_another_province_gets_no_demo_identities(tmp_path: Path) -> None:
    other = tmp_path / "province.json"
    other.write_text(DEFAULT_DATASET.read_text(encoding="utf-8"), encoding="utf-8")
    assert "demo" not in page_config(other)
