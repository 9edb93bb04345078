"""What the province's stack adds to Chalice's SAM template: the table, roles, guards and alarms.

Chalice writes the functions, the API and the schedules (province/package.py); everything else is
declared here (each function's role in province/roles.py) and deep-merged over it, so that the
template deploys as written. docs/deploy.md says why each piece is there.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from chalicelib.metrics import NAMESPACE as METRICS_NAMESPACE
from chalicelib.storage.tables import table_definition
from province.cfn import Json, get_att, ref, sub
from province.description import Province
from province.package import STAGE
from province.roles import FUNCTIONS, roles

__all__ = ["FUNCTIONS", "additions", "stack_template"]

LOG_RETENTION_DAYS = 180  # 网络安全法 第二十一条: network logs are kept at least six months
WAF_REQUESTS_PER_IP_PER_5_MINUTES = 20_000  # a whole campus may sit behind one address
KNOWN_BAD_INPUTS = "AWSManagedRulesKnownBadInputsRuleSet"
API_RATE_PER_SECOND = 3_000
API_BURST = 6_000

# Named, so that each log group (and the role's right to write to it) is declared before its function.
FUNCTION_NAMES = {
    "APIHandler": "api",
    "ExpireUnpaid": "expiry",
    "ReconcileOrders": "reconcile",
    "ReleaseTtlDeletedHolds": "stream",
    "SendNewMessages": "messages",
    "SendMessages": "send",
    "RemindUnpaid": "remind",
    "AdmitQueued": "admit",
    "OfferSeats": "offer",
    "OfferReturnedSeats": "offer-stream",
}
JOBS = ("ExpireUnpaid", "ReconcileOrders", "SendMessages", "RemindUnpaid", "AdmitQueued", "OfferSeats")
STREAM_HANDLER = "ReleaseTtlDeletedHolds"
# Every handler of the table's stream: the seats of removed holds, new messages (R-NOTE-1), and
# seats that came back while students wait (R-WAIT-2).
STREAM_HANDLERS = ("ReleaseTtlDeletedHolds", "SendNewMessages", "OfferReturnedSeats")


def merge(base: Json, over: Json) -> Json:
    """`over` deep-merged into a copy of `base`: mappings merge, anything else is replaced."""
    merged = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict) and not _intrinsic(value):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _intrinsic(value: Json) -> bool:
    return len(value) == 1 and next(iter(value)).startswith(("Fn::", "Ref"))


def stack_template(province: Province, sam: Json) -> Json:
    template = merge(sam, additions(province))
    template["Description"] = f"CET online registration, {province.display_name} ({province.name})"
    return template


def additions(province: Province) -> Json:
    resources: Json = {
        "ProvinceKey": province_key(),
        "ProvinceKeyAlias": {
            "Type": "AWS::KMS::Alias",
            "Properties": {"AliasName": f"alias/{province.stack_name}", "TargetKeyId": ref("ProvinceKey")},
        },
        "ProvinceTable": province_table(province),
        "IdentitySecret": identity_secret(province),
        "IdentityDataKeys": identity_data_keys(),
        "StreamFailures": failure_queue(),
        "JobFailures": failure_queue(),
        "AlarmTopic": alarm_topic(province),
        **roles(province),
        **log_groups(province),
        **function_overrides(province),
        **job_destinations(),
        **api_guards(),
        **alarms(),
        "Dashboard": dashboard(province),
    }
    outputs = {
        "ProvinceTableName": {"Value": ref("ProvinceTable")},
        "ProvinceTableStreamArn": {"Value": get_att("ProvinceTable", "StreamArn")},
        "AlarmTopicArn": {"Value": ref("AlarmTopic")},
        # What the province's loader is given (docs/deploy.md): IDENTITY_SECRET_NAME, IDENTITY_KMS_KEY_ID.
        "IdentitySecretName": {"Value": province.identity_secret},
        "IdentityDataKeysArn": {"Value": get_att("IdentityDataKeys", "Arn")},
        "DashboardName": {"Value": ref("Dashboard")},
    }
    return {"Resources": resources, "Outputs": outputs}


def province_key() -> Json:
    logs_principal = sub("logs.${AWS::Region}.${AWS::URLSuffix}")
    return {
        "Type": "AWS::KMS::Key",
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": {
            "Description": "The province table, its logs and its queues",
            "EnableKeyRotation": True,
            "KeyPolicy": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "TheAccountAdministersTheKey",
                        "Effect": "Allow",
                        "Principal": {"AWS": sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root")},
                        "Action": "kms:*",
                        "Resource": "*",
                    },
                    {
                        # Alarms publish to the topic, which this key encrypts.
                        "Sid": "CloudWatchAlarmsPublishToTheAlarmTopic",
                        "Effect": "Allow",
                        "Principal": {"Service": "cloudwatch.amazonaws.com"},
                        "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                        "Resource": "*",
                    },
                    {
                        "Sid": "CloudWatchLogsEncryptsTheStacksLogGroups",
                        "Effect": "Allow",
                        "Principal": {"Service": logs_principal},
                        "Action": [
                            "kms:Encrypt*",
                            "kms:Decrypt*",
                            "kms:ReEncrypt*",
                            "kms:GenerateDataKey*",
                            "kms:Describe*",
                        ],
                        "Resource": "*",
                        "Condition": {
                            "ArnLike": {
                                "kms:EncryptionContext:aws:logs:arn": sub(
                                    "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:*"
                                )
                            }
                        },
                    },
                ],
            },
        },
    }


def identity_secret(province: Province) -> Json:
    """The HMAC keys of the ID numbers' digests, made here so nobody ever sees them. Retained: a
    table's digests can never be found again without the key they were made with."""
    return {
        "Type": "AWS::SecretsManager::Secret",
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": {
            "Name": province.identity_secret,
            "Description": "Keys of the ID numbers' keyed hashes: {current, v1, v2, ...} (decision 0013)",
            "KmsKeyId": ref("ProvinceKey"),
            "GenerateSecretString": {
                "SecretStringTemplate": '{"current": "1"}',
                "GenerateStringKey": "v1",
                "PasswordLength": 64,
                "ExcludePunctuation": True,
            },
        },
    }


