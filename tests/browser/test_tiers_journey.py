"""A manager sends an embargoed release in two tiers from its page: checks who each tier reaches, then sends."""

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from press.contacts import services as contacts
from press.extensions import db
from tests.browser.conftest import Browsing, sign_in
from tests.test_distribution_pages import NOW

pytestmark = pytest.mark.browser

EMAIL = "mo.manager@council.example"


def test_a_manager_sends_in_tiers(app: Flask, page: Page, browsing: Browsing, make_user: Callable[..., int],
                                  make_release, frozen_clock, axe, screenshots):
    make_user("manager", email=EMAIL, name="Mo Manager")
    release_id = make_release(final=True, headline="Library plans", embargo_at=NOW + timedelta(days=3))
    with app.app_context():
        for email, lists in [("nina@courier.example", ["National"]), ("lara@gazette.example", ["Local press"])]:
            contacts.create_contact(db.session, by=None, email=email, name=email.split("@")[0].title(),
                                    lists=contacts.lists_named(db.session, lists, create=True))
        db.session.commit()
    browsing.watch_of(page).expect_error(r"status of 422 .*/send-in-tiers")
    sign_in(page, EMAIL)
    page.goto(f"/staff/releases/{release_id}")
    page.get_by_role("link", name="Send in tiers").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("in tiers")
    axe(page)
    page.get_by_role("button", name="Check the tiers").click()
    expect(page.get_by_role("alert")).to_contain_text("Choose the lists for at least one tier.")
    axe(page)
    tier1 = page.get_by_role("group", name="Tier 1", exact=True)
    tier1.get_by_role("checkbox", name="National").check()
    tier2 = page.get_by_role("group", name="Tier 2", exact=True)
    tier2.get_by_role("checkbox", name="Local press").check()
    page.get_by_role("button", name="Check the tiers").click()
    plan = page.get_by_role("status").filter(has_text="The tiers, in the order they go")
    expect(plan.get_by_role("listitem")).to_have_count(2)
    expect(plan).to_contain_text(re.compile(r"48 hours before the lift;\s+National: 1 journalist"))
    axe(page)
    screenshots(page, "tiers-plan")
    page.get_by_role("button", name="Send in these tiers").click()
    expect(page.get_by_text("Sent in 2 tiers: 2 journalists, each once.")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Tier 1 of 2: Trusted national desks and broadcasters")
    axe(page)
