"""Going live (issue 21), asserted on what the province's stack adds to Chalice's template, built
without packaging: each student counted by the address CloudFront saw (decision 0034); every name,
metric dimension, alarm and dashboard the province's own; at most two readers of the table's stream."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib.metrics import NAMESPACE as METRICS_NAMESPACE
from chalicelib.storage.tables import table_definition
from province.description import load
from province.package import chalice_config, environment
from province.template import additions

Json = dict[str, Any]


@pytest.fixture(scope="module")
def resources() -> Json:
    found: Json = additions(load("zhejiang", "cn-northwest-1"))["Resources"]
    return found


def rules(resources: Json) -> dict[str, Json]:
    return {rule["Name"]: rule for rule in resources["ApiWebAcl"]["Properties"]["Rules"]}


EDGE_KEY = {"Fn::Sub": "{{resolve:secretsmanager:${EdgeSecret}:SecretString:value}}"}


def edge_key_sent(statement: Json) -> bool:
    match = statement.get("ByteMatchStatement") or {}
    return (
        match.get("SearchString") == EDGE_KEY
        and match.get("FieldToMatch") == {"SingleHeader": {"Name": "x-cet-edge"}}
        and match.get("PositionalConstraint") == "EXACTLY"
    )


def test_fair_per_student_behind_cloudfront_the_rate_rule_counts_the_forwarded_client(resources: Json) -> None:
    """Decision 0034: a request CloudFront sent (its key, and an X-Forwarded-For of one address,
    the viewer's as CloudFront wrote it from the connection) is counted by that address, not by the
    edge's."""
    rule = rules(resources)["requests-per-client"]["Statement"]["RateBasedStatement"]
    assert rule["AggregateKeyType"] == "FORWARDED_IP"
    assert rule["ForwardedIPConfig"] == {"HeaderName": "X-Forwarded-For", "FallbackBehavior": "MATCH"}
    assert rule["Limit"] == 20_000
    edge, one = rule["ScopeDownStatement"]["AndStatement"]["Statements"]
    assert edge_key_sent(edge)
    assert one["RegexMatchStatement"]["FieldToMatch"] == {"SingleHeader": {"Name": "x-forwarded-for"}}
    assert one["RegexMatchStatement"]["RegexString"] == "^[^,]+$"


def test_fair_per_student_only_cloudfront_adds_the_key_the_rule_asks_for(resources: Json) -> None:
    """Decision 0034: the key is the stack's own secret, never in the template; CloudFront adds it to
    every request for the API, and only the API's role may read it."""
    secret = resources["EdgeSecret"]["Properties"]
    assert secret["Name"] == "cet-registration-zhejiang/edge"
    assert secret["GenerateSecretString"]["PasswordLength"] >= 32
    origins = resources["PageDistribution"]["Properties"]["DistributionConfig"]["Origins"]
    (api,) = [o for o in origins if o["Id"] == "api"]
    assert api["OriginCustomHeaders"] == [{"HeaderName": "X-Cet-Edge", "HeaderValue": EDGE_KEY}]
    readers = {
        name
        for name, role in of_type(resources, "AWS::IAM::Role").items()
        for policy in role["Properties"].get("Policies", [])
        for statement in policy["PolicyDocument"]["Statement"]
        if {"Ref": "EdgeSecret"}
        in (statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]])
    }
    assert readers == {"ApiRole"}
    functions = chalice_config(load("zhejiang", "cn-northwest-1"))["stages"]["zhejiang"]["lambda_functions"]
    assert functions["api_handler"]["environment_variables"]["EDGE_SECRET_NAME"] == "cet-registration-zhejiang/edge"
    assert all(
        "EDGE_SECRET_NAME" not in f.get("environment_variables", {}) for n, f in functions.items() if n != "api_handler"
    )


def test_fair_per_student_a_forged_forwarded_address_is_counted_by_where_it_comes_from(resources: Json) -> None:
    """Decision 0034: a request without the key (a caller reaching the API directly, whatever
    X-Forwarded-For it writes) or with a viewer's own X-Forwarded-For before CloudFront's is
    counted by its source address; and every source but CloudFront's edges has a ceiling, whatever
    addresses it writes, while an edge's requests are counted by student."""
    found = rules(resources)
    per_address = found["requests-per-address"]["Statement"]["RateBasedStatement"]
    assert per_address["AggregateKeyType"] == "IP"
    assert per_address["Limit"] == 20_000
    client_scope = found["requests-per-client"]["Statement"]["RateBasedStatement"]["ScopeDownStatement"]
    assert per_address["ScopeDownStatement"] == {"NotStatement": {"Statement": client_scope}}
    ceiling = found["requests-per-source"]["Statement"]["RateBasedStatement"]
    assert ceiling["AggregateKeyType"] == "IP"
    assert edge_key_sent(ceiling["ScopeDownStatement"]["NotStatement"]["Statement"])
    assert 20_000 < ceiling["Limit"] <= 300 * 3_000  # never above the stage's own throttle over 5 minutes
    assert all("Block" in found[name]["Action"] for name in ("requests-per-client", "requests-per-address"))
    priorities = [rule["Priority"] for rule in found.values()]
    assert len(set(priorities)) == len(priorities)


def of_type(resources: Json, kind: str) -> dict[str, Json]:
    return {name: r for name, r in resources.items() if r.get("Type") == kind}


def dimensions(alarm: Json) -> dict[str, Any]:
    return {d["Name"]: d["Value"] for d in alarm["Properties"]["Dimensions"]}


