"""Reaching a province (issue 21, decision 0035): the page's private bucket behind a CloudFront
distribution that sends `/api/*` uncached to the API with the page's security headers, and the API's
own domain, made exactly when its domain and certificate are given. Checked on what the stack adds
(province/template/site.py), in the `aws` partition and in the China regions, whose CloudFront has
no origin access control and no cache or origin request policies;
tests/deploy/test_province_stack.py lints the whole template and deploys it into moto."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from devstack.serve import API_PREFIX, CONTENT_SECURITY_POLICY
from province.description import DescriptionError, Province, load, parse
from province.template import additions

Json = dict[str, Any]
ROOT = Path(__file__).resolve().parents[2]
ACM_HERE = "arn:aws-cn:acm:cn-northwest-1:123456789012:certificate/0b5a1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d"
ACM_US_EAST_1 = "arn:aws:acm:us-east-1:123456789012:certificate/0b5a1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d"
IAM_SERVER_CERTIFICATE = "ASCACKCEVSQ6C2EXAMPLE"
CLOUDFRONT = "AWS::CloudFront::"


def zhejiang(**changes: str) -> Province:
    return replace(load("zhejiang", "cn-northwest-1"), **changes)


def abroad(**changes: str) -> Province:
    """The same province in the `aws` partition, as a province outside China's regions would be."""
    return zhejiang(region="us-east-1", **changes)


def holds(condition: Json, parameters: dict[str, str]) -> bool:
    """A CloudFormation condition, evaluated as CloudFormation would for these parameter values."""
    (function, argument), *_ = condition.items()
    if function == "Fn::And":
        return all(holds(part, parameters) for part in argument)
    if function == "Fn::Or":
        return any(holds(part, parameters) for part in argument)
    if function == "Fn::Not":
        return not holds(argument[0], parameters)
    if function == "Fn::Equals":
        left, right = (parameters[v["Ref"]] if isinstance(v, dict) else v for v in argument)
        return bool(left == right)
    raise AssertionError(f"not a condition this test evaluates: {function}")


def made(stack: Json, parameters: dict[str, str]) -> set[str]:
    """The resources CloudFormation makes for these parameter values (the defaults for the rest)."""
    values = {name: p["Default"] for name, p in stack["Parameters"].items()} | parameters
    return {
        name
        for name, resource in stack["Resources"].items()
        if "Condition" not in resource or holds(stack["Conditions"][resource["Condition"]], values)
    }


# --- the API's own domain ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("domain", "certificate", "expected"),
    [
        ("", "", False),
        ("api.cet.zj.example.gov.cn", "", False),
        ("", ACM_HERE, False),
        ("api.cet.zj.example.gov.cn", ACM_HERE, True),
    ],
)
def test_reach_the_apis_domain_and_base_path_are_made_exactly_when_domain_and_certificate_are_given(
    domain: str, certificate: str, expected: bool
) -> None:
    stack = additions(zhejiang())
    resources = made(stack, {"ApiDomain": domain, "ApiCertificate": certificate})
    domain_resources = {"ApiDomainName", "ApiBasePath"}
    assert domain_resources & resources == (domain_resources if expected else set())
    assert stack["Outputs"]["ApiDomainTarget"]["Condition"] == stack["Resources"]["ApiDomainName"]["Condition"]


def test_reach_the_apis_domain_is_regional_and_maps_api_to_the_stage_so_its_urls_keep_their_shape() -> None:
    """https://<api domain>/api/health reaches the route /health, as https://<site>/api/health does."""
    resources = additions(zhejiang())["Resources"]
    domain = resources["ApiDomainName"]["Properties"]
    assert domain["EndpointConfiguration"] == {"Types": ["REGIONAL"]}  # no edge-optimised APIs in China
    assert domain["RegionalCertificateArn"] == {"Ref": "ApiCertificate"}
    assert domain["SecurityPolicy"] == "TLS_1_2"
    mapping = resources["ApiBasePath"]["Properties"]
    assert mapping == {
        "DomainName": {"Ref": "ApiDomainName"},
        "RestApiId": {"Ref": "RestAPI"},
        "Stage": "api",
        "BasePath": "api",
    }
    assert resources["ApiBasePath"]["DependsOn"] == "RestAPIapiStage"


def test_reach_the_descriptions_domains_and_certificates_are_the_stacks_parameters() -> None:
    stack = additions(zhejiang(api_domain="api.cet.zj.example.gov.cn", api_certificate=ACM_HERE))
    assert stack["Parameters"]["ApiDomain"]["Default"] == "api.cet.zj.example.gov.cn"
    assert stack["Parameters"]["ApiCertificate"]["Default"] == ACM_HERE
    assert {"ApiDomainName", "ApiBasePath"} <= made(stack, {})
    assert not {"ApiDomainName", "ApiBasePath"} & made(additions(zhejiang()), {})  # the sample: not yet


def description(**keys: str) -> Json:
    sample: Json = json.loads((ROOT / "deploy" / "provinces" / "zhejiang.json").read_text(encoding="utf-8"))
    return {**sample, **keys}


