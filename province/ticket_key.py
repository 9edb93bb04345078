"""The province's ticket signing key (R-TICKET-2, decision 0028): made, rotated and published here.

    .venv/bin/python -m province ticket-key new [--key-id ID]             > tickets.json
    .venv/bin/python -m province ticket-key rotate tickets.json [--key-id ID] [--drop ID ...] > new.json
    .venv/bin/python -m province ticket-key public tickets.json           > public-key.json

`new` prints the secret's value (JSON, one active key) on stdout and its public key on stderr.
`rotate` reads the current value (a file, or - for stdin) and prints the next one: a new active
key, the old active one kept by its public half only (tickets it signed still verify, nothing new
can be signed with it), `--drop` removing a key whose sitting's exams have all ended. `public`
prints what GET /tickets/public-key serves, for the gates to check tickets offline.
Put the value into the secret with `aws secretsmanager put-secret-value` (docs/deploy.md), then
delete the file: the private key is never kept anywhere else, nor in the repository.
"""

from __future__ import annotations

import argparse
import base64
import json
import secrets
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from chalicelib.domain.ticket_document import KEY_ID
from chalicelib.tickets.keys import TicketKeyError, raw_key, ring_from_secret
from chalicelib.tickets.signing import new_private_key, public_key_of


def new_key_id(now: datetime | None = None) -> str:
    """The day it was made and a random tail: 20261101-3fa9."""
    return f"{(now or datetime.now(UTC)):%Y%m%d}-{secrets.token_hex(2)}"


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def new_entry(key_id: str) -> dict[str, Any]:
    return {"key_id": key_id, "private_key": _b64(new_private_key()), "active": True}


def new_secret(key_id: str) -> dict[str, Any]:
    return {"keys": [new_entry(key_id)]}


def rotated_secret(current: dict[str, Any], key_id: str, drop: tuple[str, ...] = ()) -> dict[str, Any]:
    """The next value: `key_id` new and active first, every other key kept public only, `drop` gone."""
    ring = ring_from_secret(current)
    if key_id in ring.public_keys:
        raise TicketKeyError(f"key_id {key_id} is already in the secret")
    unknown = sorted(set(drop) - set(ring.public_keys))
    if unknown:
        raise TicketKeyError(f"--drop {', '.join(unknown)}: not in the secret")
    if ring.signer.key_id in drop:
        raise TicketKeyError(f"--drop {ring.signer.key_id}: the active key signed the tickets printed until now")
    kept = [{"key_id": k, "public_key": _b64(ring.public_keys[k])} for k in _kept_order(current) if k not in drop]
    return {"keys": [new_entry(key_id), *kept]}


def _kept_order(current: dict[str, Any]) -> list[str]:
    return [str(entry["key_id"]) for entry in current["keys"]]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m province ticket-key", description="准考证签名密钥")
    commands = parser.add_subparsers(dest="command", required=True)
    new = commands.add_parser("new", help="a new secret value with one active key")
    new.add_argument("--key-id", help="the key's name (default: today's date and a random tail)")
    rotate = commands.add_parser("rotate", help="the next secret value: a new active key")
    rotate.add_argument("current", help="the secret's current value: a file, or - for stdin")
    rotate.add_argument("--key-id", help="the new key's name (default: today's date and a random tail)")
    rotate.add_argument("--drop", action="append", default=[], help="a retired key to remove (repeatable)")
    public = commands.add_parser("public", help="the public keys, as GET /tickets/public-key serves them")
    public.add_argument("current", help="the secret's value: a file, or - for stdin")
    args = parser.parse_args(argv)
    key_id = getattr(args, "key_id", None) or new_key_id()
    if not KEY_ID.fullmatch(key_id):
        print("密钥名称只能由字母、数字和 . _ - 组成，最长 32 个字符。", file=sys.stderr)
        return 2
    try:
        if args.command == "new":
            value = new_secret(key_id)
        elif args.command == "rotate":
            value = rotated_secret(_read(args.current), key_id, tuple(args.drop))
        else:
            print(json.dumps(ring_from_secret(_read(args.current)).public_key_document(), indent=2))
            return 0
    except (TicketKeyError, OSError, ValueError) as problem:
        print(f"密钥文件无法使用：{problem}", file=sys.stderr)
        return 2
    print(json.dumps(value, indent=2))
    active = value["keys"][0]
    public_key = _b64(public_key_of(raw_key(active["private_key"], "private_key")))
    print(f"新的签名密钥 {active['key_id']}，公钥（Ed25519，base64）：{public_key}", file=sys.stderr)
    return 0


def _read(source: str) -> dict[str, Any]:
    text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    value = json.loads(text)
    if not isinstance(value, dict):
        raise TicketKeyError('expected {"keys": [...]}')
    return value


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
