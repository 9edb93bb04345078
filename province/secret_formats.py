"""The province's two secrets as files, checked against their JSON Schemas before they are stored.

`deploy/schemas/payments.schema.json` and `messaging.schema.json` say what the payment secret
(chalicelib/payments/settings.py) and the messaging secret (chalicelib/messaging/settings.py)
hold; `deploy/provinces/examples/` has one of each with placeholders. `make province
PAYMENTS_SECRET=payments.json MESSAGING_SECRET=messaging.json` checks the files before building.
A problem names the field and what it should be, never the value: the file holds keys.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, ValidationError

from province.description import ROOT

SCHEMAS = ROOT / "deploy" / "schemas"
EXAMPLES = ROOT / "deploy" / "provinces" / "examples"
KINDS = ("payments", "messaging")
MAX_PROBLEMS = 10


class SecretFileError(ValueError):
    """What is wrong with a secret's file, without any of its values."""


def schema(kind: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((SCHEMAS / f"{kind}.schema.json").read_text(encoding="utf-8"))
    return loaded


def _where(error: ValidationError) -> str:
    return ".".join(str(part) for part in error.absolute_path) or "the file"


def _problem(error: ValidationError) -> str:
    """The field and what it should be; the value itself is left out (it may be a key)."""
    rule: Any = error.schema if isinstance(error.schema, dict) else {}
    about = f" ({rule['description']})" if "description" in rule else ""
    validator = str(error.validator)
    if validator in ("required", "additionalProperties"):
        return f"{_where(error)}: {error.message}"  # names keys, never values
    what = {
        "type": f"should be of type {rule.get('type')}",
        "pattern": "is not of the expected form",
        "minLength": "is empty",
        "enum": f"should be one of {', '.join(map(str, rule.get('enum', ())))}",
        "minimum": f"should be at least {rule.get('minimum')}",
        "maximum": f"should be at most {rule.get('maximum')}",
        "minProperties": "names nothing",
    }.get(validator, f"does not meet the schema's {validator!r}")
    return f"{_where(error)}: {what}{about}"


def problems(kind: str, document: object) -> list[str]:
    """What is wrong with `document` as the `kind` secret, field by field, in the file's order."""
    validator = Draft202012Validator(schema(kind))
    errors = sorted(validator.iter_errors(document), key=lambda e: [str(p) for p in e.absolute_path])
    return [_problem(error) for error in errors]


def check_file(kind: str, path: Path) -> None:
    """Raises SecretFileError naming every problem of the file (at most MAX_PROBLEMS of them)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SecretFileError(f"{kind} secret {path}: no such file") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        where = f"line {error.lineno}" if isinstance(error, json.JSONDecodeError) else "its encoding"
        raise SecretFileError(f"{kind} secret {path}: not JSON ({where})") from None
    found = problems(kind, document)
    if found:
        shown = "; ".join(found[:MAX_PROBLEMS])
        more = f" and {len(found) - MAX_PROBLEMS} more" if len(found) > MAX_PROBLEMS else ""
        schema_path = (SCHEMAS / f"{kind}.schema.json").relative_to(ROOT)
        raise SecretFileError(f"{kind} secret {path} does not match {schema_path}: {shown}{more}")
