"""The national view (R-OPS-1): one table across provinces, from each stack's `/admin/overview`.

    .venv/bin/python -m province overview --url URL [--url URL ...] [--timeout SECONDS]

URL is a stack's API base (as the page uses it, e.g. https://cet.example.cn/api). Each stack is
asked `GET URL/admin/overview`, and `GET URL/notices` for the province's name, with a province
administrator's token (POST /sessions) taken from the environment, never from the command line
(visible to every user of the machine, kept in shell history), and never printed:

    CET_ADMIN_TOKEN_<HOST>   for the stack at that host: the host name upper-cased, each character
                             other than A-Z and 0-9 made `_` (cet.js.example.cn: CET_ADMIN_TOKEN_CET_JS_EXAMPLE_CN)
    CET_ADMIN_TOKEN          for every stack without its own

A stack that does not answer, refuses the token or has none gets a line saying so; the exit code is
then 1 (0 when every stack answered).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import unicodedata
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

ENV_PREFIX = "CET_ADMIN_TOKEN"
HEADERS = ("省份", "报名数", "口试考位（已占/总数）", "已缴金额（元）")


@dataclass(frozen=True)
class Figures:
    name: str
    saved: int
    taken: int
    capacity: int
    paid_amount: int  # fen


@dataclass(frozen=True)
class Stack:
    url: str
    figures: Figures | None = None
    problem: str | None = None  # why there are no figures


def token_variable(url: str) -> str:
    host = urllib.parse.urlsplit(url).hostname or ""
    return f"{ENV_PREFIX}_{re.sub(r'[^A-Z0-9]', '_', host.upper())}"


def token_for(url: str, environ: dict[str, str]) -> str | None:
    return environ.get(token_variable(url)) or environ.get(ENV_PREFIX) or None


def _get(url: str, token: str | None, timeout: float) -> Any:
    headers = {"Accept": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 (the operator's own http(s) stacks)
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        return json.loads(response.read().decode("utf-8"))


def ask(url: str, environ: dict[str, str], timeout: float) -> Stack:
    base = url.rstrip("/")
    if urllib.parse.urlsplit(base).scheme not in ("http", "https"):
        return Stack(url, problem="不是 http(s) 地址")
    token = token_for(base, environ)
    if token is None:
        return Stack(url, problem=f"没有令牌：请设置环境变量 {token_variable(base)} 或 {ENV_PREFIX}")
    try:
        body = _get(f"{base}/admin/overview", token, timeout)
        notices = _get(f"{base}/notices", None, timeout)
    except urllib.error.HTTPError as refused:
        return Stack(url, problem=f"拒绝：HTTP {refused.code} {_code(refused)}".rstrip())
    except (urllib.error.URLError, OSError, ValueError) as failed:
        reason = getattr(failed, "reason", failed)
        return Stack(url, problem=f"未应答：{type(reason).__name__}")
    try:
        seats = body["seats"]
        figures = Figures(
            name=str(notices.get("province", {}).get("name") or urllib.parse.urlsplit(base).hostname),
            saved=int(body["registrations"]["saved"]),
            taken=sum(int(line["taken"]) for line in seats),
            capacity=sum(int(line["capacity"]) for line in seats),
            paid_amount=int(body["orders"]["paid_amount"]),
        )
    except (KeyError, TypeError, ValueError, AttributeError):
        return Stack(url, problem="答复不是概览的格式")
    return Stack(url, figures=figures)


def _code(refused: urllib.error.HTTPError) -> str:
    try:
        return str(json.loads(refused.read().decode("utf-8")).get("code", ""))
    except (ValueError, AttributeError, OSError):
        return ""


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, right: bool) -> str:
    fill = " " * (width - _width(text))
    return fill + text if right else text + fill


def yuan(fen: int) -> str:
    return f"{fen // 100:,}.{fen % 100:02d}"


def table(stacks: list[Stack]) -> list[str]:
    answered = [s.figures for s in stacks if s.figures is not None]
    rows = [(f.name, f"{f.saved:,}", f"{f.taken:,}/{f.capacity:,}", yuan(f.paid_amount)) for f in answered]
    if len(answered) > 1:
        total = Figures(
            "合计",
            sum(f.saved for f in answered),
            sum(f.taken for f in answered),
            sum(f.capacity for f in answered),
            sum(f.paid_amount for f in answered),
        )
        rows.append((total.name, f"{total.saved:,}", f"{total.taken:,}/{total.capacity:,}", yuan(total.paid_amount)))
    widths = [max(_width(row[i]) for row in [HEADERS, *rows]) for i in range(len(HEADERS))]
    lines = ["  ".join(_pad(cell, widths[i], i > 0) for i, cell in enumerate(row)) for row in [HEADERS, *rows]]
    lines += [f"{s.url}  {s.problem}" for s in stacks if s.problem is not None]
    return lines


def main(argv: list[str], environ: dict[str, str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m province overview", description="全国概览：各省报名、考位、缴费")
    parser.add_argument("--url", action="append", required=True, help="a stack's API base URL; repeat per province")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for each stack (default 10)")
    args = parser.parse_args(argv)
    env = dict(os.environ if environ is None else environ)
    with ThreadPoolExecutor(max_workers=min(16, len(args.url))) as pool:
        stacks = list(pool.map(lambda url: ask(url, env, args.timeout), args.url))
    for line in table(stacks):
        print(line)
    return 0 if all(s.figures is not None for s in stacks) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
