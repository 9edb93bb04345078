"""The quotas `make province` prints (docs/deploy.md, "Quotas"): computed from the template."""

from __future__ import annotations

from province.cfn import Json
from province.package import RESERVED_CONCURRENCY
from province.quotas import quotas, report
from province.template.guards import api_throttling


def template(reserved: dict[str, int], rate: int = 3_000, burst: int = 6_000) -> Json:
    resources: Json = {
        name: {"Type": "AWS::Serverless::Function", "Properties": {"ReservedConcurrentExecutions": limit}}
        for name, limit in reserved.items()
    }
    resources["Unlimited"] = {"Type": "AWS::Serverless::Function", "Properties": {}}
    resources["RestAPI"] = {
        "Type": "AWS::Serverless::Api",
        "Properties": {
            "MethodSettings": [
                {"ResourcePath": "/*", "HttpMethod": "*", "ThrottlingRateLimit": rate, "ThrottlingBurstLimit": burst}
            ]
        },
    }
    return {"Resources": resources}


def test_going_live_lambda_concurrency_is_every_reservation_plus_the_unreserved_100() -> None:
    needed = quotas(template({"APIHandler": 400, "ExpireUnpaid": 1, "PlanSeat": 2}))
    assert needed.lambda_concurrency == 503
    lines = report(needed, "cn-northwest-1")
    assert "Lambda concurrent executions: 503 for this province alone" in lines[1]
    assert "403 more for each other province in this account and region" in lines[1]


def test_going_live_the_stages_burst_above_the_accounts_default_is_said_with_what_to_ask_for() -> None:
    rate, burst = api_throttling()["ThrottlingRateLimit"], api_throttling()["ThrottlingBurstLimit"]
    lines = report(quotas(template(dict.fromkeys(RESERVED_CONCURRENCY, 1), rate, burst)), "cn-northwest-1")
    assert lines[3] == (
        "- API Gateway burst: the stage allows 6,000; the account's default is 5,000, BELOW the stage's: "
        "ask for 6,000 (6,000 times the provinces that open at the same time in this account)"
    )
    assert "the account's default is 10,000: enough for 3 provinces opening at once" in lines[2]


def test_going_live_a_burst_within_the_default_asks_for_nothing() -> None:
    lines = report(quotas(template({"APIHandler": 400}, rate=12_000, burst=4_000)), "cn-north-1")
    assert "ask" not in lines[3]
    assert "ask for 12,000 times the provinces that open at the same time" in lines[2]