def identity_data_keys() -> Json:
    """Wraps the data keys the whole ID numbers are sealed with. No function's role may use it:
    only the province's operators (the loader, a key rotation, an export) can open a number."""
    return {
        "Type": "AWS::KMS::Key",
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": {
            "Description": "Wraps the data keys of the sealed ID numbers (decision 0013)",
            "EnableKeyRotation": True,
            "KeyPolicy": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "OnlyTheAccountsAdministratorsUseTheKey",
                        "Effect": "Allow",
                        "Principal": {"AWS": sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root")},
                        "Action": "kms:*",
                        "Resource": "*",
                    }
                ],
            },
        },
    }


def province_table(province: Province) -> Json:
    properties = table_definition(province.table)
    properties["StreamSpecification"] = {"StreamViewType": properties["StreamSpecification"]["StreamViewType"]}
    properties.update(
        {
            "TimeToLiveSpecification": {"Enabled": True, "AttributeName": "expires"},
            "SSESpecification": {"SSEEnabled": True, "SSEType": "KMS", "KMSMasterKeyId": ref("ProvinceKey")},
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
            "DeletionProtectionEnabled": True,
        }
    )
    return {
        "Type": "AWS::DynamoDB::Table",
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": properties,
    }


def failure_queue() -> Json:
    return {
        "Type": "AWS::SQS::Queue",
        "Properties": {"MessageRetentionPeriod": 14 * 24 * 3600, "KmsMasterKeyId": ref("ProvinceKey")},
    }


def alarm_topic(province: Province) -> Json:
    properties: Json = {"KmsMasterKeyId": ref("ProvinceKey")}
    if province.alarm_email:
        properties["Subscription"] = [{"Protocol": "email", "Endpoint": province.alarm_email}]
    return {"Type": "AWS::SNS::Topic", "Properties": properties}


def function_name(province: Province, function: str) -> str:
    return f"{province.stack_name}-{FUNCTION_NAMES[function]}"


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


def function_overrides(province: Province) -> Json:
    overrides: Json = {
        function: {
            "DependsOn": [f"{function}Logs"],
            "Properties": {"FunctionName": function_name(province, function), "Role": get_att(role, "Arn")},
        }
        for function, role in FUNCTIONS.items()
    }
    for handler in STREAM_HANDLERS:
        overrides[handler]["Properties"]["Events"] = {
            f"{handler}DynamodbEventSource": {
                "Properties": {
                    "Stream": get_att("ProvinceTable", "StreamArn"),
                    "BisectBatchOnFunctionError": True,
                    "MaximumRetryAttempts": 10,
                    "MaximumRecordAgeInSeconds": 24 * 3600,
                    "DestinationConfig": {
                        "OnFailure": {"Type": "SQS", "Destination": get_att("StreamFailures", "Arn")}
                    },
                }
            }
        }
    return overrides


