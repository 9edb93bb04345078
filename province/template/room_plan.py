"""The room plan's state machine (R-ROOM-1..3, decision 0030): every hour an EventBridge rule starts
it; PlanBegin begins a run (or continues the one in progress) and lists the sites and subjects it
has left; a distributed map seats them, a batch a child execution, a few at once; PlanFinish
closes the run. Nothing is seated before `plan_at`: PlanBegin answers run 0 and the execution ends.
"""

from __future__ import annotations

from chalicelib.metrics import NAMESPACE as METRICS_NAMESPACE
from province.cfn import Json, get_att, iam_role, ref, sub
from province.description import Province
from province.package import PLAN_SEAT_TIMEOUT_SECONDS, PLAN_SEATING_AT_ONCE, metrics_service
from province.template.observability import LOG_RETENTION_DAYS, alarm

PLAN_FUNCTIONS = ("PlanBegin", "PlanSeat", "PlanFinish")
SCHEDULE = "rate(1 hour)"
# Sites and subjects one child execution seats, one after another, in one PlanSeat run: at the
# table's slowest (1,000 seats/s shared by the map's children) ten of the largest sites' groups
# (~25,000 sitters each) take about 500 s of the function's 900 (decision 0030).
GROUPS_PER_BATCH = 10
# Shorter than the schedule's hour: two executions never run side by side (decision 0030).
EXECUTION_TIMEOUT_SECONDS = 50 * 60
# Errors that a second try cannot mend: two plans met, or no seed was drawn (R-ROOM-2).
NOT_RETRIED = ["SeatsConflict", "SeedMissing"]
LAMBDA_SERVICE_ERRORS = [
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
]


def state_machine_name(province: Province) -> str:
    return f"{province.stack_name}-room-plan"


def retries() -> list[Json]:
    """Lambda's own hiccups and throttling, for up to ~15 minutes (a PlanSeat left running by a
    stopped execution holds its reserved concurrency that long); then any error of the function
    (a throttled transaction, a timeout) three times more, a batch's seats written again alike."""
    return [
        {"ErrorEquals": NOT_RETRIED, "MaxAttempts": 0},
        {
            "ErrorEquals": LAMBDA_SERVICE_ERRORS,
            "IntervalSeconds": 5,
            "MaxAttempts": 8,
            "BackoffRate": 2,
            "MaxDelaySeconds": 300,
            "JitterStrategy": "FULL",
        },
        {"ErrorEquals": ["States.ALL"], "IntervalSeconds": 30, "MaxAttempts": 3, "BackoffRate": 2},
    ]


def definition() -> Json:
    """The states, with `${PlanBeginArn}` and the like for the stack to fill in (cfn-lint checks the
    definition against the States Language's schema, which it cannot do inside a Fn::Sub string)."""
    return {
        "Comment": "The room plan (R-ROOM-1..3): begin or continue a run, seat its sites and subjects, finish it",
        "TimeoutSeconds": EXECUTION_TIMEOUT_SECONDS,
        "StartAt": "PlanBegin",
        "States": {
            "PlanBegin": {"Type": "Task", "Resource": "${PlanBeginArn}", "Retry": retries(), "Next": "RunBegun"},
            "RunBegun": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.run", "NumericEquals": 0, "Next": "NotYet"}],
                "Default": "SeatGroups",
            },
            "NotYet": {"Type": "Succeed", "Comment": "before plan_at, or no sitting: nothing to plan"},
            "SeatGroups": {
                "Type": "Map",
                "Label": "seat",
                "ItemsPath": "$.groups",
                "ItemBatcher": {"MaxItemsPerBatch": GROUPS_PER_BATCH, "BatchInput": {"run.$": "$.run"}},
                "MaxConcurrency": PLAN_SEATING_AT_ONCE,
                "ToleratedFailurePercentage": 0,
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                    "StartAt": "PlanSeat",
                    "States": {
                        "PlanSeat": {
                            "Type": "Task",
                            "Resource": "${PlanSeatArn}",
                            "TimeoutSeconds": PLAN_SEAT_TIMEOUT_SECONDS + 60,
                            "Retry": retries(),
                            "End": True,
                        }
                    },
                },
                "ResultPath": None,
                "Next": "PlanFinish",
            },
            "PlanFinish": {
                "Type": "Task",
                "Resource": "${PlanFinishArn}",
                "Parameters": {"run.$": "$.run"},
                "Retry": retries(),
                "End": True,
            },
        },
    }


