"""The exam sitting as a load writes it, on the fakes (R-ROOM-1, R-ROOM-2): the plan's seed drawn at
the load that first declares the sitting and kept by every reload; its digest readable, the seed
only when asked; once `plan_at` has passed, a reload that changes what the plan rests on is refused
before anything is written."""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from datetime import timedelta

import pytest

from chalicelib.domain.catalog import Catalog, RoomName
from chalicelib.domain.province import ProvinceData, in_memory
from chalicelib.domain.reload import SittingFixed
from chalicelib.domain.sitting import SittingOfYear
from chalicelib.services.province import ProvinceLoading, load
from chalicelib.storage import catalog_items
from tests import factories
from tests.fakes import FakeAccounts, FakeActivations, FakeCatalog, FakeDatabase, FakeProvince

NOW = factories.NOW
EXAM = factories.EXAM
AFTER_PLAN = EXAM.plan_at + timedelta(hours=1)
SINCE = "2099 年 12 月考次的考场编排时间 2099-11-01 09:00 已过"


def loading(db: FakeDatabase) -> ProvinceLoading:
    return ProvinceLoading(FakeProvince(db), FakeAccounts(db), FakeActivations(db), factories.protection)


def loaded(db: FakeDatabase, data: ProvinceData, load_id: str, now: object = NOW) -> None:
    load(loading(db), in_memory(data, load_id), now)  # type: ignore[arg-type]


def with_catalog(data: ProvinceData, **changes: object) -> ProvinceData:
    return replace(data, catalog=replace(data.catalog, **changes))


def test_r_room_2_the_seed_is_drawn_at_the_first_load_and_kept_by_every_reload() -> None:
    """R-ROOM-2: 64 hex characters, its SHA-256 readable with the sitting, the seed only when
    asked; the same files again, and a changed file, keep the seed first drawn."""
    db = FakeDatabase()
    catalogs = FakeCatalog(db)
    assert catalogs.sitting() is None  # nothing loaded: no sitting
    loaded(db, factories.sitting_province(), "load-1")
    published = catalogs.sitting()
    drawn = catalogs.sitting(with_seed=True)
    assert published is not None
    assert drawn is not None
    assert drawn.seed is not None
    assert re.fullmatch(r"[0-9a-f]{64}", drawn.seed)
    assert published == replace(EXAM, seed_sha256=hashlib.sha256(drawn.seed.encode()).hexdigest())
    assert drawn == replace(published, seed=drawn.seed)
    assert catalogs.catalog().exam == EXAM  # the catalog names the sitting, never its seed
    loaded(db, factories.sitting_province(), "load-1")
    moved = replace(
        EXAM, tickets_open_at=EXAM.tickets_open_at + timedelta(days=1), plan_at=EXAM.plan_at + timedelta(hours=2)
    )
    loaded(db, with_catalog(factories.sitting_province(), exam=moved), "load-2")
    assert catalogs.sitting(with_seed=True) == replace(
        drawn, plan_at=moved.plan_at, tickets_open_at=moved.tickets_open_at
    )


def test_r_room_2_another_sitting_gets_a_seed_of_its_own() -> None:
    """R-ROOM-2: the June sitting of 2100, loaded later, draws its own seed; December 2099's stays."""
    db = FakeDatabase()
    loaded(db, factories.sitting_province(), "load-1")
    december = FakeCatalog(db).sitting(with_seed=True)
    june = replace(EXAM, year=2100, sitting=SittingOfYear.JUNE)
    loaded(db, with_catalog(factories.sitting_province(), exam=june), "load-2")
    later = FakeCatalog(db).sitting(with_seed=True)
    assert december is not None
    assert later is not None
    assert (later.year, later.sitting) == (2100, SittingOfYear.JUNE)
    assert later.seed != december.seed
    assert db.sitting_seeds[EXAM.key] == december.seed


def test_r_room_2_a_sitting_whose_plan_at_has_passed_is_refused_before_anything_is_written() -> None:
    """R-ROOM-2: the seed is drawn and its digest published before `plan_at`: a first load after
    it is refused, and the table is left as it was (no catalog, no seed, no load record)."""
    db = FakeDatabase()
    with pytest.raises(SittingFixed) as refused:
        loaded(db, factories.sitting_province(), "load-1", AFTER_PLAN)
    assert refused.value.problems == [
        "考场编排时间 plan_at（2099-11-01 09:00）已过：考场编排的随机种子须在此之前抽取并公布摘要（R-ROOM-2），"
        "不能载入 plan_at 已过的考次，也不能把 plan_at 改到已过的时间"
    ]
    assert (db.province.code, db.sitting_seeds, db.loads, db.roll) == ("", {}, {}, {})
    loaded(db, factories.province(), "load-2", AFTER_PLAN)  # without a sitting, the province loads
    assert FakeCatalog(db).sitting() is None


def test_r_room_2_before_plan_at_it_may_move_but_never_into_the_past() -> None:
    """R-ROOM-2: a reload before `plan_at` may move it later; to a moment already passed, never."""
    db = FakeDatabase()
    loaded(db, factories.sitting_province(), "load-1")
    past = replace(EXAM, plan_at=NOW - timedelta(minutes=1))
    with pytest.raises(SittingFixed):
        loaded(db, with_catalog(factories.sitting_province(), exam=past), "load-2")
    assert FakeCatalog(db).catalog().exam == EXAM


