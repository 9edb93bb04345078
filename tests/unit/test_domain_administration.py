"""The province administrator's checks and figures (R-OPS-1, R-OPS-2), before anything is written."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from chalicelib.domain.administration import (
    MAX_CAPACITY,
    MAX_NOTICE,
    check_capacity,
    check_notice,
    check_window,
    school_windows,
    window_state,
)
from chalicelib.domain.catalog import Window
from chalicelib.domain.errors import CapacityBelowTaken, InvalidRequest, InvalidWindow, NotFound
from tests.factories import FAR_AHEAD, LONG_AGO, NOW, catalog


def test_r_ops_2_a_window_closes_after_it_opens() -> None:
    window = check_window(catalog(), "NJU", NOW, NOW + timedelta(minutes=1))
    assert window == Window("NJU", NOW, NOW + timedelta(minutes=1))
    with pytest.raises(InvalidWindow):
        check_window(catalog(), "NJU", NOW, NOW)
    with pytest.raises(InvalidWindow):
        check_window(catalog(), "NJU", NOW, NOW - timedelta(seconds=1))


def test_r_ops_2_a_window_is_for_a_school_of_the_province() -> None:
    with pytest.raises(NotFound, match="没有这所学校"):
        check_window(catalog(), "PKU", NOW, NOW + timedelta(days=1))


@pytest.mark.parametrize("capacity", [0, 1, 37, MAX_CAPACITY])
def test_r_ops_2_a_capacity_is_a_whole_number_from_0_to_the_bound(capacity: int) -> None:
    assert check_capacity(catalog(), "NJU-GL", "CET-SET4", capacity) == capacity


@pytest.mark.parametrize("capacity", [-1, MAX_CAPACITY + 1, 2.0, "5", True, None])
def test_r_ops_2_a_capacity_that_is_not_such_a_number_is_refused(capacity: object) -> None:
    with pytest.raises(InvalidRequest) as refused:
        check_capacity(catalog(), "NJU-GL", "CET-SET4", capacity)
    assert refused.value.field == "capacity"
    assert str(MAX_CAPACITY) in refused.value.message


def test_r_ops_2_a_capacity_is_for_an_oral_subject_the_campus_offers() -> None:
    with pytest.raises(NotFound, match="没有这个校区"):
        check_capacity(catalog(), "NOWHERE", "CET-SET4", 10)
    with pytest.raises(NotFound, match="没有这个口试科目"):
        check_capacity(catalog(), "NJU-XL", "CET-SET6", 10)


@pytest.mark.parametrize("target", ["province", "NJU"])
def test_r_ops_2_a_notice_is_the_provinces_or_a_schools(target: str) -> None:
    assert check_notice(catalog(), target, "请携带身份证。") == "请携带身份证。"
    assert check_notice(catalog(), target, "") == ""
    assert check_notice(catalog(), target, "字" * MAX_NOTICE) == "字" * MAX_NOTICE


def test_r_ops_2_a_notice_for_an_unknown_school_or_too_long_is_refused() -> None:
    with pytest.raises(NotFound, match="没有这所学校"):
        check_notice(catalog(), "PKU", "通知")
    for notice in ("字" * (MAX_NOTICE + 1), None, 3):
        with pytest.raises(InvalidRequest) as refused:
            check_notice(catalog(), "NJU", notice)
        assert refused.value.field == "notice"
        assert str(MAX_NOTICE) in refused.value.message


def test_r_ops_1_the_windows_by_school_then_opening_and_whether_open_now() -> None:
    windows = school_windows(catalog(), NOW)
    assert [(w.school_id, w.school_name, w.opens_at, w.closes_at, w.open_now) for w in windows] == [
        ("NJU", "南京大学", LONG_AGO, FAR_AHEAD, True),
        ("OLD", "已截止学院", LONG_AGO, LONG_AGO + timedelta(days=30), False),
        ("SEU", "东南大学", LONG_AGO, FAR_AHEAD, True),
    ]


def test_r_ops_1_a_schools_windows_are_listed_by_opening_then_closing() -> None:
    base = catalog()  # only NJU has windows now: the other schools have no line
    later = Window("NJU", NOW, NOW + timedelta(days=2))
    shorter = Window("NJU", NOW, NOW + timedelta(days=1))
    first = Window("NJU", LONG_AGO, NOW)
    changed = replace(base, windows={"NJU": (later, shorter, first)})
    windows = school_windows(changed, NOW)
    assert [(w.opens_at, w.closes_at, w.open_now) for w in windows] == [
        (LONG_AGO, NOW, False),
        (NOW, NOW + timedelta(days=1), True),
        (NOW, NOW + timedelta(days=2), True),
    ]


def test_r_ops_2_a_window_change_records_the_windows_and_whether_registration_was_open() -> None:
    closed = Window("NJU", LONG_AGO, LONG_AGO + timedelta(days=1))
    open_now = Window("NJU", NOW - timedelta(hours=1), NOW + timedelta(hours=1))
    assert window_state((closed,), NOW) == {
        "windows": [{"opens_at": "2024-01-01T00:00:00+08:00", "closes_at": "2024-01-02T00:00:00+08:00"}],
        "open_now": False,
    }
    state = window_state((closed, open_now), NOW)
    assert state["open_now"] is True
    assert len(state["windows"]) == 2
    assert window_state((), NOW) == {"windows": [], "open_now": False}


def test_r_ops_2_a_capacity_below_the_seats_taken_is_refused_with_how_many_are_taken() -> None:
    refused = CapacityBelowTaken(7)
    assert (refused.code, refused.taken) == ("CAPACITY_BELOW_TAKEN", 7)
    assert refused.message == "容量不能低于已占用的考位数（7）。"
