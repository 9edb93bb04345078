"""docs/openapi.yaml, the machine-readable copy of the api.md contract, against the app itself.

The api.md contract says the project keeps the HTTP contract as OpenAPI and "a test that fails when
the app's routes and that file disagree": this is that test. It also ties every error code the
file names to chalicelib/domain/errors.py and to the STATUS table of chalicelib/api/errors.py, so
neither the table nor the file can drift from the other.
"""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import openapi_schema_validator
import openapi_spec_validator
import pytest

from chalicelib.api.errors import STATUS
from chalicelib.domain import errors as domain_errors
from tests.spec import spec

ROOT = Path(__file__).resolve().parents[2]
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
# api.md contract, Conventions: the generic codes every route may speak.
GENERIC_CODES = {"UNAUTHENTICATED", "FORBIDDEN", "NOT_FOUND", "INVALID_REQUEST", "TOO_MANY_ATTEMPTS"}


def operations() -> list[tuple[str, str, dict[str, Any]]]:
    """(path, METHOD, operation) for every operation of the spec."""
    found = []
    for path, item in (spec().get("paths") or {}).items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                found.append((path, method.upper(), operation))
    return found


def operation_ids() -> list[str]:
    return [f"{method} {path}" for path, method, _ in operations()]


def error_codes(operation: dict[str, Any]) -> dict[str, list[str]]:
    return {str(status): list(codes) for status, codes in (operation.get("x-error-codes") or {}).items()}


def resolve(node: dict[str, Any]) -> dict[str, Any]:
    """Follow a local `$ref` (`#/components/...`) to the object it names."""
    while "$ref" in node:
        target: Any = spec()
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def domain_codes() -> dict[str, type[domain_errors.DomainError]]:
    """Every `code` of a class in chalicelib/domain/errors.py."""
    return {
        cls.code: cls
        for _, cls in inspect.getmembers(domain_errors, inspect.isclass)
        if issubclass(cls, domain_errors.DomainError) and cls is not domain_errors.DomainError
    }


def app_routes() -> set[tuple[str, str]]:
    """The local stack's routes: app.py's and the test controls it adds (devstack/test_mode.py)."""
    from app import app
    from devstack.test_mode import register

    return {(path, method.upper()) for path, methods in register(app).routes.items() for method in methods}


# Importing app.py alone, as `chalice package` does: the routes a real stage serves.
PRODUCTION_ROUTES = """
import json
from app import app
print(json.dumps(sorted([path, method.upper()] for path, methods in app.routes.items() for method in methods)))
"""


# (d) structure


def test_spec_is_openapi_3_structurally() -> None:
    """The api.md contract's OpenAPI copy: an `openapi: 3.x` document with info, paths and responses."""
    document = spec()
    assert str(document.get("openapi", "")).startswith("3."), "openapi key missing or not 3.x"
    assert document.get("info", {}).get("title"), "info.title missing"
    assert document.get("info", {}).get("version"), "info.version missing"
    assert isinstance(document.get("paths"), dict)
    assert document["paths"], "no paths"
    assert "bearer" in document.get("components", {}).get("securitySchemes", {})
    for path, item in document["paths"].items():
        assert path.startswith("/"), path
        assert isinstance(item, dict), path
        assert set(item) & HTTP_METHODS, f"{path} has no operation"
    for path, method, operation in operations():
        responses = operation.get("responses")
        assert isinstance(responses, dict), f"{method} {path}: no responses"
        assert responses, f"{method} {path}: no responses"
        assert operation.get("summary"), f"{method} {path}: no summary"
        if "{proxy+}" not in path:  # the catch-all only ever answers 404
            assert any(str(status).startswith("2") for status in responses), f"{method} {path}: no success response"
        for status, response in responses.items():
            assert str(status).isdigit(), f"{method} {path}: status {status!r} is not a code"
            assert resolve(response).get("description"), f"{method} {path} {status}: no description"


