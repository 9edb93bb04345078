"""Walk one demo student from a new account to a written and an oral subject, over plain HTTP.

    python -m devstack.walkthrough [--base http://127.0.0.1:8000/api]

The stack must run with TEST_MODE=1 (the captcha answer comes back in test mode only).
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
import urllib.error
import urllib.request
from typing import Any

# 普通四级考生 of devstack/demo_identities.md
DEMO_STUDENT = {"id_type": "resident_id", "id_number": "390102200511300956", "name": "贺鑫阳"}
DEMO_CAMPUS = "dcu-main"


class Api:
    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/")
        self.token: str | None = None

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                raw = response.read()
                return response.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")

    def expect(self, status: int, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        got, reply = self.call(method, path, body)
        print(f"{method} {path} -> {got}")
        if got != status:
            raise SystemExit(f"expected {status}, got {got}: {reply}")
        return reply

    def captcha(self) -> dict[str, str]:
        issued = self.expect(201, "POST", "/captchas")
        if "answer" not in issued:
            raise SystemExit("the stack is not in test mode: start it with TEST_MODE=1")
        return {"captcha_id": issued["captcha_id"], "captcha_answer": issued["answer"]}


def walk(base: str, student: dict[str, str] = DEMO_STUDENT, campus: str = DEMO_CAMPUS) -> dict[str, Any]:
    api = Api(base)
    api.expect(200, "GET", "/health")
    login = {"login": f"demo-{secrets.token_hex(4)}@example.cn", "password": "Cet2026demo"}
    api.expect(201, "POST", "/accounts", {**login, **api.captcha()})
    api.token = api.expect(201, "POST", "/sessions", {**login, **api.captcha()})["token"]
    api.expect(204, "POST", "/me/agreement", {"accepted": True})
    api.expect(200, "POST", "/qualification", student)
    api.expect(201, "POST", "/registration", {**student, "confirm": True})
    api.expect(200, "GET", "/subjects")
    api.expect(201, "POST", "/registration/subjects", {"subject": "CET4"})
    campuses = api.expect(200, "GET", "/oral-campuses?subject=CET-SET4")
    if campus not in [c["campus_id"] for c in campuses]:
        raise SystemExit(f"{campus} is not among the open campuses: {campuses}")
    registration = api.expect(201, "POST", "/registration/subjects", {"subject": "CET-SET4", "campus_id": campus})
    home = api.expect(200, "GET", "/me")
    print(json.dumps(home["registration"], ensure_ascii=False, indent=1))
    return dict(registration)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", default="http://127.0.0.1:8000/api")
    walk(parser.parse_args().base)
    return 0


if __name__ == "__main__":
    sys.exit(main())
