"""R-OPS-2, R-OPS-3: a reload of the catalog file keeps the administrator's changes, or with
--file-wins writes the file's values over them; either way each one is told (domain/reload.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from chalicelib.domain.catalog import Catalog, Window
from chalicelib.domain.reload import reload_catalog
from tests import factories

NOW = factories.NOW
CHANGED = ("seats/NJU-GL/CET-SET4", "window/NJU", "notice/province", "notice/SEU")


def changed_table(file: Catalog) -> Catalog:
    """The table after the administrator raised a capacity, closed a window, changed two notices
    (and one more capacity and notice nobody logged: a load's own values, not changes)."""
    campus = file.campuses["NJU-GL"]
    oral = (replace(campus.oral[0], capacity=120), replace(campus.oral[1], capacity=55))
    return replace(
        file,
        province=replace(file.province, notice="新的省通告"),
        schools={
            **file.schools,
            "SEU": replace(file.schools["SEU"], notice="东南大学新须知"),
            "NJU": replace(file.schools["NJU"], notice="未记录的须知"),
        },
        campuses={**file.campuses, "NJU-GL": replace(campus, oral=oral)},
        windows={**file.windows, "NJU": (Window("NJU", NOW, NOW + timedelta(hours=1)),)},
    )


def file_with_two_nju_windows() -> Catalog:
    file = factories.catalog(capacity=100)
    early = Window("NJU", factories.LONG_AGO, factories.LONG_AGO + timedelta(days=1))
    return replace(file, windows={**file.windows, "NJU": (early, *file.windows["NJU"])})


def test_r_ops_2_a_reload_keeps_each_changed_target_from_the_table_and_tells_it() -> None:
    """R-OPS-2: capacity, window (the school's only one: none of the file's others comes back),
    notices: the table's; what nobody changed stays the file's."""
    file = file_with_two_nju_windows()
    table = changed_table(file)
    reloaded = reload_catalog(file, table, CHANGED, file_wins=False)
    got = reloaded.catalog
    assert got.campuses["NJU-GL"].oral[0].capacity == 120
    assert got.campuses["NJU-GL"].oral[1].capacity == 100  # not in the change log: the file's
    assert got.windows["NJU"] == table.windows["NJU"]
    assert got.windows["SEU"] == file.windows["SEU"]
    assert got.province.notice == "新的省通告"
    assert got.schools["SEU"].notice == "东南大学新须知"
    assert got.schools["NJU"].notice == file.schools["NJU"].notice
    told = {d.what: d for d in reloaded.differing}
    assert set(told) == set(CHANGED)
    seats = told["seats/NJU-GL/CET-SET4"]
    assert (seats.target, seats.table, seats.file) == ("NJU-GL 英语四级口试 容量", "120", "100")
    assert told["window/NJU"].table == "2098-09-01 10:00 至 2098-09-01 11:00"
    assert told["window/NJU"].file.count("至") == 2
    assert told["notice/province"].target == "示例省 公告"


def test_r_ops_2_with_file_wins_the_file_is_written_and_each_override_told() -> None:
    """R-OPS-2: --file-wins: the file's catalog as it is, every differing change still listed."""
    file = file_with_two_nju_windows()
    reloaded = reload_catalog(file, changed_table(file), CHANGED, file_wins=True)
    assert reloaded.catalog == file
    assert {d.what for d in reloaded.differing} == set(CHANGED)
    assert reloaded.file_wins


def test_r_ops_3_nothing_to_keep_on_a_first_load_or_where_the_values_agree() -> None:
    """R-OPS-3: no table yet, or a changed target the file now says the same of: nothing told;
    a target the file no longer holds is left to the table as it is (the loader only puts)."""
    file = factories.catalog(capacity=100)
    assert reload_catalog(file, None, CHANGED, file_wins=False).differing == ()
    same = reload_catalog(file, file, CHANGED, file_wins=False)
    assert same.catalog == file
    assert same.differing == ()
    gone = ("seats/GONE/CET-SET4", "window/GONE", "notice/GONE", "seats/NJU-GL/NONE", "odd/thing")
    assert reload_catalog(file, changed_table(file), gone, file_wins=False).differing == ()
