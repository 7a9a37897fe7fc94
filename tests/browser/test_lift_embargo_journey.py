"""A manager lifts an embargo early from the release's page, confirms, and the newsroom shows the release; the
bounces page is reached from the contacts page."""

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import sign_in
from tests.test_distribution_pages import EMBARGO

pytestmark = pytest.mark.browser

EMAIL = "mo.manager@council.example"


def test_a_manager_lifts_an_embargo_and_the_release_is_public(
        page: Page, make_user: Callable[..., int], make_release, frozen_clock, axe, screenshots):
    make_user("manager", email=EMAIL, name="Mo Manager")
    release_id = make_release(final=True, headline="Library plans", embargo_at=EMBARGO)
    sign_in(page, EMAIL)
    page.goto("/")
    expect(page.get_by_role("link", name="Library plans")).to_have_count(0)
    page.goto(f"/staff/releases/{release_id}")
    page.get_by_role("link", name="Lift the embargo now").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Lift the embargo on")
    expect(page.locator("main")).to_contain_text("Nobody has received it yet, so nobody needs telling.")
    axe(page)
    screenshots(page, "lift-embargo")
    page.get_by_role("button", name="Lift the embargo now").click()
    expect(page.get_by_text("The embargo is lifted: the release is public now")).to_be_visible()
    axe(page)
    page.goto("/")
    expect(page.get_by_role("link", name="Library plans")).to_be_visible()


def test_the_bounces_page_is_reached_from_contacts_and_passes_axe(page: Page, make_user: Callable[..., int], axe):
    make_user("manager", email=EMAIL, name="Mo Manager")
    sign_in(page, EMAIL)
    page.get_by_role("navigation", name="Staff").get_by_role("link", name="Contacts").click()
    page.get_by_role("link", name="Bounces").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Bounces")
    expect(page.get_by_text("Nothing has come back yet.")).to_be_visible()
    axe(page)