def test_reach_a_description_with_a_domain_without_its_certificate_or_the_wrong_certificate_is_refused() -> None:
    with pytest.raises(DescriptionError, match="api_domain and api_certificate: give both or neither"):
        parse(description(api_domain="api.cet.zj.example.gov.cn"))
    with pytest.raises(DescriptionError, match="site_domain and site_certificate: give both or neither"):
        parse(description(site_certificate=IAM_SERVER_CERTIFICATE))
    with pytest.raises(DescriptionError, match="api_certificate: the ARN of an ACM certificate in cn-northwest-1"):
        parse(description(api_domain="api.cet.zj.example.gov.cn", api_certificate=ACM_US_EAST_1))
    with pytest.raises(DescriptionError, match="IAM server certificate"):  # CloudFront in China takes no ACM
        parse(description(site_domain="cet.zj.example.gov.cn", site_certificate=ACM_HERE))
    with pytest.raises(DescriptionError, match="ACM certificate in us-east-1"):
        parse(description(region="us-east-1", site_domain="cet.example.org", site_certificate=IAM_SERVER_CERTIFICATE))
    with pytest.raises(DescriptionError, match="site_domain"):
        parse(description(site_domain="https://cet.zj.example.gov.cn", site_certificate=IAM_SERVER_CERTIFICATE))
    with pytest.raises(DescriptionError, match=r"public_api_url: .* https://cet\.zj2\.example\.gov\.cn/api"):
        parse(description(site_domain="cet.zj2.example.gov.cn", site_certificate=IAM_SERVER_CERTIFICATE))
    given = parse(
        description(
            site_domain="cet.zj.example.gov.cn",
            site_certificate=IAM_SERVER_CERTIFICATE,
            api_domain="api.cet.zj.example.gov.cn",
            api_certificate=ACM_HERE,
        )
    )
    assert (given.site_domain, given.api_certificate) == ("cet.zj.example.gov.cn", ACM_HERE)


# --- the page and the API on one site ---------------------------------------------------------------


def distribution(province: Province) -> Json:
    config: Json = additions(province)["Resources"]["PageDistribution"]["Properties"]["DistributionConfig"]
    return config


def api_behaviour(config: Json) -> Json:
    (behaviour,) = [b for b in config["CacheBehaviors"] if b["PathPattern"] == "/api/*"]
    return behaviour


