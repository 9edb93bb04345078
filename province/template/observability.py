"""What an operator watches: the functions' log groups, the alarms and their topic, the dashboard."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from chalicelib.metrics import NAMESPACE as METRICS_NAMESPACE
from province.cfn import Json, get_att, ref, sub
from province.description import Province
from province.package import STAGE, metrics_service
from province.template.functions import JOBS, STREAM_HANDLERS, function_name
from province.template.guards import api_name
from province.template.roles import FUNCTIONS

LOG_RETENTION_DAYS = 180  # 网络安全法 第二十一条: network logs are kept at least six months
PROVIDERS = ("alipay", "bank")
# How long a stream handler's records may wait, and what waiting means (IteratorAge, ms).
STREAM_AGE_LIMITS = {
    "SeatsFromStream": (600_000, "Removed holds and returned seats wait more than 10 minutes to go back or be offered"),
    "SendNewMessages": (120_000, "New messages (reset codes) wait more than 2 minutes to be sent"),
}
API_P99_LATENCY_MS = 3_000  # an argon2 login takes about 120 ms; seconds mean the API queues


def log_groups(province: Province) -> Json:
    """Chalice's own `log_retention_in_days` writes a broken reference (aws/chalice#2079)."""
    return {
        f"{function}Logs": {
            "Type": "AWS::Logs::LogGroup",
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": {
                "LogGroupName": f"/aws/lambda/{function_name(province, function)}",
                "RetentionInDays": LOG_RETENTION_DAYS,
                "KmsKeyId": get_att("ProvinceKey", "Arn"),
            },
        }
        for function in FUNCTIONS
    }


def alarm_topic(province: Province) -> Json:
    properties: Json = {"KmsMasterKeyId": ref("ProvinceKey")}
    if province.alarm_email:
        properties["Subscription"] = [{"Protocol": "email", "Endpoint": province.alarm_email}]
    return {"Type": "AWS::SNS::Topic", "Properties": properties}


# --- alarms -------------------------------------------------------------------------------------


def alarm(description: str, namespace: str, metric: str, dimensions: Json, statistic: str, threshold: float) -> Json:
    """Any of 3 minutes out of 5 at or above `threshold`; `statistic` a percentile (p99) or not."""
    return {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "AlarmDescription": description,
            "Namespace": namespace,
            "MetricName": metric,
            "Dimensions": [{"Name": k, "Value": v} for k, v in dimensions.items()],
            ("ExtendedStatistic" if statistic.startswith("p") else "Statistic"): statistic,
            "Period": 60,
            "EvaluationPeriods": 5,
            "DatapointsToAlarm": 3,
            "Threshold": threshold,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "TreatMissingData": "notBreaching",
            "AlarmActions": [ref("AlarmTopic")],
            "OKActions": [ref("AlarmTopic")],
        },
    }


def alarms(province: Province) -> Json:
    return {
        **api_alarms(province),
        **stream_alarms(province),
        **failure_queue_alarms(),
        **throttle_alarms(),
        **table_alarms(province),
        **notification_alarms(province),
        **job_error_alarms(),
    }


def named_alarms(province: Province, resources: Json) -> Json:
    """Every alarm of the stack named after the province: `<stack>-<what>` (Api5xx, …), so that the
    alarms of provinces sharing an account never look alike."""
    for name, resource in resources.items():
        if resource.get("Type") == "AWS::CloudWatch::Alarm":  # overrides of Chalice's resources have none
            resource["Properties"]["AlarmName"] = f"{province.stack_name}-{name.removesuffix('Alarm')}"
    return resources


def api_alarms(province: Province) -> Json:
    dimensions = {"ApiName": api_name(province), "Stage": STAGE}
    return {
        "Api5xxAlarm": alarm(
            "API answers 5xx to more than 1% of requests", "AWS/ApiGateway", "5XXError", dimensions, "Average", 0.01
        ),
        "ApiLatencyAlarm": alarm(
            f"API answers take more than {API_P99_LATENCY_MS / 1000:g} s for 1% of requests (p99)",
            "AWS/ApiGateway",
            "Latency",
            dimensions,
            "p99",
            API_P99_LATENCY_MS,
        ),
    }


