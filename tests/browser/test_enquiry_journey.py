"""A journalist's interview request from a release page, and the named manager working it in the log."""

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from press.extensions import db
from press.releases.models import Release
from tests.browser.conftest import fill_date, sign_in, summary_value
from tests.conftest import FrozenClock

pytestmark = pytest.mark.browser

HEADLINE = "Northshire libraries to open on Sundays"
MANAGER_EMAIL = "mo.manager@council.example"
MANAGER_NAME = "Mo Manager"


@pytest.fixture
def release_slug(app: Flask, make_user: Callable[..., int], make_release: Callable[..., int],
                 frozen_clock: FrozenClock) -> str:
    """A public release naming Mo Manager for media enquiries, and a duty officer for the rest."""
    manager_id = make_user("manager", email=MANAGER_EMAIL, name=MANAGER_NAME)
    make_user("staff", email="duty@council.example", name="Dee Duty")
    release_id = make_release(headline=HEADLINE, contact_id=manager_id, final=True)
    with app.app_context():
        return db.session.get(Release, release_id).slug


def send_interview_request(page: Page, release_slug: str, axe: Callable[[Page], None], browsing) -> str:
    """Go from the release to the form, make a mistake, put it right, send; return the reference."""
    # The form with mistakes comes back as 422, which the browser reports.
    browsing.watch_of(page).expect_error(r"status of 422 .*/enquiries/new")
    page.goto(f"/releases/{release_slug}")
    page.get_by_role("link", name="Make a media enquiry about this release").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Make a media enquiry")
    expect(page.get_by_label("Press release it is about (optional)")).to_have_value(re.compile(r"^NCC "))
    axe(page)

    page.get_by_label("Your name").fill("Hannah Okafor")
    page.get_by_label("Media outlet").fill("BBC Radio Northshire")
    page.get_by_label("Email address").fill("hannah.okafor@radio.example")
    page.get_by_label("Interview request").check()
    page.get_by_label("Subject").fill("Sunday opening: breakfast interview")
    page.get_by_label("Your enquiry").fill("Could someone talk to us live about Sunday opening? Zoë ✨")
    fill_date(page, "Deadline date", "2024-09-03")
    page.get_by_label("Deadline time (UK time)").fill("08:00")  # already past: 11:00 BST now
    page.get_by_role("button", name="Send the enquiry").click()

    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Your deadline must be in the future")
    expect(summary).to_contain_text("Say who you would like to interview")
    expect(summary).to_be_focused()
    axe(page)
    # Everything typed is still there; the summary's link takes the keyboard to the field.
    expect(page.get_by_label("Your enquiry")).to_have_value(re.compile("Sunday opening"))
    summary.get_by_role("link", name=re.compile("Say who you would like to interview")).click()
    expect(page.get_by_label("Who you would like to interview")).to_be_focused()
    page.keyboard.type("The cabinet member for libraries")
    page.get_by_label("Radio", exact=True).check()
    page.get_by_label("Live", exact=True).check()
    page.get_by_label("Deadline time (UK time)").fill("16:30")
    page.get_by_role("button", name="Send the enquiry").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Enquiry sent")
    axe(page)
    reference = page.locator(".reference").inner_text()
    assert re.fullmatch(r"ENQ-2024-\d{4}", reference)
    return reference


def test_journalist_sends_an_interview_request_from_a_release(page: Page, release_slug: str, axe, browsing) -> None:
    assert send_interview_request(page, release_slug, axe, browsing) == "ENQ-2024-0001"


def test_the_named_manager_works_it_from_the_top_of_the_log(
        page: Page, release_slug: str, axe, browsing, make_enquiry, frozen_clock: FrozenClock) -> None:
    # Another enquiry, due later, so "at the top" means something.
    make_enquiry(subject="Parking charges", deadline_at=frozen_clock() + timedelta(days=1))
    reference = send_interview_request(page, release_slug, axe, browsing)

    staff = browsing.new_page()
    sign_in(staff, MANAGER_EMAIL)
    staff.get_by_role("navigation", name="Staff").get_by_role("link", name="Enquiries").click()
    expect(staff.get_by_role("heading", level=1)).to_have_text("Enquiries")
    first_row = staff.locator("table.log-table tbody tr").first
    expect(first_row).to_contain_text(reference)
    expect(first_row).to_contain_text(MANAGER_NAME)
    expect(first_row).to_contain_text("Interview request")
    axe(staff)

    first_row.get_by_role("link", name=reference).click()
    expect(staff.get_by_role("heading", level=1)).to_contain_text(reference)
    expect(staff.get_by_text("The cabinet member for libraries")).to_be_visible()
    axe(staff)
    frozen_clock.advance(minutes=20)
    staff.get_by_role("textbox", name="Internal note").fill("Asked the cabinet member's office about Thursday.")
    staff.get_by_role("button", name="Add the note").click()
    timeline = staff.locator("#timeline")
    expect(timeline).to_contain_text("Asked the cabinet member's office about Thursday.")
    expect(timeline).to_contain_text(MANAGER_NAME)
    frozen_clock.advance(minutes=25)
    staff.get_by_role("textbox", name="What we told the journalist").fill("Cllr Reed will do the breakfast show live at 07:40.")
    staff.get_by_role("button", name="Record the response").click()
    expect(summary_value(staff, "Status")).to_have_text("Responded")
    expect(timeline).to_contain_text("Cllr Reed will do the breakfast show")
    axe(staff)

    staff.get_by_role("navigation", name="Staff").get_by_role("link", name="Enquiries").click()
    staff.get_by_role("link", name="Dashboard").click()
    expect(staff.locator("#figure-total")).to_have_text("2")
    expect(staff.locator("#figure-median")).to_have_text("45 min")
    expect(staff.locator("#figure-deadline")).to_have_text("100%")
    axe(staff)
