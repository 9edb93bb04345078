"""CloudFormation's intrinsic functions, as the province's template writes them."""

from __future__ import annotations

from typing import Any

Json = dict[str, Any]


def get_att(resource: str, attribute: str) -> Json:
    return {"Fn::GetAtt": [resource, attribute]}


def ref(resource: str) -> Json:
    return {"Ref": resource}


def sub(text: str) -> Json:
    return {"Fn::Sub": text}


def iam_role(service: str, statements: list[Json], condition: Json | None = None) -> Json:
    """A role `service` assumes (on `condition`, if given), with one inline policy of `statements`."""
    trust: Json = {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    if condition is not None:
        trust["Condition"] = condition
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [trust]},
            "Policies": [
                {"PolicyName": "what-it-does", "PolicyDocument": {"Version": "2012-10-17", "Statement": statements}}
            ],
        },
    }
