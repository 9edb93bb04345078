"""What keeps the stack standing: the API's name, throttling and web ACL, and where failed work goes.

Each function's reserved concurrency is Chalice's to declare (province/package.py).
"""

from __future__ import annotations

from province.cfn import Json, get_att, ref, sub
from province.description import Province
from province.package import STAGE
from province.template.functions import JOBS
from province.template.site import EDGE_HEADER_NAME, edge_key

# Decision 0034: students are counted by the address CloudFront saw them connect from.
WAF_REQUESTS_PER_CLIENT_PER_5_MINUTES = 20_000  # a whole campus may sit behind one address
# Every request from one source address, whatever it says it forwards: a ceiling for a caller that
# reaches the API directly and writes its own X-Forwarded-For, far above what one CloudFront edge
# server carries for a province (the whole stage is throttled at API_RATE_PER_SECOND).
WAF_REQUESTS_PER_SOURCE_PER_5_MINUTES = 200_000
FORWARDED_FOR = "X-Forwarded-For"
# One address and nothing else: what CloudFront writes for a viewer that sent no X-Forwarded-For of
# its own (over HTTPS no proxy between the student and CloudFront can add one).
ONE_ADDRESS = r"^[^,]+$"
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


# --- the API: throttling, rate rules per student and per address --------------------------------------------


def api_guards(province: Province) -> Json:
    return {
        # The province's own name (Chalice's is the app's, the same for every province): API
        # Gateway's metrics, and so the alarms and the dashboard, tell provinces apart by it.
        "RestAPI": {
            "Properties": {
                "Name": api_name(province),
                "DefinitionBody": {"info": {"title": api_name(province)}},
                "MethodSettings": [api_throttling()],
            }
        },
        "ApiWebAcl": {
            "Type": "AWS::WAFv2::WebACL",
            "Properties": {
                "Name": f"{province.stack_name}-api",
                "Scope": "REGIONAL",
                "DefaultAction": {"Allow": {}},
                "VisibilityConfig": visibility(f"{province.stack_name}-api"),
                "Rules": [requests_per_client(), requests_per_address(), requests_per_source(), known_bad_inputs()],
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


def api_name(province: Province) -> str:
    """The API's name: the ApiName of API Gateway's metrics, which the alarms and dashboard ask for."""
    return province.stack_name


def api_throttling() -> Json:
    return {
        "ResourcePath": "/*",
        "HttpMethod": "*",
        "ThrottlingRateLimit": API_RATE_PER_SECOND,
        "ThrottlingBurstLimit": API_BURST,
        "MetricsEnabled": True,
    }


def requests_per_client() -> Json:
    """Behind CloudFront: each student's address, as CloudFront wrote it into X-Forwarded-For from
    the connection (decision 0034). Only for a header of one address: a viewer's own
    X-Forwarded-For comes first, and CloudFront appends the real one after a comma."""
    return {
        "Name": "requests-per-client",
        "Priority": 0,
        "Action": {"Block": {}},
        "Statement": {
            "RateBasedStatement": {
                "Limit": WAF_REQUESTS_PER_CLIENT_PER_5_MINUTES,
                "AggregateKeyType": "FORWARDED_IP",
                "ForwardedIPConfig": {"HeaderName": FORWARDED_FOR, "FallbackBehavior": "MATCH"},
                "ScopeDownStatement": through_the_edge(),
            }
        },
        "VisibilityConfig": visibility("requests-per-client"),
    }


def requests_per_address() -> Json:
    """Every other request by the address it comes from: a caller that reaches the API directly
    without X-Forwarded-For, or one that wrote its own (then, through CloudFront, the edge's
    address, shared only with others who did the same)."""
    return {
        "Name": "requests-per-address",
        "Priority": 1,
        "Action": {"Block": {}},
        "Statement": {
            "RateBasedStatement": {
                "Limit": WAF_REQUESTS_PER_CLIENT_PER_5_MINUTES,
                "AggregateKeyType": "IP",
                "ScopeDownStatement": {"NotStatement": {"Statement": through_the_edge()}},
            }
        },
        "VisibilityConfig": visibility("requests-per-address"),
    }


def requests_per_source() -> Json:
    """All requests of one source address: bounds a direct caller that invents one X-Forwarded-For
    address per request to escape requests-per-client."""
    return {
        "Name": "requests-per-source",
        "Priority": 2,
        "Action": {"Block": {}},
        "Statement": {
            "RateBasedStatement": {
                "Limit": WAF_REQUESTS_PER_SOURCE_PER_5_MINUTES,
                "AggregateKeyType": "IP",
                # an edge server carries many students: what it sends is counted by student (rule 1)
                "ScopeDownStatement": {"NotStatement": {"Statement": edge_key_sent()}},
            }
        },
        "VisibilityConfig": visibility("requests-per-source"),
    }


def through_the_edge() -> Json:
    """A request CloudFront sent: its key, and one address in X-Forwarded-For (the viewer's, as
    CloudFront took it from the connection). A caller reaching the API directly has no key."""
    return {"AndStatement": {"Statements": [edge_key_sent(), one_forwarded_address()]}}


def edge_key_sent() -> Json:
    return {
        "ByteMatchStatement": {
            "SearchString": edge_key(),
            "FieldToMatch": {"SingleHeader": {"Name": EDGE_HEADER_NAME.lower()}},
            "TextTransformations": [{"Priority": 0, "Type": "NONE"}],
            "PositionalConstraint": "EXACTLY",
        }
    }


def one_forwarded_address() -> Json:
    return {
        "RegexMatchStatement": {
            "RegexString": ONE_ADDRESS,
            "FieldToMatch": {"SingleHeader": {"Name": FORWARDED_FOR.lower()}},
            "TextTransformations": [{"Priority": 0, "Type": "NONE"}],
        }
    }


def known_bad_inputs() -> Json:
    """Request shapes known to exploit servers (Log4Shell among them)."""
    return {
        "Name": "known-bad-inputs",
        "Priority": 3,
        "OverrideAction": {"None": {}},
        "Statement": {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": KNOWN_BAD_INPUTS}},
        "VisibilityConfig": visibility("known-bad-inputs"),
    }


def visibility(name: str) -> Json:
    return {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": name}
