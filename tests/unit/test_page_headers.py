"""The page's security headers as the local stack serves it (api.md, "Changed shapes"): a
Content-Security-Policy with default-src 'self' and frame-ancestors 'none', and nosniff."""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from devstack.serve import Handler, Server


@pytest.fixture
def page_server() -> Iterator[str]:
    server = Server(("127.0.0.1", 0), Handler)  # static files only: no API, no table
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def headers_of(url: str) -> dict[str, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return {name.lower(): value for name, value in answer.headers.items()}
    except urllib.error.HTTPError as refused:
        return {name.lower(): value for name, value in refused.headers.items()}


def directives(policy: str) -> dict[str, list[str]]:
    parts = (part.split() for part in policy.split(";") if part.strip())
    return {words[0]: words[1:] for words in parts}


@pytest.mark.parametrize("path", ["/", "/index.html", "/js/main.js", "/style.css", "/config.json", "/nothing-here"])
def test_the_page_carries_its_content_security_policy_and_nosniff(page_server: str, path: str) -> None:
    headers = headers_of(page_server + path)
    assert headers.get("x-content-type-options") == "nosniff", headers
    policy = directives(headers.get("content-security-policy", ""))
    assert policy.get("default-src") == ["'self'"], policy
    assert policy.get("frame-ancestors") == ["'none'"], policy
    assert policy.get("img-src") == ["'self'", "data:"], policy  # the captcha is a PNG data: URL
    assert "'unsafe-inline'" not in str(policy), policy
    assert "'unsafe-eval'" not in str(policy), policy
