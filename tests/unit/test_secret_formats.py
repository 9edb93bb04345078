"""The payment and messaging secrets' formats: their JSON Schemas agree with what the code reads,
the catalog's examples pass, and `make province` refuses a broken file in words, without its values."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from chalicelib.domain.messages import MessageKind
from chalicelib.payments.alipay import SELLER_ID
from chalicelib.payments.settings import ALIPAY_FIELDS, BANK_FIELDS
from province import stack
from province.secret_formats import EXAMPLES, KINDS, SecretFileError, check_file, problems, schema


def example(kind: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((EXAMPLES / f"{kind}.example.json").read_text(encoding="utf-8"))
    return loaded


@pytest.mark.parametrize("kind", KINDS)
def test_going_live_the_catalogs_example_secrets_match_their_schemas(kind: str) -> None:
    assert problems(kind, example(kind)) == []
    check_file(kind, EXAMPLES / f"{kind}.example.json")


def test_r_pay_the_payment_schema_asks_for_every_field_the_providers_read() -> None:
    """A provider with a field missing is not offered (chalicelib/payments/settings.py): the schema
    requires each, and the seller_id is Alipay's merchant PID as the notices are checked for."""
    properties = schema("payments")["properties"]
    assert properties["alipay"]["required"] == list(ALIPAY_FIELDS)
    assert properties["bank"]["required"] == list(BANK_FIELDS)
    assert properties["alipay"]["properties"]["seller_id"]["pattern"] == f"^{SELLER_ID.pattern}$"


def test_r_note_1_the_messaging_schema_asks_for_a_template_for_every_kind_of_message() -> None:
    templates = schema("messaging")["properties"]["sms"]["properties"]["templates"]
    assert set(templates["required"]) == set(templates["properties"]) == {kind.value for kind in MessageKind}
    assert set(example("messaging")["sms"]["templates"]) == {kind.value for kind in MessageKind}


def test_going_live_a_broken_payment_secret_is_refused_naming_the_fields_never_the_values(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = example("payments")
    broken["alipay"]["seller_id"] = "1234567890"
    broken["alipay"]["app_private_key"] = "not-a-pem-key-but-a-secret-all-the-same"
    del broken["bank"]["merchant_key"]
    broken["wechat"] = {}
    path = tmp_path / "payments.json"
    path.write_text(json.dumps(broken), encoding="utf-8")

    def no_build(*_: object) -> None:
        raise AssertionError("built with a broken secret")

    monkeypatch.setattr(stack, "build", no_build)
    argv = ["--province", "zhejiang", "--region", "cn-northwest-1", "--payments-secret", str(path)]
    assert stack.main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"make province: payments secret {path} does not match deploy/schemas/payments.schema.json")
    assert "alipay.seller_id: is not of the expected form (the merchant's PID: 2088 and 12 digits" in err
    assert "alipay.app_private_key: is not of the expected form" in err
    assert "bank: 'merchant_key' is a required property" in err
    assert "'wechat' was unexpected" in err
    assert "1234567890" not in err
    assert "not-a-pem-key" not in err


def test_going_live_a_messaging_secret_missing_a_template_or_not_json_is_refused(tmp_path: Path) -> None:
    broken = example("messaging")
    del broken["sms"]["templates"]["queue_admitted"]
    broken["smtp"]["port"] = "587"
    path = tmp_path / "messaging.json"
    path.write_text(json.dumps(broken), encoding="utf-8")
    with pytest.raises(SecretFileError) as refused:
        check_file("messaging", path)
    assert "sms.templates: 'queue_admitted' is a required property" in str(refused.value)
    assert "smtp.port: should be of type integer" in str(refused.value)
    path.write_text('{"smtp": ', encoding="utf-8")
    with pytest.raises(SecretFileError, match="not JSON"):
        check_file("messaging", path)


def test_going_live_a_messaging_secret_that_would_send_codes_in_clear_is_refused() -> None:
    """R-ACC-3's codes travel to the SMS provider over https only: http is for the tests' local fake."""
    secret = example("messaging")
    secret["sms"]["scheme"] = "http"
    assert problems("messaging", secret)
    secret["sms"]["scheme"] = "https"
    assert problems("messaging", secret) == []
