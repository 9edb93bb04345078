"""Reading requests: JSON bodies, typed fields, the bearer token and the client address."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from chalice.app import Blueprint, Request, Response

from chalicelib.domain.errors import InvalidRequest, NotAcceptable, NotFound
from chalicelib.protection.edge import EDGE_HEADER, through_edge, viewer_address

MAX_TEXT = 256
# Bodies are parsed here, whatever the client claims, so a wrong Content-Type gets the contract's
# 400 INVALID_REQUEST instead of the framework's own 415 in another shape.
BODY_TYPES = ["*/*"]


def current_request(blueprint: Blueprint) -> Request:
    """The request being served (a view runs only while there is one)."""
    request = blueprint.current_request
    assert request is not None
    return request


def json_body(request: Request) -> dict[str, Any]:
    raw = request.raw_body or b""
    try:
        decoded = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        body = json.loads(decoded) if decoded.strip() else {}
    except (UnicodeDecodeError, ValueError):
        raise InvalidRequest("body", "不是有效的 JSON") from None
    except RecursionError:  # nested deeper than the parser goes: refused, not a 500
        raise InvalidRequest("body", "嵌套层次过深") from None
    if not isinstance(body, dict):
        raise InvalidRequest("body", "应为 JSON 对象")
    return body


def text(body: dict[str, Any], name: str, max_length: int = MAX_TEXT) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        raise InvalidRequest(name)
    if len(value) > max_length:
        raise InvalidRequest(name, "过长")
    return value


def new_password(body: dict[str, Any], name: str = "password", max_length: int = 128) -> str:
    """A password being set: blanks are characters here, so eight spaces get the policy's
    WEAK_PASSWORD saying why (R-ACC-5), not "missing"."""
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise InvalidRequest(name)
    if len(value) > max_length:
        raise InvalidRequest(name, "过长")
    return value


def optional_text(body: dict[str, Any], name: str, max_length: int = MAX_TEXT) -> str | None:
    return None if body.get(name) is None else text(body, name, max_length)


def flag(body: dict[str, Any], name: str) -> bool:
    value = body.get(name)
    if not isinstance(value, bool):
        raise InvalidRequest(name, "应为 true 或 false")
    return value


def confirmed(body: dict[str, Any], name: str = "confirm") -> None:
    if body.get(name) is not True:
        raise InvalidRequest(name, "须勾选确认")


_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def path_id(value: str, what: str) -> str:
    """An id from the path; one that cannot exist is not looked up (DynamoDB refuses keys over
    2 KB with a ValidationException: that would be a 500, not the 404 it deserves)."""
    if not _ID.fullmatch(value):
        raise NotFound(f"没有这个{what}。")
    return value


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization") or ""
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def client_address(request: Request) -> str:
    """Who the per-client throttles count (R-ACC-2, R-ACC-6): the viewer CloudFront names for a
    request that came through the province's distribution, else the address the request came from."""
    identity = (request.context or {}).get("identity") or {}
    source = str(identity.get("sourceIp") or "unknown")
    headers: Any = request.headers or {}  # a case-insensitive mapping
    if through_edge(headers.get(EDGE_HEADER)):
        return viewer_address(headers.get("x-forwarded-for"), source) or source
    return source


def query_param(request: Request, name: str) -> str | None:  # query_params may be a MultiDict
    params: Any = request.query_params or {}
    value = params.get(name)
    return value if isinstance(value, str) else None


PDF = "application/pdf"


def require_pdf_accepted(request: Request) -> None:
    """Chalice sends a binary body only when Accept names its type or */*; refused in our words."""
    offered = {part.split(";")[0].strip().lower() for part in (request.headers.get("accept") or "").split(",")}
    if not offered & {PDF, "application/*", "*/*"}:
        raise NotAcceptable()  # a binary answer travels only to a client that asked for one


def pdf_response(body: bytes, filename: str, request: Request | None = None) -> Response:
    """A PDF to download, never kept by a cache (it names a person). Its ETag is the SHA-256 of the
    file; a request whose If-None-Match names it gets 304 and no body (the file is the same)."""
    etag = f'"{hashlib.sha256(body).hexdigest()}"'
    headers: dict[str, str | list[str]] = {"ETag": etag, "Cache-Control": "no-store"}
    if request is not None and _entity_tags(request.headers.get("if-none-match")) & {etag, "*"}:
        return Response(body="", status_code=304, headers=headers)
    headers.update({"Content-Type": PDF, "Content-Disposition": f'attachment; filename="{filename}"'})
    return Response(body=body, status_code=200, headers=headers)


def _entity_tags(header: str | None) -> set[str]:
    """If-None-Match's tags, weak ones as strong (RFC 9110: a GET compares them weakly)."""
    return {tag.strip().removeprefix("W/") for tag in (header or "").split(",") if tag.strip()}