def dashboard_metrics(resources: Json) -> list[list[Any]]:
    body = json.loads(resources["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"])
    return [metric for widget in body["widgets"] for metric in widget["properties"]["metrics"]]


def test_apart_every_name_of_the_stack_carries_the_province(resources: Json) -> None:
    """Two provinces in one account: the API, the web ACL, the dashboard and every alarm are named
    after the province's stack, and none of one province's names is the other's."""
    name = "cet-registration-zhejiang"
    api = resources["RestAPI"]["Properties"]
    assert api["Name"] == api["DefinitionBody"]["info"]["title"] == name
    assert resources["ApiWebAcl"]["Properties"]["Name"] == f"{name}-api"
    assert resources["Dashboard"]["Properties"]["DashboardName"] == name
    alarms = of_type(resources, "AWS::CloudWatch::Alarm")
    assert alarms
    assert all(a["Properties"]["AlarmName"].startswith(f"{name}-") for a in alarms.values())
    assert len({a["Properties"]["AlarmName"] for a in alarms.values()}) == len(alarms)
    other: Json = additions(load("jiangsu", "cn-north-1"))["Resources"]
    assert not names(resources) & names(other)


def names(resources: Json) -> set[str]:
    """The API's, the web ACL's, the dashboard's and every alarm's name."""
    found = {resources[r]["Properties"]["Name"] for r in ("RestAPI", "ApiWebAcl")}
    found.add(resources["Dashboard"]["Properties"]["DashboardName"])
    return found | {a["Properties"]["AlarmName"] for a in of_type(resources, "AWS::CloudWatch::Alarm").values()}


def test_apart_metrics_carry_the_provinces_service_and_api_name(resources: Json) -> None:
    """The app's metrics' `service` dimension is what Powertools is told (POWERTOOLS_SERVICE_NAME),
    the province's stack name; every alarm and dashboard metric of the app's namespace asks for
    it, and every API Gateway one for the province's API."""
    province = load("zhejiang", "cn-northwest-1")
    service = environment(province)["POWERTOOLS_SERVICE_NAME"]
    assert service == "cet-registration-zhejiang"
    alarms = of_type(resources, "AWS::CloudWatch::Alarm").values()
    ours = [a for a in alarms if a["Properties"]["Namespace"] == METRICS_NAMESPACE]
    assert ours
    assert all(dimensions(a)["service"] == service for a in ours)
    api = [a for a in alarms if a["Properties"]["Namespace"] == "AWS/ApiGateway"]
    assert api
    assert all(dimensions(a) == {"ApiName": resources["RestAPI"]["Properties"]["Name"], "Stage": "api"} for a in api)
    metrics = dashboard_metrics(resources)
    app_metrics = [m for m in metrics if m[0] == METRICS_NAMESPACE]
    assert app_metrics
    assert all(m[m.index("service") + 1] == service for m in app_metrics)
    api_metrics = [m for m in metrics if m[0] == "AWS/ApiGateway"]
    assert api_metrics
    assert all(m[m.index("ApiName") + 1] == "cet-registration-zhejiang" for m in api_metrics)


def test_apart_the_table_the_api_latency_and_every_stream_reader_alarm(resources: Json) -> None:
    """The alarms the issue found missing: reads and writes the table throttles (by the table's
    name alone: the metric needs no operation), the API's p99 latency, and the age of every
    reader of the table's stream."""
    alarms = of_type(resources, "AWS::CloudWatch::Alarm")
    throttles = sorted(
        (a["Properties"]["MetricName"], sorted(dimensions(a).items()))
        for a in alarms.values()
        if a["Properties"]["Namespace"] == "AWS/DynamoDB"
    )
    table = [("TableName", "cet-registration-zhejiang")]
    # every index of the table as created (an index's throttling is counted under its name only)
    indexes = [i["IndexName"] for i in table_definition("t")["GlobalSecondaryIndexes"]]
    places = [table] + [sorted([*table, ("GlobalSecondaryIndexName", i)]) for i in indexes]
    assert throttles == sorted((f"{kind}ThrottleEvents", p) for p in places for kind in ("Read", "Write"))
    (latency,) = [a["Properties"] for a in alarms.values() if a["Properties"]["MetricName"] == "Latency"]
    assert latency["ExtendedStatistic"] == "p99"
    assert "Statistic" not in latency
    readers = {name for name, r in resources.items() if "Events" in r.get("Properties", {})}
    assert readers
    aged = {
        a["Properties"]["Dimensions"][0]["Value"]["Ref"]
        for a in alarms.values()
        if a["Properties"]["MetricName"] == "IteratorAge"
    }
    assert aged == readers


def test_apart_the_dashboards_table_widget_shows_throttling_by_the_tables_name(resources: Json) -> None:
    """DynamoDB's ThrottledRequests exists only per operation; the read and write throttle events
    need the table's name alone, so the widget shows data."""
    table = [m for m in dashboard_metrics(resources) if m[0] == "AWS/DynamoDB"]
    assert {m[1] for m in table} >= {"ReadThrottleEvents", "WriteThrottleEvents"}
    assert "ThrottledRequests" not in {m[1] for m in table}
    assert all(m[2:4] == ["TableName", "cet-registration-zhejiang"] for m in table)
    indexes = {m[5] for m in table if m[4:5] == ["GlobalSecondaryIndexName"]}
    assert indexes == {i["IndexName"] for i in table_definition("t")["GlobalSecondaryIndexes"]}
