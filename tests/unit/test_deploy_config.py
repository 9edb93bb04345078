"""What `make province` generates stays in step with the code: every province's stage, each
function's role and the table (the whole command runs in tests/deploy)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from pynamodb.attributes import TTLAttribute

from chalicelib.config import ARGON2_MEMORY_KIB, ARGON2_TIME_COST, settings, weak_password_hashing
from chalicelib.storage.models import TableItem
from chalicelib.storage.tables import table_definition
from province.description import PROVINCES, Province, load
from province.package import chalice_config, environment
from province.template import FUNCTIONS, additions

PROVINCE_NAMES = sorted(p.stem for p in PROVINCES.glob("*.json"))


def province(name: str) -> Province:
    import json

    region = json.loads((PROVINCES / f"{name}.json").read_text(encoding="utf-8"))["region"]
    return load(name, region)


def resources(name: str) -> dict[str, Any]:
    found: dict[str, Any] = additions(province(name))["Resources"]
    return found


def test_the_provinces_folder_describes_at_least_the_sample() -> None:
    assert "zhejiang" in PROVINCE_NAMES


@pytest.mark.parametrize("name", PROVINCE_NAMES)
def test_every_stage_is_chalice_2_regional_with_room_for_argon2(name: str) -> None:
    config = chalice_config(province(name))
    assert (config["version"], config["app_name"]) == ("2.0", "cet-registration")
    assert config["api_gateway_endpoint_type"] == "REGIONAL"  # China's regions have no edge-optimised APIs
    assert config["lambda_memory_size"] >= 512  # 0.29 vCPU or more: a login's argon2 in ~120 ms (decision 0018)
    assert config["manage_iam_role"] is False  # each function's role is in the stack's template


@pytest.mark.parametrize("name", PROVINCE_NAMES)
def test_r_acc_2_every_stage_sets_argon2_at_or_above_owasps_minimum(name: str) -> None:
    """R-ACC-2 (decision 0018): the stage names its parameters; a Lambda with them starts."""
    env = environment(province(name))
    stage = replace(
        settings(),
        argon2_memory_kib=int(env["ARGON2_MEMORY_KIB"]),
        argon2_time_cost=int(env["ARGON2_TIME_COST"]),
        on_lambda=True,
    )
    assert weak_password_hashing(stage) is None
    assert (stage.argon2_memory_kib, stage.argon2_time_cost) == (ARGON2_MEMORY_KIB, ARGON2_TIME_COST)


@pytest.mark.parametrize("name", PROVINCE_NAMES)
def test_no_stage_turns_test_mode_on_and_every_stage_names_its_public_url(name: str) -> None:
    env = environment(province(name))
    assert env["TEST_MODE"] == "0"  # TEST_MODE=1 moves the clock and hands out captcha answers
    assert env["PUBLIC_API_URL"].startswith("https://")
    assert env["TABLE_NAME"] == province(name).table


def ttl_attribute_of_models() -> str:
    return next(attr.attr_name for attr in TableItem.get_attributes().values() if isinstance(attr, TTLAttribute))


def test_the_stacks_table_is_the_table_the_code_creates() -> None:
    table = resources("zhejiang")["ProvinceTable"]["Properties"]
    expected = table_definition("cet-registration-zhejiang")
    for key in ("TableName", "KeySchema", "AttributeDefinitions", "BillingMode", "GlobalSecondaryIndexes"):
        assert table[key] == expected[key], key
    assert table["StreamSpecification"] == {"StreamViewType": expected["StreamSpecification"]["StreamViewType"]}
    assert table["TimeToLiveSpecification"] == {"AttributeName": ttl_attribute_of_models(), "Enabled": True}


def role_statements(name: str, role: str) -> list[dict[str, Any]]:
    (policy,) = resources(name)[role]["Properties"]["Policies"]
    statements: list[dict[str, Any]] = policy["PolicyDocument"]["Statement"]
    return statements


@pytest.mark.parametrize("role", ["ApiRole", "ExpiryJobRole", "ReconcileJobRole"])
def test_roles_that_run_transactions_may_do_each_of_their_actions_on_the_table(role: str) -> None:
    granted = {a for s in role_statements("zhejiang", role) if "dynamodb" in str(s["Action"]) for a in s["Action"]}
    for action in ("PutItem", "UpdateItem", "DeleteItem", "ConditionCheckItem", "Query"):
        assert f"dynamodb:{action}" in granted, (role, action)
    # the expiry job reads only what is due and the account's partition: no GetItem (issue 25)
    assert ("dynamodb:GetItem" in granted) is (role != "ExpiryJobRole")


@pytest.mark.parametrize("role", sorted(set(FUNCTIONS.values())))
def test_no_role_grants_a_wildcard_action_or_a_wildcard_resource_but_list_streams(role: str) -> None:
    for statement in role_statements("zhejiang", role):
        assert not any(action.endswith("*") for action in statement["Action"]), statement
        if statement["Resource"] == "*":
            assert statement["Action"] == ["dynamodb:ListStreams"]  # no resource-level permission exists


def test_r_queue_4_the_admission_jobs_lease_outlives_its_function() -> None:
    """R-QUEUE-4: a runner the platform stops at its timeout never holds an opening past its lease,
    and no second runner starts before it is over."""
    from chalicelib.services.waiting_room_admission import LEASE
    from province.package import ADMIT_TIMEOUT_SECONDS, chalice_config

    assert LEASE.total_seconds() > ADMIT_TIMEOUT_SECONDS
    stage = next(iter(chalice_config(province("zhejiang"))["stages"].values()))
    assert stage["lambda_functions"]["admit_queued"] == {"reserved_concurrency": 1, "lambda_timeout": 900}


def test_r_queue_4_the_admission_job_changes_only_places_admissions_progress_and_its_lease() -> None:
    """… and adds the admission's message to the outbox (R-NOTE-2)."""
    statements = role_statements("zhejiang", "AdmissionJobRole")
    writes = {
        (s["Action"][0], tuple(s["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"])): s
        for s in statements
        if s["Action"][0] in ("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem")
    }
    assert set(writes) == {
        ("dynamodb:UpdateItem", ("ACCOUNT#*",)),
        ("dynamodb:UpdateItem", ("OPENING#*",)),
        ("dynamodb:PutItem", ("OUTBOX#*", "LEASE#*")),
        ("dynamodb:DeleteItem", ("LEASE#*",)),
    }
    entry = writes[("dynamodb:UpdateItem", ("ACCOUNT#*",))]["Condition"]["ForAllValues:StringEquals"]
    assert set(entry["dynamodb:Attributes"]) >= {"position", "admitted_at"}
