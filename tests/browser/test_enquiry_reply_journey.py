"""A manager opens an enquiry that came by email, confirms the deadline the email suggests, and replies to it."""

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from press import clock
from press.enquiries.models import Channel, EnquiryEmail, EnquiryEvent
from press.extensions import db
from tests.browser.conftest import sign_in, summary_value
from tests.conftest import FrozenClock

pytestmark = pytest.mark.browser

MANAGER_EMAIL = "mo.manager@council.example"


@pytest.fixture
def emailed(app: Flask, make_user: Callable[..., int], make_enquiry: Callable[..., int],
            frozen_clock: FrozenClock) -> int:
    """An enquiry that came in by email, its email asking for an answer by 2pm: sooner than the deadline logged."""
    make_user("manager", email=MANAGER_EMAIL, name="Mo Manager")
    enquiry_id = make_enquiry(channel=Channel.EMAIL, subject="Sunday opening", journalist_name="Hannah Okafor",
                              email="hannah.okafor@radio.example", deadline_at=clock.now() + timedelta(hours=8))
    with app.app_context():
        email = EnquiryEmail(
            enquiry_id=enquiry_id, direction="in", message_id="abc.1@mail.radio.example", from_name="Hannah Okafor",
            from_address="hannah.okafor@radio.example", to_address="press@northshire.example",
            subject="Sunday opening", body="Will libraries open on Sundays?\nI need a line by 2pm today, please.",
            suggested_deadline_at=clock.now() + timedelta(hours=2), suggested_deadline_words="by 2pm today",
        )
        db.session.add(email)
        db.session.flush()
        db.session.add(EnquiryEvent(enquiry_id=enquiry_id, kind="email_in", details={"email_id": email.id}))
        db.session.commit()
    return enquiry_id


def test_manager_confirms_the_deadline_and_replies(page: Page, emailed: int, axe, browsing, screenshots,
                                                   frozen_clock: FrozenClock) -> None:
    sign_in(page, MANAGER_EMAIL)
    page.goto(f"/staff/enquiries/{emailed}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Sunday opening")
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text("Email from the journalist")
    expect(timeline).to_contain_text("I need a line by 2pm today, please.")
    suggestion = page.locator("#suggested-deadline")
    expect(suggestion).to_contain_text("by 2pm today")
    axe(page)
    screenshots(page, "enquiry-reply-suggested-deadline")

    suggestion.get_by_role("button", name="Use this deadline").click()
    expect(page.get_by_role("status")).to_contain_text("Deadline changed")
    expect(summary_value(page, "Deadline")).to_contain_text("13:00 BST")
    expect(page.locator("#suggested-deadline")).to_have_count(0)
    expect(timeline).to_contain_text("Deadline changed to the one in the journalist's email")

    # An empty reply comes back as 422 with its error, which the browser reports.
    browsing.watch_of(page).expect_error(r"status of 422 .*/reply")
    page.get_by_role("button", name="Send the reply").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Enter your reply.")
    expect(summary).to_be_focused()
    expect(page.locator("#reply-text-error")).to_contain_text("Enter your reply.")
    axe(page)
    summary.get_by_role("link", name="Enter your reply.").click()
    expect(page.get_by_label("Your reply")).to_be_focused()

    frozen_clock.advance(minutes=20)
    page.get_by_label("Your reply").fill("Yes: from 6 October, 10am to 4pm.\nCllr Reed can talk at 1pm.")
    page.get_by_role("button", name="Send the reply").click()
    expect(timeline).to_contain_text("Reply emailed to the journalist")
    expect(timeline).to_contain_text("Cllr Reed can talk at 1pm.")
    expect(timeline).to_contain_text("Waiting to be sent")
    expect(summary_value(page, "Status")).to_have_text("Responded")
    expect(summary_value(page, "First answered")).to_contain_text(re.compile(r"11:20 BST"))
    axe(page)
    screenshots(page, "enquiry-reply-sent")
