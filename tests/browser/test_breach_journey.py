"""A manager records an embargo breach from the release's page, is told what is missing next to the field,
suspends the journalist, and sees the send leave them out; every page passes axe."""

import re
from collections.abc import Callable

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from press.contacts import services as contacts
from press.extensions import db
from tests.browser.conftest import Browsing, fill_date, sign_in
from tests.test_distribution_pages import EMBARGO

pytestmark = pytest.mark.browser

EMAIL = "mo.manager@council.example"


def test_a_manager_records_a_breach_and_the_next_embargoed_send_leaves_the_journalist_out(
        app: Flask, page: Page, browsing: Browsing, make_user: Callable[..., int], make_release, frozen_clock, axe,
        screenshots):
    make_user("manager", email=EMAIL, name="Mo Manager")
    release_id = make_release(final=True, headline="Library plans", embargo_at=EMBARGO)
    with app.app_context():
        local = contacts.lists_named(db.session, ["Local press"], create=True)
        for email, name in [("ann@gazette.example", "Ann Lee"), ("bob@radio.example", "Bob Roe")]:
            contacts.create_contact(db.session, by=None, email=email, name=name, outlet="Northshire Gazette",
                                    lists=local)
        db.session.commit()
    browsing.watch_of(page).expect_error(r"status of 422 .*/staff/breaches/new")
    sign_in(page, EMAIL)
    page.goto(f"/staff/releases/{release_id}")
    page.get_by_role("link", name="Record an embargo breach").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Record an embargo breach")
    axe(page)
    page.get_by_label("Notes (optional)").fill("On their website at 18:25.")
    page.get_by_role("radio", name=re.compile("^Suspend the journalist")).check()
    page.get_by_role("button", name="Record the breach").click()
    expect(page.get_by_role("alert")).to_contain_text("Give the journalist or the outlet that broke the embargo.")
    expect(page.get_by_label("Notes (optional)")).to_have_value("On their website at 18:25.")
    axe(page)
    screenshots(page, "breach-error")

    page.get_by_label("Journalist's email address (optional)").fill("ann@gazette.example")
    fill_date(page, "Date it was seen", "2024-09-02")
    page.get_by_label("Time it was seen (UK time)").fill("18:30")
    fill_date(page, "Suspended until", "2024-10-01")
    page.get_by_role("button", name="Record the breach").click()
    expect(page.get_by_text("The breach is recorded.")).to_be_visible()
    expect(page.locator("main")).to_contain_text("The journalist is suspended from embargoed releases until")
    axe(page)
    page.get_by_role("link", name="The breach register").click()
    expect(page.get_by_role("row", name=re.compile("Ann Lee"))).to_be_visible()
    axe(page)

    page.goto(f"/staff/releases/{release_id}/send")
    page.get_by_role("checkbox", name=re.compile("Local press")).check()
    page.get_by_role("button", name="Continue to check and send").click()
    expect(page.locator("#recipient-count")).to_contain_text("1")
    expect(page.locator("main")).to_contain_text("1 suspended for an embargo breach")
    axe(page)
    screenshots(page, "breach-send-summary")
