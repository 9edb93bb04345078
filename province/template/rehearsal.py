"""A staging stack's rehearsal key (decision 0038): made only for a description with
`"rehearsal": true` (a province named `…-staging`). Whoever reads it answers the stack's captchas;
`python -m province rehearse` takes it from CET_REHEARSAL_KEY."""

from __future__ import annotations

from province.cfn import Json, ref
from province.description import Province


def rehearsal_key(province: Province) -> Json:
    if not province.rehearsal:
        return {}
    return {
        "RehearsalSecret": {
            "Type": "AWS::SecretsManager::Secret",
            "Properties": {
                "Name": province.rehearsal_secret,
                "Description": "A staging stack's rehearsal key: {value} answers its captchas (decision 0038)",
                "KmsKeyId": ref("ProvinceKey"),
                "GenerateSecretString": {
                    "SecretStringTemplate": "{}",
                    "GenerateStringKey": "value",
                    "PasswordLength": 48,
                    "ExcludePunctuation": True,
                },
            },
        }
    }


def rehearsal_outputs(province: Province) -> Json:
    return {"RehearsalSecretName": {"Value": province.rehearsal_secret}} if province.rehearsal else {}
