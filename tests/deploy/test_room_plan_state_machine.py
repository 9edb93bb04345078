"""The room plan in the province stack (R-ROOM-1..3, decision 0030): a state machine that begins a
run, seats its sites and subjects through a distributed map of bounded concurrency, and finishes
it; its role invokes the three plan functions and nothing else; an hourly rule starts it. Checked
on the template the stack adds (province/template/room_plan.py); tests/deploy/test_province_stack.py
lints it and deploys it into moto."""

from __future__ import annotations

import json
from typing import Any

import pytest

from province.description import load
from province.package import (
    PLAN_SEAT_TIMEOUT_SECONDS,
    PLAN_SEATING_AT_ONCE,
    RESERVED_CONCURRENCY,
    chalice_config,
)
from province.template import additions

Json = dict[str, Any]
PLAN_FUNCTIONS = ("PlanBegin", "PlanSeat", "PlanFinish")
LAMBDA_THROTTLED = "Lambda.TooManyRequestsException"


@pytest.fixture(scope="module")
def stack() -> Json:
    found: Json = additions(load("zhejiang", "cn-northwest-1"))
    return found


@pytest.fixture(scope="module")
def resources(stack: Json) -> Json:
    found: Json = stack["Resources"]
    return found


@pytest.fixture(scope="module")
def machine(resources: Json) -> Json:
    found: Json = resources["RoomPlan"]["Properties"]
    return found


@pytest.fixture(scope="module")
def states(machine: Json) -> Json:
    definition = json.loads(json.dumps(machine["Definition"]))  # as the stack hands it over: JSON
    assert definition["StartAt"] == "PlanBegin"
    found: Json = definition["States"]
    return found


def function_of(machine: Json, task: Json) -> str:
    """The plan function a task calls, through the definition's substitutions."""
    placeholder = task["Resource"]
    assert placeholder.startswith("${"), placeholder
    assert placeholder.endswith("}"), placeholder
    (function, attribute) = machine["DefinitionSubstitutions"][placeholder[2:-1]]["Fn::GetAtt"]
    assert attribute == "Arn"
    return str(function)


def test_r_room_1_the_plan_begins_then_seats_its_groups_through_a_distributed_map_then_finishes(
    machine: Json, states: Json
) -> None:
    begin = states["PlanBegin"]
    assert function_of(machine, begin) == "PlanBegin"
    choice = states[begin["Next"]]
    assert choice["Type"] == "Choice"
    (nothing_yet,) = choice["Choices"]
    assert (nothing_yet["Variable"], nothing_yet["NumericEquals"]) == ("$.run", 0)
    assert states[nothing_yet["Next"]]["Type"] == "Succeed"  # before plan_at: run 0, nothing to do
    seat = states[choice["Default"]]
    assert seat["Type"] == "Map"
    assert seat["ItemsPath"] == "$.groups"
    assert seat["ItemProcessor"]["ProcessorConfig"] == {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}
    (child,) = seat["ItemProcessor"]["States"].values()
    assert seat["ItemProcessor"]["States"][seat["ItemProcessor"]["StartAt"]] is child
    assert function_of(machine, child) == "PlanSeat"
    assert child["End"] is True
    assert seat["ToleratedFailurePercentage"] == 0  # a failed batch fails the execution (and alarms)
    assert seat["ResultPath"] is None  # the children's answers are not carried: the input goes on
    finish = states[seat["Next"]]
    assert function_of(machine, finish) == "PlanFinish"
    assert finish["Parameters"] == {"run.$": "$.run"}
    assert finish["End"] is True
    assert len(states) == 5  # and nothing else


def test_r_room_1_each_child_gets_a_batch_of_groups_with_the_run_and_only_a_few_run_at_once(states: Json) -> None:
    """What chalicelib/jobs/room_plan.plan_seat reads: `Items` and `BatchInput.run`; the map's
    concurrency is PlanSeat's reserved concurrency, so the table's write rate has a bound."""
    seat = next(state for state in states.values() if state["Type"] == "Map")
    batcher = seat["ItemBatcher"]
    assert 1 <= batcher["MaxItemsPerBatch"] <= 20
    assert batcher["BatchInput"] == {"run.$": "$.run"}
    assert seat["MaxConcurrency"] == PLAN_SEATING_AT_ONCE == RESERVED_CONCURRENCY["plan_seat"]
    assert 1 <= seat["MaxConcurrency"] <= 4


