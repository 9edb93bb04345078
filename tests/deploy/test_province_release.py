"""Safe release (issue 21, decision 0037), on the stack's additions and through SAM's own transform,
without packaging: the API's alias, its canary rolled back by the API's 5xx and latency alarms, and
API Gateway invoking the alias rather than $LATEST."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from province.description import PROVINCES, DescriptionError, Opening, Province, load, parse
from province.quotas import quotas, report
from province.template import additions, merge
from province.template.guards import api_throttling
from province.template.release import invoke_the_alias, warm_at_openings, warm_windows

Json = dict[str, Any]
PROVINCE = load("zhejiang", "cn-northwest-1")
# What Chalice writes for the API (province/package.py), cut to one route: the function, the API
# whose integration calls it, and API Gateway's permission to.
CHALICE_API: Json = {
    "AWSTemplateFormatVersion": "2010-09-09",
    "Transform": "AWS::Serverless-2016-10-31",
    "Resources": {
        "APIHandler": {
            "Type": "AWS::Serverless::Function",
            "Properties": {"Runtime": "python3.11", "Handler": "app.app", "CodeUri": "s3://deploy/cet/deployment.zip"},
        },
        "RestAPI": {
            "Type": "AWS::Serverless::Api",
            "Properties": {
                "StageName": "api",
                "DefinitionBody": {
                    "swagger": "2.0",
                    "paths": {
                        "/exams": {
                            "get": {
                                "x-amazon-apigateway-integration": {
                                    "type": "aws_proxy",
                                    "httpMethod": "POST",
                                    "uri": {
                                        "Fn::Sub": "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/"
                                        "2015-03-31/functions/${APIHandler.Arn}/invocations"
                                    },
                                }
                            }
                        }
                    },
                },
            },
        },
        "APIHandlerInvokePermission": {
            "Type": "AWS::Lambda::Permission",
            "Properties": {
                "FunctionName": {"Ref": "APIHandler"},
                "Action": "lambda:InvokeFunction",
                "Principal": "apigateway.amazonaws.com",
            },
        },
    },
}


@pytest.fixture(scope="module")
def template() -> Json:
    """The API as the province's stack declares it: Chalice's, with the stack's additions for it."""
    added = additions(PROVINCE)["Resources"]
    release = {key: added["APIHandler"]["Properties"][key] for key in ("AutoPublishAlias", "DeploymentPreference")}
    over: Json = {"APIHandler": {"Properties": release}}
    for name in ("APIHandlerInvokePermission", "ReleaseRole", "Api5xxAlarm", "ApiLatencyAlarm"):
        over[name] = added[name]
    return invoke_the_alias(merge(CHALICE_API, {"Resources": over}))


@pytest.fixture(scope="module")
def translated(template: Json) -> Json:
    from samtranslator.translator.transform import transform

    class NoManagedPolicies:
        def load(self) -> dict[str, str]:
            return {}

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_DEFAULT_REGION", PROVINCE.region)
        result: Json = transform(json.loads(json.dumps(template)), {}, NoManagedPolicies())
    return result


def of_type(resources: Json, kind: str) -> dict[str, Json]:
    return {name: r for name, r in resources.items() if r["Type"] == kind}


def test_going_live_the_api_publishes_versions_behind_the_alias_live(translated: Json) -> None:
    resources = translated["Resources"]
    (alias,) = of_type(resources, "AWS::Lambda::Alias").values()
    assert alias["Properties"]["Name"] == "live"
    assert alias["Properties"]["FunctionName"] == {"Ref": "APIHandler"}
    assert len(of_type(resources, "AWS::Lambda::Version")) == 1
    assert "CodeDeployLambdaAliasUpdate" in alias["UpdatePolicy"]


def test_going_live_a_canary_that_the_5xx_and_latency_alarms_roll_back(translated: Json) -> None:
    resources = translated["Resources"]
    (group,) = of_type(resources, "AWS::CodeDeploy::DeploymentGroup").values()
    assert group["Properties"]["DeploymentConfigName"] == {
        "Fn::Sub": ["CodeDeployDefault.Lambda${ConfigName}", {"ConfigName": "Canary10Percent5Minutes"}]
    }
    alarms = group["Properties"]["AlarmConfiguration"]
    assert alarms["Enabled"] is True
    assert alarms["Alarms"] == [{"Name": {"Ref": "Api5xxAlarm"}}, {"Name": {"Ref": "ApiLatencyAlarm"}}]
    assert "DEPLOYMENT_STOP_ON_ALARM" in group["Properties"]["AutoRollbackConfiguration"]["Events"]
    # CodeDeploy's role is the stack's own, with only what shifting the alias takes: no managed policy
    assert group["Properties"]["ServiceRoleArn"] == {"Fn::GetAtt": ["ReleaseRole", "Arn"]}
    assert "CodeDeployServiceRole" not in resources
    assert "ManagedPolicyArns" not in resources["ReleaseRole"]["Properties"]


def test_going_live_the_rolled_back_alarms_are_the_provinces_api_alarms(template: Json) -> None:
    names = [template["Resources"][a]["Properties"]["AlarmName"] for a in ("Api5xxAlarm", "ApiLatencyAlarm")]
    assert names == ["cet-registration-zhejiang-Api5xx", "cet-registration-zhejiang-ApiLatency"]
    metrics = [template["Resources"][a]["Properties"]["MetricName"] for a in ("Api5xxAlarm", "ApiLatencyAlarm")]
    assert metrics == ["5XXError", "Latency"]


