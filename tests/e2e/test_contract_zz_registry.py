"""The registry of the HTTP contract: every app.py route is documented, and every documented
(route, status, code) is triggered by an `expect(...)` written in one of the contract's files
(tests/e2e/test_contract_*.py); each route is seen succeeding through `ok(...)` at run time.

Named to run after the other contract files: when they all ran in this process, what they
recorded at run time (tests/e2e/contract.py) must agree too.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.e2e.contract import COVERED, HTTP_METHODS, RAN, SUCCEEDED, documented_errors
from tests.spec import spec

HERE = Path(__file__).parent
CONTRACT_FILES = sorted(path for path in HERE.glob("test_contract_*.py") if path.name != Path(__file__).name)
CONTRACT_MODULE = HERE / "contract.py"


def _constants(tree: ast.Module) -> dict[str, object]:
    """Module-level NAME = "literal", such as REMOVE and DECIDE."""
    return {
        target.id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
        for target in node.targets
        if isinstance(target, ast.Name)
    }


def _trees() -> dict[Path, ast.Module]:
    return {path: ast.parse(path.read_text(encoding="utf-8")) for path in CONTRACT_FILES}


def written_expect_calls() -> set[tuple[str, str, int, str]]:
    """Every `expect(reply, "METHOD /path", status, "CODE", ...)` written in the contract's files."""
    shared = _constants(ast.parse(CONTRACT_MODULE.read_text(encoding="utf-8")))
    found = set()
    for tree in _trees().values():
        constants = {**shared, **_constants(tree)}

        def literal(arg: ast.expr, constants: dict[str, object] = constants) -> object:
            if isinstance(arg, ast.Constant):
                return arg.value
            return constants.get(arg.id) if isinstance(arg, ast.Name) else None

        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "expect":
                values = [literal(arg) for arg in node.args[1:4]]
                route, status, code = values if len(values) == 3 else (None, None, None)
                if isinstance(route, str) and isinstance(status, int) and isinstance(code, str):
                    method, path = route.split(" ", 1)
                    found.add((method, path, status, code))
    return found


def contract_tests() -> set[str]:
    """The names of the contract's test functions, in every file."""
    return {
        node.name
        for tree in _trees().values()
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
    }


def test_zz_every_documented_error_is_exercised() -> None:
    """api.md, docs/openapi.yaml: every app.py route, and every (status, code) of its x-error-codes, is exercised."""
    from app import app

    routes = {(method.upper(), path) for path, methods in app.routes.items() for method in methods}
    in_spec = {(m.upper(), p) for p, item in spec()["paths"].items() for m in item if m in HTTP_METHODS}
    assert sorted(routes - in_spec) == [], "app.py routes missing from docs/openapi.yaml"
    documented = documented_errors()
    written = written_expect_calls()
    assert sorted(written - documented) == [], "the contract's files expect errors docs/openapi.yaml does not document"
    missing = sorted(documented - written)
    assert missing == [], f"documented errors that no test of the contract's files triggers: {missing}"
    if contract_tests() <= RAN:  # every contract file ran (in any order): the registry filled at run time must agree
        not_run = sorted(documented - COVERED)
        assert not_run == [], f"documented errors not exercised at run time: {not_run}"
        succeeded = {(method, path) for method, path, _ in SUCCEEDED}
        only_errors = {(method, path) for method, path in routes if "{proxy+}" in path}  # the catch-all
        assert sorted(routes - succeeded - only_errors) == [], "app.py routes never seen succeeding"