def room_plan(province: Province) -> Json:
    name = state_machine_name(province)
    return {
        "RoomPlan": {
            "Type": "AWS::StepFunctions::StateMachine",
            "Properties": {
                "StateMachineName": name,
                "StateMachineType": "STANDARD",
                "RoleArn": get_att("RoomPlanRole", "Arn"),
                "Definition": definition(),
                "DefinitionSubstitutions": {f"{function}Arn": get_att(function, "Arn") for function in PLAN_FUNCTIONS},
                # Failures only, and never a state's input or output: the log says which state
                # failed and why; the execution's history (kept 90 days) has the rest.
                "LoggingConfiguration": {
                    "Level": "ERROR",
                    "IncludeExecutionData": False,
                    "Destinations": [{"CloudWatchLogsLogGroup": {"LogGroupArn": get_att("RoomPlanLogs", "Arn")}}],
                },
            },
        },
        "RoomPlanLogs": {
            "Type": "AWS::Logs::LogGroup",
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": {
                "LogGroupName": f"/aws/vendedlogs/states/{name}",
                "RetentionInDays": LOG_RETENTION_DAYS,
                "KmsKeyId": get_att("ProvinceKey", "Arn"),
            },
        },
        "RoomPlanRole": service_role("states.amazonaws.com", state_machine_statements(province)),
        "RoomPlanSchedule": {
            "Type": "AWS::Events::Rule",
            "Properties": {
                "Description": "The room plan, hourly: from plan_at the plan, then its runs for late payments",
                "ScheduleExpression": SCHEDULE,
                "State": "ENABLED",
                "Targets": [
                    {"Id": "room-plan", "Arn": ref("RoomPlan"), "RoleArn": get_att("RoomPlanScheduleRole", "Arn")}
                ],
            },
        },
        "RoomPlanScheduleRole": service_role(
            "events.amazonaws.com", [statement(["states:StartExecution"], ref("RoomPlan"))]
        ),
        **room_plan_alarms(province),
    }


def state_machine_statements(province: Province) -> list[Json]:
    """The three plan functions; its own child executions (the distributed map); its log."""
    arn = "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}"
    name = state_machine_name(province)
    return [
        statement(["lambda:InvokeFunction"], [get_att(function, "Arn") for function in PLAN_FUNCTIONS]),
        statement(["states:StartExecution"], sub(f"{arn}:stateMachine:{name}")),
        statement(["states:DescribeExecution", "states:StopExecution"], sub(f"{arn}:execution:{name}/*")),
        # CloudWatch Logs' log delivery: none of these actions takes a resource narrower than "*".
        statement(
            [
                "logs:CreateLogDelivery",
                "logs:GetLogDelivery",
                "logs:UpdateLogDelivery",
                "logs:DeleteLogDelivery",
                "logs:ListLogDeliveries",
                "logs:PutResourcePolicy",
                "logs:DescribeResourcePolicies",
                "logs:DescribeLogGroups",
            ],
            "*",
        ),
    ]


def statement(actions: list[str], resource: object) -> Json:
    return {"Effect": "Allow", "Action": actions, "Resource": resource}


def service_role(service: str, statements: list[Json]) -> Json:
    """Assumed by `service` for this account only (the confused deputy)."""
    return iam_role(service, statements, {"StringEquals": {"aws:SourceAccount": ref("AWS::AccountId")}})


def room_plan_alarms(province: Province) -> Json:
    """An execution that failed or ran out of time: the next hour continues it, but look."""
    found: Json = {}
    for metric, description in (
        ("ExecutionsFailed", "The room plan failed: the next hour's execution continues the run; see its log group"),
        ("ExecutionsTimedOut", "The room plan ran past 50 minutes: the next hour's execution continues the run"),
    ):
        made = alarm(description, "AWS/States", metric, {"StateMachineArn": ref("RoomPlan")}, "Sum", 1)
        made["Properties"].update({"EvaluationPeriods": 1, "DatapointsToAlarm": 1})  # once an hour: one is enough
        found[f"RoomPlan{metric}Alarm"] = made
    # A site and subject the plan could not seat (a seat given otherwise, a room past 999): the run
    # goes on without it, so only this says that some paid candidates still have no seat (R-ROOM-1).
    unseated = alarm(
        "The room plan left a site and subject unseated: see the plan job's log (room plan group left unseated)",
        METRICS_NAMESPACE,
        "RoomPlanGroupsFailed",
        {"service": metrics_service(province)},
        "Sum",
        1,
    )
    unseated["Properties"].update({"EvaluationPeriods": 1, "DatapointsToAlarm": 1, "TreatMissingData": "notBreaching"})
    found["RoomPlanGroupsFailedAlarm"] = unseated
    return found
