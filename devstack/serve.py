"""The local stack behind `make run`: embedded DynamoDB, the demo province, the page and the API.

    python -m devstack.serve [--port 8000] [--dataset devstack/demo_province.json]

The API answers under /api/, the static page under /. With AWS_ENDPOINT_URL_DYNAMODB set, that
DynamoDB (a DynamoDB Local, say) is used; otherwise moto's server runs in this process.
"""

from __future__ import annotations

import argparse
import base64
import json
import logging
import mimetypes
import os
import sys
import threading
import time
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

from devstack import ddb_local
from devstack.readable_logs import use_readable_lines

ROOT = Path(__file__).resolve().parent.parent
WEB = ROOT / "web"
DEFAULT_DATASET = ROOT / "devstack" / "demo_province.json"
API_PREFIX = "/api"
LOCAL_AWS = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
    # ID numbers protected under keys everyone knows (decision 0013): the local stack only.
    "IDENTITY_THROWAWAY_KEYS": "1",
    # Tickets signed with a key everyone knows (decision 0028): key_id "local", refused elsewhere.
    "TICKET_THROWAWAY_KEY": "1",
}
NOT_FOUND = {"code": "NOT_FOUND", "message": "没有这个地址。"}
# The page's own headers (api.md, "Changed shapes"); docs/deploy.md sets the same on CloudFront.
# Everything comes from the page's origin; the captcha is a PNG data: URL; no one may frame it.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
PAGE_HEADERS = {"Content-Security-Policy": CONTENT_SECURITY_POLICY, "X-Content-Type-Options": "nosniff"}


def start_embedded_dynamodb() -> str:
    """moto's DynamoDB server, answering one request at a time: its tables are not safe for a query
    while another thread writes ("dictionary changed size during iteration"), and the stack's jobs
    and stream poller now query while the page writes. Not threaded, werkzeug answers HTTP/1.0,
    so no connection is kept open and every client gets its turn."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    port = ddb_local.free_port()
    app = DomainDispatcherApplication(create_backend_app)
    server = make_server("127.0.0.1", port, app, threaded=False, request_handler=MotoRequestHandler)
    threading.Thread(target=server.serve_forever, name="embedded-dynamodb", daemon=True).start()
    return f"http://127.0.0.1:{port}"


def prepare_environment() -> None:
    for name, value in LOCAL_AWS.items():
        os.environ.setdefault(name, value)
    # The one stack that may run in test mode (TEST_MODE=1): chalicelib/bootstrap.py refuses it elsewhere.
    os.environ["STACK"] = "local"
    if not os.environ.get("AWS_ENDPOINT_URL_DYNAMODB"):
        os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = start_embedded_dynamodb()
        print(f"内嵌 DynamoDB（moto）: {os.environ['AWS_ENDPOINT_URL_DYNAMODB']}", flush=True)
    else:
        print(f"使用 DynamoDB: {os.environ['AWS_ENDPOINT_URL_DYNAMODB']}", flush=True)


def load(dataset: Path) -> None:
    """The province's own load command (`python -m province load`), on the stack's table."""
    from province import load as loader

    if loader.main(["--catalog", str(dataset), "--create-table"]) != 0:
        print(f"数据文件 {dataset} 未能载入。", file=sys.stderr)
        raise SystemExit(1)


SANDBOX_PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">
<title>模拟支付平台</title>
<style>body{{font-family:system-ui,sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem}}
button{{font-size:1.1rem;padding:.6rem 1.4rem;margin-right:1rem}}</style></head><body>
<main><h1>模拟{provider}（本地沙箱）</h1><p>商户订单号：{merchant_no}</p><p>金额：<strong>{amount} 元</strong></p>
<p>请在 {expires} 前完成支付。</p>
<form method="post" action="/sandbox/{merchant_no}/pay" style="display:inline"><button>支付</button></form>
<form method="post" action="/sandbox/{merchant_no}/cancel" style="display:inline"><button>取消</button></form>
</main></body></html>"""


