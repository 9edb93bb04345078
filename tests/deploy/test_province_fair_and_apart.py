"""Going live (issue 21), asserted on what the province's stack adds to Chalice's template, built
without packaging: each student counted by the address CloudFront saw (decision 0034); every name,
metric dimension, alarm and dashboard the province's own; at most two readers of the table's stream."""

from __future__ import annotations

import json
from typing import Any

import pytest

from province.description import load
from province.template import additions

Json = dict[str, Any]


@pytest.fixture(scope="module")
def resources() -> Json:
    found: Json = additions(load("zhejiang", "cn-northwest-1"))["Resources"]
    return found


def rules(resources: Json) -> dict[str, Json]:
    return {rule["Name"]: rule for rule in resources["ApiWebAcl"]["Properties"]["Rules"]}


def test_fair_per_student_behind_cloudfront_the_rate_rule_counts_the_forwarded_client(resources: Json) -> None:
    """Decision 0034: a request whose X-Forwarded-For is one address (what CloudFront writes from the
    connection) is counted by that address, not by the edge's."""
    rule = rules(resources)["requests-per-client"]["Statement"]["RateBasedStatement"]
    assert rule["AggregateKeyType"] == "FORWARDED_IP"
    assert rule["ForwardedIPConfig"] == {"HeaderName": "X-Forwarded-For", "FallbackBehavior": "MATCH"}
    assert rule["Limit"] == 20_000
    scope = rule["ScopeDownStatement"]["RegexMatchStatement"]
    assert scope["FieldToMatch"] == {"SingleHeader": {"Name": "x-forwarded-for"}}
    assert scope["RegexString"] == "^[^,]+$"


def test_fair_per_student_a_forged_forwarded_address_is_counted_by_where_it_comes_from(resources: Json) -> None:
    """Decision 0034: a viewer's own X-Forwarded-For comes first and CloudFront's after a comma, so
    such a request (and one with no header: a direct caller) is counted by its source address; and
    every source has a ceiling, whatever addresses it writes."""
    found = rules(resources)
    per_address = found["requests-per-address"]["Statement"]["RateBasedStatement"]
    assert per_address["AggregateKeyType"] == "IP"
    assert per_address["Limit"] == 20_000
    client_scope = found["requests-per-client"]["Statement"]["RateBasedStatement"]["ScopeDownStatement"]
    assert per_address["ScopeDownStatement"] == {"NotStatement": {"Statement": client_scope}}
    ceiling = found["requests-per-source"]["Statement"]["RateBasedStatement"]
    assert ceiling["AggregateKeyType"] == "IP"
    assert "ScopeDownStatement" not in ceiling
    assert 20_000 < ceiling["Limit"] <= 300 * 3_000  # never above the stage's own throttle over 5 minutes
    assert all("Block" in found[name]["Action"] for name in ("requests-per-client", "requests-per-address"))
    priorities = [rule["Priority"] for rule in found.values()]
    assert len(set(priorities)) == len(priorities)
