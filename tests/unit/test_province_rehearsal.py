"""`province synth-roll` and the verdict of `province rehearse` (issue: a rehearsal of the opening
minute). The rehearsal itself runs against a local stack in tests/e2e/test_rehearsal.py."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from chalicelib.domain.identity import IdType
from province import rehearse, synth_roll
from province.checks import id_number_problem
from province.dataset import load_dataset
from province.rehearse import Seats, Step
from province.rows import ROLL, check_sheet

DEMO = synth_roll.DEMO


def test_r_qual_4_synthetic_id_numbers_are_valid_distinct_and_of_the_fictional_region() -> None:
    numbers = [synth_roll.resident_id(n) for n in [*range(5000), *range(9_999_000, 10_000_000)]]
    assert len(set(numbers)) == len(numbers)
    assert all(n.startswith("39") for n in numbers)  # region 39 exists nowhere
    assert [n for n in numbers if id_number_problem(IdType.RESIDENT_ID, n)] == []


def test_r_ops_3_the_synthetic_roll_is_a_roll_the_loader_accepts(tmp_path: Path) -> None:
    assert synth_roll.main(["--students", "300", "--out", str(tmp_path)]) == 0
    catalog = load_dataset(DEMO, catalog_file=True).catalog
    checked = check_sheet(tmp_path / "roll.csv", ROLL, catalog)
    assert (checked.rows, checked.problems) == (300, 0)
    with (tmp_path / "roll.csv").open(encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    now = datetime.now(UTC)
    assert all(catalog.window_open(row["学校代码"], now) for row in rows)  # students who can register now
    assert {row["资格科目"] for row in rows} == {"CET4；CET-SET4"}
    dataset = load_dataset(tmp_path / "dataset.json")  # the local stack's file: the same students
    assert sorted(r.id_number for r in dataset.roll) == sorted(row["证件号码"] for row in rows)
    assert json.loads((tmp_path / "dataset.json").read_text(encoding="utf-8"))["staff"]  # its staff kept


def test_r_queue_1_the_synthetic_dataset_declares_an_opening_at_the_rolls_campuses(tmp_path: Path) -> None:
    """--opening-in: an opening the loader takes (its queue not yet open, R-QUEUE-3), over the very
    campuses the students register at, its seats --queue-seconds after its queue."""
    before = datetime.now(UTC)
    arguments = ["--students", "40", "--out", str(tmp_path), "--opening-in", "120", "--queue-seconds", "30"]
    assert synth_roll.main([*arguments, "--admit-per-minute", "7"]) == 0
    dataset = load_dataset(tmp_path / "dataset.json")
    opening = dataset.catalog.openings["rehearsal"]
    assert opening.queue_opens_at - before >= timedelta(seconds=120)
    assert opening.opens_at - opening.queue_opens_at == timedelta(seconds=30)
    assert set(opening.campuses) == {row.campus_id for row in dataset.roll}
    assert opening.admit_per_minute == 7
    assert "nyit-2027" in dataset.catalog.openings  # the catalog's own openings kept


def test_r_queue_1_without_opening_in_the_dataset_declares_no_new_opening(tmp_path: Path) -> None:
    assert synth_roll.main(["--students", "5", "--out", str(tmp_path)]) == 0
    assert "rehearsal" not in load_dataset(tmp_path / "dataset.json").catalog.openings


def test_synth_roll_refuses_what_it_cannot_make(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert synth_roll.main(["--students", "0", "--out", str(tmp_path)]) == 2
    assert synth_roll.main(["--students", "5", "--written", "CET9", "--out", str(tmp_path)]) == 2
    assert "没有科目 CET9" in capsys.readouterr().err
    assert synth_roll.main(["--students", "5", "--opening-in", "0", "--out", str(tmp_path)]) == 2
    assert "--opening-in" in capsys.readouterr().err


def grabs(answered: int, failed: int = 0) -> list[Step]:
    return [Step("1 captcha", 10, 0, "5", "9"), Step(rehearse.GRAB, answered + failed, failed, "7", "30")]


def test_the_rehearsal_passes_when_seats_add_up_and_only_busy_went_wrong() -> None:
    lines, good = rehearse.verdict(grabs(4), {"BUSY": 3}, Seats(10, 100, 0), Seats(14, 100, 0))
    assert good
    assert "503 BUSY: 3 of 14 requests (21.4%)" in lines
    assert lines[-1] == "rehearsal: 0 errors, 0 oversell, busy 21.4%"


@pytest.mark.parametrize(
    ("errors", "after"),
    [
        ({"409 IDENTITY_BOUND": 1}, Seats(14, 100, 0)),  # an error other than BUSY
        ({}, Seats(14, 100, 2)),  # a campus holding more than its capacity (R-ORAL-3)
        ({}, Seats(15, 100, 0)),  # a seat taken that no grab was answered for
        ({}, Seats(13, 100, 0)),  # a grab answered 201 without a seat taken
    ],
)
def test_the_rehearsal_fails_on_errors_oversell_or_seats_that_do_not_add_up(
    errors: dict[str, int], after: Seats
) -> None:
    _, good = rehearse.verdict(grabs(4), errors, Seats(10, 100, 0), after)
    assert not good


def test_the_url_is_the_site_or_its_api_base() -> None:
    assert rehearse.api_base("http://127.0.0.1:8000/", "/api") == ("http://127.0.0.1:8000", "/api")
    assert rehearse.api_base("https://cet.example.cn/api", "/api") == ("https://cet.example.cn", "/api")


def test_busy_is_told_apart_from_errors_however_locust_wraps_it(tmp_path: Path) -> None:
    """api.md: 503 BUSY is an answer under overload, counted apart from errors."""
    figures = {
        "steps": [{"name": rehearse.GRAB, "requests": 3, "failures": 3, "p50": 5, "p99": 9}],
        "errors": {"CatchResponseError('BUSY')": 2, "BUSY": 1, "CatchResponseError('409 IDENTITY_BOUND')": 1},
    }
    (tmp_path / "figures.json").write_text(json.dumps(figures), encoding="utf-8")
    steps, errors = rehearse.read_figures(tmp_path)
    assert errors == {"BUSY": 3, "409 IDENTITY_BOUND": 1}
    assert steps == [Step(rehearse.GRAB, 3, 3, "5", "9")]
