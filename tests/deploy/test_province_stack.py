"""`make province` for a sample province, offline: the whole command, then the template deployed
into moto's CloudFormation after the SAM transform (issue: going live). What moto does not model
(the API, WAF, alarms' targets) is checked on the template."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from chalicelib.config import ARGON2_MIN_MEMORY_KIB, ARGON2_MIN_TIME_COST
from province.description import DescriptionError, load, parse
from province.findings import CHECKOV, Verdict
from province.package import PACKAGING_STREAM_ARN
from province.prune import KEPT_AWS_SERVICES
from province.stack import Built, build, lint, security_checks

REGION = "cn-northwest-1"
Json = dict[str, Any]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The whole command for the sample province: package, template, cfn-lint (checkov: `verdict`)."""
    province = load("zhejiang", REGION)
    result = build(province, tmp_path_factory.mktemp("out"))
    lint(result.template, REGION)  # raises on any cfn-lint error
    return result


@pytest.fixture(scope="module")
def verdict(built: Built) -> Verdict:
    """checkov on the template as built: raises on any failed check and any skip without a reason."""
    return security_checks(built.template)


@pytest.fixture(scope="module")
def template(built: Built) -> Json:
    loaded: Json = json.loads(built.template.read_text(encoding="utf-8"))
    return loaded


def resources_of(template: Json, kind: str) -> dict[str, Json]:
    return {name: r for name, r in template["Resources"].items() if r["Type"] == kind}


# --- on the template --------------------------------------------------------------------------


@pytest.mark.parametrize("handler", ["SeatsFromStream", "SendNewMessages"])
def test_the_stream_handlers_read_the_stacks_own_table_stream(template: Json, handler: str) -> None:
    """The seats of removed holds and seats for the waiting list (R-WAIT-2), and new messages
    (R-NOTE-1), from the province's own stream."""
    (event,) = template["Resources"][handler]["Properties"]["Events"].values()
    assert event["Properties"]["Stream"] == {"Fn::GetAtt": ["ProvinceTable", "StreamArn"]}
    assert event["Properties"]["BisectBatchOnFunctionError"] is True
    assert 0 < event["Properties"]["MaximumRetryAttempts"] <= 10
    assert event["Properties"]["MaximumRecordAgeInSeconds"] > 0
    assert event["Properties"]["DestinationConfig"]["OnFailure"]["Destination"] == {
        "Fn::GetAtt": ["StreamFailures", "Arn"]
    }


def test_at_most_two_readers_of_each_stream(template: Json) -> None:
    """DynamoDB Streams throttles a shard read by more than two readers (issue 21): every stream
    event source of the template, Chalice's and the stack's, counted per stream."""
    readers: dict[str, list[str]] = {}
    for name, function in resources_of(template, "AWS::Serverless::Function").items():
        for event in function["Properties"].get("Events", {}).values():
            if event["Type"] == "DynamoDB":
                readers.setdefault(json.dumps(event["Properties"]["Stream"]), []).append(name)
    mappings = resources_of(template, "AWS::Lambda::EventSourceMapping")
    for name, mapping in mappings.items():
        readers.setdefault(json.dumps(mapping["Properties"]["EventSourceArn"]), []).append(name)
    stream = json.dumps({"Fn::GetAtt": ["ProvinceTable", "StreamArn"]})
    assert {arn: sorted(names) for arn, names in readers.items()} == {stream: ["SeatsFromStream", "SendNewMessages"]}


def test_the_api_is_regional_throttled_and_behind_a_rate_rule(template: Json) -> None:
    api = template["Resources"]["RestAPI"]["Properties"]
    assert api["EndpointConfiguration"] == "REGIONAL"
    (setting,) = api["MethodSettings"]
    assert setting["ThrottlingRateLimit"] > 0
    assert setting["ThrottlingBurstLimit"] > 0
    (acl,) = resources_of(template, "AWS::WAFv2::WebACL").values()
    per_client, per_address, per_source, bad_inputs = acl["Properties"]["Rules"]
    assert bad_inputs["Statement"]["ManagedRuleGroupStatement"]["Name"] == "AWSManagedRulesKnownBadInputsRuleSet"
    # decision 0034 (tests/deploy/test_province_fair_and_apart.py): the student behind CloudFront,
    # then the source address of everything else, then a ceiling per source address
    assert per_client["Statement"]["RateBasedStatement"]["AggregateKeyType"] == "FORWARDED_IP"
    assert per_address["Statement"]["RateBasedStatement"]["AggregateKeyType"] == "IP"
    assert per_source["Statement"]["RateBasedStatement"]["AggregateKeyType"] == "IP"
    assert all("Block" in rule["Action"] for rule in (per_client, per_address, per_source))
    (association,) = resources_of(template, "AWS::WAFv2::WebACLAssociation").values()
    assert "${RestAPI}/stages/api" in association["Properties"]["ResourceArn"]["Fn::Sub"]


