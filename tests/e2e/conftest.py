"""Browser tests: the real pages in headless Chromium (Debian's /usr/bin/chromium via Playwright).

Playwright never downloads a browser here. Every page a test visits is audited with axe-core
(WCAG 2.2 A/AA plus best practices), and any request to another origin fails the test.

Deterministic by design: every navigation waits for the page and for the setup of its deferred
script (app.js marks ``<html data-ready="1">`` last), assertions poll with ``expect`` instead of
sleeping, and timers that run for minutes (the children's idle timeout) run on Playwright's fake
clock (``page.clock``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import expect
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
        self.wait_ready()
        self.audit()
        return response

    def wait_ready(self) -> None:
        """Wait for the page that is loading now and, on children's pages, app.js's setup."""
        self.page.wait_for_load_state("domcontentloaded")
        if self.scripts and self.page.locator("script[src*='/js/app.js']").count():
            expect(self.page.locator("html")).to_have_attribute("data-ready", "1")

    def follow(self, target: Any) -> None:
        """Click a link or button that opens another page, and wait until that page is ready."""
        with self.page.expect_navigation():
            target.click()
        self.wait_ready()

    def audit(self) -> None:
        """axe-core on the page as it is now; zero violations allowed."""
        if not self.scripts:
            return
        self.wait_ready()
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

    def screenshot(self, name: str, *, full_page: bool = True) -> None:
        SCREENSHOTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)

    def check_clean(self) -> None:
        assert self.foreign_requests == []
        assert self.broken_assets == []
        assert self.console_errors == []  # CSP violations and script errors show up here


# A stand-in for the browser's voice (Chromium headless has none): it records what it is asked
# to say, offers the voices a test gives it, and window.__setVoices() changes them later and fires
# "voiceschanged", as a real browser does when its voices arrive after the page.
FAKE_SPEECH = """
(() => {
  const voices = %s;
  const synth = new EventTarget();
  window.__spoken = [];
  synth.speaking = false;
  synth.getVoices = () => voices.slice();
  synth.speak = (u) => {
    synth.speaking = true;
    window.__spoken.push({text: u.text, lang: u.lang, voice: u.voice ? u.voice.lang : null});
  };
  synth.cancel = () => { synth.speaking = false; };
  window.__setVoices = (list) => {
    voices.splice(0, voices.length, ...list);
    synth.dispatchEvent(new Event("voiceschanged"));
  };
  Object.defineProperty(window, "speechSynthesis", {value: synth, configurable: true});
  window.SpeechSynthesisUtterance = class {
    constructor(text) { this.text = text; this.lang = ""; this.voice = null; this.rate = 1; }
  };
})();
"""


def fake_speech(page: Any, voice_langs: list[str]) -> None:
    """Give ``page`` (from its next navigation on) a fake voice for each language tag."""
    voices = [{"lang": lang, "name": f"Fake {lang}"} for lang in voice_langs]
    page.add_init_script(FAKE_SPEECH % json.dumps(voices))


def spoken(page: Any) -> list[dict[str, Any]]:
    """What the fake voice was asked to say on this page, in order."""
    said: list[dict[str, Any]] = page.evaluate("window.__spoken")
    return said


@pytest.fixture
def visitor_factory(
    browser: Any, live_server: str, axe_source: str
) -> Iterator[Any]:
    contexts: list[Any] = []
    visitors: list[Visitor] = []

    def make(viewport: dict[str, int] = TABLET, **options: Any) -> Visitor:
        # No transitions: axe and screenshots never see a colour halfway through a change.
        options.setdefault("reduced_motion", "reduce")
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


def print_to_pdf(page: Any, name: str, hidden: tuple[str, ...]) -> tuple[bytes, list[Path]]:
    """The page as Chromium prints it: checks that ``hidden`` (the staff chrome, forms) is not
    printed, saves ``screenshots/<name>.pdf`` and its pages as PNGs (pdftoppm) to look at, and
    returns the PDF and those pictures. Print media is set for page.pdf() explicitly, because
    it follows an earlier emulate_media("screen"); no emulation is left behind."""
    page.emulate_media(media="print")
    for chrome in hidden:
        expect(page.locator(chrome).first).to_be_hidden()
    pdf: bytes = page.pdf(format="A4", print_background=True)
    page.emulate_media(media="null")
    assert pdf.startswith(b"%PDF")
    SCREENSHOTS.mkdir(exist_ok=True)
    target = SCREENSHOTS / f"{name}.pdf"
    target.write_bytes(pdf)
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        service_missing("pdftoppm (poppler-utils) is needed to look at printed pages")
    assert pdftoppm is not None
    for old in SCREENSHOTS.glob(f"{name}-page-*.png"):
        old.unlink()
    subprocess.run([pdftoppm, "-r", "50", "-png", str(target), str(SCREENSHOTS / f"{name}-page")],
                   check=True, timeout=60)
    return pdf, sorted(SCREENSHOTS.glob(f"{name}-page-*.png"))
