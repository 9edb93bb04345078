"""The providers' keys come from the province's Secrets Manager secret (moto's), never from the
environment of a real stage; a rotated key is picked up without a redeploy (going live)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities import parameters
from moto import mock_aws

from chalicelib.bootstrap import MissingSetting, build_services, reset_services, services
from chalicelib.config import settings
from chalicelib.logs import logger
from chalicelib.payments import settings as payment_settings_module
from chalicelib.payments.alipay import AlipayProvider
from chalicelib.storage.tables import create_table
from devstack.payment_sandbox import new_rsa_key_pair
from tests.e2e.logs import Lines

SECRET = "cet-registration/zhejiang/payments"


def secret_value(app_id: str) -> str:
    private, public = new_rsa_key_pair()
    alipay = {
        "app_id": app_id,
        "seller_id": "2088000000000001",
        "app_private_key": private.decode(),
        "public_key": public.decode(),
        "gateway_url": "https://alipay.invalid/gateway.do",
    }
    bank = {"merchant_id": "M1", "merchant_key": "k" * 64, "gateway_url": "https://bank.invalid"}
    return json.dumps({"alipay": alipay, "bank": bank})


@pytest.fixture
def stage(monkeypatch: pytest.MonkeyPatch) -> Iterator[boto3.client]:
    """A real stage's environment: the secret's name, no key, on moto."""
    for name in ("ALIPAY_APP_PRIVATE_KEY", "BANK_MERCHANT_KEY", "AWS_ENDPOINT_URL_DYNAMODB"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TABLE_NAME", "cet-secret-test")
    monkeypatch.setenv("PAYMENT_SECRET_NAME", SECRET)
    monkeypatch.setenv("PUBLIC_API_URL", "https://cet.zj.example.gov.cn/api")
    with mock_aws():
        create_table(settings())
        forget_reads()
        yield boto3.client("secretsmanager")
        forget_reads()


def forget_reads() -> None:
    parameters.clear_caches()
    payment_settings_module._last.clear()
    reset_services()


def test_the_providers_come_from_the_secret(stage: boto3.client) -> None:
    stage.create_secret(Name=SECRET, SecretString=secret_value("2021000000000001"))
    providers = services().payments.providers
    assert sorted(providers) == ["alipay", "bank"]
    alipay = providers["alipay"]
    assert isinstance(alipay, AlipayProvider)
    assert alipay.app_id == "2021000000000001"


def test_a_rotated_key_is_used_once_the_cached_value_expires(stage: boto3.client) -> None:
    stage.create_secret(Name=SECRET, SecretString=secret_value("2021000000000001"))
    first = services()
    stage.put_secret_value(SecretId=SECRET, SecretString=secret_value("2021000000000002"))
    assert services() is first  # still within SECRET_MAX_AGE_SECONDS: no read of the secret
    parameters.clear_caches()  # what SECRET_MAX_AGE_SECONDS elapsing does
    rotated = services()
    assert rotated is not first
    assert rotated.payments.providers["alipay"].app_id == "2021000000000002"  # type: ignore[attr-defined]


@pytest.fixture
def service_log() -> Iterator[Lines]:
    """The service's log lines, formatted as CloudWatch gets them."""
    lines = Lines()
    logger().addHandler(lines)
    yield lines
    logger().removeHandler(lines)


def errors(log: Lines) -> list[dict[str, Any]]:
    return [line for line in map(json.loads, log.lines) if line["level"] == "ERROR"]


def test_an_unreadable_secret_offers_no_provider_and_says_so(stage: boto3.client, service_log: Lines) -> None:
    assert services().payments.providers == {}
    (said,) = errors(service_log)
    assert said["message"] == "payment secret unreadable: the providers keep the keys last read, if any"
    assert (said["secret_name"], said["error"]) == (SECRET, "GetParameterError")


def test_a_half_filled_secret_offers_only_the_complete_provider_and_names_what_is_missing(
    stage: boto3.client, service_log: Lines
) -> None:
    value = json.loads(secret_value("2021000000000001"))
    del value["bank"]["merchant_key"]
    stage.create_secret(Name=SECRET, SecretString=json.dumps(value))
    assert sorted(services().payments.providers) == ["alipay"]
    assert [(s["provider"], s["missing"]) for s in errors(service_log)] == [("bank", ["merchant_key"])]


