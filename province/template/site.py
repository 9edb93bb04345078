"""Where students reach the province: the page's bucket and CloudFront distribution in front of the
page and the API, and the API's own domain (docs/deploy.md, "Reaching the province"; decision 0035).

The page and the API share one origin, as on the local stack: the page under `/`, the API under
`/api/` (web/config.json's `api_base`). CloudFront sends `/api/*` to the API's stage, whose name is
`api`, so `/api/health` reaches the route `/health` with no origin path; the API's own domain maps
the base path `api` to the stage, so its URLs have the same shape.

The China regions are served differently (decision 0035): CloudFront there has no origin access
control, refuses cache and origin request policies, serves nothing on its default `*.cloudfront.cn`
domain, and takes certificates from IAM only. In `aws-cn` the bucket is read through an origin
access identity, the `/api/*` behaviour keeps nothing with the legacy forwarded values at TTL 0, and
no CloudFront resource is made until the page's domain and certificate are given.
"""

from __future__ import annotations

from province.cfn import Json, get_att, ref, sub
from province.description import Province
from province.package import STAGE

# The page's headers: the same policy as the local stack's (devstack/serve.py), so that the
# browser tests check the page under the headers CloudFront sends.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
HSTS_SECONDS = 365 * 24 * 3600
API_PATH = f"/{STAGE}/*"

# CloudFront's managed policies (the `aws` partition only).
CACHING_OPTIMIZED = "658777ea-f89d-4fab-a63d-7e77639e58f6"
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER_EXCEPT_HOST_HEADER = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
# What the API reads of a request's headers (chalicelib/api/requests.py, payments.py): forwarded in
# `aws-cn`, where no origin request policy may be set. Never Host: API Gateway answers 403 to a
# Host that is not its own.
API_HEADERS = ("Accept", "Authorization", "Content-Type", "If-None-Match")
ALL_METHODS = ["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"]

# checkov's findings on these resources that the stack accepts, each with its reason (docs/deploy.md).
PAGE_BUCKET_ACCEPTS = {
    "CKV_AWS_18": "the bucket holds the public page only, read by the distribution alone; every upload is versioned",
}
DISTRIBUTION_ACCEPTS = {
    "CKV_AWS_68": (
        "a web ACL for CloudFront exists only in us-east-1 and not at all in the China regions (WAF is "
        "regional there); /api/* reaches the API stage, which has its own web ACL"
    ),
    "CKV_AWS_86": "the page is static and public; every API request through it is logged by the API, one line each",
    "CKV_AWS_174": "TLS 1.2 is the minimum once the page's domain is given; CloudFront's default domain allows less",
}

SITE_GIVEN = "SiteDomainGiven"
API_DOMAIN_GIVEN = "ApiDomainGiven"


def china(province: Province) -> bool:
    return province.partition == "aws-cn"


def parameters(province: Province) -> Json:
    """The domains and certificates, defaulting to the province description's (empty: not yet)."""
    site_certificate = (
        "the id of the page's IAM server certificate (ASCA…), uploaded with --path /cloudfront/"
        if china(province)
        else "the ARN of the page's ACM certificate in us-east-1"
    )
    return {
        "SiteDomain": text(province.site_domain, "the page's domain on CloudFront (ICP-filed in China); empty: none"),
        "SiteCertificate": text(province.site_certificate, site_certificate),
        "ApiDomain": text(province.api_domain, "the API's own domain (ICP-filed in China); empty: none"),
        "ApiCertificate": text(province.api_certificate, f"the ARN of the API's ACM certificate in {province.region}"),
    }


def text(default: str, description: str) -> Json:
    return {"Type": "String", "Default": default, "Description": description}


def conditions() -> Json:
    return {
        SITE_GIVEN: both_given("SiteDomain", "SiteCertificate"),
        API_DOMAIN_GIVEN: both_given("ApiDomain", "ApiCertificate"),
    }


