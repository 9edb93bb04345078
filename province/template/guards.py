"""What keeps the stack standing: the API's throttling and web ACL, and where failed work goes.

Each function's reserved concurrency is Chalice's to declare (province/package.py).
"""

from __future__ import annotations

from province.cfn import Json, get_att, ref, sub
from province.package import STAGE
from province.template.functions import JOBS

WAF_REQUESTS_PER_IP_PER_5_MINUTES = 20_000  # a whole campus may sit behind one address
KNOWN_BAD_INPUTS = "AWSManagedRulesKnownBadInputsRuleSet"
API_RATE_PER_SECOND = 3_000
API_BURST = 6_000


def failure_queue() -> Json:
    return {
        "Type": "AWS::SQS::Queue",
        "Properties": {"MessageRetentionPeriod": 14 * 24 * 3600, "KmsMasterKeyId": ref("ProvinceKey")},
    }


def job_destinations() -> Json:
    return {
        f"{job}InvokeConfig": {
            "Type": "AWS::Lambda::EventInvokeConfig",
            "Properties": {
                "FunctionName": ref(job),
                "Qualifier": "$LATEST",
                "MaximumRetryAttempts": 2,
                "MaximumEventAgeInSeconds": 600,
                "DestinationConfig": {"OnFailure": {"Destination": get_att("JobFailures", "Arn")}},
            },
        }
        for job in JOBS
    }


# --- the API: throttling and a per-address rate rule --------------------------------------------


def api_guards() -> Json:
    return {
        "RestAPI": {"Properties": {"MethodSettings": [api_throttling()]}},
        "ApiWebAcl": {
            "Type": "AWS::WAFv2::WebACL",
            "Properties": {
                "Scope": "REGIONAL",
                "DefaultAction": {"Allow": {}},
                "VisibilityConfig": visibility("cet-registration-api"),
                "Rules": [requests_per_address(), known_bad_inputs()],
            },
        },
        "ApiWebAclAssociation": {
            "Type": "AWS::WAFv2::WebACLAssociation",
            "DependsOn": f"RestAPI{STAGE}Stage",
            "Properties": {
                "ResourceArn": sub(
                    "arn:${AWS::Partition}:apigateway:${AWS::Region}::/restapis/${RestAPI}/stages/" + STAGE
                ),
                "WebACLArn": get_att("ApiWebAcl", "Arn"),
            },
        },
    }


def api_throttling() -> Json:
    return {
        "ResourcePath": "/*",
        "HttpMethod": "*",
        "ThrottlingRateLimit": API_RATE_PER_SECOND,
        "ThrottlingBurstLimit": API_BURST,
        "MetricsEnabled": True,
    }


def requests_per_address() -> Json:
    return {
        "Name": "requests-per-address",
        "Priority": 0,
        "Action": {"Block": {}},
        "Statement": {"RateBasedStatement": {"Limit": WAF_REQUESTS_PER_IP_PER_5_MINUTES, "AggregateKeyType": "IP"}},
        "VisibilityConfig": visibility("requests-per-address"),
    }


def known_bad_inputs() -> Json:
    """Request shapes known to exploit servers (Log4Shell among them)."""
    return {
        "Name": "known-bad-inputs",
        "Priority": 1,
        "OverrideAction": {"None": {}},
        "Statement": {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": KNOWN_BAD_INPUTS}},
        "VisibilityConfig": visibility("known-bad-inputs"),
    }


def visibility(name: str) -> Json:
    return {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": name}
