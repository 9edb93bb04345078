"""`python -m province overview` (R-OPS-1, the national view) against stacks started here: stub HTTP
servers answering as the contract says, one refusing the token, one not listening."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from province import overview
from province.__main__ import main as province_main

GOOD_TOKEN = "tok-" + "a" * 40  # never printed


def stub_overview(saved: int, seats: list[tuple[int, int]], paid_amount: int) -> dict[str, Any]:
    """A body in the contract's shape (docs/openapi.yaml, Overview)."""
    return {
        "registrations": {"saved": saved, "per_hour": [{"hour": "2026-03-01T09:00:00+08:00", "saved": saved}]},
        "seats": [
            {"campus_id": f"C{i}", "subject": "CET-SET4", "capacity": c, "taken": t, "live_holds": 0, "waiting": 0}
            for i, (c, t) in enumerate(seats)
        ],
        "orders": {"open": 0, "paid": 1, "closed": 0, "refunded": 0, "paid_amount": paid_amount},
        "reviews_pending": [],
        "late_payments": 0,
    }


def serve(name: str, body: dict[str, Any], token: str) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/api/notices":
                self._send(200, {"province": {"code": "32", "name": name, "notice": ""}, "schools": []})
            elif self.path != "/api/admin/overview":
                self._send(404, {"code": "NOT_FOUND", "message": "无"})
            elif self.headers.get("Authorization") != f"Bearer {token}":
                self._send(401, {"code": "UNAUTHENTICATED", "message": "登录已失效"})
            else:
                self._send(200, body)

        def _send(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def url_of(server: ThreadingHTTPServer) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}/api"


@pytest.fixture
def stacks() -> Iterator[tuple[str, str]]:
    jiangsu = serve("江苏省", stub_overview(120_000, [(200, 150), (100, 100)], 360_000_005), GOOD_TOKEN)
    zhejiang = serve("浙江省", stub_overview(80_000, [(50, 10)], 120_000_000), GOOD_TOKEN)
    yield url_of(jiangsu), url_of(zhejiang)
    jiangsu.shutdown()
    zhejiang.shutdown()


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/api"


def test_r_ops_1_one_table_across_provinces_with_a_total(
    stacks: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """R-OPS-1: registrations, seats taken/total and paid amount per province, and their total."""
    code = overview.main(["--url", stacks[0], "--url", stacks[1]], {overview.ENV_PREFIX: GOOD_TOKEN})
    out = capsys.readouterr()
    assert code == 0
    lines = out.out.splitlines()
    assert lines[0].split() == ["省份", "报名数", "口试考位（已占/总数）", "已缴金额（元）"]
    assert lines[1].split() == ["江苏省", "120,000", "250/300", "3,600,000.05"]
    assert lines[2].split() == ["浙江省", "80,000", "10/50", "1,200,000.00"]
    assert lines[3].split() == ["合计", "200,000", "260/350", "4,800,000.05"]
    assert GOOD_TOKEN not in out.out + out.err


def test_r_ops_1_a_stack_that_does_not_answer_or_refuses_gets_its_own_line_and_exit_1(
    stacks: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    """R-OPS-1: a stack down, a token refused (401) and a stack without a token each get a clear line;
    the others are still shown; the token per host wins over the common one; exit code 1."""
    down = closed_port_url()
    refused = stacks[1].replace("127.0.0.1", "localhost")  # its own variable holds a wrong token
    environ = {overview.ENV_PREFIX: GOOD_TOKEN, overview.token_variable(refused): "wrong-token-0123456789"}
    code = overview.main(["--url", stacks[0], "--url", down, "--url", refused, "--timeout", "3"], environ)
    out = capsys.readouterr()
    assert code == 1
    lines = out.out.splitlines()
    assert lines[1].split()[0] == "江苏省"
    assert f"{down}  未应答：" in out.out
    assert f"{refused}  拒绝：HTTP 401 UNAUTHENTICATED" in out.out
    assert "合计" not in out.out  # one province answered: nothing to add up
    assert GOOD_TOKEN not in out.out + out.err
    assert "wrong-token" not in out.out + out.err

    assert overview.main(["--url", stacks[0]], {}) == 1
    missing = capsys.readouterr().out
    assert "没有令牌：请设置环境变量 CET_ADMIN_TOKEN_127_0_0_1 或 CET_ADMIN_TOKEN" in missing


def test_the_province_command_dispatches_overview(capsys: pytest.CaptureFixture[str]) -> None:
    """`python -m province overview` runs this module; without --url it says how to call it."""
    with pytest.raises(SystemExit):
        province_main(["overview"])
    assert "--url" in capsys.readouterr().err