def job_destinations() -> Json:
    return {
        f"{job}InvokeConfig": {
            "Type": "AWS::Lambda::EventInvokeConfig",
            "Properties": {
                "FunctionName": ref(job),
                "Qualifier": "$LATEST",
                "MaximumRetryAttempts": 2,
                "MaximumEventAgeInSeconds": 600,
                "DestinationConfig": {"OnFailure": {"Destination": get_att("JobFailures", "Arn")}},
            },
        }
        for job in JOBS
    }


# --- the API: throttling and a per-address rate rule --------------------------------------------


def api_guards() -> Json:
    return {
        "RestAPI": {
            "Properties": {
                "MethodSettings": [
                    {
                        "ResourcePath": "/*",
                        "HttpMethod": "*",
                        "ThrottlingRateLimit": API_RATE_PER_SECOND,
                        "ThrottlingBurstLimit": API_BURST,
                        "MetricsEnabled": True,
                    }
                ]
            }
        },
        "ApiWebAcl": {
            "Type": "AWS::WAFv2::WebACL",
            "Properties": {
                "Scope": "REGIONAL",
                "DefaultAction": {"Allow": {}},
                "VisibilityConfig": visibility("cet-registration-api"),
                "Rules": [
                    {
                        "Name": "requests-per-address",
                        "Priority": 0,
                        "Action": {"Block": {}},
                        "Statement": {
                            "RateBasedStatement": {"Limit": WAF_REQUESTS_PER_IP_PER_5_MINUTES, "AggregateKeyType": "IP"}
                        },
                        "VisibilityConfig": visibility("requests-per-address"),
                    },
                    {
                        # Request shapes known to exploit servers (Log4Shell among them).
                        "Name": "known-bad-inputs",
                        "Priority": 1,
                        "OverrideAction": {"None": {}},
                        "Statement": {
                            "ManagedRuleGroupStatement": {
                                "VendorName": "AWS",
                                "Name": "AWSManagedRulesKnownBadInputsRuleSet",
                            }
                        },
                        "VisibilityConfig": visibility("known-bad-inputs"),
                    },
                ],
            },
        },
        "ApiWebAclAssociation": {
            "Type": "AWS::WAFv2::WebACLAssociation",
            "DependsOn": f"RestAPI{STAGE}Stage",
            "Properties": {
                "ResourceArn": sub(
                    "arn:${AWS::Partition}:apigateway:${AWS::Region}::/restapis/${RestAPI}/stages/" + STAGE
                ),
                "WebACLArn": get_att("ApiWebAcl", "Arn"),
            },
        },
    }


