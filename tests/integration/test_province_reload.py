"""`python -m province load` again over the administrator's changes, on DynamoDB Local (R-OPS-2,
R-OPS-3, decision 0023): a reload keeps each change and says so; --file-wins writes the file's
values back and says so; after it, the file's later values load again without the flag."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bench.load_province import catalog_file
from chalicelib.bootstrap import build_services, reset_services
from chalicelib.config import Settings, settings
from chalicelib.domain.clock import FixedClock, SystemClock
from chalicelib.services import administration as admin
from chalicelib.storage.keys import seats_pk
from chalicelib.storage.models import CatalogPartItem, SeatCounterItem
from province import load as loader
from tests import factories

pytestmark = pytest.mark.dynamodb_local
SCHOOL, CAMPUS, ORAL = "nyit", "nyit-main", "CET-SET4"
ADMIN = factories.province_admin("-")


@pytest.fixture(autouse=True)
def fresh_services(local_table: Settings) -> Iterator[None]:
    reset_services()
    yield
    reset_services()


def two_windowed_catalog(path: Path, capacity: int = 150) -> list[str]:
    """The demo catalog, its school `nyit` given a second window and CET-SET4 `capacity` seats."""
    data = json.loads(catalog_file(path).read_text(encoding="utf-8"))
    data["windows"].append(
        {"school_id": SCHOOL, "opens_at": "2023-01-01T00:00:00+08:00", "closes_at": "2023-02-01T00:00:00+08:00"}
    )
    for school in data["schools"]:
        for campus in school["campuses"]:
            for oral in campus["oral"]:
                if (campus["id"], oral["subject"]) == (CAMPUS, ORAL):
                    oral["capacity"] = capacity
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return ["--catalog", str(path)]


def part(sk: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(CatalogPartItem.get("CATALOG", sk, consistent_read=True).body)
    return body


def capacity() -> tuple[int, int]:
    """The catalog's capacity of the offering, and its counter shards' capacities summed."""
    offering = next(o for o in part(f"CAMPUS#{CAMPUS}")["oral"] if o["subject"] == ORAL)
    keys = [(seats_pk(CAMPUS, ORAL, n), "SEATS") for n in range(16)]
    shards = sum(int(item.capacity) for item in SeatCounterItem.batch_get(keys, consistent_read=True))
    return int(offering["capacity"]), shards


def windows() -> list[str]:
    found = CatalogPartItem.query("CATALOG", CatalogPartItem.sk.startswith(f"WINDOW#{SCHOOL}#"), consistent_read=True)
    return sorted(json.loads(item.body)["closes_at"] for item in found)


def test_r_ops_2_a_reload_keeps_the_administrators_changes_and_file_wins_writes_the_files_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """R-OPS-2, R-OPS-3: a capacity raised, a window changed (the school's two become one), the
    province's notice changed through the administration service; the same catalog file loaded
    again keeps all three and prints each with the file's value; --file-wins puts the file's
    back (capacity re-split through the shards, both windows) and prints each it overrode; then
    a file changed again loads without the flag (the changes were settled by --file-wins)."""
    args = two_windowed_catalog(tmp_path / "catalog.json")
    assert loader.main(args) == 0
    file_notice = part("PROVINCE")["notice"]
    assert capacity() == (150, 150)
    assert len(windows()) == 2

    now = SystemClock().now()
    board = build_services(settings(), FixedClock(now)).administration
    admin.change_capacity(board, ADMIN, CAMPUS, ORAL, 170)
    admin.change_window(board, ADMIN, SCHOOL, now, now + timedelta(days=1))
    admin.change_notice(board, ADMIN, "province", "管理员的新通告")
    capsys.readouterr()

    assert loader.main(args) == 0
    out = capsys.readouterr().out
    assert "保留管理员的修改：nyit-main 英语四级口试 容量 170（文件中为 150）" in out
    assert "保留管理员的修改：南屿理工学院（nyit） 报名时间 " in out
    assert "保留管理员的修改：示例省 公告 「管理员的新通告」（文件中为 「" in out
    assert capacity() == (170, 170)
    assert windows() == [(now + timedelta(days=1)).isoformat(timespec="seconds")]  # the second not back
    assert part("PROVINCE")["notice"] == "管理员的新通告"

    assert loader.main([*args, "--file-wins"]) == 0
    out = capsys.readouterr().out
    assert "以文件为准，覆盖管理员的修改：nyit-main 英语四级口试 容量 150（管理员改为 170）" in out
    assert out.count("以文件为准，覆盖管理员的修改：") == 3
    assert capacity() == (150, 150)
    assert len(windows()) == 2
    assert part("PROVINCE")["notice"] == file_notice

    args = two_windowed_catalog(tmp_path / "catalog.json", capacity=160)
    assert loader.main(args) == 0
    assert "管理员的修改" not in capsys.readouterr().out
    assert capacity() == (160, 160)
