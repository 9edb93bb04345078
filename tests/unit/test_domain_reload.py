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


def test_r_ops_2_each_differing_change_is_told_as_the_administrator_reads_it() -> None:
    """R-OPS-2: the target named with its school, both values in Beijing time or as text; a notice
    shown up to 40 characters, a longer one cut with ……; a school the file gives no window says 无."""
    file = file_with_two_nju_windows()
    long_notice = "须" * 41
    file = replace(
        file,
        schools={**file.schools, "SEU": replace(file.schools["SEU"], notice="须" * 40)},
        windows={school: windows for school, windows in file.windows.items() if school != "SEU"},
    )
    table = replace(
        changed_table(file),
        province=replace(file.province, notice=long_notice),
    )
    table = replace(table, windows={**table.windows, "SEU": file_with_two_nju_windows().windows["SEU"]})
    changed = (*CHANGED, "window/SEU")
    told = {d.what: d for d in reload_catalog(file, table, changed, file_wins=False).differing}
    assert told["notice/province"].table == "「" + "须" * 40 + "……」"
    assert told["notice/province"].file == "「示例省通告：请在 24 小时内缴费。」"
    seu = told["notice/SEU"]
    assert (seu.target, seu.table, seu.file) == ("东南大学（SEU） 公告", "「东南大学新须知」", "「" + "须" * 40 + "」")
    nju = told["window/NJU"]
    assert nju.target == "南京大学（NJU） 报名时间"
    assert nju.file == "2024-01-01 00:00 至 2024-01-02 00:00，2024-01-01 00:00 至 2099-12-31 00:00"
    assert (told["window/SEU"].table, told["window/SEU"].file) == ("2024-01-01 00:00 至 2099-12-31 00:00", "无")


def test_r_ops_3_a_target_the_file_dropped_is_left_to_the_table_as_it_is() -> None:
    """R-OPS-3: an oral subject the file no longer offers at the campus, a school the file no longer
    has: the table keeps them (the loader only puts), nothing is told."""
    file = factories.catalog(capacity=100)
    campus = file.campuses["NJU-GL"]
    dropped = replace(file, campuses={**file.campuses, "NJU-GL": replace(campus, oral=campus.oral[:1])})
    gone_school = replace(file.schools["SEU"], id="GONE", notice="已撤销学校的须知")
    table = replace(
        file,
        schools={**file.schools, "GONE": gone_school},
        windows={**file.windows, "GONE": (Window("GONE", NOW, NOW + timedelta(days=1)),)},
        campuses={
            **file.campuses,
            "NJU-GL": replace(campus, oral=(campus.oral[0], replace(campus.oral[1], capacity=7))),
        },
    )
    whats = ("seats/NJU-GL/CET-SET6", "notice/GONE", "window/GONE")
    reloaded = reload_catalog(dropped, table, whats, file_wins=False)
    assert reloaded.differing == ()
    assert reloaded.catalog == dropped


def test_r_ops_2_a_target_left_to_the_table_does_not_stop_the_ones_after_it() -> None:
    """The change log is read in order of its targets: one the file dropped, then one kept."""
    file = factories.catalog(capacity=100)
    reloaded = reload_catalog(file, changed_table(file), ("notice/GONE", "notice/SEU"), file_wins=False)
    assert [d.what for d in reloaded.differing] == ["notice/SEU"]
    assert reloaded.catalog.schools["SEU"].notice == "东南大学新须知"
    assert reload_catalog(file, None, CHANGED, file_wins=True).file_wins
