"""Check an admission ticket's QR code as a gate does (R-TICKET-2): offline, with the province's
public key.

    .venv/bin/python -m province verify-ticket QR_TEXT --public-key FILE_OR_BASE64
    .venv/bin/python -m province verify-ticket QR_TEXT --url STACK_URL

QR_TEXT is the text the code holds (- reads it from stdin). --public-key is a file holding what GET
/tickets/public-key serves (`python -m province ticket-key public` writes the same), or one raw
public key in base64; --url asks the stack's GET /tickets/public-key once. Exit 0 with the ticket's
fields when its signature checks out under the key it names; 1 with one line saying why not; 2 when
no key could be had.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from chalicelib.domain.clock import parse_iso
from chalicelib.domain.ticket_document import TicketQrRefused, time_span
from chalicelib.tickets.keys import TicketKeyError, raw_key
from chalicelib.tickets.signing import verify_ticket_qr

ANY_KEY = "*"


class AnyKeyId(Mapping[str, bytes]):
    """One public key given without its name: it checks whatever key a ticket names."""

    def __init__(self, raw: bytes) -> None:
        self._raw = raw

    def __getitem__(self, key_id: str) -> bytes:
        return self._raw

    def __iter__(self) -> Iterator[str]:
        return iter((ANY_KEY,))

    def __len__(self) -> int:
        return 1


class NoKey(Exception):
    """Why no public key could be had, in one Chinese line."""


def keys_from_document(document: object) -> dict[str, bytes]:
    """GET /tickets/public-key's answer: every key in `keys`, or the one key it names."""
    if not isinstance(document, dict):
        raise NoKey("公钥文件不是 GET /tickets/public-key 的格式。")
    listed = document.get("keys")
    entries = listed if isinstance(listed, list) else [document]
    found: dict[str, bytes] = {}
    try:
        for entry in entries:
            if not isinstance(entry, dict) or entry.get("alg", "Ed25519") != "Ed25519":
                raise NoKey("公钥不是 Ed25519 公钥。")
            found[str(entry["key_id"])] = raw_key(entry["public_key"], "public_key")
    except (KeyError, TicketKeyError):
        raise NoKey("公钥文件不是 GET /tickets/public-key 的格式（key_id、public_key）。") from None
    if not found:
        raise NoKey("公钥文件中没有公钥。")
    return found


def keys_from_option(given: str) -> Mapping[str, bytes]:
    text = _file_text(given) or given.strip()
    if text.startswith("{"):
        try:
            return keys_from_document(json.loads(text))
        except ValueError:
            raise NoKey("公钥文件不是 JSON。") from None
    try:
        return AnyKeyId(raw_key(text, "public_key"))
    except TicketKeyError:
        raise NoKey("--public-key 既不是公钥文件，也不是 base64 的 32 字节公钥。") from None


def _file_text(given: str) -> str | None:
    try:
        path = Path(given)
        return path.read_text(encoding="utf-8").strip() if path.is_file() else None
    except (OSError, ValueError):  # not a file name at all (too long, a NUL)
        return None


def keys_from_stack(url: str, timeout: float) -> dict[str, bytes]:
    base = url.rstrip("/")
    if urllib.parse.urlsplit(base).scheme not in ("http", "https"):
        raise NoKey(f"{url} 不是 http(s) 地址。")
    request = urllib.request.Request(f"{base}/tickets/public-key", headers={"Accept": "application/json"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (the province's own stack)
            document = json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as refused:
        raise NoKey(f"取不到公钥：{base}/tickets/public-key 答复 HTTP {refused.code}。") from None
    except (urllib.error.URLError, OSError, ValueError) as failed:
        raise NoKey(f"取不到公钥：{base} 未应答（{type(getattr(failed, 'reason', failed)).__name__}）。") from None
    return keys_from_document(document)


def described(fields: Mapping[str, Any]) -> list[str]:
    start, end = parse_iso(fields["exam_at"]), parse_iso(fields["ends_at"])
    return [
        f"准考证有效（签名密钥 {fields['key_id']}）",
        f"准考证号：{fields['ticket_number']}",
        f"姓名：{fields['name']}",
        f"证件号码：{fields['masked_id']}",
        f"科目：{fields['subject']}",
        f"考试时间：{time_span(start, end)}",
        f"考场：{fields['room']}    座位号：{fields['seat']}",
    ]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m province verify-ticket", description="离线核验准考证二维码")
    parser.add_argument("qr_text", metavar="QR_TEXT", help="the QR code's text; - reads it from stdin")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--public-key", help="a file from GET /tickets/public-key, or a public key in base64")
    source.add_argument("--url", help="the stack's API base URL, asked for its public keys")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for --url (default 10)")
    args = parser.parse_args(argv)
    text = sys.stdin.read() if args.qr_text == "-" else args.qr_text
    try:
        keys = keys_from_option(args.public_key) if args.public_key else keys_from_stack(args.url, args.timeout)
    except NoKey as problem:
        print(problem, file=sys.stderr)
        return 2
    try:
        fields = verify_ticket_qr(text, keys)
    except TicketQrRefused as refused:
        print(f"准考证无效：{refused.message}")
        return 1
    for line in described(fields):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
