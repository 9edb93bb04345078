"""Envelope encryption of whole ID numbers: AES-256-GCM under a data key made for each load,
the data key itself kept only wrapped (by KMS on a real stage) beside the data.

A sealed number reads `<data key id>.<base64url(nonce | ciphertext | tag)>`. Only the province's
tools seal (the loader) and open (a key rotation, an export); the Lambda functions never need to,
and their roles cannot use the key that wraps the data keys.
"""

from __future__ import annotations

import base64
import hashlib
import os
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from chalicelib.domain.errors import IdentityKeyUnavailable

_AAD = b"cet-registration/id-number"
# Known to everyone, so it protects nothing: only for the local stack and the tests.
THROWAWAY_WRAPPING_KEY = hashlib.sha256(b"local-stack-throwaway-wrapping-key-not-for-real-data").digest()
_NONCE = 12


class KeyWrapper(Protocol):
    """Makes data keys and opens wrapped ones: KMS on a real stage, a local key elsewhere."""

    @property
    def name(self) -> str: ...

    def new_data_key(self) -> tuple[bytes, bytes]:
        """A fresh 256-bit data key: (plaintext, wrapped)."""

    def unwrap(self, wrapped: bytes) -> bytes: ...


@dataclass(frozen=True)
class DataKey:
    key_id: str
    wrapped: bytes
    wrapped_by: str
    plaintext: bytes = field(repr=False, compare=False)


class KmsWrapper:
    """Data keys from AWS KMS, bound to the province's table by the encryption context."""

    def __init__(self, key_id: str, table_name: str, client: Any = None) -> None:
        import boto3

        self.context = {"purpose": "cet-id-number", "table": table_name}
        self.client = client or boto3.client("kms")
        # The key's ARN, whether it was given as an id, an alias or an ARN: the name stored with
        # each data key must not depend on how an operator typed it.
        self.key_id = self._call("DescribeKey", KeyId=key_id)["KeyMetadata"]["Arn"]

    @property
    def name(self) -> str:
        return f"kms:{self.key_id}"

    def new_data_key(self) -> tuple[bytes, bytes]:
        made = self._call("GenerateDataKey", KeyId=self.key_id, KeySpec="AES_256", EncryptionContext=self.context)
        return made["Plaintext"], made["CiphertextBlob"]

    def unwrap(self, wrapped: bytes) -> bytes:
        opened = self._call("Decrypt", KeyId=self.key_id, CiphertextBlob=wrapped, EncryptionContext=self.context)
        plaintext: bytes = opened["Plaintext"]
        return plaintext

    def _call(self, operation: str, **arguments: Any) -> dict[str, Any]:
        from botocore.exceptions import BotoCoreError, ClientError

        methods = {
            "GenerateDataKey": self.client.generate_data_key,
            "Decrypt": self.client.decrypt,
            "DescribeKey": self.client.describe_key,
        }
        method = methods[operation]
        try:
            answer: dict[str, Any] = method(**arguments)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            raise IdentityKeyUnavailable(
                f"KMS 拒绝了 {operation}（{code}）：数据密钥无法使用，请检查密钥与权限。"
            ) from None
        except BotoCoreError as error:
            raise IdentityKeyUnavailable(f"无法连接 KMS（{type(error).__name__}）。") from None
        return answer


class LocalWrapper:
    """The local stack's and the tests' stand-in for KMS: a throwaway key wraps the data keys."""

    def __init__(self, master: bytes) -> None:
        if len(master) != 32:
            raise ValueError("the local wrapping key must be 32 bytes")
        self._aead = AESGCM(master)
        self._name = "local"

    @property
    def name(self) -> str:
        return self._name

    def new_data_key(self) -> tuple[bytes, bytes]:
        plaintext = AESGCM.generate_key(bit_length=256)
        nonce = os.urandom(_NONCE)
        return plaintext, nonce + self._aead.encrypt(nonce, plaintext, b"data-key")

    def unwrap(self, wrapped: bytes) -> bytes:
        try:
            return self._aead.decrypt(wrapped[:_NONCE], wrapped[_NONCE:], b"data-key")
        except InvalidTag:
            raise IdentityKeyUnavailable("数据密钥无法用本地密钥打开：密钥不对。") from None


def new_data_key(wrapper: KeyWrapper) -> DataKey:
    plaintext, wrapped = wrapper.new_data_key()
    return DataKey(uuid.uuid4().hex[:16], wrapped, wrapper.name, plaintext)


def seal(data_key: DataKey, id_number: str) -> str:
    nonce = os.urandom(_NONCE)
    sealed = nonce + AESGCM(data_key.plaintext).encrypt(nonce, id_number.encode(), _AAD + data_key.key_id.encode())
    return f"{data_key.key_id}.{base64.urlsafe_b64encode(sealed).decode()}"


# Finds a data key's wrapped form by its id (the table's DATAKEY items): (wrapped, wrapped_by).
WrappedKeys = Callable[[str], tuple[bytes, str] | None]


class Opener:
    """Opens sealed numbers; each data key is unwrapped once, then kept in memory only."""

    def __init__(self, wrapper: KeyWrapper, wrapped_keys: WrappedKeys) -> None:
        self.wrapper = wrapper
        self.wrapped_keys = wrapped_keys
        self._open: dict[str, AESGCM] = {}
        self._lock = threading.Lock()

    def open(self, sealed: str) -> str:
        key_id, _, body = sealed.partition(".")
        aead = self._data_key(key_id)
        try:
            raw = base64.urlsafe_b64decode(body)
            return aead.decrypt(raw[:_NONCE], raw[_NONCE:], _AAD + key_id.encode()).decode()
        except (InvalidTag, ValueError):
            raise IdentityKeyUnavailable(f"加密的证件号码无法解开（数据密钥 {key_id}）：数据或密钥不对。") from None

    def _data_key(self, key_id: str) -> AESGCM:
        with self._lock:
            found = self._open.get(key_id)
        if found is not None:
            return found
        stored = self.wrapped_keys(key_id)
        if stored is None:
            raise IdentityKeyUnavailable(f"表中没有数据密钥 {key_id or '（空）'}。")
        wrapped, wrapped_by = stored
        if wrapped_by != self.wrapper.name:
            raise IdentityKeyUnavailable(f"数据密钥 {key_id} 由 {wrapped_by} 包装，而不是 {self.wrapper.name}。")
        aead = AESGCM(self.wrapper.unwrap(wrapped))
        with self._lock:
            self._open[key_id] = aead
        return aead
