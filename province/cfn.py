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
