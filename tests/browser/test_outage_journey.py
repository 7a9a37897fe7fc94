"""With the database unreachable, the pages a journalist meets still pass axe, and the enquiry form keeps their text."""

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import fill_date
from tests.conftest import FrozenClock

pytestmark = pytest.mark.browser


@pytest.fixture
def app_config(app_config: dict, tmp_path: Path) -> dict:
    """A SQLite file in a folder that does not exist: every query fails, as with the database down."""
    return app_config | {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'gone' / 'press.db'}",
                         "PRESS_OFFICE_EMAIL": "press.office@northshire.example",
                         "PRESS_OFFICE_PHONE": "01632 960000"}


def test_journalist_keeps_their_enquiry_through_an_outage(
        page: Page, axe: Callable[[Page], None], browsing, frozen_clock: FrozenClock) -> None:
    browsing.watch_of(page).expect_error(r"status of 503")
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sorry, the service is unavailable")
    expect(page.get_by_role("link", name="press.office@northshire.example")).to_be_visible()
    axe(page)

    page.goto("/enquiries/new?release=NCC 2024/25-07")
    expect(page.get_by_role("alert")).to_contain_text("You cannot send an enquiry online just now")
    axe(page)
    page.get_by_label("Your name").fill("Hannah Okafor")
    page.get_by_label("Media outlet").fill("BBC Radio Northshire")
    page.get_by_label("Email address").fill("hannah.okafor@radio.example")
    page.get_by_label("Request for comment or statement").check()
    page.get_by_label("Subject").fill("Bridge closure")
    page.get_by_label("Your enquiry").fill("When does the bridge reopen? Zoë ✨")
    fill_date(page, "Deadline date", "2024-09-03")
    page.get_by_label("Deadline time (UK time)").fill("16:30")
    page.get_by_role("button", name="Send the enquiry").click()

    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("We could not take your enquiry just now")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link", name="01632 960000")).to_have_attribute("href", "tel:01632960000")
    axe(page)
    expect(page.get_by_label("Your enquiry", exact=True)).to_have_value("When does the bridge reopen? Zoë ✨")
    expect(page.get_by_label("Deadline time (UK time)")).to_have_value("16:30")
    expect(page.get_by_label("Press release it is about (optional)")).to_have_value("NCC 2024/25-07")
