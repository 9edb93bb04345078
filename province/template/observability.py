"""What an operator watches: the functions' log groups, the alarms and their topic, the dashboard."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from chalicelib.metrics import NAMESPACE as METRICS_NAMESPACE
from province.cfn import Json, get_att, ref, sub
from province.description import Province
from province.package import STAGE
from province.template.functions import JOBS, STREAM_HANDLER, STREAM_HANDLERS, function_name
from province.template.roles import FUNCTIONS

LOG_RETENTION_DAYS = 180  # 网络安全法 第二十一条: network logs are kept at least six months
API = "cet-registration"
SERVICE = ["service", "cet-registration"]
PROVIDERS = ("alipay", "bank")


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
    return {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "AlarmDescription": description,
            "Namespace": namespace,
            "MetricName": metric,
            "Dimensions": [{"Name": k, "Value": v} for k, v in dimensions.items()],
            "Statistic": statistic,
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


def alarms() -> Json:
    return {
        "Api5xxAlarm": alarm(
            "API answers 5xx to more than 1% of requests",
            "AWS/ApiGateway",
            "5XXError",
            {"ApiName": API, "Stage": STAGE},
            "Average",
            0.01,
        ),
        **stream_alarms(),
        **failure_queue_alarms(),
        **throttle_alarms(),
        **notification_alarms(),
        **job_error_alarms(),
    }


def stream_alarms() -> Json:
    return {
        "StreamIteratorAgeAlarm": iterator_age_alarm(
            "TTL removals wait more than 10 minutes to give their seats back", STREAM_HANDLER, 600_000
        ),
        "MessageStreamIteratorAgeAlarm": iterator_age_alarm(
            "New messages (reset codes) wait more than 2 minutes to be sent", "SendNewMessages", 120_000
        ),
        "MessagesAbandonedAlarm": alarm(
            "Messages given up after a day of failed sends: check the SMTP relay and the SMS account",
            METRICS_NAMESPACE,
            "MessagesAbandoned",
            {"service": "cet-registration"},
            "Sum",
            1,
        ),
    }


def iterator_age_alarm(description: str, handler: str, milliseconds: int) -> Json:
    return alarm(description, "AWS/Lambda", "IteratorAge", {"FunctionName": ref(handler)}, "Maximum", milliseconds)


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


def notification_alarms() -> Json:
    return {
        f"{provider.title()}NotificationFailuresAlarm": alarm(
            f"{provider} payment notifications are not handled: the provider delivers again, but look",
            METRICS_NAMESPACE,
            "PaymentNotifications",
            {"provider": provider, "outcome": "not_handled", "service": "cet-registration"},
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
    return [
        widget("API: requests, 4xx, 5xx", [api_metric(m) for m in ("Count", "4XXError", "5XXError")]),
        widget("API latency (p99, ms)", [api_metric("Latency")], "p99"),
        widget("Function invocations", lambda_metrics("Invocations", FUNCTIONS)),
        widget("Registrations saved, seat grabs held or refused, orders placed", registration_metrics()),
        widget(
            "Function errors and throttles",
            lambda_metrics("Errors", FUNCTIONS) + lambda_metrics("Throttles", FUNCTIONS),
        ),
        table_widget(province),
        widget("Stream handler iterator age (ms)", lambda_metrics("IteratorAge", STREAM_HANDLERS), "Maximum"),
        *service_widgets(),
        room_plan_widget(),
    ]


def widget(title: str, metrics: list[list[Any]], stat: str = "Sum") -> Json:
    return {
        "type": "metric",
        "width": 12,
        "height": 6,
        "properties": {"title": title, "metrics": metrics, "stat": stat, "period": 60, "region": "${AWS::Region}"},
    }


def api_metric(metric: str) -> list[Any]:
    return ["AWS/ApiGateway", metric, "ApiName", API, "Stage", STAGE]


def service_metrics(*metrics: str) -> list[list[Any]]:
    return [[METRICS_NAMESPACE, metric, *SERVICE] for metric in metrics]


def lambda_metrics(metric: str, functions: Iterable[str]) -> list[list[Any]]:
    return [["AWS/Lambda", metric, "FunctionName", "${" + function + "}"] for function in functions]


def registration_metrics() -> list[list[Any]]:
    return [
        *service_metrics("RegistrationsSaved"),
        *[
            [METRICS_NAMESPACE, "SeatGrabs", "outcome", outcome, *SERVICE]
            for outcome in ("held", "CAMPUS_FULL", "LEVEL_TAKEN", "BUSY")
        ],
        *[[METRICS_NAMESPACE, "OrdersPlaced", "provider", provider, *SERVICE] for provider in PROVIDERS],
    ]


def table_widget(province: Province) -> Json:
    return widget(
        "Table: throttled requests and consumed writes",
        [
            ["AWS/DynamoDB", "ThrottledRequests", "TableName", province.table],
            ["AWS/DynamoDB", "ConsumedWriteCapacityUnits", "TableName", province.table],
        ],
    )


def service_widgets() -> list[Json]:
    return [
        widget(
            "Messages: sent, failed (tried again), given up; pay reminders",
            service_metrics("MessagesSent", "MessagesFailed", "MessagesAbandoned", "PayReminders"),
        ),
        widget(
            "Waiting room: places given, admissions (R-QUEUE)",
            service_metrics("QueueOrdered", "QueuePlaced", "QueueAdmitted"),
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


def room_plan_widget() -> Json:
    """The room plan's state machine (province/template/room_plan.py): its executions, and the
    seats its runs gave."""
    executions = [
        ["AWS/States", metric, "StateMachineArn", "${RoomPlan}"]
        for metric in ("ExecutionsStarted", "ExecutionsSucceeded", "ExecutionsFailed", "ExecutionsTimedOut")
    ]
    return widget("Room plan: executions, seats given (R-ROOM)", [*executions, *service_metrics("RoomPlanSeated")])