def tasks(states: Json) -> list[Json]:
    found = [state for state in states.values() if state["Type"] == "Task"]
    for state in states.values():
        if state["Type"] == "Map":
            found += tasks(state["ItemProcessor"]["States"])
    return found


def test_r_room_1_every_call_is_retried_with_backoff_but_a_conflict_or_a_missing_seed(states: Json) -> None:
    called = tasks(states)
    assert len(called) == 3
    for task in called:
        retry = task["Retry"]
        (not_again,) = [r for r in retry if "SeatsConflict" in r["ErrorEquals"]]
        assert not_again["MaxAttempts"] == 0
        assert set(not_again["ErrorEquals"]) == {"SeatsConflict", "SeedMissing"}
        (throttled,) = [r for r in retry if LAMBDA_THROTTLED in r["ErrorEquals"]]
        assert throttled["BackoffRate"] > 1
        waited = sum(
            min(throttled["IntervalSeconds"] * throttled["BackoffRate"] ** n, throttled["MaxDelaySeconds"])
            for n in range(throttled["MaxAttempts"])
        )
        assert waited >= PLAN_SEAT_TIMEOUT_SECONDS  # outlasts a PlanSeat left running by a stopped execution
        assert retry[-1]["ErrorEquals"] == ["States.ALL"]  # a throttled transaction, a timeout
        assert retry[-1]["MaxAttempts"] >= 2
        assert retry[-1]["BackoffRate"] > 1
        assert retry.index(not_again) < retry.index(throttled) < len(retry) - 1


def test_r_room_1_an_execution_ends_before_the_next_one_starts_and_a_batch_fits_its_function(
    resources: Json, machine: Json
) -> None:
    """Two executions never run side by side; PlanSeat has Lambda's longest timeout, the others
    a short one; the task waits for the function's own timeout."""
    schedule = resources["RoomPlanSchedule"]["Properties"]
    assert schedule["ScheduleExpression"] == "rate(1 hour)"
    assert machine["Definition"]["TimeoutSeconds"] < 3600
    functions = next(iter(chalice_config(load("zhejiang", "cn-northwest-1"))["stages"].values()))["lambda_functions"]
    assert functions["plan_seat"]["lambda_timeout"] == PLAN_SEAT_TIMEOUT_SECONDS == 900
    assert functions["plan_begin"]["lambda_timeout"] <= 300
    assert functions["plan_finish"]["lambda_timeout"] <= 300
    (seat,) = [t for t in tasks(machine["Definition"]["States"]) if "PlanSeat" in t["Resource"]]
    assert seat["TimeoutSeconds"] > PLAN_SEAT_TIMEOUT_SECONDS
    assert all(functions[name]["reserved_concurrency"] >= 1 for name in ("plan_begin", "plan_seat", "plan_finish"))


def statements(resources: Json, role: str) -> list[Json]:
    (policy,) = resources[role]["Properties"]["Policies"]
    found: list[Json] = policy["PolicyDocument"]["Statement"]
    return found


