"""A staging stack's rehearsal key (decision 0038): made only for a description with
`"rehearsal": true` (a province named `…-staging`). Whoever reads it answers the stack's captchas;
`python -m province rehearse` takes it from CET_REHEARSAL_KEY."""

from __future__ import annotations

from province.cfn import Json
from province.description import Province
from province.template.site import generated_secret


def rehearsal_key(province: Province) -> Json:
    if not province.rehearsal:
        return {}
    description = "A staging stack's rehearsal key: {value} answers its captchas (decision 0038)"
    return {"RehearsalSecret": generated_secret(province.rehearsal_secret, description)}


def rehearsal_outputs(province: Province) -> Json:
    return {"RehearsalSecretName": {"Value": province.rehearsal_secret}} if province.rehearsal else {}