def visibility(name: str) -> Json:
    return {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": name}


# --- alarms and the dashboard --------------------------------------------------------------------


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
    api = {"ApiName": "cet-registration", "Stage": STAGE}
    found: Json = {
        "Api5xxAlarm": alarm(
            "API answers 5xx to more than 1% of requests", "AWS/ApiGateway", "5XXError", api, "Average", 0.01
        ),
        "StreamIteratorAgeAlarm": alarm(
            "TTL removals wait more than 10 minutes to give their seats back",
            "AWS/Lambda",
            "IteratorAge",
            {"FunctionName": ref(STREAM_HANDLER)},
            "Maximum",
            600_000,
        ),
        "MessageStreamIteratorAgeAlarm": alarm(
            "New messages (reset codes) wait more than 2 minutes to be sent",
            "AWS/Lambda",
            "IteratorAge",
            {"FunctionName": ref("SendNewMessages")},
            "Maximum",
            120_000,
        ),
        "MessagesAbandonedAlarm": alarm(
            "Messages given up after a day of failed sends: check the SMTP relay and the SMS account",
            METRICS_NAMESPACE,
            "MessagesAbandoned",
            {"service": "cet-registration"},
            "Sum",
            1,
        ),
        "StreamFailuresAlarm": alarm(
            "Stream batches gave up: seats may be held by removed holds, or new messages wait for the sending job",
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            {"QueueName": get_att("StreamFailures", "QueueName")},
            "Maximum",
            1,
        ),
        "JobFailuresAlarm": alarm(
            "A scheduled job failed after its retries",
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            {"QueueName": get_att("JobFailures", "QueueName")},
            "Maximum",
            1,
        ),
    }
    for function in FUNCTIONS:
        found[f"{function}ThrottlesAlarm"] = alarm(
            f"{function} is throttled: its reserved concurrency is used up",
            "AWS/Lambda",
            "Throttles",
            {"FunctionName": ref(function)},
            "Sum",
            1 if function != "APIHandler" else 100,
        )
    for provider in ("alipay", "bank"):
        found[f"{provider.title()}NotificationFailuresAlarm"] = alarm(
            f"{provider} payment notifications are not handled: the provider delivers again, but look",
            METRICS_NAMESPACE,
            "PaymentNotifications",
            {"provider": provider, "outcome": "not_handled", "service": "cet-registration"},
            "Sum",
            3,
        )
    for job in JOBS:
        found[f"{job}ErrorsAlarm"] = alarm(
            f"{job} raised an error", "AWS/Lambda", "Errors", {"FunctionName": ref(job)}, "Sum", 1
        )
    return found


def dashboard(province: Province) -> Json:
    def widget(title: str, metrics: list[list[Any]], stat: str = "Sum") -> Json:
        return {
            "type": "metric",
            "width": 12,
            "height": 6,
            "properties": {"title": title, "metrics": metrics, "stat": stat, "period": 60, "region": "${AWS::Region}"},
        }

    functions = [["AWS/Lambda", "Invocations", "FunctionName", "${" + f + "}"] for f in FUNCTIONS]
    body = {
        "widgets": [
            widget(
                "API: requests, 4xx, 5xx",
                [
                    ["AWS/ApiGateway", m, "ApiName", "cet-registration", "Stage", STAGE]
                    for m in ("Count", "4XXError", "5XXError")
                ],
            ),
            widget(
                "API latency (p99, ms)",
                [["AWS/ApiGateway", "Latency", "ApiName", "cet-registration", "Stage", STAGE]],
                "p99",
            ),
            widget("Function invocations", functions),
            widget(
                "Registrations saved, seat grabs held or refused, orders placed",
                [
                    [METRICS_NAMESPACE, "RegistrationsSaved", "service", "cet-registration"],
                    *[
                        [METRICS_NAMESPACE, "SeatGrabs", "outcome", outcome, "service", "cet-registration"]
                        for outcome in ("held", "CAMPUS_FULL", "LEVEL_TAKEN", "BUSY")
                    ],
                    *[
                        [METRICS_NAMESPACE, "OrdersPlaced", "provider", provider, "service", "cet-registration"]
                        for provider in ("alipay", "bank")
                    ],
                ],
            ),
            widget(
                "Function errors and throttles",
                [[*m[:1], "Errors", *m[2:]] for m in functions] + [[*m[:1], "Throttles", *m[2:]] for m in functions],
            ),
            widget(
                "Table: throttled requests and consumed writes",
                [
                    ["AWS/DynamoDB", "ThrottledRequests", "TableName", province.table],
                    ["AWS/DynamoDB", "ConsumedWriteCapacityUnits", "TableName", province.table],
                ],
            ),
            widget(
                "Stream handler iterator age (ms)",
                [["AWS/Lambda", "IteratorAge", "FunctionName", "${" + h + "}"] for h in STREAM_HANDLERS],
                "Maximum",
            ),
            widget(
                "Messages: sent, failed (tried again), given up; pay reminders",
                [
                    [METRICS_NAMESPACE, m, "service", "cet-registration"]
                    for m in ("MessagesSent", "MessagesFailed", "MessagesAbandoned", "PayReminders")
                ],
            ),
            widget(
                "Waiting room: places given, admissions (R-QUEUE)",
                [
                    [METRICS_NAMESPACE, m, "service", "cet-registration"]
                    for m in ("QueueOrdered", "QueuePlaced", "QueueAdmitted")
                ],
            ),
            widget(
                "Failure queues (messages waiting)",
                [
                    ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", "${StreamFailures.QueueName}"],
                    ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", "${JobFailures.QueueName}"],
                ],
                "Maximum",
            ),
        ]
    }
    return {
        "Type": "AWS::CloudWatch::Dashboard",
        "Properties": {
            "DashboardName": province.stack_name,
            "DashboardBody": sub(json.dumps(body, ensure_ascii=False)),
        },
    }