def stream_alarms(province: Province) -> Json:
    """The age of every stream handler's records; messages given up."""
    ages = {}
    for handler in STREAM_HANDLERS:
        milliseconds, description = STREAM_AGE_LIMITS[handler]
        ages[f"{handler}IteratorAgeAlarm"] = iterator_age_alarm(description, handler, milliseconds)
    return {
        **ages,
        "MessagesAbandonedAlarm": alarm(
            "Messages given up after a day of failed sends: check the SMTP relay and the SMS account",
            METRICS_NAMESPACE,
            "MessagesAbandoned",
            {"service": metrics_service(province)},
            "Sum",
            1,
        ),
    }


# The table's global secondary indexes (chalicelib/storage/tables.py).
INDEXES = ("gsi1", "gsi2")


def iterator_age_alarm(description: str, handler: str, milliseconds: int) -> Json:
    return alarm(description, "AWS/Lambda", "IteratorAge", {"FunctionName": ref(handler)}, "Maximum", milliseconds)


def table_alarms(province: Province) -> Json:
    """Reads or writes the table or one of its indexes refused (throttled) in 3 minutes out of 5:
    its capacity does not keep up (an on-demand table doubles what it takes at once only after its
    previous peak). An index's throttling is counted under its own name only: the waiting list
    (gsi1) and the outbox's shards (gsi2) are hot at the opening."""
    places: list[tuple[str, str, Json]] = [("Table", "The table", {"TableName": province.table})]
    places += [
        (
            f"Index{index.capitalize()}",
            f"The index {index}",
            {"TableName": province.table, "GlobalSecondaryIndexName": index},
        )
        for index in INDEXES
    ]
    return {
        f"{name}{kind}ThrottlesAlarm": alarm(
            f"{what} refuses {kind.lower()}s (throttled): see the dashboard's table widget",
            "AWS/DynamoDB",
            f"{kind}ThrottleEvents",
            dimensions,
            "Sum",
            1,
        )
        for name, what, dimensions in places
        for kind in ("Read", "Write")
    }


def failure_queue_alarms() -> Json:
    return {
        "StreamFailuresAlarm": queue_alarm(
            "Stream batches gave up: seats may be held by removed holds, or new messages wait for the sending job",
            "StreamFailures",
        ),
        "JobFailuresAlarm": queue_alarm("A scheduled job failed after its retries", "JobFailures"),
    }


def queue_alarm(description: str, queue: str) -> Json:
    dimensions = {"QueueName": get_att(queue, "QueueName")}
    return alarm(description, "AWS/SQS", "ApproximateNumberOfMessagesVisible", dimensions, "Maximum", 1)


def throttle_alarms() -> Json:
    return {
        f"{function}ThrottlesAlarm": alarm(
            f"{function} is throttled: its reserved concurrency is used up",
            "AWS/Lambda",
            "Throttles",
            {"FunctionName": ref(function)},
            "Sum",
            1 if function != "APIHandler" else 100,
        )
        for function in FUNCTIONS
    }


def notification_alarms(province: Province) -> Json:
    return {
        f"{provider.title()}NotificationFailuresAlarm": alarm(
            f"{provider} payment notifications are not handled: the provider delivers again, but look",
            METRICS_NAMESPACE,
            "PaymentNotifications",
            {"provider": provider, "outcome": "not_handled", "service": metrics_service(province)},
            "Sum",
            3,
        )
        for provider in PROVIDERS
    }


def job_error_alarms() -> Json:
    return {
        f"{job}ErrorsAlarm": alarm(
            f"{job} raised an error", "AWS/Lambda", "Errors", {"FunctionName": ref(job)}, "Sum", 1
        )
        for job in JOBS
    }


# --- the dashboard ------------------------------------------------------------------------------


def dashboard(province: Province) -> Json:
    body = {"widgets": widgets(province)}
    return {
        "Type": "AWS::CloudWatch::Dashboard",
        "Properties": {
            "DashboardName": province.stack_name,
            "DashboardBody": sub(json.dumps(body, ensure_ascii=False)),
        },
    }


