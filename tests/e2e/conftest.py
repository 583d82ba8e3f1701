"""Browser tests: the real pages in headless Chromium (Debian's /usr/bin/chromium via Playwright).

Playwright never downloads a browser here. Every page a test visits is audited with axe-core
(WCAG 2.2 A/AA plus best practices), and any request to another origin fails the test.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests.conftest import service_missing

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).parent / "screenshots"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
TABLET = {"width": 768, "height": 1024}
PHONE = {"width": 375, "height": 667}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def axe_source() -> str:
    import axe_playwright_python

    return (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def live_server(app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        service_missing(f"Chromium not found at {CHROMIUM} (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
            ],
        )
        yield browser
        browser.close()


class Visitor:
    """A person at a browser: visits pages, and every page is checked for accessibility."""

    def __init__(self, page: Any, base_url: str, axe_source: str, *, scripts: bool = True) -> None:
        self.page = page
        # With JavaScript off, axe cannot run in the page; the same pages are audited with it on.
        self.scripts = scripts
        self.base_url = base_url
        self.axe_source = axe_source
        self.console_errors: list[str] = []
        self.foreign_requests: list[str] = []
        self.broken_assets: list[str] = []
        page.on("console", self._on_console)
        page.on("response", self._on_response)
        page.route("**/*", self._route)

    def _on_console(self, message: Any) -> None:
        # A page that is meant to be a 404 logs "Failed to load resource"; assets are checked below.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.console_errors.append(message.text)

    def _on_response(self, response: Any) -> None:
        if response.status >= 400 and response.request.resource_type != "document":
            self.broken_assets.append(f"{response.status} {response.url}")

    def _route(self, route: Any) -> None:
        if route.request.url.startswith(self.base_url):
            route.continue_()
        else:
            self.foreign_requests.append(route.request.url)
            route.abort()

    def visit(self, path: str) -> Any:
        response = self.page.goto(self.base_url + path)
        self.audit()
        return response

    def audit(self) -> None:
        """axe-core on the page as it is now; zero violations allowed."""
        if not self.scripts:
            return
        self.page.evaluate(self.axe_source)
        result = self.page.evaluate(
            "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
        )
        problems = [
            f"{v['id']} ({v['impact']}): {v['help']} -> "
            + "; ".join(n["target"][0] if isinstance(n["target"][0], str) else str(n["target"])
                        for n in v["nodes"][:5])
            for v in result["violations"]
        ]
        assert problems == [], f"axe on {self.page.url}:\n" + "\n".join(problems)

    def screenshot(self, name: str) -> None:
        SCREENSHOTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    def check_clean(self) -> None:
        assert self.foreign_requests == []
        assert self.broken_assets == []
        assert self.console_errors == []  # CSP violations and script errors show up here


@pytest.fixture
def visitor_factory(
    browser: Any, live_server: str, axe_source: str
) -> Iterator[Any]:
    contexts: list[Any] = []
    visitors: list[Visitor] = []

    def make(viewport: dict[str, int] = TABLET, **options: Any) -> Visitor:
        context = browser.new_context(viewport=viewport, **options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        visitor = Visitor(
            context.new_page(), live_server, axe_source,
            scripts=options.get("java_script_enabled", True),
        )
        visitors.append(visitor)
        return visitor

    yield make
    for visitor in visitors:
        visitor.check_clean()
    for context in contexts:
        context.close()


@pytest.fixture
def child(visitor_factory: Any, demo_plan: object) -> Visitor:
    """A child on a tablet, with the demo plan loaded."""
    visitor: Visitor = visitor_factory()
    return visitor
