"""The deploy files stay in step with the code: stages, IAM policies and the table template."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pynamodb.attributes import TTLAttribute

from chalicelib.storage.models import TableItem
from chalicelib.storage.tables import table_definition

ROOT = Path(__file__).resolve().parents[2]
CHALICE = ROOT / ".chalice"
TEMPLATE = ROOT / "docs" / "deploy" / "table.json"


def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def chalice_config() -> dict[str, Any]:
    config: dict[str, Any] = read_json(CHALICE / "config.json")
    return config


def stage_names() -> list[str]:
    return sorted(chalice_config()["stages"])


def stage_setting(stage: str, name: str) -> Any:
    """Chalice's lookup: the stage's own value, else the top-level one."""
    config = chalice_config()
    return config["stages"][stage].get(name, config.get(name))


def stage_env(stage: str) -> dict[str, str]:
    config = chalice_config()
    return {**config.get("environment_variables", {}), **config["stages"][stage].get("environment_variables", {})}


def policy(stage: str) -> dict[str, Any]:
    document: dict[str, Any] = read_json(CHALICE / stage_setting(stage, "iam_policy_file"))
    return document


def granted(stage: str, action: str) -> list[str]:
    """Every resource the stage's policy allows `action` on."""
    resources: list[str] = []
    for statement in policy(stage)["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        if statement["Effect"] == "Allow" and action in actions:
            found = statement["Resource"]
            resources += found if isinstance(found, list) else [found]
    return resources


def table_properties() -> dict[str, Any]:
    resources = read_json(TEMPLATE)["Resources"]
    tables = [r for r in resources.values() if r["Type"] == "AWS::DynamoDB::Table"]
    assert len(tables) == 1
    properties: dict[str, Any] = tables[0]["Properties"]
    return properties


def ttl_attribute_of_models() -> str:
    return next(attr.attr_name for attr in TableItem.get_attributes().values() if isinstance(attr, TTLAttribute))


# (a) stages
def test_config_is_chalice_2_for_the_app() -> None:
    config = chalice_config()
    assert config["version"] == "2.0"
    assert config["app_name"] == "cet-registration"
    assert stage_names()


@pytest.mark.parametrize("stage", stage_names())
def test_every_stage_names_its_table_and_ships_its_own_policy(stage: str) -> None:
    assert stage_env(stage).get("TABLE_NAME")
    assert stage_setting(stage, "autogen_policy") is False  # autogen does not see PynamoDB calls
    assert (CHALICE / stage_setting(stage, "iam_policy_file")).is_file()


@pytest.mark.parametrize("stage", stage_names())
def test_no_stage_turns_test_mode_on(stage: str) -> None:
    # TEST_MODE=1 moves the clock and hands out captcha answers.
    assert stage_env(stage).get("TEST_MODE", "0") != "1"


@pytest.mark.parametrize("stage", stage_names())
def test_lambda_has_room_for_argon2(stage: str) -> None:
    assert stage_setting(stage, "lambda_memory_size") >= 512  # 64 MiB per hash (R-ACC-2)


# (b) the table template is the table the code creates
def test_template_keys_match_the_code() -> None:
    expected = table_definition("x")
    properties = table_properties()
    assert properties["KeySchema"] == expected["KeySchema"]
    assert sorted(properties["AttributeDefinitions"], key=str) == sorted(expected["AttributeDefinitions"], key=str)
    assert properties["BillingMode"] == expected["BillingMode"]


def test_template_index_matches_the_code() -> None:
    assert table_properties()["GlobalSecondaryIndexes"] == table_definition("x")["GlobalSecondaryIndexes"]


def test_template_stream_matches_the_code() -> None:
    expected = table_definition("x")["StreamSpecification"]
    assert expected["StreamEnabled"] is True
    assert table_properties()["StreamSpecification"]["StreamViewType"] == expected["StreamViewType"]


def test_template_ttl_is_the_models_ttl_attribute() -> None:
    ttl = table_properties()["TimeToLiveSpecification"]
    assert ttl == {"AttributeName": ttl_attribute_of_models(), "Enabled": True}
    assert ttl["AttributeName"] == "expires"  # what tables.create_table enables locally


def test_template_keeps_the_table_and_its_history() -> None:
    resource = next(iter(read_json(TEMPLATE)["Resources"].values()))
    assert resource["DeletionPolicy"] == "Retain"
    assert resource["Properties"]["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert resource["Properties"]["TableName"] == {"Ref": "TableName"}
    assert "TableName" in read_json(TEMPLATE)["Parameters"]


# (c) policies
def table_arns(stage: str) -> tuple[str, str]:
    table = f"arn:*:dynamodb:*:*:table/{stage_env(stage)['TABLE_NAME']}"
    return table, f"{table}/index/*"


@pytest.mark.parametrize("stage", stage_names())
def test_policy_allows_transactions_on_the_stage_table(stage: str) -> None:
    table, _ = table_arns(stage)
    for action in ("GetItem", "PutItem", "UpdateItem", "DeleteItem", "ConditionCheckItem"):
        assert table in granted(stage, f"dynamodb:{action}"), action


@pytest.mark.parametrize("stage", stage_names())
def test_policy_allows_query_on_the_indexes(stage: str) -> None:
    table, indexes = table_arns(stage)
    assert {table, indexes} <= set(granted(stage, "dynamodb:Query"))


@pytest.mark.parametrize("stage", stage_names())
def test_policy_allows_reading_the_stream(stage: str) -> None:
    table, _ = table_arns(stage)
    for action in ("DescribeStream", "GetRecords", "GetShardIterator"):
        assert f"{table}/stream/*" in granted(stage, f"dynamodb:{action}"), action


@pytest.mark.parametrize("stage", stage_names())
def test_policy_reaches_no_other_table(stage: str) -> None:
    table, indexes = table_arns(stage)
    for statement in policy(stage)["Statement"]:
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        for resource in resources:
            if ":dynamodb:" in resource:
                assert resource in (table, indexes, f"{table}/stream/*"), resource
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        assert not any(action.endswith("*") for action in actions), actions
        if resources == ["*"]:
            assert actions == ["dynamodb:ListStreams"]  # the one action without resource-level permissions