def test_every_local_ref_resolves() -> None:
    """The api.md contract's OpenAPI copy: no `$ref` points at a component that is not there."""

    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            if "$ref" in node:
                try:
                    resolve(node)
                except (KeyError, TypeError):
                    pytest.fail(f"{where}: unresolved $ref {node['$ref']}")
            for key, value in node.items():
                walk(value, f"{where}/{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, f"{where}/{index}")

    walk(spec(), "#")


# (a) routes


def test_spec_routes_equal_app_routes() -> None:
    """The api.md contract: the app's routes and docs/openapi.yaml list the same (path, method) pairs."""
    in_spec = {(path, method) for path, method, _ in operations()}
    in_app = app_routes()
    assert in_spec - in_app == set(), "in docs/openapi.yaml but not registered in app.py"
    assert in_app - in_spec == set(), "registered in app.py but missing from docs/openapi.yaml"


def test_the_test_controls_are_the_local_stacks_only_never_a_real_stages() -> None:
    """api.md, test controls; decision 0026: the spec marks them `x-local-stack-only`; app.py
    registers none of them (the Lambda package has no `/_test/` route), the local stack all."""
    local_only = {(path, method) for path, method, operation in operations() if operation.get("x-local-stack-only")}
    assert local_only == {(path, method) for path, method, _ in operations() if path.startswith("/_test/")}
    done = subprocess.run(
        [sys.executable, "-c", PRODUCTION_ROUTES], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    production = {(path, method) for path, method in json.loads(done.stdout)}
    assert not [path for path, _ in production if path.startswith("/_test")]
    assert production == app_routes() - local_only


# (b) codes exist


@pytest.mark.parametrize(("path", "method", "operation"), operations(), ids=operation_ids())
def test_error_codes_exist(path: str, method: str, operation: dict[str, Any]) -> None:
    """The api.md contract's error codes: each one named in x-error-codes is a real domain code."""
    known = set(domain_codes()) | GENERIC_CODES
    for status, codes in error_codes(operation).items():
        assert codes, f"{method} {path} {status}: empty x-error-codes list"
        unknown = set(codes) - known
        assert not unknown, f"{method} {path} {status}: codes not in chalicelib/domain/errors.py: {unknown}"


@pytest.mark.parametrize(("path", "method", "operation"), operations(), ids=operation_ids())
def test_error_codes_match_responses(path: str, method: str, operation: dict[str, Any]) -> None:
    """The api.md contract: every error status has its codes, and every listed status is a response."""
    responses = {str(status) for status in operation["responses"]}
    # a payment provider's callback is answered in its protocol's text (503 `fail`), never coded
    text_only = {s for s in responses if set(resolve(operation["responses"][s]).get("content", {})) == {"text/plain"}}
    error_statuses = {status for status in responses if status[0] in "45"} - text_only
    listed = set(error_codes(operation))
    assert listed - responses == set(), f"{method} {path}: x-error-codes statuses without a response"
    assert error_statuses - listed == set(), f"{method} {path}: error responses without x-error-codes"
    for status in error_statuses:
        content = resolve(operation["responses"][status]).get("content", {})
        schema = content.get("application/json", {}).get("schema", {})
        assert schema.get("$ref") == "#/components/schemas/Error", f"{method} {path} {status}: body is not Error"


# (c) the STATUS table and the spec agree


def test_every_status_table_entry_appears_in_spec_under_its_status() -> None:
    """The api.md contract's statuses: each STATUS code is documented somewhere, under STATUS's status."""
    documented: dict[str, set[str]] = {}
    for _, _, operation in operations():
        for status, codes in error_codes(operation).items():
            for code in codes:
                documented.setdefault(code, set()).add(status)
    missing = {cls.code: status for cls, status in STATUS.items() if str(status) not in documented.get(cls.code, set())}
    assert not missing, f"STATUS codes not documented under their status in docs/openapi.yaml: {missing}"


@pytest.mark.parametrize(("path", "method", "operation"), operations(), ids=operation_ids())
def test_spec_statuses_follow_status_table(path: str, method: str, operation: dict[str, Any]) -> None:
    """The api.md contract's statuses: a code is never documented under a status STATUS does not give it."""
    by_code = {cls.code: str(status) for cls, status in STATUS.items()}
    for status, codes in error_codes(operation).items():
        wrong = {code: by_code[code] for code in codes if code in by_code and by_code[code] != status}
        assert not wrong, f"{method} {path}: under {status} but STATUS says {wrong}"


def test_every_domain_code_is_unique() -> None:
    """The api.md contract: one code, one meaning; two domain classes never share a code."""
    classes = [
        cls
        for _, cls in inspect.getmembers(domain_errors, inspect.isclass)
        if issubclass(cls, domain_errors.DomainError) and cls is not domain_errors.DomainError
    ]
    assert len({cls.code for cls in classes}) == len(classes)


# the api.md contract's conventions, route by route


@pytest.mark.parametrize(("path", "method", "operation"), operations(), ids=operation_ids())
def test_conventions(path: str, method: str, operation: dict[str, Any]) -> None:
    """The api.md contract's conventions: 400 for inputs, 401 when authenticated, 403 for the wrong role."""
    codes = error_codes(operation)
    security = operation.get("security", spec().get("security", []))
    authenticated = bool(security) and any(requirement for requirement in security)
    if operation.get("requestBody") or operation.get("parameters"):
        assert "INVALID_REQUEST" in codes.get("400", []), f"{method} {path}: takes input but no 400 INVALID_REQUEST"
    if authenticated:
        assert "UNAUTHENTICATED" in codes.get("401", []), f"{method} {path}: authenticated but no 401"
        if set(operation.get("tags", [])) & {"students", "staff"}:
            assert "FORBIDDEN" in codes.get("403", []), f"{method} {path}: role-bound but no 403 FORBIDDEN"


def test_login_throttle_documents_retry_after() -> None:
    """The api.md contract: POST /sessions answers 429 TOO_MANY_ATTEMPTS with Retry-After."""
    operation = spec()["paths"]["/sessions"]["post"]
    assert error_codes(operation).get("429") == ["TOO_MANY_ATTEMPTS"]
    headers = resolve(operation["responses"]["429"]).get("headers", {})
    assert "Retry-After" in headers


def test_spec_passes_openapi_validator() -> None:
    """The api.md contract's OpenAPI copy, checked by openapi-spec-validator."""
    openapi_spec_validator.validate(spec())


# (e) what the service answers, against the schema the file gives for it


def assert_answer_matches(path: str, method: str, status: int, body: Any) -> None:
    """A JSON body the app sent, checked against the file's schema for that operation and status."""
    responses = spec()["paths"][path][method.lower()]["responses"]
    assert str(status) in responses, f"{method} {path} answered {status}, not in docs/openapi.yaml"
    schema = resolve(responses[str(status)])["content"]["application/json"]["schema"]
    whole = nullable_refs({**schema, "components": spec()["components"]})
    openapi_schema_validator.OAS30Validator(whole).validate(body)


def nullable_refs(node: Any) -> Any:
    """`allOf: [$ref]` beside `nullable: true` is how the file says "this object, or null"; OpenAPI
    3.0.3 lets `nullable` widen only a `type` of its own, so the validator is told the same plainly."""
    if isinstance(node, list):
        return [nullable_refs(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: nullable_refs(value) for key, value in node.items()}
    if node.get("nullable") is True and "allOf" in node and "type" not in node:
        rest = {key: value for key, value in node.items() if key not in ("allOf", "nullable")}
        return {**rest, "anyOf": [{"allOf": node["allOf"]}, {"enum": [None]}]}
    return node


def test_answers_match_their_schemas(client: Any) -> None:
    """GET /me for each role (the province's administrator's is `province`), a staff list, and the
    400 of an empty `status` filter (api.md: an unknown field value is INVALID_REQUEST naming it)."""
    from tests.e2e.http import call, new_student, province_admin, staff

    for token in (new_student(client), staff(client, "staff@nju.edu.cn"), province_admin(client)):
        reply = call(client, "GET", "/me", token=token)
        assert_answer_matches("/me", "GET", reply.status, reply.body)
    nju = staff(client, "staff@nju.edu.cn")
    for query, status in (("", 200), ("?status=rejected", 200), ("?status=", 400), ("?status=PENDING", 400)):
        reply = call(client, "GET", f"/staff/cet6-reviews{query}", token=nju)
        assert reply.status == status, (query, reply.text)
        assert_answer_matches("/staff/cet6-reviews", "GET", reply.status, reply.body)
        if status == 400:
            assert (reply.body["code"], reply.body["field"]) == ("INVALID_REQUEST", "status"), query
    health = call(client, "GET", "/health")
    assert_answer_matches("/health", "GET", health.status, health.body)
