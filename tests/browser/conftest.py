"""A live server, Debian's Chromium and axe-core for the browser journeys."""

import os
import re
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Locator, Page, expect, sync_playwright
from werkzeug.serving import make_server

from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
AXE_SCRIPT = ROOT / "node_modules" / "axe-core" / "axe.min.js"
# Where screenshots for a reviewer go: build/screenshots (ignored by git) unless PRESS_SCREENSHOT_DIR says.
SCREENSHOTS = Path(os.environ.get("PRESS_SCREENSHOT_DIR", ROOT / "build" / "screenshots"))
SCREEN_WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture
def app_config(app_config: dict) -> dict:
    """The base test settings with CSRF protection on, because the browser is a real user."""
    return app_config | {"WTF_CSRF_ENABLED": True}


def closing_bodies(app: Flask) -> Callable:
    """Wrap the app so that every response body is read and closed before the server writes it.

    When a browser drops a connection mid-response (it often does, moving on to the next page),
    Werkzeug's development server reads the socket once more before it closes the body, so the
    read's error skips the close and a static file is left open for the garbage collector, whose
    ResourceWarning the suite rightly treats as an error.
    """

    def wrapped(environ: dict, start_response: Callable) -> list[bytes]:
        body = app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            if hasattr(body, "close"):
                body.close()

    return wrapped


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """Serve the app on a free loopback port from a background thread; yield its base URL."""
    server = make_server("127.0.0.1", 0, closing_bodies(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Debian Chromium for the whole run; fail, never skip, when it is missing."""
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail(
            "Chromium is not installed, so the browser tests cannot run. "
            "Run `make test`, which installs Debian's chromium package first.",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


class WatchedContext:
    """A browser context whose pages' console errors, CSP violations included, fail the test."""

    def __init__(self, context: BrowserContext) -> None:
        self.context = context
        self.errors: list[str] = []
        self.expected: list[re.Pattern[str]] = []
        context.on("console", self.on_console)
        context.on("weberror", lambda web_error: self.errors.append(f"uncaught: {web_error.error}"))

    def on_console(self, message: ConsoleMessage) -> None:
        """Keep every console error, with the address it was logged at."""
        if message.type != "error":
            return
        where = message.location.get("url") or (message.page.url if message.page else "")
        self.errors.append(f"{message.text} ({where})")

    def expect_error(self, pattern: str) -> None:
        """Let console errors matching this pattern pass, for a test that provokes them on purpose."""
        self.expected.append(re.compile(pattern))

    def unexpected_errors(self) -> list[str]:
        """The console errors no test said it expected."""
        return [text for text in self.errors if not any(p.search(text) for p in self.expected)]


class Browsing:
    """Opens watched contexts for a test and closes them all afterwards."""

    def __init__(self, browser: Browser, base_url: str) -> None:
        self.browser = browser
        self.base_url = base_url
        self.opened: list[WatchedContext] = []

    def new_context(self, **options: Any) -> WatchedContext:
        """Start a fresh visitor: no cookies, British locale and London time (and any other context options)."""
        context = self.browser.new_context(base_url=self.base_url, locale="en-GB", timezone_id="Europe/London",
                                           **options)
        context.set_default_timeout(5_000)
        watched = WatchedContext(context)
        self.opened.append(watched)
        return watched

    def new_page(self, **options: Any) -> Page:
        """Open a page in a fresh visitor's context."""
        return self.new_context(**options).context.new_page()

    def watch_of(self, page: Page) -> WatchedContext:
        """Find the watched context a page belongs to."""
        return next(w for w in self.opened if w.context is page.context)

    def close(self) -> list[str]:
        """Close every context and return the console errors nobody expected."""
        problems: list[str] = []
        for watched in self.opened:
            problems.extend(watched.unexpected_errors())
            watched.context.close()
        self.opened.clear()
        return problems


@pytest.fixture
def browsing(browser: Browser, live_server: str) -> Iterator[Browsing]:
    """Fresh browser contexts for one test, failing it if any page logged a console error."""
    session = Browsing(browser, live_server)
    try:
        yield session
    finally:
        problems = session.close()
    if problems:
        pytest.fail("The browser logged errors:\n" + "\n".join(problems), pytrace=False)


@pytest.fixture
def page(browsing: Browsing) -> Page:
    """A page in its own context, against the live server, for one test."""
    return browsing.new_page()


@pytest.fixture(scope="session")
def axe_source() -> str:
    """The axe-core script npm installed at the repository root."""
    if not AXE_SCRIPT.exists():
        pytest.fail(f"{AXE_SCRIPT} is missing: run `npm install` at the repository root.", pytrace=False)
    return AXE_SCRIPT.read_text(encoding="utf-8")


def describe_violations(url: str, violations: list[dict]) -> str:
    """Lay out axe violations as rule id, impact, help and the selectors of the failing nodes."""
    lines = [f"axe found violations on {url}:"]
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']} <{violation['helpUrl']}>")
        for node in violation["nodes"]:
            target = " ".join(str(part) for part in node["target"])
            lines.append(f"    {target}: {node.get('failureSummary', '').strip()}")
    return "\n".join(lines)


@pytest.fixture
def axe(axe_source: str) -> Callable[[Page], None]:
    """A check(page) that runs axe-core's WCAG 2.2 AA rules and fails on any violation, whatever its impact."""

    def check(page: Page) -> None:
        """Inject axe through the DevTools protocol, which the page's CSP does not govern, and run it."""
        # After a click that submits a form, the new page's text can be showing before its stylesheet has
        # loaded (on a busy machine); axe would then judge the unstyled page. Wait for the whole page.
        page.wait_for_load_state("load")
        if not page.evaluate("() => typeof window.axe === 'object'"):
            # A <script> tag would be refused by script-src 'self'; evaluation over CDP is not.
            page.evaluate(axe_source)
            assert page.evaluate("() => typeof window.axe === 'object'"), f"axe-core did not load into {page.url}"
        results = page.evaluate(
            "async (tags) => await window.axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
            AXE_TAGS,
        )
        violations = results["violations"]
        assert not violations, describe_violations(page.url, violations)

    return check


@pytest.fixture
def screenshots() -> Callable[[Page, str], list[Path]]:
    """A shoot(page, name) that saves the whole page at a desktop and a phone width, for a reviewer to look at.

    The page is resized for each shot and put back as it was; the files are build/screenshots/<name>-<width>.png.
    """

    def shoot(page: Page, name: str) -> list[Path]:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        before = page.viewport_size
        saved = []
        try:
            for width, height in SCREEN_WIDTHS.values():
                page.set_viewport_size({"width": width, "height": height})
                path = SCREENSHOTS / f"{name}-{width}.png"
                page.screenshot(path=str(path), full_page=True)
                saved.append(path)
        finally:
            if before is not None:
                page.set_viewport_size(before)
        return saved

    return shoot


def sign_in(page: Page, email: str, password: str = PASSWORD) -> None:
    """Sign in through the login page, typing into the labelled fields as a person would."""
    page.goto("/staff/login")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/staff/releases/$"))


def fill_date(page: Page, legend: str, day: str) -> None:
    """Type a date (given as 2024-09-04) into the Day, Month and Year boxes of the group with this legend."""
    year, month, date_of_month = day.split("-")
    group = page.get_by_role("group", name=legend, exact=True)
    group.get_by_label("Day").fill(str(int(date_of_month)))
    group.get_by_label("Month").fill(str(int(month)))
    group.get_by_label("Year").fill(year)


def summary_value(page: Page, term: str) -> Locator:
    """One row's value in a page's summary list, found by its term."""
    row = page.locator(".summary-list div", has=page.locator("dt", has_text=re.compile(f"^{re.escape(term)}$")))
    return row.locator("dd")
