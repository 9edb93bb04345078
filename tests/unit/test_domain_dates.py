"""R-DATE-1: which registration window the student is shown."""

from __future__ import annotations

from datetime import datetime, timedelta

from chalicelib.domain.catalog import Catalog, OralOffering, Province, Window
from chalicelib.domain.clock import SHANGHAI

SPRING = Window("S", datetime(2026, 3, 1, 9, tzinfo=SHANGHAI), datetime(2026, 3, 15, 17, tzinfo=SHANGHAI))
AUTUMN = Window("S", datetime(2026, 9, 1, 9, tzinfo=SHANGHAI), datetime(2026, 9, 15, 17, tzinfo=SHANGHAI))
CATALOG = Catalog(Province("39", "示例省", ""), windows={"S": (AUTUMN, SPRING)})


def at(month: int, day: int, hour: int = 12) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=SHANGHAI)


def test_r_date_1_the_open_window_is_shown_while_it_is_open() -> None:
    assert CATALOG.window_of("S", at(3, 10)) == SPRING
    assert CATALOG.window_of("S", at(9, 15, 16)) == AUTUMN


def test_r_date_1_before_a_window_opens_the_next_one_is_shown() -> None:
    assert CATALOG.window_of("S", at(1, 1)) == SPRING
    assert CATALOG.window_of("S", at(3, 15, 17)) == AUTUMN  # the spring one has just closed


def test_r_date_1_after_the_last_window_closed_it_is_still_shown() -> None:
    assert CATALOG.window_of("S", at(12, 1)) == AUTUMN


def test_r_date_1_a_school_without_a_window_has_none() -> None:
    assert CATALOG.window_of("OTHER", at(3, 10)) is None


def test_r_date_1_after_the_last_of_three_windows_closed_the_last_is_shown() -> None:
    summer = Window("S", datetime(2026, 6, 1, 9, tzinfo=SHANGHAI), datetime(2026, 6, 5, 17, tzinfo=SHANGHAI))
    three = Catalog(Province("39", "示例省", ""), windows={"S": (AUTUMN, SPRING, summer)})
    assert three.window_of("S", at(12, 1)) == AUTUMN
    assert three.window_of("S", at(5, 1)) == summer
    assert three.window_of("T", at(5, 1)) is None


def test_r_bind_1_and_r_oral_1_a_window_opens_at_its_first_second_and_is_closed_at_its_end() -> None:
    """The moment `opens_at` is inside; `closes_at` is not: the same for a school's registration
    window (R-BIND-1) and a campus's oral registration (R-ORAL-1)."""
    assert SPRING.is_open(SPRING.opens_at)
    assert not SPRING.is_open(SPRING.closes_at)
    assert not SPRING.is_open(SPRING.opens_at - timedelta(seconds=1))
    oral = OralOffering("C1", "CET-SET4", 10, SPRING.opens_at, SPRING.closes_at)
    assert oral.is_open(SPRING.opens_at)
    assert not oral.is_open(SPRING.closes_at)
    assert CATALOG.window_open("S", at(3, 10))
    assert not CATALOG.window_open("S", at(12, 1))
    assert not CATALOG.window_open("T", at(3, 10))  # a school with no window is closed