def both_given(first: str, second: str) -> Json:
    return {"Fn::And": [{"Fn::Not": [{"Fn::Equals": [ref(name), ""]}]} for name in (first, second)]}


EDGE_HEADER_NAME = "X-Cet-Edge"  # chalicelib/protection/edge.py reads it


def edge_key() -> Json:
    """The edge secret's value, resolved by CloudFormation where a property needs it (never in the
    template itself)."""
    return sub("{{resolve:secretsmanager:${EdgeSecret}:SecretString:value}}")


def generated_secret(name: str, description: str) -> Json:
    """A secret the stack makes itself, {"value": 48 letters and digits} under the province's key:
    nobody sees it before the stack does."""
    return {
        "Type": "AWS::SecretsManager::Secret",
        "Properties": {
            "Name": name,
            "Description": description,
            "KmsKeyId": ref("ProvinceKey"),
            "GenerateSecretString": {
                "SecretStringTemplate": "{}",
                "GenerateStringKey": "value",
                "PasswordLength": 48,
                "ExcludePunctuation": True,
            },
        },
    }


def edge_secret(province: Province) -> Json:
    """The key CloudFront adds to each request it sends to the API, made here so nobody sees it;
    the web ACL and the API tell CloudFront's requests by it (decision 0034). A new one takes a
    stack update to reach the distribution and the web ACL; the API reads it within 5 minutes."""
    return generated_secret(
        province.edge_secret, "The key CloudFront adds to the API's requests: {value} (decision 0034)"
    )


def site(province: Province) -> Json:
    resources: Json = {
        "EdgeSecret": edge_secret(province),
        "PageBucket": page_bucket(),
        "PageBucketPolicy": page_bucket_policy(province),
        "PageHeaders": page_headers(),
        "PageDistribution": distribution(province),
        **api_domain(),
    }
    if china(province):
        resources["PageOriginIdentity"] = {
            "Type": "AWS::CloudFront::CloudFrontOriginAccessIdentity",
            "Properties": {"CloudFrontOriginAccessIdentityConfig": {"Comment": sub("${AWS::StackName} page")}},
        }
        for name in ("PageOriginIdentity", "PageHeaders", "PageDistribution"):
            resources[name]["Condition"] = SITE_GIVEN
    else:
        resources["PageOriginAccess"] = {
            "Type": "AWS::CloudFront::OriginAccessControl",
            "Properties": {
                "OriginAccessControlConfig": {
                    "Name": sub("${AWS::StackName}-page"),
                    "OriginAccessControlOriginType": "s3",
                    "SigningBehavior": "always",
                    "SigningProtocol": "sigv4",
                }
            },
        }
    return resources


def accepted(findings: dict[str, str]) -> Json:
    """checkov's own way to accept a finding on one resource, with the reason it reports."""
    return {"checkov": {"skip": [{"id": check, "comment": reason} for check, reason in findings.items()]}}


def page_bucket() -> Json:
    """Private: only the distribution reads it; every version kept, so a bad upload can be undone."""
    return {
        "Type": "AWS::S3::Bucket",
        "Metadata": accepted(PAGE_BUCKET_ACCEPTS),
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": {
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": True,
                "BlockPublicPolicy": True,
                "IgnorePublicAcls": True,
                "RestrictPublicBuckets": True,
            },
            "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
            "BucketEncryption": {
                "ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
            },
            "VersioningConfiguration": {"Status": "Enabled"},
            "LifecycleConfiguration": {
                "Rules": [
                    {"Id": "old-versions", "Status": "Enabled", "NoncurrentVersionExpiration": {"NoncurrentDays": 90}}
                ]
            },
        },
    }


