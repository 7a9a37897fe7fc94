"""Dates as a UK user types them, in Day, Month and Year boxes, whatever the browser's language."""

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import sign_in
from tests.conftest import FrozenClock

pytestmark = pytest.mark.browser

EDITOR_EMAIL = "edna.editor@council.example"


def type_date(page: Page, legend: str, day: str, month: str, year: str) -> None:
    group = page.get_by_role("group", name=legend, exact=True)
    group.get_by_label("Day").fill(day)
    group.get_by_label("Month").fill(month)
    group.get_by_label("Year").fill(year)


def new_release(page: Page) -> None:
    page.goto("/staff/releases/new")
    page.get_by_label("Headline").fill("Gritting starts tonight")
    page.get_by_label("Body", exact=True).fill("Gritters go out on the main routes from 6pm.")


@pytest.mark.parametrize("locale", ["en-US", "de-DE"])
def test_dates_are_typed_day_first_in_boxes_whatever_the_browser_language(
    browser: Browser, live_server: str, make_user: Callable[..., int], frozen_clock: FrozenClock,
    axe: Callable[[Page], None], screenshots: Callable[[Page, str], list[Path]], locale: str,
) -> None:
    make_user("manager", email=EDITOR_EMAIL, name="Edna Editor")
    context = browser.new_context(base_url=live_server, locale=locale)
    try:
        page = context.new_page()
        sign_in(page, EDITOR_EMAIL)
        new_release(page)
        # Day first, as a UK reader writes it, in any browser: 31 4 2025 is refused as the 31st of April.
        type_date(page, "Embargo date", "31", "4", "2025")
        page.get_by_label("Embargo time (UK time)").fill("09:30")
        page.get_by_role("button", name="Save draft").click()

        summary = page.get_by_role("alert")
        expect(summary).to_be_focused()
        link = summary.get_by_role("link", name="Embargo date must be a real date: April 2025 has 30 days.")
        expect(link).to_be_visible()
        group = page.get_by_role("group", name="Embargo date", exact=True)
        expect(group).to_contain_text("Embargo date must be a real date: April 2025 has 30 days.")
        expect(group.get_by_label("Day")).to_have_value("31")
        expect(group.get_by_label("Day")).to_have_attribute("aria-invalid", "true")
        expect(group.get_by_label("Month")).to_have_value("4")
        expect(group.get_by_label("Month")).not_to_have_attribute("aria-invalid", "true")
        expect(page.get_by_label("Headline")).to_have_value("Gritting starts tonight")
        axe(page)
        if locale == "en-US":
            screenshots(page, "date-fields-error")
        link.click()
        expect(group.get_by_label("Day")).to_be_focused()

        # A month by name, and a time the clocks skip: 01:30 does not happen on 30 March 2025.
        type_date(page, "Embargo date", "30", "March", "2025")
        page.get_by_label("Embargo time (UK time)").fill("1:30")
        page.get_by_role("button", name="Save draft").click()
        expect(page.get_by_role("alert")).to_contain_text("01:30 does not exist on Sunday 30 March 2025")
        axe(page)

        # The hour the clocks go back happens twice: the form asks which is meant.
        type_date(page, "Embargo date", "26", "10", "2025")
        page.get_by_role("button", name="Save draft").click()
        page.get_by_label("GMT, the second time").check()
        page.get_by_role("button", name="Save draft").click()
        expect(page.get_by_role("status")).to_contain_text("saved")
        expect(page.get_by_role("main")).to_contain_text("01:30 GMT, Sunday 26 October 2025")
    finally:
        context.close()
