"""The demo in a real browser: the manager finds the media lists, and a journalist asks for releases."""

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from flask.testing import FlaskCliRunner
from playwright.sync_api import Page, expect

from press.demo import DEMO_EMAIL, DEMO_PASSWORD
from tests.browser.conftest import Browsing, sign_in

pytestmark = pytest.mark.browser

DEMO_LISTS = ["Broadcast", "Local press", "National", "Trade"]


def test_the_demo_has_lists_to_send_to_and_a_newsroom_that_takes_signups(
    browsing: Browsing, page: Page, runner: FlaskCliRunner, axe: Callable[[Page], None],
    screenshots: Callable[[Page, str], list[Path]],
) -> None:
    result = runner.invoke(args=["press", "demo"])
    assert result.exit_code == 0, result.output

    sign_in(page, DEMO_EMAIL, DEMO_PASSWORD)
    staff_nav = page.get_by_role("navigation", name="Staff")
    staff_nav.get_by_role("link", name="Contacts", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Contacts")
    expect(page.get_by_role("main")).to_contain_text("Radio Northshire")
    axe(page)
    screenshots(page, "demo-contacts")
    staff_nav.get_by_role("link", name="Lists", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Lists")
    rows = page.get_by_role("table").get_by_role("row")
    for name in DEMO_LISTS:
        row = rows.filter(has=page.get_by_role("link", name=name, exact=True))
        expect(row).to_have_count(1)
        expect(row.get_by_role("cell").nth(2)).to_have_text(re.compile(r"^[1-9]\d*$"))
    expect(rows.filter(has_text="Local press")).to_contain_text("Receives signups")
    axe(page)
    screenshots(page, "demo-lists")

    journalist = browsing.new_page()
    journalist.goto("/")
    expect(journalist.get_by_role("link", name="Atom feed of press releases (for feed readers)")).to_be_visible()
    journalist.get_by_role("main").get_by_role("link", name="get our press releases by email").click()
    expect(journalist.get_by_role("heading", level=1)).to_have_text("Get our press releases by email")
    axe(journalist)
    journalist.get_by_label("Your name").fill("Nia Journalist")
    journalist.get_by_label("Email address").fill("nia@newsdesk.example")
    journalist.get_by_label("Media outlet (optional)").fill("Newsdesk Weekly")
    journalist.get_by_label(re.compile("I would like to receive press releases")).check()
    journalist.get_by_role("button", name="Send me a confirmation email").click()
    expect(journalist.get_by_role("heading", level=1)).to_have_text("Check your email")
    expect(journalist.get_by_role("main")).to_contain_text("nia@newsdesk.example")
    axe(journalist)
    screenshots(journalist, "demo-signup-sent")

    journalist.goto("/")
    axe(journalist)
    screenshots(journalist, "demo-newsroom")
