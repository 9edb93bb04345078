"""`python -m province recount` on moto (R-OPS-1, decision 0027): a registration saved before the
counters existed and deleted since leaves its hour at -1; --dry-run prints that difference and writes
nothing; the recount writes it; the command's output and exit code. (The recount racing registration
is tested on DynamoDB Local: tests/integration/test_administration.py.)"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from chalicelib.bootstrap import Services, build_services
from chalicelib.config import settings
from chalicelib.domain.clock import FixedClock
from chalicelib.domain.registration import Registration
from chalicelib.services.province import load_province
from chalicelib.storage.keys_ops import figure_pk, figure_shard, hour_of, saved_sk
from chalicelib.storage.models import FigureItem
from province import recount as command
from province.__main__ import main as province_main
from tests import factories
from tests.integration.students import account

NOW = factories.NOW


@pytest.fixture
def built(moto_table: None) -> Services:
    services = build_services(settings(), FixedClock(NOW))
    load_province(services.loading, factories.province(), NOW)
    return services


def saved(built: Services) -> dict[str, int]:
    return {at.isoformat(): n for at, n in built.administration.store.figures().saved_per_hour.items()}


def hour(at: datetime) -> str:
    return hour_of(at).isoformat()


def test_r_ops_1_a_registration_older_than_the_counters_deleted_leaves_minus_one_until_a_recount(
    built: Services, capsys: pytest.CaptureFixture[str]
) -> None:
    """R-OPS-1, R-BIND-4: the deletion of a registration saved before the counters keeps its -1 (the
    counter's drift from the items must not change, decision 0027), so the hour reads -1; --dry-run
    names the counter and writes nothing; the recount writes +1 and the hour is gone; a second
    dry run finds nothing. Fails on the old code: there is no recount command."""
    registrations = built.registration.registrations
    older, kept = account(1), account(2)
    earlier = NOW - timedelta(hours=2)
    for a, row, at in ((older, factories.ZHANG, earlier), (kept, factories.LI, NOW)):
        built.accounts.accounts.create(a)
        registrations.bind(Registration(a.account_id, factories.entry(row), at))
    # as in a table loaded before the counters: the older registration was never counted
    FigureItem(figure_pk(figure_shard(older.account_id)), saved_sk(earlier)).update(actions=[FigureItem.value.add(-1)])
    found = registrations.get(older.account_id)
    assert found is not None
    registrations.delete_registration(found, NOW)
    assert saved(built) == {hour(earlier): -1, hour(NOW): 1}

    assert command.main(["--dry-run", "--segments", "1"]) == 0
    out = capsys.readouterr()
    counter = f"FIGURES#{figure_shard(older.account_id)} {saved_sk(earlier)}"
    assert f"{counter}：记录 -1，实有 0（+1）" in out.out, out.out
    assert "不符 1 个，试运行，未写入。" in out.out
    assert "扫描（第 1 轮）" in out.err  # progress on stderr
    assert saved(built) == {hour(earlier): -1, hour(NOW): 1}  # nothing written

    assert province_main(["recount", "--segments", "1"]) == 0
    assert "不符 1 个，已更正 1 个。" in capsys.readouterr().out
    assert saved(built) == {hour(NOW): 1}

    assert command.main(["--dry-run", "--segments", "1"]) == 0
    assert "不符 0 个" in capsys.readouterr().out