def changed(catalog: Catalog) -> dict[str, Catalog]:
    """What a reload after `plan_at` may not change, each alone."""
    cet4 = replace(catalog.subjects["CET4"], ticket_code="7")
    nju = replace(catalog.campuses["NJU-GL"], site_code="329999")
    return {
        "year": replace(catalog, exam=replace(EXAM, year=2100)),
        "plan_at": replace(catalog, exam=replace(EXAM, plan_at=EXAM.plan_at + timedelta(days=1))),
        "no exam": replace(catalog, exam=None),
        "ticket code": replace(catalog, subjects={**catalog.subjects, "CET4": cet4}),
        "site code": replace(catalog, campuses={**catalog.campuses, "NJU-GL": nju}),
    }


PROBLEMS = {
    "year": f"{SINCE}：exam 的 year、sitting 与 plan_at 不能再改动（文件中为 2100 年 12 月，2099-11-01 09:00）",
    "plan_at": f"{SINCE}：exam 的 year、sitting 与 plan_at 不能再改动（文件中为 2099 年 12 月，2099-11-02 09:00）",
    "no exam": f"{SINCE}：目录文件不能去掉 exam",
    "ticket code": f"{SINCE}：科目 CET4 的 ticket_code 已是 1，不能改为 7",
    "site code": f"{SINCE}：校区 NJU-GL 的 site_code 已是 320101，不能改为 329999",
}


@pytest.mark.parametrize("what", list(PROBLEMS))
def test_r_room_1_after_plan_at_a_reload_may_not_change_what_the_plan_rests_on(what: str) -> None:
    """R-ROOM-1, R-TICKET-1: once `plan_at` has passed, the sitting, `plan_at`, a written subject's
    ticket code and a campus's site code stay as loaded: a reload changing one is refused, saying
    what, and nothing of it is written."""
    db = FakeDatabase()
    data = factories.sitting_province()
    loaded(db, data, "load-1")
    before = FakeCatalog(db).catalog()
    with pytest.raises(SittingFixed) as refused:
        loaded(db, replace(data, catalog=changed(data.catalog)[what]), "load-2", AFTER_PLAN)
    assert refused.value.problems == [PROBLEMS[what]]
    assert FakeCatalog(db).catalog() == before
    assert set(db.loads) == {"load-1"}


def test_r_room_1_after_plan_at_tickets_open_at_minutes_and_room_names_may_change() -> None:
    """R-TICKET-2: what only the tickets show (when they open, an exam's minutes, a room's name)
    may still be corrected after `plan_at`; the seed stays."""
    db = FakeDatabase()
    data = factories.sitting_province()
    loaded(db, data, "load-1")
    seed = FakeCatalog(db).sitting(with_seed=True)
    catalog = data.catalog
    corrected = replace(
        catalog,
        exam=replace(EXAM, tickets_open_at=EXAM.tickets_open_at + timedelta(days=2)),
        subjects={**catalog.subjects, "CET6": replace(catalog.subjects["CET6"], exam_minutes=150)},
        campuses={
            **catalog.campuses,
            "NJU-GL": replace(catalog.campuses["NJU-GL"], rooms=(RoomName("001", "图书馆"),)),
        },
    )
    loaded(db, replace(data, catalog=corrected), "load-2", AFTER_PLAN)
    found = FakeCatalog(db).catalog()
    assert found.exam == corrected.exam
    assert (found.subjects["CET6"].exam_minutes, found.campuses["NJU-GL"].room_name("001")) == (150, "图书馆")
    assert seed is not None
    assert FakeCatalog(db).sitting(with_seed=True) == replace(seed, tickets_open_at=corrected.exam.tickets_open_at)


def test_r_room_1_before_plan_at_a_file_without_exam_takes_the_sitting_away() -> None:
    """R-ROOM-1: without `exam` there is no room plan: a reload before `plan_at` that leaves it out
    leaves the catalog without a sitting."""
    db = FakeDatabase()
    loaded(db, factories.sitting_province(), "load-1")
    loaded(db, factories.province(), "load-2")
    assert (FakeCatalog(db).catalog().exam, FakeCatalog(db).sitting()) == (None, None)


def test_r_ticket_1_a_campus_keeps_its_site_code_and_room_names_through_its_catalog_part() -> None:
    """R-TICKET-1: a campus's part read and written again (as an administrator's capacity change
    does) keeps its site code and room names; a subject's part its ticket code and minutes; the
    sitting's part its fields; a campus or subject without them writes none."""
    catalog = factories.sitting_catalog()
    for campus in catalog.campuses.values():
        assert catalog_items.campus_from_json(catalog_items.campus_to_json(campus)) == campus
    for subject in catalog.subjects.values():
        assert catalog_items.subject_from_json(catalog_items.subject_to_json(subject)) == subject
    parts = catalog_items.catalog_parts(catalog)
    assert catalog_items.catalog_from_parts(parts).exam == EXAM
    plain = factories.catalog()
    assert "site_code" not in catalog_items.campus_to_json(plain.campuses["NJU-GL"])
    assert "ticket_code" not in catalog_items.subject_to_json(plain.subjects["CET4"])
    assert catalog_items.catalog_from_parts(catalog_items.catalog_parts(plain)).exam is None
