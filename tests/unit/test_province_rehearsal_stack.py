"""Decision 0038: a staging stack (`"rehearsal": true`, a province named `…-staging`) makes a
rehearsal key that only its API reads; the province's real stack has none, and `make province`
refuses a template that would give a key to a stack that is not a staging one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from province.description import PROVINCES, DescriptionError, Province, load, parse
from province.package import chalice_config
from province.secret_formats import SecretFileError
from province.stack import refuse_rehearsal_key, refuse_rehearsal_provider
from province.template import additions

REGION = "cn-northwest-1"


def sample(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((PROVINCES / f"{name}.json").read_text(encoding="utf-8"))
    return loaded


def readers_of(resources: dict[str, Any], secret: str) -> set[str]:
    return {
        name
        for name, role in resources.items()
        if role.get("Type") == "AWS::IAM::Role"
        for policy in role["Properties"].get("Policies", [])
        for statement in policy["PolicyDocument"]["Statement"]
        if statement.get("Resource") == {"Ref": secret}
    }


def told(province: Province, variable: str) -> set[str]:
    functions = chalice_config(province)["stages"][province.name]["lambda_functions"]
    return {name for name, function in functions.items() if variable in function.get("environment_variables", {})}


def test_r_acc_2_a_staging_stack_makes_a_rehearsal_key_only_its_api_reads() -> None:
    staging = load("zhejiang-staging", REGION)
    made = additions(staging)
    secret = made["Resources"]["RehearsalSecret"]
    assert secret["Properties"]["Name"] == "cet-registration-zhejiang-staging/rehearsal"
    assert secret["Properties"]["GenerateSecretString"]["PasswordLength"] >= 32  # the app takes 32 or more
    assert secret["Properties"]["KmsKeyId"] == {"Ref": "ProvinceKey"}
    assert readers_of(made["Resources"], "RehearsalSecret") == {"ApiRole"}
    assert told(staging, "REHEARSAL_SECRET_NAME") == {"api_handler"}
    assert made["Outputs"]["RehearsalSecretName"] == {"Value": "cet-registration-zhejiang-staging/rehearsal"}


def test_r_acc_2_the_provinces_real_stack_has_no_rehearsal_key() -> None:
    real = load("zhejiang", REGION)
    made = additions(real)
    assert "RehearsalSecret" not in made["Resources"]
    assert readers_of(made["Resources"], "RehearsalSecret") == set()
    assert told(real, "REHEARSAL_SECRET_NAME") == set()
    assert "Rehearsal" not in json.dumps(made)


def test_r_acc_2_only_a_staging_stack_may_be_a_rehearsal_one() -> None:
    with pytest.raises(DescriptionError, match="rehearsal: only a staging stack"):
        parse({**sample("zhejiang"), "rehearsal": True})
    with pytest.raises(DescriptionError, match="rehearsal: true or false"):
        parse({**sample("zhejiang-staging"), "rehearsal": "yes"})
    assert parse({**sample("zhejiang-staging"), "rehearsal": False}).rehearsal is False  # a staging stack may not


def function(variables: dict[str, str]) -> dict[str, Any]:
    return {"Type": "AWS::Serverless::Function", "Properties": {"Environment": {"Variables": variables}}}


def test_r_acc_2_make_province_refuses_a_rehearsal_key_where_none_belongs() -> None:
    real, staging = load("zhejiang", REGION), load("zhejiang-staging", REGION)
    told_where = {"Resources": {"APIHandler": function({"REHEARSAL_SECRET_NAME": staging.rehearsal_secret})}}
    refuse_rehearsal_key(told_where, staging)  # a staging stack's API is told where its key is
    with pytest.raises(SystemExit, match="no staging stack"):
        refuse_rehearsal_key(told_where, real)
    given = {"Resources": {"APIHandler": function({"REHEARSAL_KEY": "k" * 48})}}
    with pytest.raises(SystemExit, match="reads it from its secret"):
        refuse_rehearsal_key(given, staging)


def test_r_pay_3_a_staging_stack_reads_a_staging_payment_secret() -> None:
    with pytest.raises(DescriptionError, match="staging payment secret"):
        parse({**sample("zhejiang-staging"), "payment_secret": sample("zhejiang")["payment_secret"]})


def test_r_pay_3_make_province_refuses_the_rehearsals_alipay_key_in_a_real_stacks_payment_secret(
    tmp_path: Path,
) -> None:
    secret = tmp_path / "payments.json"
    secret.write_text(json.dumps({"alipay": {"rehearsal_public_key": "-----BEGIN PUBLIC KEY-----"}}), encoding="utf-8")
    refuse_rehearsal_provider("payments", secret, load("zhejiang-staging", REGION))  # its own
    with pytest.raises(SecretFileError, match="staging stack's only"):
        refuse_rehearsal_provider("payments", secret, load("zhejiang", REGION))
