"""`python -m province load` of a province with its exam sitting, on DynamoDB Local (R-ROOM-1..3,
R-TICKET-1): the sitting, codes, room names and accommodations written; the plan's seed drawn once
and kept by every reload; bad values, and a reload after `plan_at` that changes what the plan
rests on, write nothing, as does a load that first declares an opening once its queue opened
(R-QUEUE-3); a catalog without `exam` loads as before."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from bench.load_province import catalog_file, roll_rows
from chalicelib.bootstrap import reset_services
from chalicelib.config import Settings, settings
from chalicelib.domain.clock import FixedClock, parse_iso
from chalicelib.domain.roll import Accommodation
from chalicelib.storage.catalog import DynamoCatalog
from chalicelib.storage.models import CatalogPartItem, SittingSeedItem
from chalicelib.storage.tables import connection
from province import load as loader
from province.export import HEADERS, roll_cells, write_csv

pytestmark = pytest.mark.dynamodb_local
SEED_KEY = ("SITTING#2099-2", "SEED")


@pytest.fixture(autouse=True)
def fresh_services(local_table: Settings) -> Iterator[None]:
    reset_services()
    yield
    reset_services()


def scan() -> list[dict[str, Any]]:
    pages = connection().client.get_paginator("scan").paginate(TableName=settings().table_name)
    return sorted((item for page in pages for item in page["Items"]), key=lambda i: (i["pk"]["S"], i["sk"]["S"]))


def catalog_of(path: Path, change: Any = None) -> Path:
    """The demo catalog (with its sitting), changed by `change` if given."""
    catalog_file(path)
    if change is not None:
        data = json.loads(path.read_text(encoding="utf-8"))
        change(data)
        path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def roll_file(path: Path, extra: list[str] | None = None) -> Path:
    """60 roll rows; the first separate room + 40 minutes, the second 25 minutes only."""
    rows = list(roll_rows(60))
    rows[0] = replace(rows[0], accommodation=Accommodation(separate_room=True, extra_minutes=40))
    rows[1] = replace(rows[1], accommodation=Accommodation(extra_minutes=25))
    cells = [roll_cells(row) for row in rows]
    write_csv(path, HEADERS["roll"], [*cells, *([extra] if extra else [])])
    return path


def part(sk: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(CatalogPartItem.get("CATALOG", sk, consistent_read=True).body)
    return body


def seed() -> str:
    return str(SittingSeedItem.get(*SEED_KEY, consistent_read=True).seed)


def test_r_room_2_the_sitting_loads_with_a_seed_drawn_once_and_kept_by_reloads(tmp_path: Path) -> None:
    """R-ROOM-1..3, R-TICKET-1: the sitting in the catalog (never its seed), ticket codes and
    minutes, site codes and room names, accommodations on the roll; the seed 64 hex characters
    beside its SHA-256; the same files again and a changed catalog keep it."""
    catalog, roll = catalog_of(tmp_path / "catalog.json"), roll_file(tmp_path / "roll.csv")
    assert loader.main(["--catalog", str(catalog), "--roll", str(roll)]) == 0
    assert part("EXAM") == {
        "year": 2099,
        "sitting": 2,
        "plan_at": "2099-11-01T09:00:00+08:00",
        "tickets_open_at": "2099-12-08T09:00:00+08:00",
    }
    drawn = SittingSeedItem.get(*SEED_KEY, consistent_read=True)
    assert re.fullmatch(r"[0-9a-f]{64}", drawn.seed)
    assert drawn.seed_sha256 == hashlib.sha256(drawn.seed.encode()).hexdigest()
    assert (part("SUBJECT#CET6")["ticket_code"], part("SUBJECT#CET6")["exam_minutes"]) == ("2", 145)
    assert "ticket_code" not in part("SUBJECT#CET-SET4")
    dcu = part("CAMPUS#dcu-main")
    assert (dcu["site_code"], dcu["rooms"][0]) == ("390110", {"code": "001", "name": "教学楼A101"})
    accommodations = sorted(
        (item.get("separate_room", {}).get("BOOL", False), int(item.get("extra_minutes", {}).get("N", 0)))
        for item in scan()
        if item["kind"]["S"] == "roll" and ("separate_room" in item or "extra_minutes" in item)
    )
    assert accommodations == [(False, 25), (True, 40)]
    published = DynamoCatalog().sitting()
    assert published is not None
    assert (published.seed_sha256, published.seed) == (drawn.seed_sha256, None)
    assert published.plan_at == parse_iso("2099-11-01T09:00:00+08:00")

    assert loader.main(["--catalog", str(catalog), "--roll", str(roll)]) == 0
    renamed = catalog_of(tmp_path / "renamed.json", lambda d: d["schools"][0]["campuses"][0]["rooms"].pop())
    assert loader.main(["--catalog", str(renamed)]) == 0
    assert len(part("CAMPUS#dcu-main")["rooms"]) == 2
    assert seed() == drawn.seed
    with_seed = DynamoCatalog().sitting(with_seed=True)
    assert with_seed is not None
    assert with_seed.seed == drawn.seed


def bad_site(data: dict[str, Any]) -> None:
    data["schools"][0]["campuses"][1]["site_code"] = "390110"  # dcu-beihu given dcu-main's


def test_r_ticket_1_a_bad_value_of_the_sitting_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """R-TICKET-1, R-ROOM-3: a repeated site code in the catalog is `FILE:LINE: path: problem`, a
    bad 延长分钟 in the roll `FILE:LINE: column: problem`; exit 1, the table left empty."""
    catalog = catalog_of(tmp_path / "catalog.json", bad_site)
    assert loader.main(["--catalog", str(catalog)]) == 1
    text = catalog.read_text(encoding="utf-8")
    line = text.count("\n", 0, text.index('"site_code": "390110"', text.index('"id": "dcu-beihu"'))) + 1
    campus = "schools[0].campuses"
    assert (
        f"{catalog}:{line}: {campus}[1].site_code: 考点代码 '390110' 重复（已在 {campus}[0].site_code 出现）"
        in capsys.readouterr().err
    )
    good = catalog_of(tmp_path / "good.json")
    roll = roll_file(tmp_path / "roll.csv", [*roll_cells(list(roll_rows(61))[-1])[:-2], "是", "四十"])
    assert loader.main(["--catalog", str(good), "--roll", str(roll)]) == 1
    assert f"{roll}:62: 延长分钟: 应为不小于 0 的整数（分钟），实际为 '四十'" in capsys.readouterr().err
    assert scan() == []


def test_r_room_1_after_plan_at_a_changed_site_code_is_refused_and_nothing_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """R-ROOM-1, R-ROOM-2: once `plan_at` has passed, a reload changing a site code exits 1 saying
    which, and the table is as it was; the same catalog again still loads."""
    catalog = catalog_of(tmp_path / "catalog.json")
    assert loader.main(["--catalog", str(catalog)]) == 0
    before = scan()
    monkeypatch.setattr("chalicelib.bootstrap.CLOCK", FixedClock(parse_iso("2099-11-01T10:00:00+08:00")))
    moved = catalog_of(tmp_path / "moved.json", lambda d: d["schools"][0]["campuses"][0].update(site_code="399999"))
    capsys.readouterr()
    assert loader.main(["--catalog", str(moved)]) == 1
    assert capsys.readouterr().err == (
        "未载入：2099 年 12 月考次的考场编排时间 2099-11-01 09:00 已过："
        "校区 dcu-main 的 site_code 已是 390110，不能改为 399999\n"
    )
    assert scan() == before
    assert loader.main(["--catalog", str(catalog)]) == 0


def test_r_queue_3_an_opening_first_declared_once_its_queue_opened_is_refused_and_nothing_written(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """R-QUEUE-3: the demo's opening, first loaded when its queue opens, exits 1 saying which and
    writes nothing (its seed would be drawn too late); a minute before, the same catalog loads."""
    catalog = catalog_of(tmp_path / "catalog.json")
    monkeypatch.setattr("chalicelib.bootstrap.CLOCK", FixedClock(parse_iso("2027-09-01T09:00:00+08:00")))
    assert loader.main(["--catalog", str(catalog)]) == 1
    assert capsys.readouterr().err == (
        "未载入：排队场次 nyit-2027（南屿理工学院口试集中开放）的排队已于 2027-09-01 09:00 开始："
        "排队顺序的随机种子须在排队开始前抽取并公布摘要（R-QUEUE-3），排队开始后不能再首次载入该场次\n"
    )
    assert scan() == []
    monkeypatch.setattr("chalicelib.bootstrap.CLOCK", FixedClock(parse_iso("2027-09-01T08:59:00+08:00")))
    assert loader.main(["--catalog", str(catalog)]) == 0


def without_sitting(data: dict[str, Any]) -> None:
    """The catalog as it was before sittings: no exam, no codes, no rooms."""
    del data["exam"]
    for subject in data["subjects"]:
        subject.pop("ticket_code", None)
        subject.pop("exam_minutes", None)
    for school in data["schools"]:
        for campus in school["campuses"]:
            campus.pop("site_code")
            campus.pop("rooms", None)


def test_r_room_1_a_catalog_without_exam_loads_as_before_and_takes_a_sitting_away(tmp_path: Path) -> None:
    """R-ROOM-1: a catalog without `exam` loads as it did (no sitting, no seed, parts without the
    new fields); with `exam` the sitting comes; left out again before `plan_at`, it goes."""
    old = catalog_of(tmp_path / "old.json", without_sitting)
    assert loader.main(["--catalog", str(old)]) == 0
    assert not any(item["pk"]["S"].startswith("SITTING#") or item["sk"]["S"] == "EXAM" for item in scan())
    assert set(part("SUBJECT#CET4")) == {"code", "name", "kind", "level", "fee", "exam_at"}
    assert "site_code" not in part("CAMPUS#dcu-main")
    assert DynamoCatalog().sitting() is None
    assert loader.main(["--catalog", str(catalog_of(tmp_path / "catalog.json"))]) == 0
    drawn = seed()
    assert part("EXAM")["year"] == 2099
    assert loader.main(["--catalog", str(old)]) == 0
    assert not any(item["sk"]["S"] == "EXAM" for item in scan())
    assert DynamoCatalog().sitting() is None
    assert seed() == drawn  # kept, should the sitting come back