def test_going_live_api_gateway_invokes_the_alias_not_latest(translated: Json) -> None:
    resources = translated["Resources"]
    (alias_name,) = of_type(resources, "AWS::Lambda::Alias")
    body = json.dumps(resources["RestAPI"]["Properties"]["Body"])
    assert "APIHandler.Arn" not in body
    assert f"/functions/${{{alias_name}}}/invocations" in body  # Ref of an alias: its ARN
    assert resources["APIHandlerInvokePermission"]["Properties"]["FunctionName"] == {"Ref": alias_name}


# --- provisioned concurrency around each opening ---------------------------------------------------

NOW = datetime(2027, 1, 1, tzinfo=UTC)


def with_openings(*openings: Opening) -> Province:
    return replace(PROVINCE, openings=openings)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_r_queue_the_api_is_warm_from_30_minutes_before_an_opening_to_30_after_then_back_to_0() -> None:
    province = with_openings(Opening(at("2027-09-01T10:00:00+08:00"), at("2027-09-01T09:00:00+08:00")))
    target = warm_at_openings(province, NOW)["ApiWarmAtOpenings"]
    assert target["Type"] == "AWS::ApplicationAutoScaling::ScalableTarget"
    assert target["DependsOn"] == ["APIHandlerAliaslive"]
    properties = target["Properties"]
    assert properties["ResourceId"] == "function:cet-registration-zhejiang-api:live"
    assert properties["ScalableDimension"] == "lambda:function:ProvisionedConcurrency"
    # from 30 minutes before the queue opens (01:00 UTC) to 30 minutes after the seats open (02:00 UTC)
    assert [(a["Schedule"], a["ScalableTargetAction"]) for a in properties["ScheduledActions"]] == [
        ("at(2027-09-01T00:30:00)", {"MinCapacity": 100, "MaxCapacity": 100}),
        ("at(2027-09-01T02:30:00)", {"MinCapacity": 0, "MaxCapacity": 0}),
    ]


def test_r_queue_openings_close_together_share_one_window_and_past_ones_are_left_out() -> None:
    province = with_openings(
        Opening(at("2027-09-01T10:00:00+08:00")),
        Opening(at("2027-09-01T10:45:00+08:00")),  # its window starts before the first one's ends
        Opening(at("2026-06-01T10:00:00+08:00")),  # before NOW
        Opening(at("2027-10-01T10:00:00+08:00")),
    )
    assert warm_windows(province, NOW) == [
        (datetime(2027, 9, 1, 1, 30, tzinfo=UTC), datetime(2027, 9, 1, 3, 15, tzinfo=UTC)),
        (datetime(2027, 10, 1, 1, 30, tzinfo=UTC), datetime(2027, 10, 1, 2, 30, tzinfo=UTC)),
    ]


def test_r_queue_no_opening_to_come_no_provisioned_concurrency() -> None:
    assert warm_at_openings(with_openings(), NOW) == {}
    assert warm_at_openings(with_openings(Opening(at("2026-06-01T10:00:00+08:00"))), NOW) == {}


def test_r_queue_the_warm_target_names_the_alias_sam_makes(template: Json) -> None:
    """Through SAM's transform: the scalable target waits for the alias it keeps warm."""
    from samtranslator.translator.transform import transform

    class NoManagedPolicies:
        def load(self) -> dict[str, str]:
            return {}

    province = with_openings(Opening(at("2027-09-01T10:00:00+08:00")))
    with_target = merge(template, {"Resources": warm_at_openings(province, NOW)})
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_DEFAULT_REGION", PROVINCE.region)
        resources = transform(json.loads(json.dumps(with_target)), {}, NoManagedPolicies())["Resources"]
    assert resources["ApiWarmAtOpenings"]["DependsOn"] == ["APIHandlerAliaslive"]
    assert resources["APIHandlerAliaslive"]["Properties"]["Name"] == "live"


@pytest.mark.parametrize(
    "openings",
    [
        [{"opens_at": "2027-09-01T10:00:00"}],  # no offset: which 10 o'clock?
        [{"opens_at": "tomorrow"}],
        [{"opens_at": "2027-09-01T10:00:00+08:00", "closes": "x"}],
        {"opens_at": "2027-09-01T10:00:00+08:00"},
    ],
)
def test_r_queue_an_opening_without_a_clear_time_is_refused_in_words(openings: object) -> None:
    sample = json.loads((PROVINCES / "zhejiang.json").read_text(encoding="utf-8"))
    with pytest.raises(DescriptionError, match="openings"):
        parse({**sample, "openings": openings})


def test_r_queue_quotas_say_how_much_is_kept_warm() -> None:
    province = with_openings(Opening(at("2027-09-01T10:00:00+08:00")))
    resources: Json = {
        "APIHandler": {"Type": "AWS::Serverless::Function", "Properties": {"ReservedConcurrentExecutions": 400}},
        "RestAPI": {"Type": "AWS::Serverless::Api", "Properties": {"MethodSettings": [api_throttling()]}},
        **warm_at_openings(province, NOW),
    }
    needed = quotas({"Resources": resources})
    assert needed.provisioned == 100
    assert report(needed, PROVINCE.region)[-1] == (
        "- Provisioned concurrency around each opening: 100 of the API's reserved 400 "
        "(within its reserved concurrency: no more of the account's)"
    )