def test_least_privilege_the_state_machine_invokes_the_three_plan_functions_and_nothing_else(
    resources: Json, machine: Json
) -> None:
    assert machine["RoleArn"] == {"Fn::GetAtt": ["RoomPlanRole", "Arn"]}
    role = resources["RoomPlanRole"]["Properties"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "states.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}}
    granted = {action: s["Resource"] for s in statements(resources, "RoomPlanRole") for action in s["Action"]}
    assert granted["lambda:InvokeFunction"] == [{"Fn::GetAtt": [f, "Arn"]} for f in PLAN_FUNCTIONS]
    machine_arn = (
        "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:stateMachine:" + machine["StateMachineName"]
    )
    assert granted["states:StartExecution"] == {"Fn::Sub": machine_arn}  # its own map's children only
    children = granted["states:DescribeExecution"]["Fn::Sub"]
    assert children == machine_arn.replace(":stateMachine:", ":execution:") + "/*"
    assert granted["states:StopExecution"] == granted["states:DescribeExecution"]
    unscoped = {action for action, resource in granted.items() if resource == "*"}
    assert unscoped == {  # CloudWatch Logs' log delivery, which no resource narrows
        "logs:CreateLogDelivery",
        "logs:GetLogDelivery",
        "logs:UpdateLogDelivery",
        "logs:DeleteLogDelivery",
        "logs:ListLogDeliveries",
        "logs:PutResourcePolicy",
        "logs:DescribeResourcePolicies",
        "logs:DescribeLogGroups",
    }
    assert set(granted) == unscoped | {
        "lambda:InvokeFunction",
        "states:StartExecution",
        "states:DescribeExecution",
        "states:StopExecution",
    }


def test_the_state_machine_logs_its_failures_without_data_where_the_stack_keeps_logs(
    resources: Json, machine: Json
) -> None:
    logging = machine["LoggingConfiguration"]
    assert logging["Level"] == "ERROR"
    assert logging["IncludeExecutionData"] is False  # no state's input or output in the log
    (destination,) = logging["Destinations"]
    assert destination["CloudWatchLogsLogGroup"]["LogGroupArn"] == {"Fn::GetAtt": ["RoomPlanLogs", "Arn"]}
    logs = resources["RoomPlanLogs"]
    assert logs["DeletionPolicy"] == "Retain"
    assert logs["Properties"]["RetentionInDays"] >= 180
    assert logs["Properties"]["KmsKeyId"] == {"Fn::GetAtt": ["ProvinceKey", "Arn"]}
    assert logs["Properties"]["LogGroupName"].startswith("/aws/vendedlogs/states/")


def test_r_room_1_the_hourly_rule_starts_the_state_machine_and_may_do_nothing_else(
    stack: Json, resources: Json
) -> None:
    """docs/deploy.md: the stack's outputs name the state machine to start by hand and the rule
    that pauses it."""
    assert stack["Outputs"]["RoomPlanStateMachineArn"] == {"Value": {"Ref": "RoomPlan"}}
    assert stack["Outputs"]["RoomPlanScheduleName"] == {"Value": {"Ref": "RoomPlanSchedule"}}
    schedule = resources["RoomPlanSchedule"]
    assert schedule["Type"] == "AWS::Events::Rule"
    assert schedule["Properties"]["State"] == "ENABLED"
    (target,) = schedule["Properties"]["Targets"]
    assert target["Arn"] == {"Ref": "RoomPlan"}
    assert target["RoleArn"] == {"Fn::GetAtt": ["RoomPlanScheduleRole", "Arn"]}
    (trust,) = resources["RoomPlanScheduleRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "events.amazonaws.com"}
    (allowed,) = statements(resources, "RoomPlanScheduleRole")
    assert allowed == {"Effect": "Allow", "Action": ["states:StartExecution"], "Resource": {"Ref": "RoomPlan"}}


def test_a_failed_or_timed_out_execution_alarms_at_once(resources: Json) -> None:
    alarms = [r["Properties"] for r in resources.values() if r.get("Type") == "AWS::CloudWatch::Alarm"]
    plan = {a["MetricName"]: a for a in alarms if a["Namespace"] == "AWS/States"}
    assert set(plan) == {"ExecutionsFailed", "ExecutionsTimedOut"}
    for alarm in plan.values():
        assert alarm["Dimensions"] == [{"Name": "StateMachineArn", "Value": {"Ref": "RoomPlan"}}]
        assert alarm["DatapointsToAlarm"] == alarm["EvaluationPeriods"] == 1
        assert alarm["Threshold"] == 1
        assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}]


def test_r_room_1_a_site_and_subject_left_unseated_alarms_at_once(resources: Json) -> None:
    """The run goes on past a site and subject it cannot seat (a seat given otherwise, a room past
    999); the job counts it (RoomPlanGroupsFailed), and one is enough to alarm."""
    alarms = [r["Properties"] for r in resources.values() if r.get("Type") == "AWS::CloudWatch::Alarm"]
    (unseated,) = [a for a in alarms if a["MetricName"] == "RoomPlanGroupsFailed"]
    assert unseated["Namespace"] == "CET/Registration"
    assert (unseated["Threshold"], unseated["DatapointsToAlarm"], unseated["EvaluationPeriods"]) == (1, 1, 1)
    assert unseated["AlarmActions"] == [{"Ref": "AlarmTopic"}]