class Handler(BaseHTTPRequestHandler):
    gateway: Any = None
    # Chalice keeps the request being served in one attribute of the app: like a Lambda container,
    # the app serves one request at a time (static files and the sandbox's page stay concurrent).
    one_at_a_time = threading.Lock()
    sandbox: Any = None
    page_config: ClassVar[dict[str, Any]] = {"api_base": API_PREFIX}
    server_version = "cet-devstack"

    def log_message(self, format: str, *args: Any) -> None:
        # The API's own access line says more (route, latency, request id): the server's is for the rest.
        if os.environ.get("DEVSTACK_QUIET") != "1" and not self.path.startswith(API_PREFIX + "/"):
            super().log_message(format, *args)

    def _any(self) -> None:
        if self.path.startswith("/sandbox/"):
            self._sandbox()
        elif self.path.split("?", 1)[0] == "/outbox" and self.command in ("GET", "HEAD"):
            self._send(200, outbox_page().encode(), "text/html; charset=utf-8")
        elif self.path == API_PREFIX or self.path.startswith(API_PREFIX + "/"):
            self._api(self.path[len(API_PREFIX) :] or "/")
        elif self.command in ("GET", "HEAD"):
            self._static(self.path.split("?", 1)[0])
        else:
            self._send(404, json.dumps(NOT_FOUND, ensure_ascii=False).encode(), "application/json; charset=utf-8")

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_OPTIONS = _any

    def _api(self, path: str) -> None:
        from chalice.local import ForbiddenError, NotAuthorizedError

        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            with self.one_at_a_time:
                response = self.gateway.handle_request(self.command, path, headers, body)
        except (ForbiddenError, NotAuthorizedError):
            self._send(404, json.dumps(NOT_FOUND, ensure_ascii=False).encode(), "application/json; charset=utf-8")
            return
        payload = response.get("body") or b""
        if response.get("isBase64Encoded"):  # a binary answer (a receipt PDF), as API Gateway sends it
            payload = base64.b64decode(payload)
        if isinstance(payload, str):
            payload = payload.encode()
        self.send_response(response["statusCode"])
        for name, value in (response.get("headers") or {}).items():
            if name.lower() not in ("content-length", "connection"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _sandbox(self) -> None:
        """The provider's page at `pay_url`: 支付 or 取消, then back to the site (R-PAY-2)."""
        from chalicelib.bootstrap import CLOCK
        from devstack.payment_sandbox import SandboxRefused, UnknownTrade

        driver = self.sandbox
        parts = self.path.split("?", 1)[0].strip("/").split("/")
        try:
            if self.command == "GET":
                trade = driver.sandbox.open_trade(f"http://127.0.0.1{self.path}", CLOCK.now())
                page = SANDBOX_PAGE.format(
                    provider="支付宝" if trade.provider == "alipay" else "首信易支付（网上银行）",
                    merchant_no=trade.merchant_no,
                    amount=f"{trade.amount / 100:.2f}",
                    expires=trade.expires_at.strftime("%Y-%m-%d %H:%M"),
                )
                self._send(200, page.encode(), "text/html; charset=utf-8")
                return
            merchant_no, action = parts[1], parts[2]
            trade = driver.sandbox.trade(merchant_no)
            if action == "pay":
                driver.sandbox.pay(merchant_no, CLOCK.now())
                threading.Thread(
                    target=driver.deliver_until_acknowledged, args=(merchant_no, trade.provider), daemon=True
                ).start()
            elif action == "cancel":
                driver.sandbox.cancel(merchant_no)
            else:
                self._send(404, "页面不存在。".encode(), "text/plain; charset=utf-8")
                return
            self.send_response(303)
            self.send_header("Location", trade.return_url or "/")
            self.send_header("Content-Length", "0")
            self.end_headers()
        except (SandboxRefused, UnknownTrade, IndexError) as refused:
            self._send(409, f"支付平台拒绝：{refused}".encode(), "text/plain; charset=utf-8")

    def _static(self, path: str) -> None:
        if path == "/config.json":
            config = json.dumps(self.page_config, ensure_ascii=False).encode()
            self._send(200, config, "application/json; charset=utf-8", PAGE_HEADERS)
            return
        relative = path.lstrip("/") or "index.html"
        target = (WEB / relative).resolve()
        if target.is_dir():
            target = target / "index.html"
        if WEB.resolve() not in target.parents or not target.is_file():
            self._send(404, "页面不存在。".encode(), "text/plain; charset=utf-8", PAGE_HEADERS)
            return
        kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if kind.startswith("text/") or kind in ("application/javascript", "application/json"):
            kind += "; charset=utf-8"
        self._send(200, target.read_bytes(), kind, PAGE_HEADERS)

    def _send(self, status: int, payload: bytes, kind: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)


def outbox_page() -> str:
    """The local outbox as a page: what the stack would have sent by e-mail or SMS, newest first."""
    from chalicelib.bootstrap import LOCAL_OUTBOX
    from chalicelib.domain.clock import beijing_text

    rows = "".join(
        f"<tr><td>{beijing_text(d.sent_at)}</td><td>{escape(d.message.to)}</td><td>{escape(d.message.subject)}</td>"
        f"<td>{escape(d.message.body)}</td></tr>"
        for d in reversed(LOCAL_OUTBOX.everything())
    )
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">'
        "<title>本地发件箱</title></head><body><main><h1>本地发件箱</h1>"
        "<p>本地站点不真正发送邮件或短信：验证码、缴费提醒和复核结果都在这里（最新的在最上面），刷新页面可看到新消息。</p>"
        "<table><thead><tr><th>发送时间（北京时间）</th><th>收件人</th><th>主题</th><th>内容</th></tr></thead>"
        f"<tbody>{rows or '<tr><td colspan=4>还没有消息。</td></tr>'}</tbody></table></main></body></html>"
    )


