"""The province's commands:

    .venv/bin/python -m province load --catalog FILE.json [--roll FILE] [--scores FILE] [--staff FILE] [--prune]
    .venv/bin/python -m province overview --url URL [--url URL ...]
    .venv/bin/python -m province recount [--dry-run]
    .venv/bin/python -m province roles     (the roles' table of docs/decisions/0026)
    .venv/bin/python -m province ticket-key new|rotate|public ...   (the ticket signing key, decision 0028)
    .venv/bin/python -m province verify-ticket QR_TEXT --public-key FILE_OR_BASE64 | --url URL
    .venv/bin/python -m province synth-roll --students N [--out DIR]   (a synthetic roll for a rehearsal)
    .venv/bin/python -m province rehearse --url URL [--users N] [--seconds S]   (the opening minute, over HTTP)
    .venv/bin/python -m province rehearsal-provider --payments FILE   (a staging stack's payments, decision 0038)

`python -m province.stack` builds and deploys a province's stack (see the Makefile's `province`).
"""

from __future__ import annotations

import importlib
import os
import sys

from botocore.exceptions import EndpointConnectionError, NoCredentialsError, NoRegionError

COMMANDS = {
    "load": "province.load",
    "overview": "province.overview",
    "recount": "province.recount",
    "roles": "province.template.roles",
    "ticket-key": "province.ticket_key",
    "verify-ticket": "province.verify_ticket",
    "synth-roll": "province.synth_roll",
    "rehearse": "province.rehearse",
    "rehearsal-provider": "province.staging",
}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in COMMANDS:
        print(__doc__, file=sys.stderr)
        return 2
    command = importlib.import_module(COMMANDS[argv[0]])
    try:
        result: int = command.main(argv[1:])
    except Exception as error:
        reason = unreachable(error)
        if reason is None:
            raise
        table = os.environ.get("TABLE_NAME", "cet-registration-dev")
        print(
            f"无法访问表 {table}：{reason}。请设置 TABLE_NAME、AWS_REGION 和凭证"
            "（本地站点另设 AWS_ENDPOINT_URL_DYNAMODB，见 README）。",
            file=sys.stderr,
        )
        return 2
    return result


def unreachable(error: BaseException) -> str | None:
    """Why the table cannot be reached at all, from the error or what caused it; None otherwise."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, NoCredentialsError):
            return "没有 AWS 凭证"
        if isinstance(seen, NoRegionError):
            return "没有设置区域"
        if isinstance(seen, EndpointConnectionError):
            return "连接不上数据库地址"
        seen = seen.__cause__ or seen.__context__
    return None


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
