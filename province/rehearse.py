"""A rehearsal of the opening minute against a stack, over HTTP, with Locust.

    .venv/bin/python -m province synth-roll --students 2000           (once: out/rehearsal/roll.csv)
    .venv/bin/python -m province rehearse --url URL [--users 200] [--seconds 60] [--workers 2]

URL is the site (`make run` prints it; the API answers under URL/api) or the API base itself. Every
user is one student of the synthetic roll walking the flow once (province/rehearsal_users.py):
account, session, agreement, qualification, registration, the queue of an open opening, the
written subject, an oral seat, an order paid (through the test gateway, or on a staging stack by the
rehearsal playing Alipay), the tickets. All users
start within the first second, as at an opening; Locust runs them in `--workers` processes.

The stack is either in test mode (the captcha's answer and the test gateway): the local stack with
TEST_MODE=1, loaded with the synthetic roll (`make run DATASET=out/rehearsal/dataset.json`); or a
staging stack (decision 0038): its captchas answered with its rehearsal key (CET_REHEARSAL_KEY),
its orders paid by the rehearsal playing Alipay (`--provider`, from `province rehearsal-provider`).
`/admin/overview` is read before and after, with the token of CET_ADMIN_TOKEN (as `province
overview`); without one, the province administrator `--admin` signs in with CET_ADMIN_PASSWORD (a
staging stack) or, on a stack in test mode, gets a new password through the test outbox. Printed:
p50/p99 per step, errors by code, the share of 503 BUSY, and the seats: taken after minus before
must equal the oral grabs answered 201, and no campus may hold more than its capacity. Locust's
HTML report and the figures (figures.json) go to `--report`. Exit 0 when there is no error other
than BUSY, no oversell and the seats add up.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from province.description import ROOT
from province.overview import token_for
from province.staging import KEY_VARIABLE, Provider, captcha_answer

USERS_FILE = Path(__file__).resolve().parent / "rehearsal_users.py"
OUT = ROOT / "out" / "rehearsal"
GRAB = "9 oral grab"
# After `--seconds` no student starts a step, but every request in flight is answered and counted (a
# grab answered after Locust gave up on it would hold a seat the figures do not show); Locust's own
# limit, later by this much, is only a backstop.
STOP_SECONDS = 120
ADMIN = "admin@jyks.edu.cn"  # the demo province's administrator (devstack/demo_identities.md)


@dataclass(frozen=True)
class Step:
    name: str
    requests: int
    failures: int
    p50: str
    p99: str


@dataclass(frozen=True)
class Seats:
    taken: int
    capacity: int
    oversell: int  # seats taken above capacity, summed over campuses


class Api:
    """Plain JSON over HTTP for the few calls the rehearsal makes itself."""

    def __init__(self, base: str, token: str | None = None) -> None:
        self.base = base.rstrip("/")
        self.token = token

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method)  # noqa: S310 (the tester's stack)
        request.add_header("Content-Type", "application/json")
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                raw = response.read()
                return response.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as refused:
            raw = refused.read()
            try:
                return refused.code, json.loads(raw) if raw else None
            except ValueError:
                return refused.code, None
        except (urllib.error.URLError, OSError) as failed:
            reason = getattr(failed, "reason", failed)
            raise SystemExit(f"{self.base} 未应答（{reason}）：站点是否已启动？") from None

    def expect(self, status: int, method: str, path: str, body: Any = None) -> Any:
        got, reply = self.call(method, path, body)
        if got != status:
            code = reply.get("code") if isinstance(reply, dict) else None
            raise SystemExit(f"{method} {path}: HTTP {got} {code or ''}（预期 {status}）".rstrip())
        return reply


def api_base(url: str, prefix: str) -> tuple[str, str]:
    """(site, API prefix): a URL ending in the prefix is the API base itself."""
    base = url.rstrip("/")
    if prefix and base.endswith(prefix):
        return base[: -len(prefix)], prefix
    return base, prefix


def captcha(api: Api) -> dict[str, str]:
    issued = api.expect(201, "POST", "/captchas")
    answer = captcha_answer(issued, os.environ)
    if answer is None:
        raise SystemExit(
            f"站点不在测试模式（TEST_MODE=1），也没有演练密钥（{KEY_VARIABLE}，至少 32 个字符）："
            "验证码无法自动作答，不能演练。演练部署的站点见 docs/deploy.md。"
        )
    return {"captcha_id": issued["captcha_id"], "captcha_answer": answer}


def probe_login() -> str:
    """An account that does not exist, new each run (a login's failures are throttled): a sign-in
    tells only whether the captcha's answer was taken."""
    return f"rehearsal-probe-{secrets.token_hex(6)}@example.cn"


def unrehearsable(api: Api, provider: Path | None) -> str | None:
    """Why the rehearsal cannot walk a student on this stack, if it cannot: neither test mode nor a
    staging stack's key that the stack takes, or a staging stack without the rehearsal's Alipay."""
    issued = api.expect(201, "POST", "/captchas")
    if "answer" in issued:
        return None  # test mode: the answer comes with the captcha, the test gateway pays
    if provider is None:
        return (
            "这不是测试模式的站点：演练部署的（staging）站点要用 --provider"
            "（province rehearsal-provider 写出的 provider.json）。"
        )
    try:
        Provider.read(provider)
    except (OSError, ValueError, KeyError) as unreadable:
        return f"{provider} 不是 province rehearsal-provider 写出的 provider.json（{type(unreadable).__name__}）。"
    fields = {"login": probe_login(), "password": "Probe-2026-x", **captcha(api)}
    status, reply = api.call("POST", "/sessions", fields)
    code = reply.get("code") if isinstance(reply, dict) else None
    if code == "BAD_CREDENTIALS":
        return None  # the captcha was taken: the key is the stack's
    if code == "INVALID_CAPTCHA":
        return f"站点不接受 {KEY_VARIABLE} 算出的验证码答案：它不是这个站点的演练密钥（见输出 RehearsalSecretName）。"
    return f"试登录未得到预期的 BAD_CREDENTIALS（HTTP {status} {code or ''}）：请稍后再试或检查站点。"


PASSWORD_VARIABLE = "CET_ADMIN_PASSWORD"  # noqa: S105 - the variable's name; never on a command line


def admin_token(api: Api, login: str) -> str:
    """A session of the province administrator. With CET_ADMIN_PASSWORD (a staging stack): signed in,
    the captcha answered as the students' are. On a stack in test mode: a new password set with the
    newest code the test outbox holds for it (its activation code, or a reset's)."""
    password = os.environ.get(PASSWORD_VARIABLE)
    if password:
        status, session = api.call("POST", "/sessions", {"login": login, "password": password, **captcha(api)})
        if status != 201:
            code = session.get("code") if isinstance(session, dict) else None
            raise SystemExit(f"{login} 未能登录（HTTP {status} {code or ''}）：请检查 {PASSWORD_VARIABLE} 与 --admin。")
        return str(session["token"])
    issued = api.expect(201, "POST", "/captchas")
    if "answer" not in issued:
        raise SystemExit(
            f"这不是测试模式的站点：请设置环境变量 {PASSWORD_VARIABLE}（省管理员 --admin 的密码）"
            "或 CET_ADMIN_TOKEN（见 province overview）再演练。"
        )
    status, _ = api.call("POST", "/password-resets", {"login": login, **captcha(api)})
    if status == 429:
        raise SystemExit(
            f"{login} 的重置次数已达上限：请登录后设置环境变量 CET_ADMIN_TOKEN（见 province overview）再演练。"
        )
    if status != 202:
        raise SystemExit(f"POST /password-resets: HTTP {status}（预期 202）")
    messages = api.expect(200, "GET", "/_test/outbox?" + urllib.parse.urlencode({"to": login}))
    codes = [m["code"] for m in messages if m.get("code")]
    if not codes:
        raise SystemExit(f"测试发件箱里没有 {login} 的验证码：该登录名不是本站的工作人员？")
    password = f"Ad{secrets.token_hex(8)}9z"  # letters and digits, never a common one (R-ACC-2)
    api.expect(204, "POST", "/password-resets/confirm", {"login": login, "code": codes[-1], "new_password": password})
    return str(api.expect(201, "POST", "/sessions", {"login": login, "password": password, **captcha(api)})["token"])


def seats(api: Api) -> Seats:
    lines = api.expect(200, "GET", "/admin/overview")["seats"]
    return Seats(
        taken=sum(int(line["taken"]) for line in lines),
        capacity=sum(int(line["capacity"]) for line in lines),
        oversell=sum(max(0, int(line["taken"]) - int(line["capacity"])) for line in lines),
    )


def locust_command(args: argparse.Namespace, site: str, prefix: str, report: Path) -> list[str]:
    command = [
        sys.executable, "-m", "locust", "-f", str(USERS_FILE), "--headless", "--only-summary",
        "--host", site, "--users", str(args.users), "--spawn-rate", str(args.users),
        "--walk-seconds", str(args.seconds), "--run-time", f"{args.seconds + STOP_SECONDS}s",
        "--summary", str(report / "figures.json"), "--html", str(report / "report.html"),
        "--roll", str(args.roll), "--api-prefix", prefix, "--offset", str(args.offset),
    ]  # fmt: skip
    if args.provider:
        command += ["--provider", str(args.provider.resolve())]
    if args.workers > 1:
        command += ["--processes", str(args.workers)]
    return command


def read_figures(report: Path) -> tuple[list[Step], dict[str, int]]:
    """The steps' figures and the failures by what the user called them (`BUSY`, `<status> <code>`)."""
    path = report / "figures.json"
    if not path.is_file():
        log_tail = (report / "locust.log").read_text(encoding="utf-8", errors="replace")[-3000:]
        raise SystemExit(f"{log_tail}\nLocust 没有写出 {path}：演练未能运行（见上面 {report / 'locust.log'} 的结尾）")
    figures = json.loads(path.read_text(encoding="utf-8"))
    steps = [Step(s["name"], s["requests"], s["failures"], str(s["p50"]), str(s["p99"])) for s in figures["steps"]]
    errors: dict[str, int] = {}
    for error, n in figures["errors"].items():
        errors[said(error)] = errors.get(said(error), 0) + int(n)
    return steps, errors


def said(error: str) -> str:
    """What a student's failure said (`BUSY`, `409 CODE`), without Locust's wrapping of it
    (`CatchResponseError('BUSY')`)."""
    wrapped = re.fullmatch(r"CatchResponseError\('(.*)'\)", error)
    return wrapped.group(1) if wrapped else error


def step_order(step: Step) -> tuple[int, str]:
    head = step.name.split(" ", 1)[0]
    return (int(head) if head.isdigit() else 99, step.name)


def table(steps: list[Step]) -> list[str]:
    lines = [f"{'step':<34}{'requests':>9}{'failures':>9}{'p50 ms':>9}{'p99 ms':>9}"]
    lines += [f"{s.name:<34}{s.requests:>9}{s.failures:>9}{s.p50:>9}{s.p99:>9}" for s in sorted(steps, key=step_order)]
    return lines


def verdict(steps: list[Step], errors: dict[str, int], before: Seats, after: Seats) -> tuple[list[str], bool]:
    requests = sum(s.requests for s in steps)
    busy = errors.get("BUSY", 0)
    other = {error: n for error, n in errors.items() if error != "BUSY"}
    grabs = sum(s.requests - s.failures for s in steps if s.name == GRAB)
    added = after.taken - before.taken
    lines = [
        "errors by code: " + (", ".join(f"{e} ×{n}" for e, n in sorted(other.items())) or "none (besides BUSY)"),
        f"503 BUSY: {busy} of {requests} requests ({100 * busy / max(1, requests):.1f}%)",
        f"seats: taken {before.taken} -> {after.taken} of {after.capacity} (+{added}) for {grabs} oral grabs "
        f"answered 201 ({'they add up' if added == grabs else 'THEY DO NOT ADD UP'}); oversell {after.oversell}",
    ]
    good = not other and after.oversell == 0 and added == grabs
    lines.append(
        f"rehearsal: {sum(other.values())} errors, {after.oversell} oversell, busy {100 * busy / max(1, requests):.1f}%"
    )
    return lines, good


def arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m province rehearse", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", required=True, help="the site (make run's URL) or its API base")
    parser.add_argument("--users", type=int, default=200, help="students, all starting in the first second")
    parser.add_argument("--seconds", type=int, default=60, help="how long the rehearsal runs")
    parser.add_argument("--workers", type=int, default=2, help="Locust worker processes")
    parser.add_argument("--roll", type=Path, default=OUT / "roll.csv", help="the synthetic roll (province synth-roll)")
    parser.add_argument("--offset", type=int, default=0, help="skip the roll's first N students (a second run)")
    parser.add_argument("--report", type=Path, default=OUT, help="where the HTML report and figures.json go")
    parser.add_argument("--api-prefix", default="/api", help="the API's path under the site (/api)")
    parser.add_argument(
        "--provider", type=Path, help="a staging stack: the rehearsal's Alipay key (province rehearsal-provider)"
    )
    parser.add_argument("--admin", default=ADMIN, help="the province administrator, when no CET_ADMIN_TOKEN is set")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv)
    if args.users < 1 or args.seconds < 1 or args.workers < 1:
        print("--users、--seconds、--workers 都应为正整数", file=sys.stderr)
        return 2
    if args.provider and not args.provider.is_file():
        print(f"没有 {args.provider}：先运行 python -m province rehearsal-provider --payments FILE", file=sys.stderr)
        return 2
    if not args.roll.is_file():
        print(f"没有名册 {args.roll}：先运行 python -m province synth-roll --students N", file=sys.stderr)
        return 2
    site, prefix = api_base(args.url, args.api_prefix)
    admin = Api(site + prefix, token_for(site + prefix, dict(os.environ)))
    admin.expect(200, "GET", "/health")
    if problem := unrehearsable(admin, args.provider):  # before any student: told at once
        print(problem, file=sys.stderr)
        return 2
    if admin.token is None:
        admin.token = admin_token(admin, args.admin)
    before = seats(admin)
    args.report.mkdir(parents=True, exist_ok=True)
    print(
        f"rehearsal: {args.users} students in {args.seconds} s, {args.workers} process(es), against {site}", flush=True
    )
    (args.report / "figures.json").unlink(missing_ok=True)
    with (args.report / "locust.log").open("wb") as log:
        subprocess.run(locust_command(args, site, prefix, args.report), check=False, cwd=ROOT, stdout=log, stderr=log)
    steps, errors = read_figures(args.report)
    after = seats(admin)
    lines, good = verdict(steps, errors, before, after)
    print("\n".join([*table(steps), "", *lines, f"report: {args.report / 'report.html'} (Locust's log: locust.log)"]))
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