def page_config(dataset: Path) -> dict[str, Any]:
    """web/config.json as this stack serves it: on the demo province, a guide for newcomers too."""
    config: dict[str, Any] = json.loads((WEB / "config.json").read_text(encoding="utf-8"))
    config["api_base"] = API_PREFIX
    if dataset.resolve() == DEFAULT_DATASET.resolve():
        from province.demo import demo_guide, generate

        config["demo"] = demo_guide(generate())
    return config


def run_jobs_forever(every_seconds: float) -> None:
    """What AWS does for a deployed stack: the schedules, and the stream feeding its two readers."""
    from chalicelib.config import settings
    from chalicelib.jobs.expiry import run_expiry
    from chalicelib.jobs.messages import run_reminders, run_sending, send_new
    from chalicelib.jobs.payments import run_reconcile
    from chalicelib.jobs.waiting_room import run_admission
    from chalicelib.jobs.waitlist import run_offers, seats_back
    from devstack.streams import StreamPoller

    config = settings()
    poller = StreamPoller(config.dynamodb_endpoint, config.region, config.table_name)
    next_run = 0.0
    while True:
        try:
            # as on AWS: the stream's two readers, seats (removed holds, then new pending seats) and new messages
            removed, created = poller.read_new()
            if removed or created:
                seats_back(removed, created)
            if created:
                send_new(created)
            if time.monotonic() >= next_run:
                run_expiry()
                run_reconcile()
                run_reminders()
                run_sending()
                run_admission()
                run_offers()
                next_run = time.monotonic() + every_seconds
        except Exception as error:  # keep the local stack up; the next round tries again
            print(f"定时任务出错（稍后重试）：{error!r}", file=sys.stderr, flush=True)
        time.sleep(2)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    # The opening minute's students connect at once: the standard library's backlog of 5 drops the
    # rest, whose connections then wait out the kernel's SYN retries (1 s, 3 s, 7 s … 63 s).
    request_queue_size = 1024

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return  # the browser went away before the answer: nothing to report
        super().handle_error(request, client_address)


def serve(port: int, dataset: Path) -> None:
    try:
        server = Server(("127.0.0.1", port), Handler)
    except OSError as error:
        print(f"端口 {port} 无法使用（{error.strerror}）：请换一个端口，例如 make run PORT=8080", file=sys.stderr)
        raise SystemExit(1) from None
    prepare_environment()
    from chalicelib.protection.rehearsal import MIN_KEY_LENGTH

    if 0 < len(os.environ.get("REHEARSAL_KEY", "")) < MIN_KEY_LENGTH:
        print(f"REHEARSAL_KEY 至少 {MIN_KEY_LENGTH} 个字符（决定 0038）：更短的密钥不被接受", file=sys.stderr)
        raise SystemExit(1)
    from chalicelib.bootstrap import CLOCK
    from devstack.payments_local import as_staging, install_sandbox

    os.environ.setdefault("PUBLIC_API_URL", f"http://127.0.0.1:{port}{API_PREFIX}")
    Handler.sandbox, payment_settings = install_sandbox(CLOCK, f"http://127.0.0.1:{port}/sandbox")
    if os.environ.get("REHEARSAL_PROVIDER"):  # a staging stack's payments: the rehearsal plays Alipay
        payment_settings = as_staging(payment_settings, os.environ["REHEARSAL_PROVIDER"])
    os.environ.update(payment_settings)
    load(dataset)
    from chalice.config import Config
    from chalice.local import LocalGateway

    from app import app
    from devstack.test_mode import register

    Handler.gateway = LocalGateway(register(app), Config())  # with the test controls (/_test/…)
    Handler.page_config = page_config(dataset)
    if os.environ.get("DEVSTACK_JSON_LOGS") != "1":
        use_readable_lines()
        # EMF metric lines are for CloudWatch; here they would bury the readable ones.
        os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    mode = "测试模式（/_test 已启用）" if os.environ.get("TEST_MODE") == "1" else ""
    if os.environ.get("REHEARSAL_KEY"):
        mode += "（演练站点：验证码也接受演练密钥的答案，决定 0038）"
    print(f"\nCET 网上报名本地站点已启动{mode}：http://127.0.0.1:{port}/", flush=True)
    print(f"页面在 / ，API 在同一地址的 {API_PREFIX}/ 下（例如 {API_PREFIX}/health）。Ctrl-C 停止。", flush=True)
    print(f"验证码和通知不会真的发出，都在本地发件箱：http://127.0.0.1:{port}/outbox", flush=True)
    jobs_every = float(os.environ.get("DEVSTACK_JOB_SECONDS") or 30)
    threading.Thread(target=run_jobs_forever, args=(jobs_every,), daemon=True).start()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        thread.join()
    except KeyboardInterrupt:
        server.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT") or 8000))
    parser.add_argument("--dataset", type=Path, default=Path(os.environ.get("DATASET") or DEFAULT_DATASET))
    args = parser.parse_args()
    serve(args.port, args.dataset)


if __name__ == "__main__":
    main()
