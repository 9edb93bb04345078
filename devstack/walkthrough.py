"""Walk one demo student from a new account to a written and an oral subject, over plain HTTP.

    python -m devstack.walkthrough [--base http://127.0.0.1:8000/api]

The stack must run with TEST_MODE=1 (the captcha answer comes back in test mode only).
"""

from __future__ import annotations

import argparse
import json
import secrets
import sys
import time
import urllib.error
import urllib.request
from typing import Any

# How long the walk waits for the sandbox's notification to mark the order paid.
PAID_WITHIN_SECONDS = 60
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


def walk(
    base: str, student: dict[str, str] = DEMO_STUDENT, campus: str = DEMO_CAMPUS, pay: bool = False
) -> dict[str, Any]:
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
    if pay:
        order = pay_in_sandbox(api)
        print(f"order {order['order_id']}: {order['status']}")
    return dict(registration)


class _Stay(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:  # noqa: ARG002
        return None  # the sandbox sends the browser back to the page: stay to read the answer


def pay_in_sandbox(api: Api) -> dict[str, Any]:
    """R-PAY-2 on the local stack: the order, the sandbox's page, 支付, until the order is paid."""
    order = api.expect(201, "POST", "/orders", {"provider": "alipay"})
    with urllib.request.urlopen(order["pay_url"], timeout=30) as page:
        if "支付" not in page.read().decode():
            raise SystemExit("the sandbox's payment page did not show")
    site = order["pay_url"].split("/sandbox/", 1)[0]
    # the provider knows the order by its number (R-PAY-7)
    press = urllib.request.Request(f"{site}/sandbox/{order['number']}/pay", data=b"", method="POST")
    try:
        urllib.request.build_opener(_Stay).open(press, timeout=30)
    except urllib.error.HTTPError as answer:
        if answer.code != 303:
            raise SystemExit(f"the sandbox refused the payment: {answer.code}") from None
    # The sandbox notifies from a thread of the stack, which serves one API request at a time: on a
    # busy machine the notification can wait seconds behind this loop's own requests.
    deadline = time.monotonic() + PAID_WITHIN_SECONDS
    while True:
        order = api.expect(200, "GET", f"/orders/{order['order_id']}")
        if order["status"] == "paid":
            return dict(order)
        if time.monotonic() > deadline:
            raise SystemExit(f"the order is still {order['status']} after {PAID_WITHIN_SECONDS} s")
        time.sleep(0.2)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", default="http://127.0.0.1:8000/api")
    parser.add_argument("--pay", action="store_true", help="then pay through the local payment sandbox")
    args = parser.parse_args()
    walk(args.base, pay=args.pay)
    return 0


if __name__ == "__main__":
    sys.exit(main())
