"""The student page in a real browser: Debian's Chromium driven by Playwright, on `make run`'s stack.

No browser is downloaded: the Makefile installs the system `chromium`, and a missing one fails here.
Each test gets a `Browsing`: it saves a screenshot per step under test-artifacts/browser/, takes the
captcha answers the test-mode API hands out, runs axe-core on every screen it photographs, and at
the end holds the page to its promises: no script error, no console error but the browser's own
line for each refusal the test expected, no request leaving the page's origin, and no axe-core
violation.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright, Request, Response, sync_playwright

from tests.stack import ROOT, start_stack, stop

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
REFUSAL_LINE = "Failed to load resource: the server responded with a status of "
AXE = Axe()  # axe-core, carried by the package: injected into each screen the test photographs
# Its default rules, and one of its experimental ones: a control's accessible name must hold the words
# it shows (a voice-control user says what they see, and a screen reader says what is shown).
AXE_OPTIONS = {"resultTypes": ["violations"], "rules": {"label-content-name-mismatch": {"enabled": True}}}


@pytest.fixture(scope="session")
def site() -> Iterator[str]:
    """`make run` in test mode on moto: the demo province, the page at /, the API at /api."""
    stack = start_stack({"AWS_ENDPOINT_URL_DYNAMODB": "", "DEVSTACK_JOB_SECONDS": "3600"})
    yield stack.base
    output = stop(stack)
    assert "Traceback" not in output, output


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).is_file() and not shutil.which(CHROMIUM):
        pytest.fail(f"no Chromium at {CHROMIUM}: `make test` installs Debian's chromium package", pytrace=False)
    # Playwright gives each launch a new empty profile of its own
    launched = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
    yield launched
    launched.close()


class Browsing:
    """One student's browser tab, watched."""

    def __init__(self, page: Page, base: str, shots: Path) -> None:
        self.page = page
        self.base = base
        self.origin = "{0.scheme}://{0.netloc}".format(urlsplit(base))
        self.shots = shots
        self.count = 0
        self.captcha_answers: list[str] = []
        self.refused: list[str] = []
        self.console_errors: list[str] = []
        self.script_errors: list[str] = []
        self.off_origin: list[str] = []
        self.failed_loads: list[str] = []
        self.inaccessible: list[str] = []
        self.checked = False
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.script_errors.append(str(error)))
        page.on("request", self._request)
        page.on("response", self._response)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.console_errors.append(message.text)

    def _request(self, request: Request) -> None:
        if request.url.startswith(("http:", "https:", "ws:", "wss:")) and not request.url.startswith(self.origin + "/"):
            self.off_origin.append(request.url)

    def _response(self, response: Response) -> None:
        path = urlsplit(response.url).path
        if not path.startswith("/api/"):
            if response.status >= 400:
                self.failed_loads.append(f"{response.status} {response.url}")
            return
        if path == "/api/captchas" and response.status == 201:
            self.captcha_answers.append(json.loads(response.body())["answer"])
        elif response.status >= 400:
            try:
                self.refused.append(json.loads(response.body())["code"])
            except (ValueError, KeyError):
                self.refused.append(f"HTTP {response.status}")

    def shot(self, name: str) -> None:
        self.count += 1
        self.shots.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=self.shots / f"{self.count:02d}-{name}.png", full_page=True)
        self.audit(name)

    def audit(self, name: str) -> None:
        """axe-core on the screen as it stands: every violation, with where it is, for `check`."""
        for violation in AXE.run(self.page, options=AXE_OPTIONS).response["violations"]:
            where = [node["target"] for node in violation["nodes"]][:3]
            self.inaccessible.append(f"{self.count:02d}-{name}: {violation['id']} ({violation['impact']}) {where}")

    def captcha(self) -> str:
        """The answer to the captcha on screen: the last one the page asked for."""
        image = self.page.locator("img.captcha-image")
        image.wait_for()
        self.page.wait_for_function("document.querySelector('img.captcha-image')?.src.startsWith('data:image/png')")
        return self.captcha_answers[-1]

    def check(self, expected_refusals: list[str]) -> None:
        self.checked = True
        assert self.script_errors == [], self.script_errors
        assert self.off_origin == [], f"requests left the page's origin: {self.off_origin}"
        assert self.failed_loads == [], f"the page or its files failed to load: {self.failed_loads}"
        assert self.refused == expected_refusals, f"refused: {self.refused}, expected {expected_refusals}"
        assert self.inaccessible == [], f"axe-core found: {self.inaccessible}"
        refusal_lines = [line for line in self.console_errors if line.startswith(REFUSAL_LINE)]
        others = [line for line in self.console_errors if not line.startswith(REFUSAL_LINE)]
        assert others == [], f"console errors: {others}"
        assert len(refusal_lines) == len(expected_refusals), self.console_errors


@pytest.fixture
def open_page(browser: Browser, site: str, request: pytest.FixtureRequest) -> Iterator[Any]:
    """open_page(width, height, **context options) -> Browsing; checked and closed after the test."""
    opened: list[tuple[Any, Browsing]] = []
    failed_before = request.session.testsfailed

    def opener(width: int = 1280, height: int = 900, **options: Any) -> Browsing:
        context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN", **options)
        context.set_default_timeout(15_000)
        page = context.new_page()
        shots = ARTIFACTS / request.node.name / f"{width}px-{len(opened) + 1}"
        shutil.rmtree(shots, ignore_errors=True)
        browsing = Browsing(page, site, shots)
        opened.append((context, browsing))
        page.goto(site + "/")
        return browsing

    yield opener
    for context, browsing in opened:
        if request.session.testsfailed != failed_before:
            browsing.shot("failed")  # where the page stood when the test gave up
        context.close()
    if request.session.testsfailed == failed_before:  # a failed test has said enough already
        assert all(b.checked for _, b in opened), "every page must end with browsing.check([...])"
