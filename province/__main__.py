"""The province's commands:

    .venv/bin/python -m province load --catalog FILE.json [--roll FILE] [--scores FILE] [--staff FILE] [--prune]
    .venv/bin/python -m province overview --url URL [--url URL ...]
    .venv/bin/python -m province recount [--dry-run]
    .venv/bin/python -m province roles     (the roles' table of docs/decisions/0026)

`python -m province.stack` builds and deploys a province's stack (see the Makefile's `province`).
"""

from __future__ import annotations

import importlib
import sys

COMMANDS = {
    "load": "province.load",
    "overview": "province.overview",
    "recount": "province.recount",
    "roles": "province.template.roles",
}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in COMMANDS:
        print(__doc__, file=sys.stderr)
        return 2
    command = importlib.import_module(COMMANDS[argv[0]])
    result: int = command.main(argv[1:])
    return result


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