def page_bucket_policy(province: Province) -> Json:
    objects = sub("${PageBucket.Arn}/*")
    reader: Json
    if china(province):
        reader = {
            "Fn::If": [
                SITE_GIVEN,
                {
                    "Sid": "TheDistributionReadsThePage",
                    "Effect": "Allow",
                    "Principal": {"CanonicalUser": get_att("PageOriginIdentity", "S3CanonicalUserId")},
                    "Action": "s3:GetObject",
                    "Resource": objects,
                },
                ref("AWS::NoValue"),
            ]
        }
    else:
        reader = {
            "Sid": "TheDistributionReadsThePage",
            "Effect": "Allow",
            "Principal": {"Service": "cloudfront.amazonaws.com"},
            "Action": "s3:GetObject",
            "Resource": objects,
            "Condition": {
                "StringEquals": {
                    "AWS:SourceArn": sub(
                        "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}:distribution/${PageDistribution}"
                    )
                }
            },
        }
    only_tls = {
        "Sid": "OnlyOverTls",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [get_att("PageBucket", "Arn"), objects],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    return {
        "Type": "AWS::S3::BucketPolicy",
        "Properties": {
            "Bucket": ref("PageBucket"),
            "PolicyDocument": {"Version": "2012-10-17", "Statement": [only_tls, reader]},
        },
    }


def page_headers() -> Json:
    """The page's security headers (docs/deploy.md): its CSP, nosniff, no framing, HSTS, referrer."""
    return {
        "Type": "AWS::CloudFront::ResponseHeadersPolicy",
        "Properties": {
            "ResponseHeadersPolicyConfig": {
                "Name": sub("${AWS::StackName}-page"),
                "Comment": "CET registration page: CSP, nosniff, no framing",
                "SecurityHeadersConfig": {
                    "ContentSecurityPolicy": {"Override": True, "ContentSecurityPolicy": CONTENT_SECURITY_POLICY},
                    "ContentTypeOptions": {"Override": True},
                    "FrameOptions": {"Override": True, "FrameOption": "DENY"},
                    "StrictTransportSecurity": {
                        "Override": True,
                        "AccessControlMaxAgeSec": HSTS_SECONDS,
                        "IncludeSubdomains": False,
                        "Preload": False,
                    },
                    "ReferrerPolicy": {"Override": True, "ReferrerPolicy": "same-origin"},
                },
            }
        },
    }


def distribution(province: Province) -> Json:
    page_origin: Json = {"Id": "page", "DomainName": get_att("PageBucket", "RegionalDomainName")}
    if china(province):
        page_origin["S3OriginConfig"] = {
            "OriginAccessIdentity": sub("origin-access-identity/cloudfront/${PageOriginIdentity}")
        }
    else:
        page_origin["S3OriginConfig"] = {"OriginAccessIdentity": ""}
        page_origin["OriginAccessControlId"] = get_att("PageOriginAccess", "Id")
    api_origin = {
        "Id": "api",
        "DomainName": sub("${RestAPI}.execute-api.${AWS::Region}.${AWS::URLSuffix}"),
        "CustomOriginConfig": {"OriginProtocolPolicy": "https-only", "OriginSSLProtocols": ["TLSv1.2"]},
        # what tells the web ACL and the API that a request came through here (decision 0034)
        "OriginCustomHeaders": [{"HeaderName": EDGE_HEADER_NAME, "HeaderValue": edge_key()}],
    }
    config: Json = {
        "Enabled": True,
        "Comment": sub("${AWS::StackName}: the page, and the API under /api/"),
        "DefaultRootObject": "index.html",
        "HttpVersion": "http2",
        "Origins": [page_origin, api_origin],
        "DefaultCacheBehavior": page_behaviour(province),
        "CacheBehaviors": [api_behaviour(province)],
        **names(province),
    }
    return {
        "Type": "AWS::CloudFront::Distribution",
        "Metadata": accepted(DISTRIBUTION_ACCEPTS),
        "Properties": {"DistributionConfig": config},
    }


def page_behaviour(province: Province) -> Json:
    """Cached as the upload's Cache-Control says (docs/deploy.md: a minute), with the page's headers."""
    behaviour: Json = {
        "TargetOriginId": "page",
        "ViewerProtocolPolicy": "redirect-to-https",
        "AllowedMethods": ["GET", "HEAD"],
        "CachedMethods": ["GET", "HEAD"],
        "Compress": True,
        "ResponseHeadersPolicyId": ref("PageHeaders"),
    }
    if china(province):
        behaviour |= {"ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}}}
    else:
        behaviour["CachePolicyId"] = CACHING_OPTIMIZED
    return behaviour


def api_behaviour(province: Province) -> Json:
    """Nothing of the API is kept at the edge; its answers pass as the API sends them."""
    behaviour: Json = {
        "PathPattern": API_PATH,
        "TargetOriginId": "api",
        "ViewerProtocolPolicy": "https-only",
        "AllowedMethods": ALL_METHODS,
        "CachedMethods": ["GET", "HEAD"],
        "Compress": True,
    }
    if china(province):
        behaviour |= {
            "ForwardedValues": {"QueryString": True, "Headers": list(API_HEADERS), "Cookies": {"Forward": "none"}},
            "MinTTL": 0,
            "DefaultTTL": 0,
            "MaxTTL": 0,
        }
    else:
        behaviour |= {"CachePolicyId": CACHING_DISABLED, "OriginRequestPolicyId": ALL_VIEWER_EXCEPT_HOST_HEADER}
    return behaviour


def names(province: Province) -> Json:
    """The page's domain and certificate: required in China (a distribution there serves nothing
    without them, and is made only once they are given); elsewhere the default domain serves until
    they are."""
    given = {
        "Aliases": [ref("SiteDomain")],
        "ViewerCertificate": {
            ("IamCertificateId" if china(province) else "AcmCertificateArn"): ref("SiteCertificate"),
            "SslSupportMethod": "sni-only",
            "MinimumProtocolVersion": "TLSv1.2_2021",
        },
    }
    if china(province):
        return given
    return {
        "Aliases": {"Fn::If": [SITE_GIVEN, given["Aliases"], ref("AWS::NoValue")]},
        "ViewerCertificate": {
            "Fn::If": [SITE_GIVEN, given["ViewerCertificate"], {"CloudFrontDefaultCertificate": True}]
        },
    }


def api_domain() -> Json:
    """The API's own regional domain, its `api` base path on the stage; only once both are given."""
    return {
        "ApiDomainName": {
            "Type": "AWS::ApiGateway::DomainName",
            "Condition": API_DOMAIN_GIVEN,
            "Properties": {
                "DomainName": ref("ApiDomain"),
                "RegionalCertificateArn": ref("ApiCertificate"),
                "EndpointConfiguration": {"Types": ["REGIONAL"]},
                "SecurityPolicy": "TLS_1_2",
            },
        },
        "ApiBasePath": {
            "Type": "AWS::ApiGateway::BasePathMapping",
            "Condition": API_DOMAIN_GIVEN,
            "DependsOn": f"RestAPI{STAGE}Stage",
            "Properties": {
                "DomainName": ref("ApiDomainName"),
                "RestApiId": ref("RestAPI"),
                "Stage": STAGE,
                "BasePath": STAGE,
            },
        },
    }


def outputs(province: Province) -> Json:
    """What the province's engineer needs next (docs/deploy.md): where to upload the page, what to
    point the page's domain and the API's domain at."""
    page_condition = {"Condition": SITE_GIVEN} if china(province) else {}
    return {
        "PageBucketName": {"Value": ref("PageBucket")},
        "PageDistributionId": {"Value": ref("PageDistribution"), **page_condition},
        "PageDistributionDomain": {"Value": get_att("PageDistribution", "DomainName"), **page_condition},
        "ApiDomainTarget": {"Value": get_att("ApiDomainName", "RegionalDomainName"), "Condition": API_DOMAIN_GIVEN},
    }
