"""GET /subjects says which written subject an oral subject needs first (R-ORAL-4): `needs_written`,
the answer of the same check that refuses the choice with 403 WRITTEN_REQUIRED.

Part of the HTTP contract: tests/e2e/contract.py holds the shared helpers and the registry that
tests/e2e/test_contract_zz_registry.py checks.
"""

from __future__ import annotations

import pytest
from chalice.test import Client

from tests.e2e.contract import (
    LI,
    REMOVE,
    ZHANG,
    advance,
    choose,
    chosen,
    expect,
    ok,
    parse_time,
    remove,
    server_now,
    subject_options,
)
from tests.e2e.http import agreed_student, log_in, new_login, registered

pytestmark = pytest.mark.usefixtures("contract")
CHOOSE = "POST /registration/subjects"


def needs_written(client: Client, token: str) -> dict[str, str | None]:
    return {code: option["needs_written"] for code, option in subject_options(client, token).items()}


def test_r_oral_4_subjects_name_the_written_subject_an_oral_one_needs_first(client: Client) -> None:
    """R-ORAL-4: CET-SET4 needs CET4 in the same registration: `needs_written` is "CET4" until CET4
    is chosen (another level-4 written subject is not enough), null after, and again once CET4 is
    removed; choosing agrees with it every time; written subjects never need one."""
    token = registered(client, ZHANG)
    assert needs_written(client, token) == {
        "CET4": None,
        "CET6": None,
        "CJT4": None,
        "CJT6": None,
        "CET-SET4": "CET4",
        "CET-SET6": "CET6",
    }
    chosen(client, token, "CJT4")
    assert needs_written(client, token)["CET-SET4"] == "CET4"
    expect(choose(client, token, "CET-SET4", "NJU-GL"), CHOOSE, 403, "WRITTEN_REQUIRED")
    ok(remove(client, token, "CJT4"), REMOVE)
    chosen(client, token, "CET4")
    assert needs_written(client, token)["CET-SET4"] is None
    chosen(client, token, "CET-SET4", "NJU-GL")
    assert needs_written(client, token)["CET-SET4"] is None
    ok(remove(client, token, "CET-SET4"), REMOVE)
    ok(remove(client, token, "CET4"), REMOVE)
    assert needs_written(client, token)["CET-SET4"] == "CET4"


def test_r_oral_4_a_written_subject_past_pay_by_is_needed_again(client: Client) -> None:
    """R-ORAL-4 with R-PAY-1: an unpaid CET4 past its pay_by is gone, so CET-SET4 needs it again at
    once (no job run), while CET-SET6 keeps its live CET6."""
    login = new_login()
    token = registered(client, LI, agreed_student(client, login))
    cet4 = chosen(client, token, "CET4")["subjects"][0]
    advance(client, 12 * 3600)
    token = log_in(client, login)
    chosen(client, token, "CET6")
    assert {k: v for k, v in needs_written(client, token).items() if k.startswith("CET-SET")} == {
        "CET-SET4": None,
        "CET-SET6": None,
    }
    advance(client, (parse_time(cet4["pay_by"]) - server_now(client)).total_seconds() + 1)
    token = log_in(client, login)
    assert needs_written(client, token)["CET-SET4"] == "CET4"
    assert needs_written(client, token)["CET-SET6"] is None
    expect(choose(client, token, "CET-SET4", "NJU-GL"), CHOOSE, 403, "WRITTEN_REQUIRED")
