"""Seat counter shards (R-ORAL-4 at scale, decision 0019): how many, and how a reload splits them."""

from __future__ import annotations

import pytest

from chalicelib.domain.seats import DEFAULT_SEAT_SHARD_SIZE, MAX_SEAT_SHARDS, reshard, shard_count, split


@pytest.mark.parametrize(
    ("capacity", "size", "expected"),
    [(0, 50, 1), (1, 50, 1), (50, 50, 1), (51, 50, 2), (1000, 50, 16), (10_000, 10, MAX_SEAT_SHARDS), (200, None, 4)],
)
def test_r_oral_4_the_shard_count_follows_capacity_and_the_province_setting(
    capacity: int, size: int | None, expected: int
) -> None:
    assert shard_count(capacity, size) == expected
    assert DEFAULT_SEAT_SHARD_SIZE == 50


def test_r_oral_4_the_shards_capacities_sum_to_the_offerings() -> None:
    assert split(103, 4) == [26, 26, 26, 25]
    assert split(0, 3) == [0, 0, 0]  # a campus with no seats for the subject has none in any shard
    assert sum(split(1000, 16)) == 1000


def test_r_oral_4_a_reload_never_lets_a_shard_fall_below_its_seats_taken() -> None:
    """Capacity lowered from 100 to 40 over 4 shards holding 20, 5, 0, 0: sums to 40, none below."""
    capacities = reshard(40, 4, [20, 5, 0, 0])
    assert sum(capacities) == 40
    assert all(c >= t for c, t in zip(capacities, [20, 5, 0, 0], strict=True))


def test_r_oral_4_a_reload_keeps_every_shard_that_exists_even_when_fewer_are_wanted() -> None:
    """A hold in shard 3 gives its seat back there: the shard stays, counted in the sum."""
    capacities = reshard(60, 1, [10, 0, 0, 7])
    assert len(capacities) == 4
    assert sum(capacities) == 60
    assert capacities[3] >= 7


def test_r_oral_4_below_the_seats_already_taken_every_shard_is_full_at_what_it_holds() -> None:
    assert reshard(10, 2, [8, 7]) == [8, 7]


def test_r_oral_4_a_reload_that_adds_shards_splits_the_free_seats() -> None:
    capacities = reshard(200, 4, [50])
    assert capacities[0] == 50
    assert sum(capacities) == 200


def test_r_oral_4_a_reload_that_adds_shards_to_a_small_capacity_never_exceeds_it() -> None:
    """Shards that do not exist yet hold nothing: 2 seats over 4 shards are 2 seats."""
    assert reshard(2, 4, []) == [1, 1, 0, 0]
    assert reshard(3, 3, [1]) == [1, 1, 1]


def test_r_oral_4_a_reload_leaves_the_free_seats_spread_over_the_shards() -> None:
    """Decision 0019: a grab picks a shard at random; the surplus is taken from the shards with the
    most free seats, so no shard is left full while another has many free."""
    capacities = reshard(40, 4, [20, 5, 0, 0])
    assert capacities == [20, 10, 5, 5]
    assert [c - t for c, t in zip(capacities, [20, 5, 0, 0], strict=True)] == [0, 5, 5, 5]