def test_the_table_is_encrypted_recoverable_protected_and_kept(template: Json) -> None:
    table = template["Resources"]["ProvinceTable"]
    assert table["DeletionPolicy"] == table["UpdateReplacePolicy"] == "Retain"
    properties = table["Properties"]
    assert properties["SSESpecification"] == {
        "SSEEnabled": True,
        "SSEType": "KMS",
        "KMSMasterKeyId": {"Ref": "ProvinceKey"},
    }
    assert properties["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert properties["DeletionProtectionEnabled"] is True
    assert properties["TimeToLiveSpecification"] == {"Enabled": True, "AttributeName": "expires"}


def test_every_function_has_its_own_role_log_group_and_reserved_concurrency(template: Json) -> None:
    functions = resources_of(template, "AWS::Serverless::Function")
    assert set(functions) == {
        "APIHandler",
        "ExpireUnpaid",
        "ReconcileOrders",
        "SeatsFromStream",
        "SendNewMessages",
        "SendMessages",
        "RemindUnpaid",
        "AdmitQueued",
        "OfferSeats",
        "PlanBegin",
        "PlanSeat",
        "PlanFinish",
    }
    roles = {name: f["Properties"]["Role"]["Fn::GetAtt"][0] for name, f in functions.items()}
    # one role a function, but for the room plan's three: one job (decision 0030)
    shared = {name for name, role in roles.items() if role == "PlanJobRole"}
    assert shared == {"PlanBegin", "PlanSeat", "PlanFinish"}
    assert len(set(roles.values())) == len(functions) - 2
    for name, function in functions.items():
        assert function["Properties"]["ReservedConcurrentExecutions"] > 0, name
        logs = template["Resources"][f"{name}Logs"]["Properties"]
        assert logs["LogGroupName"] == f"/aws/lambda/{function['Properties']['FunctionName']}"
        assert logs["RetentionInDays"] >= 180


def test_the_jobs_failures_go_somewhere(template: Json) -> None:
    configs = resources_of(template, "AWS::Lambda::EventInvokeConfig")
    assert {c["Properties"]["FunctionName"]["Ref"] for c in configs.values()} == {
        "ExpireUnpaid",
        "ReconcileOrders",
        "SendMessages",
        "RemindUnpaid",
        "AdmitQueued",
        "OfferSeats",
    }
    for config in configs.values():
        assert config["Properties"]["DestinationConfig"]["OnFailure"]["Destination"] == {
            "Fn::GetAtt": ["JobFailures", "Arn"]
        }


def statements(template: Json, role: str) -> list[Json]:
    (policy,) = template["Resources"][role]["Properties"]["Policies"]
    found: list[Json] = policy["PolicyDocument"]["Statement"]
    return found


def actions(template: Json, role: str) -> set[str]:
    return {
        a for s in statements(template, role) for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }


WRITES = {"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:ConditionCheckItem"}


def written_keys(template: Json, role: str) -> set[str]:
    """The partition keys the role's write statements name; each of them names some."""
    writes = [s for s in statements(template, role) if WRITES & set(s["Action"])]
    assert writes, role
    return {key for w in writes for key in w["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]}


def test_each_role_grants_what_its_function_does(template: Json) -> None:
    assert not {
        a
        for a in actions(template, "ApiRole")
        if (a.startswith("dynamodb:") and "Stream" in a) or a == "dynamodb:GetRecords"
    }
    stream = actions(template, "SeatStreamRole")
    assert {"dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:DescribeStream"} <= stream
    assert "secretsmanager:GetSecretValue" not in stream
    assert "secretsmanager:GetSecretValue" not in actions(template, "ExpiryJobRole")
    assert "secretsmanager:GetSecretValue" in actions(template, "ReconcileJobRole")
    # R-PAY-5: the reconcile job re-reserves a late payment in a shard it finds with one BatchGet
    assert "dynamodb:BatchGetItem" in actions(template, "ReconcileJobRole")


def test_the_senders_of_messages_write_only_the_outbox_and_alone_read_the_messaging_secret(template: Json) -> None:
    """R-NOTE-1: the stream handler and the sending job read the SMTP and SMS keys and change only
    outbox items; the reminder job adds outbox items and reads no secret; no other function
    learns where the messaging secret is."""
    messaging_secret = "cet-registration-zhejiang/messaging-??????"
    for role in ("MessageStreamRole", "SendJobRole", "ReminderJobRole"):
        assert written_keys(template, role) == {"OUTBOX#*"}, role
        assert "dynamodb:DeleteItem" not in actions(template, role)
        reads_secret = any(messaging_secret in json.dumps(s["Resource"]) for s in statements(template, role))
        assert reads_secret is (role != "ReminderJobRole"), role
    for role in ("ApiRole", "ExpiryJobRole", "ReconcileJobRole", "SeatStreamRole"):
        assert messaging_secret not in json.dumps(statements(template, role)), role
    functions = resources_of(template, "AWS::Serverless::Function")
    told = {name for name, f in functions.items() if "MESSAGING_SECRET_NAME" in json.dumps(f["Properties"])}
    assert told == {"SendNewMessages", "SendMessages"}


def test_the_offer_step_writes_only_what_an_offer_touches_and_reads_no_secret(template: Json) -> None:
    """R-WAIT-2: the offer job and the stream's reader for seats write the student's partition, the
    list, the pending seat, the counter, a release proof and the message; no order, no secret (the
    reader also gives a removed hold's seat back: a release proof, a pending seat, the counter)."""
    for role in ("OfferJobRole", "SeatStreamRole"):
        assert written_keys(template, role) == {
            "ACCOUNT#*", "WAITLIST#*", "PENDING#*", "SEATS#*", "RELEASE#*", "OUTBOX#*"
        }  # fmt: skip
        assert "secretsmanager:GetSecretValue" not in actions(template, role), role
    assert "dynamodb:GetRecords" in actions(template, "SeatStreamRole")
    assert "dynamodb:GetRecords" not in actions(template, "OfferJobRole")


def test_going_live_the_api_is_released_as_a_canary_behind_its_alias(template: Json) -> None:
    """Decision 0037: versions behind the alias `live`, a canary rolled back by the API's 5xx and p99
    latency alarms, and every route of the API invoking the alias, not $LATEST (the transform:
    tests/deploy/test_province_release.py)."""
    api = template["Resources"]["APIHandler"]["Properties"]
    assert api["AutoPublishAlias"] == "live"
    preference = api["DeploymentPreference"]
    assert preference["Type"] == "Canary10Percent5Minutes"
    assert preference["Alarms"] == [{"Ref": "Api5xxAlarm"}, {"Ref": "ApiLatencyAlarm"}]
    names = {template["Resources"][a]["Properties"]["AlarmName"] for a in ("Api5xxAlarm", "ApiLatencyAlarm")}
    assert names == {"cet-registration-zhejiang-Api5xx", "cet-registration-zhejiang-ApiLatency"}
    paths = template["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]["paths"]
    uris = [
        operation["x-amazon-apigateway-integration"]["uri"]["Fn::Sub"]
        for methods in paths.values()
        for operation in methods.values()
        if "x-amazon-apigateway-integration" in operation
    ]
    assert len(uris) > 20
    assert all("/functions/${APIHandlerAliaslive}/invocations" in uri for uri in uris)
    permission = template["Resources"]["APIHandlerInvokePermission"]["Properties"]
    assert permission["FunctionName"] == {"Ref": "APIHandlerAliaslive"}


def test_alarms_and_a_dashboard(template: Json) -> None:
    alarms = resources_of(template, "AWS::CloudWatch::Alarm")
    metrics = {a["Properties"]["MetricName"] for a in alarms.values()}
    expected = {
        "5XXError",
        "Throttles",
        "IteratorAge",
        "Errors",
        "ApproximateNumberOfMessagesVisible",
        "PaymentNotifications",
    }
    assert expected <= metrics
    assert all(a["Properties"]["AlarmActions"] == [{"Ref": "AlarmTopic"}] for a in alarms.values())
    assert resources_of(template, "AWS::CloudWatch::Dashboard")


def test_no_key_or_secret_in_the_template_or_the_environment(built: Built, template: Json) -> None:
    text = built.template.read_text(encoding="utf-8")
    for marker in ("PRIVATE KEY", "MERCHANT_KEY", "APP_PRIVATE_KEY", "ALIPAY_PUBLIC_KEY"):
        assert marker not in text
    for function in resources_of(template, "AWS::Serverless::Function").values():
        env = function["Properties"]["Environment"]["Variables"]
        assert env["TEST_MODE"] == "0"
        assert env["PUBLIC_API_URL"].startswith("https://")
        secret_names = (
            "PAYMENT_SECRET_NAME",
            "IDENTITY_SECRET_NAME",
            "MESSAGING_SECRET_NAME",
            "TICKET_SECRET_NAME",
            "EDGE_SECRET_NAME",
        )
        assert not [k for k in env if "KEY" in k or ("SECRET" in k and k not in secret_names)]
    assert functions_told(template, "PAYMENT_SECRET_NAME") == {"APIHandler", "ReconcileOrders"}
    assert functions_told(template, "IDENTITY_SECRET_NAME") == {"APIHandler"}  # only the API looks up
    assert functions_told(template, "EDGE_SECRET_NAME") == {"APIHandler"}  # only the API counts clients


def test_r_ticket_2_only_the_api_learns_of_and_reads_the_ticket_signing_key(template: Json) -> None:
    """Decision 0028: the province makes the secret; the API alone signs tickets with it."""
    ticket_secret = "cet-registration-zhejiang/tickets-??????"
    roles = resources_of(template, "AWS::IAM::Role")
    readers = {name for name, role in roles.items() if ticket_secret in json.dumps(role)}
    assert readers == {"ApiRole"}
    assert functions_told(template, "TICKET_SECRET_NAME") == {"APIHandler"}
    env = template["Resources"]["APIHandler"]["Properties"]["Environment"]["Variables"]
    assert env["TICKET_SECRET_NAME"] == "cet-registration-zhejiang/tickets"


def test_r_acc_2_every_function_hashes_at_or_above_owasps_minimum(template: Json) -> None:
    """R-ACC-2 (decision 0018): each function is told argon2 parameters no weaker than m=19 MiB,
    t=2 (below them it would refuse to start), and the API has the 512 MB they were measured for."""
    for name, function in resources_of(template, "AWS::Serverless::Function").items():
        env = function["Properties"]["Environment"]["Variables"]
        assert int(env["ARGON2_MEMORY_KIB"]) >= ARGON2_MIN_MEMORY_KIB, name
        assert int(env["ARGON2_TIME_COST"]) >= ARGON2_MIN_TIME_COST, name
    assert template["Resources"]["APIHandler"]["Properties"]["MemorySize"] == 512


def functions_told(template: Json, variable: str) -> set[str]:
    return {
        name
        for name, function in resources_of(template, "AWS::Serverless::Function").items()
        if variable in function["Properties"]["Environment"]["Variables"]
    }


def test_id_numbers_keys_are_made_by_the_stack_and_no_function_can_open_a_sealed_number(template: Json) -> None:
    """Decision 0013: the HMAC keys are generated into a retained secret only the API reads; the
    key that wraps the data keys of sealed numbers is granted to no function's role."""
    secret = template["Resources"]["IdentitySecret"]
    assert secret["DeletionPolicy"] == "Retain"
    assert secret["Properties"]["GenerateSecretString"]["GenerateStringKey"] == "v1"
    assert secret["Properties"]["GenerateSecretString"]["PasswordLength"] >= 32
    readers = {
        name
        for name, role in resources_of(template, "AWS::IAM::Role").items()
        for policy in role["Properties"].get("Policies", [])
        for statement in policy["PolicyDocument"]["Statement"]
        if statement.get("Resource") == {"Ref": "IdentitySecret"}
    }
    assert readers == {"ApiRole"}
    as_text = json.dumps({name: r for name, r in template["Resources"].items() if r["Type"] == "AWS::IAM::Role"})
    assert "IdentityDataKeys" not in as_text
    statements = [
        statement
        for role in resources_of(template, "AWS::IAM::Role").values()
        for policy in role["Properties"].get("Policies", [])
        for statement in policy["PolicyDocument"]["Statement"]
    ]
    kms_actions = [s for s in statements if any(str(a).startswith("kms:") for a in s["Action"])]
    assert kms_actions
    assert all(s["Resource"] == {"Fn::GetAtt": ["ProvinceKey", "Arn"]} for s in kms_actions)
    assert template["Resources"]["IdentityDataKeys"]["Properties"]["EnableKeyRotation"] is True


def test_a_description_with_mistakes_is_refused_in_words() -> None:
    with pytest.raises(DescriptionError, match="public_api_url"):
        parse(
            {
                **json.loads(Path("deploy/provinces/zhejiang.json").read_text()),
                "public_api_url": "http://127.0.0.1:8000/api",
            }
        )
    with pytest.raises(DescriptionError, match="region"):
        load("zhejiang", "cn-north-1")
    with pytest.raises(DescriptionError, match="does not exist"):
        load("atlantis", REGION)


def test_going_live_a_province_file_that_sets_test_mode_is_refused() -> None:
    """Decision 0026: test mode is the local stack's only; a province's description never sets it."""
    sample = json.loads(Path("deploy/provinces/zhejiang.json").read_text())
    for mistake in ({"environment": {"TEST_MODE": "1"}}, {"TEST_MODE": "1"}):
        with pytest.raises(DescriptionError, match="TEST_MODE: test mode is the local stack's only"):
            parse({**sample, **mistake})


def test_going_live_a_template_with_test_mode_or_test_controls_is_refused(template: Json) -> None:
    """Decision 0026: `make province` stops before writing a template whose functions set
    TEST_MODE=1 or STACK=local, or whose API has a `/_test/` path."""
    from province.stack import refuse_test_mode

    refuse_test_mode(template)  # the stack as built passes
    for variable, value in (("TEST_MODE", "1"), ("STACK", "local")):
        broken = json.loads(json.dumps(template))
        broken["Resources"]["ExpireUnpaid"]["Properties"]["Environment"]["Variables"][variable] = value
        with pytest.raises(SystemExit, match="local stack's only"):
            refuse_test_mode(broken)
    broken = json.loads(json.dumps(template))
    broken["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]["paths"]["/_test/clock"] = {}
    with pytest.raises(SystemExit, match="test controls"):
        refuse_test_mode(broken)


def test_going_live_the_package_has_no_test_controls(built: Built, template: Json) -> None:
    """Issue 25: no `/_test/` path in the API the stack deploys, and the test-mode blueprint
    (devstack/test_mode.py) is in no file of the Lambda package, nor the test kit (testkit/)."""
    paths = template["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]["paths"]
    assert "/health" in paths
    assert not [path for path in paths if path.startswith("/_test")]
    with zipfile.ZipFile(built.out / "deployment.zip") as package:
        test_only = [name for name in package.namelist() if name.startswith(("devstack/", "testkit/"))]
        test_only += [name for name in package.namelist() if "test_mode" in name or "cet_testkit" in name]
        assert not test_only
        ours = [name for name in package.namelist() if name == "app.py" or name.startswith("chalicelib/")]
        for name in [n for n in ours if n.endswith(".py")]:
            text = package.read(name).decode("utf-8")
            assert '.route("/_test' not in text, name
            assert "devstack" not in re.findall(r"^(?:from|import) (\w+)", text, re.MULTILINE), name
    for function in resources_of(template, "AWS::Serverless::Function").values():
        assert "STACK" not in function["Properties"]["Environment"]["Variables"]


# --- deployed into moto's CloudFormation ----------------------------------------------------------


@pytest.fixture(scope="module")
def deployed(built: Built, template: Json) -> Iterator[dict[str, Any]]:
    from moto import mock_aws
    from samtranslator.translator.transform import transform

    with pytest.MonkeyPatch.context() as patch:
        for name, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION,
        }.items():
            patch.setenv(name, value)
        patch.delenv("AWS_ENDPOINT_URL_DYNAMODB", raising=False)
        with mock_aws():
            s3 = boto3.client("s3", region_name=REGION)
            s3.create_bucket(Bucket="deploy", CreateBucketConfiguration={"LocationConstraint": REGION})
            s3.upload_file(
                str(built.out / "deployment.zip"), "deploy", "cet/deployment.zip"
            )  # what `cloudformation package` does
            packaged = json.loads(
                json.dumps(template).replace('"./deployment.zip"', '"s3://deploy/cet/deployment.zip"')
            )
            translated = transform(packaged, {}, NoManagedPolicies())
            stack_body = without_the_api(translated)
            cloudformation = boto3.client("cloudformation", region_name=REGION)
            cloudformation.create_stack(
                StackName="cet-registration-zhejiang",
                TemplateBody=json.dumps(stack_body),
                Capabilities=["CAPABILITY_IAM"],
            )
            yield {
                "stack": cloudformation.describe_stacks(StackName="cet-registration-zhejiang")["Stacks"][0],
                "body": stack_body,
            }


class NoManagedPolicies:
    """The template names no managed policy: every role is declared with its own statements."""

    def load(self) -> dict[str, str]:
        return {}


# moto 5.2.5 refuses SAM's body-defined RestApi, and models neither CloudFront nor bucket policies in
# its CloudFormation (it would skip them with a warning): they are checked on the template, here and
# in tests/deploy/test_province_site.py. It skips CodeDeploy's application and deployment group, the
# API's alias (it makes the version) and the scalable target that keeps the alias warm at openings the
# same way: they are checked on the template and through SAM's transform (test_province_release.py).
API_TYPES = ("AWS::ApiGateway::", "AWS::WAFv2::WebACLAssociation", "AWS::CloudFront::", "AWS::S3::BucketPolicy")


def without_the_api(translated: Json) -> Json:
    """The stack without what moto does not model (API_TYPES), and the outputs that name it."""
    api = {name for name, r in translated["Resources"].items() if r["Type"].startswith(API_TYPES)}
    api |= {
        name
        for name, r in translated["Resources"].items()
        if r["Type"] == "AWS::Lambda::Permission" and "RestAPI" in json.dumps(r)
    }
    resources = {name: r for name, r in translated["Resources"].items() if name not in api}
    outputs = {name: o for name, o in translated.get("Outputs", {}).items() if not any(a in json.dumps(o) for a in api)}
    return {**translated, "Resources": resources, "Outputs": outputs}


def test_the_stack_completes_in_moto(deployed: dict[str, Any]) -> None:
    assert deployed["stack"]["StackStatus"] == "CREATE_COMPLETE"


def test_the_deployed_table(deployed: dict[str, Any]) -> None:
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    table = dynamodb.describe_table(TableName="cet-registration-zhejiang")["Table"]
    assert table["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert {i["IndexName"] for i in table["GlobalSecondaryIndexes"]} == {"gsi1", "gsi2"}
    # moto's CloudFormation applies none of SSESpecification, TimeToLiveSpecification and
    # PointInTimeRecoverySpecification: they are checked on the template
    # (test_the_table_is_encrypted_recoverable_protected_and_kept)


def test_reach_the_deployed_page_bucket_is_encrypted_and_named_by_the_stack(deployed: dict[str, Any]) -> None:
    """Where `aws s3 sync web/` goes (docs/deploy.md): the stack's output PageBucketName."""
    outputs = {o["OutputKey"]: o["OutputValue"] for o in deployed["stack"]["Outputs"]}
    s3 = boto3.client("s3", region_name=REGION)
    encryption = s3.get_bucket_encryption(Bucket=outputs["PageBucketName"])["ServerSideEncryptionConfiguration"]
    assert encryption["Rules"][0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"


def test_the_deployed_functions_mapping_and_schedules(deployed: dict[str, Any]) -> None:
    lambdas = boto3.client("lambda", region_name=REGION)
    names = {f["FunctionName"] for f in lambdas.list_functions()["Functions"]}
    expected = (
        "api", "expiry", "reconcile", "seats-stream", "messages", "send", "remind", "admit", "offer",
        "plan-begin", "plan-seat", "plan-finish",
    )  # fmt: skip
    assert names == {f"cet-registration-zhejiang-{n}" for n in expected}
    stream_arn = boto3.client("dynamodb", region_name=REGION).describe_table(TableName="cet-registration-zhejiang")[
        "Table"
    ]["LatestStreamArn"]
    (mapping,) = lambdas.list_event_source_mappings(FunctionName="cet-registration-zhejiang-seats-stream")[
        "EventSourceMappings"
    ]
    assert mapping["EventSourceArn"] == stream_arn
    rules = boto3.client("events", region_name=REGION).list_rules()["Rules"]
    expressions = sorted(r["ScheduleExpression"] for r in rules)
    assert expressions == [
        "rate(1 hour)",  # the room plan's state machine
        "rate(1 minute)",
        "rate(1 minute)",
        "rate(1 minute)",
        "rate(15 minutes)",
        "rate(5 minutes)",
        "rate(5 minutes)",
    ]


def test_r_room_1_the_deployed_room_plan_state_machine_and_its_hourly_start(deployed: dict[str, Any]) -> None:
    """Decision 0030: the state machine, under its own role, started every hour by its rule
    (its definition is checked on the template: tests/deploy/test_room_plan_state_machine.py)."""
    machines = boto3.client("stepfunctions", region_name=REGION).list_state_machines()["stateMachines"]
    (machine,) = [m for m in machines if m["name"] == "cet-registration-zhejiang-room-plan"]
    events = boto3.client("events", region_name=REGION)
    (rule,) = [r for r in events.list_rules()["Rules"] if r["ScheduleExpression"] == "rate(1 hour)"]
    (target,) = events.list_targets_by_rule(Rule=rule["Name"])["Targets"]
    assert target["Arn"] == machine["stateMachineArn"]
    role = boto3.client("iam", region_name=REGION).get_role(RoleName=target["RoleArn"].rsplit("/", 1)[1])["Role"]
    assert "events.amazonaws.com" in json.dumps(role["AssumeRolePolicyDocument"])


def test_the_province_key_lets_alarms_and_log_groups_use_it(template: Json) -> None:
    """The topic and the log groups are encrypted with the province's key: without these grants,
    alarms would not reach anyone and the log groups would not be created."""
    statements = template["Resources"]["ProvinceKey"]["Properties"]["KeyPolicy"]["Statement"]
    services = [json.dumps(s["Principal"].get("Service")) for s in statements if "Service" in s["Principal"]]
    assert any("cloudwatch.amazonaws.com" in s for s in services)
    assert any("logs.${AWS::Region}.${AWS::URLSuffix}" in s for s in services)
    assert template["Resources"]["AlarmTopic"]["Properties"]["KmsMasterKeyId"] == {"Ref": "ProvinceKey"}


def test_going_live_plain_checkov_reports_0_failed_and_every_accepted_finding_says_why(
    verdict: Verdict, template: Json
) -> None:
    """No skip list outside the template: checkov, given no option but the file, fails nothing,
    and every finding it skips is one the template's metadata accepts with its reason."""
    assert verdict.failed == ()
    assert verdict.skipped
    assert all(len(reason) > 20 for _, _, reason in verdict.skipped), verdict.skipped
    in_metadata = {
        (skip["id"], f"{resource['Type']}.{name}", skip["comment"])
        for name, resource in template["Resources"].items()
        for skip in resource.get("Metadata", {}).get("checkov", {}).get("skip", [])
    }
    assert set(verdict.skipped) == in_metadata


# checkov's own test of a string for an AWS secret key (bridgecrewio/checkov#7310 is that it reads
# the scanned file's path as one): run in checkov's virtualenv on the path the test makes.
LOOKS_LIKE_A_KEY = """
import sys
from checkov.common.util.secrets import AWS, GENERAL, get_secrets_from_string
print(bool(get_secrets_from_string(sys.argv[1], AWS, GENERAL)))
"""


def test_going_live_checkov_gives_the_same_verdict_where_the_path_looks_like_a_secret_key(
    built: Built, verdict: Verdict, tmp_path: Path
) -> None:
    """A clone whose path to `out/<name>/template` is a 40-character run of `[A-Za-z0-9/+=]`: the
    same verdict as anywhere else (checkov on the absolute path fails CKV_AWS_45 on every function)."""
    base = tmp_path / "clone_"  # the run of key characters starts after the `_`
    folder = base / ("x" * (40 - len("//template")))
    folder.mkdir(parents=True)
    placed = folder / "template.json"
    shutil.copy2(built.template, placed)
    assert len(str(placed.with_suffix("")).rsplit("_", 1)[1]) == 40
    python = CHECKOV.parent / "python"
    command = [str(python), "-c", LOOKS_LIKE_A_KEY, str(placed)]
    looks = subprocess.run(command, capture_output=True, text=True, check=False)
    assert looks.stdout.strip() == "True", looks.stderr[-2000:]
    assert security_checks(placed) == verdict


def test_going_live_a_failed_check_the_template_does_not_accept_fails_the_command(
    template: Json, tmp_path: Path
) -> None:
    bare = {
        "AWSTemplateFormatVersion": template["AWSTemplateFormatVersion"],
        "Transform": template["Transform"],
        "Resources": {"APIHandler": {**template["Resources"]["APIHandler"], "Metadata": {}}},
    }
    bare["Resources"]["APIHandler"]["Properties"] = {
        k: v for k, v in bare["Resources"]["APIHandler"]["Properties"].items() if k not in ("Events", "Role")
    }
    path = tmp_path / "template.json"
    path.write_text(json.dumps(bare), encoding="utf-8")
    with pytest.raises(SystemExit, match=r"failed checks the template does not accept .*CKV_AWS_116 on .*APIHandler"):
        security_checks(path)


def test_a_cfn_lint_error_fails_the_command(built: Built, template: Json, tmp_path: Path) -> None:
    broken = json.loads(json.dumps(template))
    broken["Resources"]["ProvinceTable"]["Properties"]["NoSuchProperty"] = True
    path = tmp_path / "template.json"
    path.write_text(json.dumps(broken), encoding="utf-8")
    with pytest.raises(SystemExit, match="cfn-lint: 1 error"):
        lint(path, REGION)


# The bound on the unzipped package (province/prune.py says what is left out to keep it).
LAMBDA_UNZIPPED_LIMIT = 60 * 1024 * 1024

# Run from the unzipped package alone (no site-packages): what the functions load on Lambda.
PACKAGE_SMOKE = """
import sys
sys.path.insert(0, sys.argv[1])
from datetime import datetime, timezone
import app  # every route, job and stream handler of the functions
from chalicelib.domain.orders import Receipt, ReceiptLine
from chalicelib.receipts.pdf import receipt_pdf
from chalicelib.services.security import ImageCaptchas, random_captcha_text
from chalicelib.messaging.sms import SmsAccount, TencentSms
from province_prune_kept import KEPT
import botocore.session

assert ImageCaptchas().paint(random_captcha_text()).startswith(bytes([0x89]) + b"PNG")
line = ReceiptLine("CET4", "英语四级", None, 3000)
receipt = Receipt("2026113012345678", "o1", "张三", "3201**********0011", "居民身份证", "南京大学",
                  (line,), datetime(2026, 11, 30, tzinfo=timezone.utc), "支付宝", "T1", "江苏省")
assert receipt_pdf(receipt).startswith(b"%PDF")
from chalicelib.domain.ticket_document import TicketDocument
from chalicelib.tickets.keys import throwaway_ring
from chalicelib.tickets.pdf import render_ticket
ticket = TicketDocument("330001262100101", "张三", "3301**********0011", "浙江大学", "CET4", "英语四级笔试",
                        datetime(2026, 12, 19, 1, tzinfo=timezone.utc), 140, "330001", "紫金港校区", "001", "01")
assert render_ticket(ticket, throwaway_ring().signer.sign(ticket)).startswith(b"%PDF")
TencentSms(SmsAccount("1", "签名", {}, "id", "key"))
session = botocore.session.get_session()
for service in KEPT:
    session.create_client(service, region_name="cn-northwest-1", aws_access_key_id="x", aws_secret_access_key="y")
print("the package works")
"""


def test_the_package_carries_the_receipt_font_and_stays_small(built: Built) -> None:
    """R-PAY-6: receipts render on Lambda from the font the package carries, and fpdf2 ships;
    the package stays under 60 MB unzipped."""
    with zipfile.ZipFile(built.out / "deployment.zip") as package:
        sizes = {info.filename: info.file_size for info in package.infolist()}
    assert sizes.get("chalicelib/receipts/fonts/receipt-sans.ttf", 0) > 1_000_000
    assert "chalicelib/receipts/fonts/LICENSE-Apache-2.0.txt" in sizes
    assert any(name.startswith("fpdf/") for name in sizes)
    assert sum(sizes.values()) < LAMBDA_UNZIPPED_LIMIT, f"{sum(sizes.values())} bytes unzipped"


def test_the_pruned_package_alone_draws_captchas_renders_receipts_and_reaches_aws(built: Built, tmp_path: Path) -> None:
    """What province/prune.py leaves out is never loaded: from the unzipped package alone, with
    no site-packages, the app imports, a captcha is drawn, a receipt and a signed admission ticket
    with its QR code rendered, the SMS client made and every AWS client the functions use created."""
    with zipfile.ZipFile(built.out / "deployment.zip") as package:
        package.extractall(tmp_path / "package")
    (tmp_path / "province_prune_kept.py").write_text(f"KEPT = {KEPT_AWS_SERVICES!r}\n", encoding="utf-8")
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(tmp_path), "TABLE_STREAM_ARN": PACKAGING_STREAM_ARN}
    done = subprocess.run(
        [sys.executable, "-S", "-c", PACKAGE_SMOKE, str(tmp_path / "package")],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "the package works" in done.stdout
    assert not (tmp_path / "package" / "botocore" / "data" / "ec2").exists()