def widgets(province: Province) -> list[Json]:
    service = ["service", metrics_service(province)]
    return [
        widget("API: requests, 4xx, 5xx", [api_metric(province, m) for m in ("Count", "4XXError", "5XXError")]),
        widget("API latency (p99, ms)", [api_metric(province, "Latency")], "p99"),
        widget("Function invocations", lambda_metrics("Invocations", FUNCTIONS)),
        widget("Registrations saved, seat grabs held or refused, orders placed", registration_metrics(service)),
        widget(
            "Function errors and throttles",
            lambda_metrics("Errors", FUNCTIONS) + lambda_metrics("Throttles", FUNCTIONS),
        ),
        table_widget(province),
        widget("Stream handler iterator age (ms)", lambda_metrics("IteratorAge", STREAM_HANDLERS), "Maximum"),
        *service_widgets(service),
        room_plan_widget(service),
    ]


def widget(title: str, metrics: list[list[Any]], stat: str = "Sum") -> Json:
    return {
        "type": "metric",
        "width": 12,
        "height": 6,
        "properties": {"title": title, "metrics": metrics, "stat": stat, "period": 60, "region": "${AWS::Region}"},
    }


def api_metric(province: Province, metric: str) -> list[Any]:
    return ["AWS/ApiGateway", metric, "ApiName", api_name(province), "Stage", STAGE]


def service_metrics(service: list[str], *metrics: str) -> list[list[Any]]:
    return [[METRICS_NAMESPACE, metric, *service] for metric in metrics]


def lambda_metrics(metric: str, functions: Iterable[str]) -> list[list[Any]]:
    return [["AWS/Lambda", metric, "FunctionName", "${" + function + "}"] for function in functions]


def registration_metrics(service: list[str]) -> list[list[Any]]:
    return [
        *service_metrics(service, "RegistrationsSaved"),
        *[
            [METRICS_NAMESPACE, "SeatGrabs", "outcome", outcome, *service]
            for outcome in ("held", "CAMPUS_FULL", "LEVEL_TAKEN", "BUSY")
        ],
        *[[METRICS_NAMESPACE, "OrdersPlaced", "provider", provider, *service] for provider in PROVIDERS],
    ]


def table_widget(province: Province) -> Json:
    """Throttled reads and writes need only the table's name (ThrottledRequests would need each
    operation's too); and the capacity used."""
    table = [
        ["AWS/DynamoDB", metric, "TableName", province.table]
        for metric in (
            "ReadThrottleEvents",
            "WriteThrottleEvents",
            "ConsumedReadCapacityUnits",
            "ConsumedWriteCapacityUnits",
        )
    ]
    indexes = [
        ["AWS/DynamoDB", metric, "TableName", province.table, "GlobalSecondaryIndexName", index]
        for index in INDEXES
        for metric in ("ReadThrottleEvents", "WriteThrottleEvents")
    ]
    return widget("Table and indexes: throttled reads and writes, consumed capacity", table + indexes)


def service_widgets(service: list[str]) -> list[Json]:
    return [
        widget(
            "Messages: sent, failed (tried again), given up; pay reminders",
            service_metrics(service, "MessagesSent", "MessagesFailed", "MessagesAbandoned", "PayReminders"),
        ),
        widget(
            "Waiting room: places given, admissions (R-QUEUE)",
            service_metrics(service, "QueueOrdered", "QueuePlaced", "QueueAdmitted"),
        ),
        widget(
            "Failure queues (messages waiting)",
            [
                ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", "${" + queue + ".QueueName}"]
                for queue in ("StreamFailures", "JobFailures")
            ],
            "Maximum",
        ),
    ]


def room_plan_widget(service: list[str]) -> Json:
    """The room plan's state machine (province/template/room_plan.py): its executions, and the
    seats its runs gave."""
    executions = [
        ["AWS/States", metric, "StateMachineArn", "${RoomPlan}"]
        for metric in ("ExecutionsStarted", "ExecutionsSucceeded", "ExecutionsFailed", "ExecutionsTimedOut")
    ]
    seated = service_metrics(service, "RoomPlanSeated")
    return widget("Room plan: executions, seats given (R-ROOM)", [*executions, *seated])
