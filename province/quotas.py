"""The account quotas a province's stack needs, from its template: what `make province` prints.

Lambda: every function's reserved concurrency, plus the 100 executions Lambda keeps unreserved in
every account and region, within the region's concurrent-executions quota. API Gateway: the stage's
throttle within the account's request rate and burst in the region, which every API of the account
shares (every province deployed there). Provisioned concurrency is taken from a function's reserved
concurrency, so it needs no more of the account's (docs/deploy.md, "Quotas").
"""

from __future__ import annotations

from dataclasses import dataclass

from province.cfn import Json

LAMBDA_UNRESERVED_MINIMUM = 100
# AWS's defaults per account and region; Service Quotas shows an account's own values in each region.
LAMBDA_DEFAULT_CONCURRENCY = 1_000
API_DEFAULT_RATE = 10_000
API_DEFAULT_BURST = 5_000
FUNCTION_TYPES = ("AWS::Serverless::Function", "AWS::Lambda::Function")


@dataclass(frozen=True)
class Quotas:
    reserved: dict[str, int]
    rate: int
    burst: int
    provisioned: int = 0

    @property
    def lambda_concurrency(self) -> int:
        """The region's Lambda concurrent executions one province needs in an account of its own."""
        return sum(self.reserved.values()) + LAMBDA_UNRESERVED_MINIMUM


def quotas(template: Json) -> Quotas:
    resources: dict[str, Json] = template["Resources"]
    reserved = {
        name: int(resource["Properties"]["ReservedConcurrentExecutions"])
        for name, resource in resources.items()
        if resource["Type"] in FUNCTION_TYPES and "ReservedConcurrentExecutions" in resource.get("Properties", {})
    }
    settings = resources["RestAPI"]["Properties"]["MethodSettings"]
    stage = next(s for s in settings if s.get("ResourcePath") == "/*" and s.get("HttpMethod") == "*")
    provisioned = max(
        (
            int(action["ScalableTargetAction"]["MinCapacity"])
            for resource in resources.values()
            if resource["Type"] == "AWS::ApplicationAutoScaling::ScalableTarget"
            for action in resource["Properties"].get("ScheduledActions", [])
        ),
        default=0,
    )
    return Quotas(reserved, int(stage["ThrottlingRateLimit"]), int(stage["ThrottlingBurstLimit"]), provisioned)


def report(needed: Quotas, region: str) -> list[str]:
    """What to ask AWS for in `region` before the opening, in the words of Service Quotas."""
    total = sum(needed.reserved.values())
    lines = [
        f"Quotas to ask for in {region} (Service Quotas; one account's are shared by every province in it):",
        f"- Lambda concurrent executions: {needed.lambda_concurrency:,} for this province alone "
        f"({total:,} reserved by its {len(needed.reserved)} functions + {LAMBDA_UNRESERVED_MINIMUM} Lambda keeps "
        f"unreserved), {total:,} more for each other province in this account and region"
        f"{' (over the default 1,000: ask)' if needed.lambda_concurrency > LAMBDA_DEFAULT_CONCURRENCY else ''}; "
        "a new account may start lower: check it",
    ]
    rate = f"- API Gateway throttle rate: the stage allows {needed.rate:,} requests/s; the account's default is "
    if needed.rate > API_DEFAULT_RATE:
        rate += f"{API_DEFAULT_RATE:,}: ask for {needed.rate:,} times the provinces that open at the same time"
    else:
        rate += f"{API_DEFAULT_RATE:,}: enough for {API_DEFAULT_RATE // needed.rate} provinces opening at once"
    lines.append(rate)
    burst = f"- API Gateway burst: the stage allows {needed.burst:,}; the account's default is {API_DEFAULT_BURST:,}"
    if needed.burst > API_DEFAULT_BURST:
        burst += (
            f", BELOW the stage's: ask for {needed.burst:,} "
            f"({needed.burst:,} times the provinces that open at the same time in this account)"
        )
    lines.append(burst)
    if needed.provisioned:
        lines.append(
            f"- Provisioned concurrency around each opening: {needed.provisioned:,} of the API's reserved "
            f"{needed.reserved.get('APIHandler', 0):,} (within its reserved concurrency: no more of the account's)"
        )
    return lines
