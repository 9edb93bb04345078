"""The province's data at rest: the table, the key that encrypts it, and the identity keys."""

from __future__ import annotations

from chalicelib.storage.tables import table_definition
from province.cfn import Json, ref, sub
from province.description import Province

ACCOUNT_ROOT = "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"


def data_at_rest(province: Province) -> Json:
    return {
        "ProvinceKey": province_key(),
        "ProvinceKeyAlias": {
            "Type": "AWS::KMS::Alias",
            "Properties": {"AliasName": f"alias/{province.stack_name}", "TargetKeyId": ref("ProvinceKey")},
        },
        "ProvinceTable": province_table(province),
        "IdentitySecret": identity_secret(province),
        "IdentityDataKeys": identity_data_keys(),
    }


def province_key() -> Json:
    return {
        "Type": "AWS::KMS::Key",
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": {
            "Description": "The province table, its logs and its queues",
            "EnableKeyRotation": True,
            "KeyPolicy": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "TheAccountAdministersTheKey",
                        "Effect": "Allow",
                        "Principal": {"AWS": sub(ACCOUNT_ROOT)},
                        "Action": "kms:*",
                        "Resource": "*",
                    },
                    {
                        # Alarms publish to the topic, which this key encrypts.
                        "Sid": "CloudWatchAlarmsPublishToTheAlarmTopic",
                        "Effect": "Allow",
                        "Principal": {"Service": "cloudwatch.amazonaws.com"},
                        "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                        "Resource": "*",
                    },
                    logs_use_the_key(),
                ],
            },
        },
    }


def logs_use_the_key() -> Json:
    return {
        "Sid": "CloudWatchLogsEncryptsTheStacksLogGroups",
        "Effect": "Allow",
        "Principal": {"Service": sub("logs.${AWS::Region}.${AWS::URLSuffix}")},
        "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
        "Resource": "*",
        "Condition": {
            "ArnLike": {
                "kms:EncryptionContext:aws:logs:arn": sub(
                    "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:*"
                )
            }
        },
    }


def identity_secret(province: Province) -> Json:
    """The HMAC keys of the ID numbers' digests, made here so nobody ever sees them. Retained: a
    table's digests can never be found again without the key they were made with."""
    return {
        "Type": "AWS::SecretsManager::Secret",
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": {
            "Name": province.identity_secret,
            "Description": "Keys of the ID numbers' keyed hashes: {current, v1, v2, ...} (decision 0013)",
            "KmsKeyId": ref("ProvinceKey"),
            "GenerateSecretString": {
                "SecretStringTemplate": '{"current": "1"}',
                "GenerateStringKey": "v1",
                "PasswordLength": 64,
                "ExcludePunctuation": True,
            },
        },
    }


def identity_data_keys() -> Json:
    """Wraps the data keys the whole ID numbers are sealed with. No function's role may use it:
    only the province's operators (the loader, a key rotation, an export) can open a number."""
    return {
        "Type": "AWS::KMS::Key",
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": {
            "Description": "Wraps the data keys of the sealed ID numbers (decision 0013)",
            "EnableKeyRotation": True,
            "KeyPolicy": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "OnlyTheAccountsAdministratorsUseTheKey",
                        "Effect": "Allow",
                        "Principal": {"AWS": sub(ACCOUNT_ROOT)},
                        "Action": "kms:*",
                        "Resource": "*",
                    }
                ],
            },
        },
    }


def province_table(province: Province) -> Json:
    properties = table_definition(province.table)
    properties["StreamSpecification"] = {"StreamViewType": properties["StreamSpecification"]["StreamViewType"]}
    properties.update(
        {
            "TimeToLiveSpecification": {"Enabled": True, "AttributeName": "expires"},
            "SSESpecification": {"SSEEnabled": True, "SSEType": "KMS", "KMSMasterKeyId": ref("ProvinceKey")},
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
            "DeletionProtectionEnabled": True,
        }
    )
    return {
        "Type": "AWS::DynamoDB::Table",
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": properties,
    }