def test_reach_the_page_calls_the_api_under_api_on_its_own_origin_and_cloudfront_sends_that_to_the_stage() -> None:
    """The page's api_base is /api (web/config.json), the local stack strips /api (devstack/serve.py),
    and on CloudFront /api/health goes to the stage named api with no origin path: the same route."""
    assert json.loads((ROOT / "web" / "config.json").read_text(encoding="utf-8"))["api_base"] == API_PREFIX == "/api"
    config = distribution(abroad())
    origins = {o["Id"]: o for o in config["Origins"]}
    api = origins[api_behaviour(config)["TargetOriginId"]]
    assert api["DomainName"] == {"Fn::Sub": "${RestAPI}.execute-api.${AWS::Region}.${AWS::URLSuffix}"}
    assert "OriginPath" not in api
    assert api["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    assert config["DefaultCacheBehavior"]["TargetOriginId"] == "page"
    assert config["DefaultRootObject"] == "index.html"


def test_reach_nothing_of_the_api_is_cached_and_its_host_header_is_its_own() -> None:
    """Managed CachingDisabled, and AllViewerExceptHostHeader: API Gateway refuses a Host not its own."""
    behaviour = api_behaviour(distribution(abroad()))
    assert behaviour["CachePolicyId"] == "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"  # Managed-CachingDisabled
    assert behaviour["OriginRequestPolicyId"] == "b689b0a8-53d0-40ab-baf2-68738e2966ac"  # AllViewerExceptHostHeader
    assert set(behaviour["AllowedMethods"]) >= {"GET", "POST", "PUT", "PATCH", "DELETE"}
    assert behaviour["ViewerProtocolPolicy"] == "https-only"  # a redirect would turn a POST into a GET
    assert "ResponseHeadersPolicyId" not in behaviour  # the API's answers pass as it sends them


def test_reach_in_china_nothing_of_the_api_is_cached_with_the_legacy_settings_china_takes() -> None:
    """CloudFront in China refuses CachePolicyId: TTL 0, and only the headers the API reads, never Host."""
    behaviour = api_behaviour(distribution(zhejiang()))
    assert "CachePolicyId" not in behaviour
    assert "OriginRequestPolicyId" not in behaviour
    assert behaviour["MinTTL"] == behaviour["DefaultTTL"] == behaviour["MaxTTL"] == 0
    forwarded = behaviour["ForwardedValues"]
    assert forwarded["QueryString"] is True
    assert {"Authorization", "Content-Type", "Accept", "If-None-Match"} <= set(forwarded["Headers"])
    assert "host" not in {h.lower() for h in forwarded["Headers"]}
    assert "CachePolicyId" not in distribution(zhejiang())["DefaultCacheBehavior"]


@pytest.mark.parametrize("province", [abroad(), zhejiang()], ids=["aws", "aws-cn"])
def test_reach_the_page_carries_the_security_headers_the_local_stack_sends(province: Province) -> None:
    """The browser tests check the page under devstack's policy; CloudFront sends the same one."""
    stack = additions(province)
    assert distribution(province)["DefaultCacheBehavior"]["ResponseHeadersPolicyId"] == {"Ref": "PageHeaders"}
    headers = stack["Resources"]["PageHeaders"]["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    assert headers["ContentSecurityPolicy"] == {"Override": True, "ContentSecurityPolicy": CONTENT_SECURITY_POLICY}
    assert headers["ContentTypeOptions"] == {"Override": True}
    assert headers["FrameOptions"]["FrameOption"] == "DENY"
    assert headers["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31_536_000


def test_reach_the_page_bucket_is_private_encrypted_versioned_and_read_only_by_the_distribution() -> None:
    resources = additions(abroad())["Resources"]
    bucket = resources["PageBucket"]["Properties"]
    assert set(bucket["PublicAccessBlockConfiguration"].values()) == {True}
    assert len(bucket["PublicAccessBlockConfiguration"]) == 4
    assert bucket["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]  # no ACLs
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    (page,) = [o for o in distribution(abroad())["Origins"] if o["Id"] == "page"]
    assert page["OriginAccessControlId"] == {"Fn::GetAtt": ["PageOriginAccess", "Id"]}
    access = resources["PageOriginAccess"]["Properties"]["OriginAccessControlConfig"]
    assert (access["OriginAccessControlOriginType"], access["SigningBehavior"]) == ("s3", "always")
    statements = resources["PageBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    allowed = [s for s in statements if s["Effect"] == "Allow"]
    assert [(s["Principal"], s["Action"]) for s in allowed] == [
        ({"Service": "cloudfront.amazonaws.com"}, "s3:GetObject")
    ]
    assert "${PageDistribution}" in allowed[0]["Condition"]["StringEquals"]["AWS:SourceArn"]["Fn::Sub"]
    (tls,) = [s for s in statements if s["Effect"] == "Deny"]
    assert tls["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_reach_in_china_the_bucket_is_read_through_an_origin_access_identity_and_no_cloudfront_before_the_domain() -> (
    None
):
    """China's CloudFormation has no OriginAccessControl type, and China's CloudFront serves nothing
    without an ICP-filed domain and an IAM certificate: nothing of CloudFront before they are given."""
    stack = additions(zhejiang())
    resources = stack["Resources"]
    assert "PageOriginAccess" not in resources
    assert not [r for r in resources.values() if r.get("Type") == "AWS::CloudFront::OriginAccessControl"]
    (page,) = [o for o in distribution(zhejiang())["Origins"] if o["Id"] == "page"]
    assert page["S3OriginConfig"]["OriginAccessIdentity"] == {
        "Fn::Sub": "origin-access-identity/cloudfront/${PageOriginIdentity}"
    }
    cloudfront = {name for name, r in resources.items() if r.get("Type", "").startswith(CLOUDFRONT)}
    assert cloudfront == {"PageOriginIdentity", "PageHeaders", "PageDistribution"}
    assert not cloudfront & made(stack, {})
    given = {"SiteDomain": "cet.zj.example.gov.cn", "SiteCertificate": IAM_SERVER_CERTIFICATE}
    assert cloudfront <= made(stack, given)
    assert not cloudfront & made(stack, {"SiteDomain": "cet.zj.example.gov.cn"})
    certificate = distribution(zhejiang())["ViewerCertificate"]
    assert certificate["IamCertificateId"] == {"Ref": "SiteCertificate"}
    assert distribution(zhejiang())["Aliases"] == [{"Ref": "SiteDomain"}]
    assert "PageBucket" in made(stack, {})  # the page can be uploaded before the filing


def test_reach_abroad_the_distribution_serves_on_its_own_domain_until_the_sites_domain_is_given() -> None:
    stack = additions(abroad())
    assert {"PageDistribution", "PageHeaders", "PageOriginAccess"} <= made(stack, {})
    config = distribution(abroad())
    assert config["ViewerCertificate"]["Fn::If"][0] == "SiteDomainGiven"
    given, default = config["ViewerCertificate"]["Fn::If"][1:]
    assert given["AcmCertificateArn"] == {"Ref": "SiteCertificate"}
    assert given["MinimumProtocolVersion"].startswith("TLSv1.2")
    assert default == {"CloudFrontDefaultCertificate": True}


@pytest.mark.parametrize("province", [abroad(), zhejiang()], ids=["aws", "aws-cn"])
def test_reach_the_outputs_say_where_to_upload_the_page_and_what_to_point_the_domains_at(province: Province) -> None:
    outputs = additions(province)["Outputs"]
    assert outputs["PageBucketName"] == {"Value": {"Ref": "PageBucket"}}
    assert outputs["PageDistributionDomain"]["Value"] == {"Fn::GetAtt": ["PageDistribution", "DomainName"]}
    assert outputs["PageDistributionId"]["Value"] == {"Ref": "PageDistribution"}
    assert outputs["ApiDomainTarget"]["Value"] == {"Fn::GetAtt": ["ApiDomainName", "RegionalDomainName"]}
