"""How a new version of the API reaches students: published, behind an alias, as a canary that
rolls back on the API's alarms (decision 0037).

SAM publishes a version of the API's function at each change of its code or settings and points
the alias `live` at it through CodeDeploy: 10% of requests for 5 minutes, then all of them; if the
API's 5xx or p99 latency alarm goes off meanwhile, CodeDeploy points the alias back at the version
before. API Gateway invokes the alias, never $LATEST, so the canary is what students meet.

The jobs stay on $LATEST: their failure destinations (province/template/guards.py), the stream's
event sources and the room plan's state machine name the function itself, and a job is replaced
whole at the next run; `deploy.sh rollback` takes them back with the rest of the stack.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from province.cfn import Json, get_att, iam_role, ref, sub
from province.description import Province
from province.template.functions import function_name

ALIAS = "live"
# The alias SAM makes for the API (`<function>Alias<alias>`, as SAM's docs name generated resources):
# named outright, as cfn-lint resolves no `${APIHandler.Alias}` inside the API's definition.
ALIAS_RESOURCE = f"APIHandlerAlias{ALIAS}"
API_DEPLOYMENT = "Canary10Percent5Minutes"
# The API's alarms (province/template/observability.py) that stop a canary and roll it back.
ROLLBACK_ALARMS = ("Api5xxAlarm", "ApiLatencyAlarm")
# What CodeDeploy does to shift the alias (AWSCodeDeployRoleForLambda, narrowed to the API's function).
# Around each opening (decision 0037): this many of the API's 400 reserved executions kept warm, from
# WARM_BEFORE before its queue (or its seats) open until WARM_AFTER after its seats open.
PROVISIONED_AT_OPENING = 100
WARM_BEFORE = timedelta(minutes=30)
WARM_AFTER = timedelta(minutes=30)
ALIAS_ACTIONS = ["lambda:GetAlias", "lambda:UpdateAlias", "lambda:GetProvisionedConcurrencyConfig"]


def api_release() -> Json:
    """The API's alias and deployment preference, the role CodeDeploy shifts it with, and its permission."""
    return {
        "APIHandler": {
            "Properties": {
                "AutoPublishAlias": ALIAS,
                "DeploymentPreference": {
                    "Type": API_DEPLOYMENT,
                    "Alarms": [ref(alarm) for alarm in ROLLBACK_ALARMS],
                    "Role": get_att("ReleaseRole", "Arn"),
                },
            }
        },
        # API Gateway may invoke the alias (the integration below names it), and nothing else.
        "APIHandlerInvokePermission": {"Properties": {"FunctionName": ref(ALIAS_RESOURCE)}},
        "ReleaseRole": iam_role(
            "codedeploy.amazonaws.com",
            [
                {"Effect": "Allow", "Action": ALIAS_ACTIONS, "Resource": [sub("${APIHandler.Arn}:*")]},
                # Which alarms are in alarm: DescribeAlarms is a read of the account's alarms' states.
                {"Effect": "Allow", "Action": ["cloudwatch:DescribeAlarms"], "Resource": "*"},
            ],
        ),
    }


def invoke_the_alias(template: Json) -> Json:
    """Every integration of the API calls the alias `live`, not the function's $LATEST."""
    paths = template["Resources"]["RestAPI"]["Properties"]["DefinitionBody"].get("paths", {})
    for methods in paths.values():
        for operation in methods.values():
            uri = operation.get("x-amazon-apigateway-integration", {}).get("uri", {})
            if isinstance(uri, dict) and "Fn::Sub" in uri and isinstance(uri["Fn::Sub"], str):
                uri["Fn::Sub"] = uri["Fn::Sub"].replace("${APIHandler.Arn}", "${" + ALIAS_RESOURCE + "}")
    return template


def warm_windows(province: Province, now: datetime) -> list[tuple[datetime, datetime]]:
    """When the API is kept warm, in UTC: each opening's, overlapping ones joined, past ones left out."""
    windows = sorted(
        (min(o.opens_at, o.queue_opens_at or o.opens_at) - WARM_BEFORE, o.opens_at + WARM_AFTER)
        for o in province.openings
    )
    joined: list[tuple[datetime, datetime]] = []
    for start, end in windows:
        if joined and start <= joined[-1][1]:
            joined[-1] = (joined[-1][0], max(end, joined[-1][1]))
        else:
            joined.append((start, end))
    return [(start.astimezone(UTC), end.astimezone(UTC)) for start, end in joined if end > now]


def warm_at_openings(province: Province, now: datetime | None = None) -> Json:
    """Provisioned concurrency on the alias `live`, raised for each opening's window, then back to 0."""
    windows = warm_windows(province, now or datetime.now(UTC))
    if not windows:
        return {}

    def at(moment: datetime, capacity: int, what: str) -> Json:
        return {
            "ScheduledActionName": f"{what}-{moment:%Y%m%dT%H%MZ}",
            "Schedule": f"at({moment:%Y-%m-%dT%H:%M:%S})",
            "ScalableTargetAction": {"MinCapacity": capacity, "MaxCapacity": capacity},
        }

    return {
        "ApiWarmAtOpenings": {
            "Type": "AWS::ApplicationAutoScaling::ScalableTarget",
            "DependsOn": [ALIAS_RESOURCE],
            "Properties": {
                "ServiceNamespace": "lambda",
                "ScalableDimension": "lambda:function:ProvisionedConcurrency",
                "ResourceId": f"function:{function_name(province, 'APIHandler')}:{ALIAS}",
                "MinCapacity": 0,
                "MaxCapacity": PROVISIONED_AT_OPENING,
                "ScheduledActions": [
                    action
                    for start, end in windows
                    for action in (at(start, PROVISIONED_AT_OPENING, "warm"), at(end, 0, "cool"))
                ],
            },
        }
    }
