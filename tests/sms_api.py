"""A local fake of Tencent Cloud SMS's HTTP API (SendSms, version 2021-01-11), for the SMS tests.

It checks what the real API checks first: the action and version headers, and the request's
TC3-HMAC-SHA256 signature under the secret key, computed here from the published algorithm; it
keeps what it accepted and answers as the API does, or with the error code a test asks for.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

SECRET_ID = "AKIDlocalfake"
SECRET_KEY = "local-fake-secret-key"


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def tc3_signature(secret_key: str, headers: dict[str, str], body: bytes, service: str = "sms") -> str:
    timestamp = headers["x-tc-timestamp"]
    date = datetime.fromtimestamp(int(timestamp), UTC).strftime("%Y-%m-%d")
    canonical = "\n".join(
        [
            "POST",
            "/",
            "",
            f"content-type:{headers['content-type']}\nhost:{headers['host']}\n",
            "content-type;host",
            hashlib.sha256(body).hexdigest(),
        ]
    )
    scope = f"{date}/{service}/tc3_request"
    to_sign = f"TC3-HMAC-SHA256\n{timestamp}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    key = _hmac(_hmac(_hmac(f"TC3{secret_key}".encode(), date), service), "tc3_request")
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


@dataclass
class SmsApi:
    endpoint: str = ""
    accepted: list[dict[str, Any]] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    fail_with: str | None = None  # a SendStatus code to answer instead of "Ok"

    def settings(self, templates: dict[str, str] | None = None) -> dict[str, Any]:
        """The `sms` part of the messaging settings that points the adapter here."""
        return {
            "app_id": "1400000000",
            "sign_name": "四六级报名",
            "templates": templates or {"password_reset": "100001", "login_change": "100002", "pay_reminder": "100003"},
            "secret_id": SECRET_ID,
            "secret_key": SECRET_KEY,
            "region": "ap-guangzhou",
            "endpoint": self.endpoint,
            "scheme": "http",
        }


def _handler(api: SmsApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            headers = {name.lower(): value for name, value in self.headers.items()}
            problem = self._problem(headers, body)
            if problem:
                api.refused.append(problem)
                self._answer({"Error": {"Code": problem, "Message": problem}, "RequestId": "fake"})
                return
            request = json.loads(body)
            api.accepted.append(request)
            code = api.fail_with or "Ok"
            statuses = [
                {
                    "SerialNo": "fake",
                    "PhoneNumber": phone,
                    "Fee": 1,
                    "SessionContext": request.get("SessionContext", ""),
                    "Code": code,
                    "Message": "send success" if code == "Ok" else code,
                    "IsoCode": "CN",
                }
                for phone in request["PhoneNumberSet"]
            ]
            self._answer({"SendStatusSet": statuses, "RequestId": "fake"})

        def _problem(self, headers: dict[str, str], body: bytes) -> str | None:
            if headers.get("x-tc-action") != "SendSms" or headers.get("x-tc-version") != "2021-01-11":
                return "InvalidAction"
            authorization = headers.get("authorization", "")
            if f"Credential={SECRET_ID}/" not in authorization:
                return "AuthFailure.SecretIdNotFound"
            if not authorization.endswith(f"Signature={tc3_signature(SECRET_KEY, headers, body)}"):
                return "AuthFailure.SignatureFailure"
            return None

        def _answer(self, response: dict[str, Any]) -> None:
            data = json.dumps({"Response": response}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


@contextmanager
def running_sms_api() -> Iterator[SmsApi]:
    api = SmsApi()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(api))
    api.endpoint = f"127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield api
    finally:
        server.shutdown()
        server.server_close()
