"""R-TICKET-2 as a gate checks it: `python -m province verify-ticket` with the province's public key,
offline or from the stack; `python -m province ticket-key` makes and rotates the key (decision 0028)."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from chalicelib.tickets.keys import ring_from_secret
from province.__main__ import main
from tests.unit.test_ticket_qr import ticket


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def secret_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    code, out, err = run(["ticket-key", "new", "--key-id", "k1"], capsys)
    assert code == 0
    path = tmp_path / "tickets.json"
    path.write_text(out, encoding="utf-8")
    assert "k1" in err
    assert "公钥" in err
    return path


def public_file(secret: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    code, out, _ = run(["ticket-key", "public", str(secret)], capsys)
    assert code == 0
    path = secret.with_name("public-key.json")
    path.write_text(out, encoding="utf-8")
    return path


def signed(secret: Path, **changes: Any) -> str:
    return ring_from_secret(json.loads(secret.read_text(encoding="utf-8"))).signer.sign(ticket(**changes))


def test_r_ticket_2_ticket_key_new_prints_a_secret_value_with_one_active_key(
    secret_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    value = json.loads(secret_file.read_text(encoding="utf-8"))
    (entry,) = value["keys"]
    assert entry["key_id"] == "k1"
    assert entry["active"] is True
    assert len(base64.b64decode(entry["private_key"])) == 32
    code, out, _ = run(["ticket-key", "new"], capsys)
    assert code == 0
    assert json.loads(out)["keys"][0]["private_key"] != entry["private_key"]  # a fresh key each time


def test_r_ticket_2_verify_ticket_prints_the_tickets_fields_in_chinese_and_exits_0(
    secret_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        ["verify-ticket", signed(secret_file), "--public-key", str(public_file(secret_file, capsys))], capsys
    )

    assert code == 0
    assert out.splitlines() == [
        "准考证有效（签名密钥 k1）",
        "准考证号：320001262100101",
        "姓名：欧阳晓燕",
        "证件号码：3201**********1234",
        "科目：CET4",
        "考试时间：2026年12月19日 09:00–11:20（北京时间）",
        "考场：001    座位号：01",
    ]


def test_r_ticket_2_verify_ticket_takes_a_bare_base64_public_key_and_the_text_from_stdin(
    secret_file: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    public_key = json.loads(public_file(secret_file, capsys).read_text(encoding="utf-8"))["public_key"]
    monkeypatch.setattr("sys.stdin", _Stdin(signed(secret_file) + "\n"))

    code, out, _ = run(["verify-ticket", "-", "--public-key", public_key], capsys)

    assert code == 0
    assert "准考证号：320001262100101" in out


class _Stdin:
    def __init__(self, text: str) -> None:
        self._text = text

    def read(self) -> str:
        return self._text


def test_r_ticket_2_verify_ticket_refuses_a_tampered_ticket_in_one_line_and_exits_1(
    secret_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = signed(secret_file)
    other = signed(secret_file, seat="02")
    forged = f"{other.split('.')[0]}.{good.split('.')[1]}"

    code, out, _ = run(["verify-ticket", forged, "--public-key", str(public_file(secret_file, capsys))], capsys)

    assert code == 1
    assert out.splitlines() == ["准考证无效：签名不符：二维码内容被改动过，或不是用本省密钥签发的。"]


@pytest.mark.parametrize(
    ("text", "why"),
    [("not-a-ticket", "不是准考证的格式"), ("eyJrZXlfaWQiOiJrMSJ9." + "A" * 85, "不是准考证的格式")],
)
def test_r_ticket_2_verify_ticket_refuses_a_malformed_text_and_exits_1(
    secret_file: Path, capsys: pytest.CaptureFixture[str], text: str, why: str
) -> None:
    code, out, _ = run(["verify-ticket", text, "--public-key", str(public_file(secret_file, capsys))], capsys)

    assert code == 1
    assert len(out.splitlines()) == 1
    assert why in out


def test_r_ticket_2_verify_ticket_refuses_another_provinces_ticket_and_exits_1(
    secret_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, other, _ = run(["ticket-key", "new", "--key-id", "k1"], capsys)
    elsewhere = tmp_path / "elsewhere.json"
    elsewhere.write_text(other, encoding="utf-8")
    _, unknown, _ = run(["ticket-key", "new", "--key-id", "zz"], capsys)
    unknown_file = tmp_path / "unknown.json"
    unknown_file.write_text(unknown, encoding="utf-8")
    public = str(public_file(secret_file, capsys))

    assert run(["verify-ticket", signed(elsewhere), "--public-key", public], capsys)[:2] == (
        1,
        "准考证无效：签名不符：二维码内容被改动过，或不是用本省密钥签发的。\n",
    )
    code, out, _ = run(["verify-ticket", signed(unknown_file), "--public-key", public], capsys)
    assert code == 1
    assert "签名密钥 zz 不是本省准考证的密钥" in out


def test_r_ticket_2_after_ticket_key_rotate_a_ticket_printed_before_still_verifies(
    secret_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = signed(secret_file)
    code, out, _ = run(["ticket-key", "rotate", str(secret_file), "--key-id", "k2"], capsys)
    assert code == 0
    secret_file.write_text(out, encoding="utf-8")
    public = str(public_file(secret_file, capsys))

    assert run(["verify-ticket", before, "--public-key", public], capsys)[0] == 0
    code, out, _ = run(["verify-ticket", signed(secret_file), "--public-key", public], capsys)
    assert code == 0
    assert "签名密钥 k2" in out

    code, out, _ = run(["ticket-key", "rotate", str(secret_file), "--key-id", "k3", "--drop", "k1"], capsys)
    assert code == 0
    secret_file.write_text(out, encoding="utf-8")
    code, out, _ = run(["verify-ticket", before, "--public-key", str(public_file(secret_file, capsys))], capsys)
    assert code == 1
    assert "k1" in out


def test_r_ticket_2_ticket_key_rotate_refuses_dropping_the_active_key_or_a_broken_file(
    secret_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(["ticket-key", "rotate", str(secret_file), "--drop", "k1"], capsys)
    assert code == 2
    assert "密钥文件无法使用" in err
    broken = tmp_path / "broken.json"
    broken.write_text('{"keys": [{"key_id": "k1"}]}', encoding="utf-8")
    code, out, err = run(["ticket-key", "rotate", str(broken)], capsys)
    assert code == 2
    assert out == ""
    assert "private_key or public_key" in err


class PublicKeyStack(BaseHTTPRequestHandler):
    document: ClassVar[dict[str, Any]] = {}

    def do_GET(self) -> None:
        status, body = (200, self.document) if self.path == "/api/tickets/public-key" else (404, {})
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def stack_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), PublicKeyStack)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/api"
    server.shutdown()
    server.server_close()


def test_r_ticket_2_verify_ticket_asks_the_stack_for_its_public_keys(
    secret_file: Path, stack_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    ring = ring_from_secret(json.loads(secret_file.read_text(encoding="utf-8")))
    PublicKeyStack.document = ring.public_key_document()

    assert run(["verify-ticket", signed(secret_file), "--url", stack_url], capsys)[0] == 0
    PublicKeyStack.document = {key: value for key, value in ring.public_key_document().items() if key != "keys"}
    assert run(["verify-ticket", signed(secret_file), "--url", stack_url], capsys)[0] == 0  # api.md's fields alone


def test_r_ticket_2_verify_ticket_without_a_key_says_why_and_exits_2(
    secret_file: Path, stack_url: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    text = signed(secret_file)
    code, _, err = run(["verify-ticket", text, "--url", stack_url.replace("/api", "/elsewhere")], capsys)
    assert code == 2
    assert "HTTP 404" in err
    assert run(["verify-ticket", text, "--public-key", "not a key"], capsys)[0] == 2
    not_json = tmp_path / "key.json"
    not_json.write_text("{nope", encoding="utf-8")
    code, _, err = run(["verify-ticket", text, "--public-key", str(not_json)], capsys)
    assert code == 2
    assert "不是 JSON" in err
