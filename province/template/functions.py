"""The app's functions as the stack names them: their names, roles, log groups and stream events.

Chalice declares the functions (province/package.py); here each gets its name, its role
(province/template/roles.py) and, for the stream handlers, the table's stream as its event source.
"""

from __future__ import annotations

from province.cfn import Json, get_att
from province.description import Province
from province.template.roles import FUNCTIONS

# Named, so that each log group (and the role's right to write to it) is declared before its function.
FUNCTION_NAMES = {
    "APIHandler": "api",
    "ExpireUnpaid": "expiry",
    "ReconcileOrders": "reconcile",
    "SeatsFromStream": "seats-stream",
    "SendNewMessages": "messages",
    "SendMessages": "send",
    "RemindUnpaid": "remind",
    "AdmitQueued": "admit",
    "OfferSeats": "offer",
    "PlanBegin": "plan-begin",
    "PlanSeat": "plan-seat",
    "PlanFinish": "plan-finish",
}
# The scheduled jobs Lambda calls asynchronously (their failures go to JobFailures); the room plan's
# functions are called by its state machine instead (province/template/room_plan.py).
JOBS = ("ExpireUnpaid", "ReconcileOrders", "SendMessages", "RemindUnpaid", "AdmitQueued", "OfferSeats")
# Every reader of the table's stream, no more than two (AWS throttles a shard read by more): the
# seats (removed holds give theirs back, returned seats are offered to the waiting list: R-WAIT-2)
# and new messages (R-NOTE-1), whose role alone reads the messaging secret.
STREAM_HANDLERS = ("SeatsFromStream", "SendNewMessages")


def function_name(province: Province, function: str) -> str:
    return f"{province.stack_name}-{FUNCTION_NAMES[function]}"


def function_overrides(province: Province) -> Json:
    overrides: Json = {
        function: {
            "DependsOn": [f"{function}Logs"],
            "Properties": {"FunctionName": function_name(province, function), "Role": get_att(role, "Arn")},
        }
        for function, role in FUNCTIONS.items()
    }
    for handler in STREAM_HANDLERS:
        overrides[handler]["Properties"]["Events"] = {f"{handler}DynamodbEventSource": stream_event_source()}
    return overrides


def stream_event_source() -> Json:
    """The table's stream, batches split on failure, given up after a day into StreamFailures."""
    return {
        "Properties": {
            "Stream": get_att("ProvinceTable", "StreamArn"),
            "BisectBatchOnFunctionError": True,
            "MaximumRetryAttempts": 10,
            "MaximumRecordAgeInSeconds": 24 * 3600,
            "DestinationConfig": {"OnFailure": {"Type": "SQS", "Destination": get_att("StreamFailures", "Arn")}},
        }
    }