@pytest.mark.parametrize(
    ("seller_id", "said"), [(None, ("missing", ["seller_id"])), ("2021", ("malformed", ["seller_id"]))]
)
def test_alipay_is_not_offered_without_the_provinces_merchant_pid(
    stage: boto3.client, service_log: Lines, seller_id: str | None, said: tuple[str, list[str]]
) -> None:
    """Its notices are checked for the province's seller_id (R-PAY-2): a secret without one offers no Alipay."""
    value = json.loads(secret_value("2021000000000001"))
    if seller_id is None:
        del value["alipay"]["seller_id"]
    else:
        value["alipay"]["seller_id"] = seller_id
    stage.create_secret(Name=SECRET, SecretString=json.dumps(value))
    assert sorted(services().payments.providers) == ["bank"]
    assert [(s["provider"], s[said[0]]) for s in errors(service_log)] == [("alipay", said[1])]


@pytest.mark.parametrize("key", ["app_private_key", "public_key"])
def test_alipay_with_a_key_that_is_no_key_is_not_offered_and_nothing_fails(
    stage: boto3.client, service_log: Lines, key: str
) -> None:
    """A malformed key is named in the log and Alipay is not offered; the service still answers."""
    value = json.loads(secret_value("2021000000000001"))
    value["alipay"][key] = value["alipay"][key].replace("\n", "\nX", 2)  # a PEM header over no key
    stage.create_secret(Name=SECRET, SecretString=json.dumps(value))
    assert sorted(services().payments.providers) == ["bank"]
    assert [(s["provider"], s["malformed"]) for s in errors(service_log)] == [("alipay", [key])]


def rehearsal_secret(rehearsal_public_key: str) -> str:
    value = json.loads(secret_value("2021000000000001"))
    value["alipay"]["rehearsal_public_key"] = rehearsal_public_key
    return json.dumps(value)


def notice_keys(provider: object) -> int:
    assert isinstance(provider, AlipayProvider)
    return len(provider._notice_keys)


def test_r_pay_3_a_staging_stacks_api_takes_the_rehearsals_key_from_its_secret(
    stage: boto3.client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Decision 0038: on a stage told where its rehearsal key is, notices may be signed by the rehearsal."""
    monkeypatch.setenv("REHEARSAL_SECRET_NAME", "cet-registration-zhejiang-staging/rehearsal")
    stage.create_secret(Name=SECRET, SecretString=rehearsal_secret(new_rsa_key_pair()[1].decode()))
    assert notice_keys(services().payments.providers["alipay"]) == 2


def test_r_pay_3_any_other_stack_drops_the_rehearsals_key_and_says_so_once(
    stage: boto3.client, service_log: Lines, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("REHEARSAL_SECRET_NAME", raising=False)
    monkeypatch.setattr(payment_settings_module, "_told_unused", [False])
    stage.create_secret(Name=SECRET, SecretString=rehearsal_secret(new_rsa_key_pair()[1].decode()))
    assert notice_keys(services().payments.providers["alipay"]) == 1
    for _ in range(3):
        payment_settings_module.payment_settings(settings())
    warned = [line for line in map(json.loads, service_log.lines) if "rehearsal_public_key" in line["message"]]
    assert len(warned) == 1


def test_r_pay_3_a_malformed_rehearsal_key_is_dropped_alone(
    stage: boto3.client, service_log: Lines, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REHEARSAL_SECRET_NAME", "cet-registration-zhejiang-staging/rehearsal")
    stage.create_secret(Name=SECRET, SecretString=rehearsal_secret("-----BEGIN PUBLIC KEY-----\nnot a key"))
    assert notice_keys(services().payments.providers["alipay"]) == 1  # Alipay offered, its own key only
    assert any("rehearsal_public_key malformed" in line["message"] for line in errors(service_log))


def test_a_passing_failure_to_read_the_secret_keeps_the_keys_that_worked(stage: boto3.client) -> None:
    stage.create_secret(Name=SECRET, SecretString=secret_value("2021000000000001"))
    first = services()
    stage.delete_secret(SecretId=SECRET, ForceDeleteWithoutRecovery=True)
    parameters.clear_caches()  # the cached value expired: the next read fails
    assert services() is first
    assert sorted(services().payments.providers) == ["alipay", "bank"]


def test_the_settings_never_show_a_key_in_their_repr(stage: boto3.client) -> None:
    stage.create_secret(Name=SECRET, SecretString=secret_value("2021000000000001"))
    shown = repr(services())
    assert "PRIVATE KEY" not in shown
    assert "k" * 64 not in shown


def test_a_lambda_without_its_public_url_refuses_to_start(
    stage: boto3.client, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "cet-registration-zhejiang-api")
    monkeypatch.delenv("PUBLIC_API_URL")
    with caplog.at_level(logging.ERROR), pytest.raises(MissingSetting, match="PUBLIC_API_URL"):
        build_services(settings())
    assert "PUBLIC_API_URL is not set" in caplog.text
