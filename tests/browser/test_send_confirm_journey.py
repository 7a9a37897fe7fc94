"""Checking a send before it goes, in a real browser: the summary, the recipients, a preview as any of them,
sending, and a delivery report in plain words."""

import re
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from tests.browser.conftest import fill_date, sign_in, summary_value
from tests.browser.test_distribution_journey import FAILING, WorkerRun, add_journalists, recipient_row
from tests.conftest import FrozenClock
from tests.mailserver import MailServer

pytestmark = pytest.mark.browser

EMBARGO = datetime(2024, 9, 3, 23, 1, tzinfo=UTC)  # 00:01 BST, Wednesday 4 September 2024
HEADLINE = "Northshire libraries to open on Sundays"
MANAGER_EMAIL = "mo.manager@council.example"
LONG_URL = "https://www.northshire.gov.uk/libraries/consultations/2024/sunday-opening/full-report-and-appendices-" \
           "with-every-branch-and-its-new-opening-hours-listed-in-detail.pdf"


@pytest.fixture
def app_config(app_config: dict, mail_server: MailServer) -> dict:
    return app_config | mail_server.app_settings()


@pytest.fixture
def newsroom(app: Flask, make_user: Callable[..., int], make_release: Callable[..., int],
             frozen_clock: FrozenClock) -> int:
    """Two lists (Bob on both, Dan unsubscribed) and a final embargoed release with a long link; its id."""
    manager_id = make_user("manager", email=MANAGER_EMAIL, name="Mo Manager")
    release_id = make_release(headline=HEADLINE, contact_id=manager_id, embargo_at=EMBARGO, final=True,
                              body=f"Every library will open on Sundays.\n\nThe full report: {LONG_URL}")
    add_journalists(app)
    return release_id


def no_sideways_scroll(page: Page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


def test_manager_checks_previews_as_a_second_recipient_sends_and_reads_the_report(
    page: Page, app: Flask, newsroom: int, mail_server: MailServer, axe: Callable[[Page], None],
    screenshots: Callable[[Page, str], list],
) -> None:
    mail_server.reply_for(FAILING, 550, "5.1.1 No such mailbox here")
    real_sender = app.config["MAIL_DEFAULT_SENDER"]
    sign_in(page, MANAGER_EMAIL)

    # A From address on localhost is flagged before anything is chosen.
    app.config["MAIL_DEFAULT_SENDER"] = "press-office@localhost"
    page.goto(f"/staff/releases/{newsroom}/send")
    warning = page.locator(".notice-warning")
    expect(warning.get_by_role("heading")).to_have_text("Mail goes out from press-office@localhost")
    expect(warning).to_contain_text("Ask an administrator to change the MAIL_DEFAULT_SENDER setting")
    axe(page)
    app.config["MAIL_DEFAULT_SENDER"] = real_sender
    page.reload()
    expect(page.locator(".notice-warning")).to_have_count(0)

    lists = page.get_by_role("group", name="Lists")
    lists.get_by_role("checkbox", name=re.compile("^Local papers")).check()
    lists.get_by_role("checkbox", name=re.compile("^Broadcasters")).check()
    page.get_by_role("button", name="Continue to check and send").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Check before sending")
    expect(summary_value(page, "Subject line")).to_have_text(
        f"EMBARGOED UNTIL 00:01 BST, Wednesday 4 September 2024: {HEADLINE}")
    expect(summary_value(page, "Embargo")).to_contain_text("Wednesday 4 September 2024, 00:01 BST")
    expect(summary_value(page, "Attachments")).to_have_text("None")
    expect(summary_value(page, "Recipients")).to_have_text("5 journalists")
    left_out = summary_value(page, "Left out")
    expect(left_out).to_contain_text("1 unsubscribed")
    expect(left_out).to_contain_text("1 on more than one list (or chosen twice), counted once")
    assert mail_server.messages == [], "the summary sends nothing"
    axe(page)

    names = page.get_by_text("Names and outlets of the 5 journalists")
    bob = page.locator(".recipient-list li", has_text="Bob Roe, Radio Northshire")
    expect(bob).to_be_hidden()
    names.click()
    expect(bob).to_be_visible()
    expect(page.locator(".recipient-list li")).to_have_count(5)
    expect(page.locator(".recipient-list")).not_to_contain_text("Dan Gone")
    axe(page)
    screenshots(page, "send-confirmation")

    page.get_by_label("Preview the email as").select_option(label="Bob Roe, Radio Northshire")
    with page.context.expect_page() as new_tab:
        page.get_by_role("button", name="Preview (opens in a new tab)").click()
    preview = new_tab.value
    preview.wait_for_load_state()
    expect(preview.get_by_role("heading", level=1)).to_have_text("The email as Bob Roe will get it")
    expect(summary_value(preview, "To")).to_have_text("Bob Roe <bob@radio.example>")
    technical = preview.locator("details.technical-headers")
    expect(technical.locator("dt", has_text="List-Unsubscribe").first).to_be_hidden()
    technical.locator("summary").click()
    expect(technical.locator("dt", has_text="List-Unsubscribe").first).to_be_visible()
    expect(preview.locator(".email-text")).to_contain_text(LONG_URL)
    axe(preview)
    preview.set_viewport_size({"width": 390, "height": 844})
    assert no_sideways_scroll(preview), "long links and headers wrap on a phone"
    preview.close()

    page.get_by_role("button", name="Change lists").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Send to journalists")
    expect(page.get_by_role("checkbox", name=re.compile("^Local papers"))).to_be_checked()
    expect(page.get_by_role("checkbox", name=re.compile("^Broadcasters"))).to_be_checked()
    page.get_by_role("button", name="Continue to check and send").click()

    page.get_by_role("button", name="Send to 5 journalists").click()
    expect(page).to_have_url(re.compile(r"/staff/distributions/\d+$"))
    expect(page.get_by_role("status").filter(has_text="has started")).to_have_text(
        "Sending to 5 journalists has started.")
    WorkerRun(app).finish()
    page.reload()

    refused = recipient_row(page, FAILING).get_by_role("cell").nth(4)
    expect(refused).to_contain_text("Refused by the recipient’s server: mailbox unknown")
    answer = refused.locator("details pre")
    expect(answer).to_be_hidden()
    refused.get_by_text("Server’s answer").click()
    expect(answer).to_have_text(re.compile(r"^550 5\.1\.1 No such mailbox here"))
    expect(recipient_row(page, "bob@radio.example").get_by_role("cell").nth(4)).to_have_text(
        re.compile(r"^Delivered to the mail server at \d\d:\d\d (GMT|BST)"))
    axe(page)
    assert dict(mail_server.by_recipient()) == {a: 1 for a in (
        "ann@gazette.example", "bob@radio.example", "dev@weekly.example", "eve@tv.example")}


def test_the_confirmation_page_is_accessible_for_a_scheduled_send_and_at_a_phone_width(
    page: Page, newsroom: int, axe: Callable[[Page], None],
) -> None:
    sign_in(page, MANAGER_EMAIL)
    page.goto(f"/staff/releases/{newsroom}/send")
    page.get_by_role("group", name="Lists").get_by_role("checkbox", name=re.compile("^Local papers")).check()
    page.get_by_role("radio", name="Schedule").check()
    fill_date(page, "Date to send", "2024-09-04")
    page.get_by_label("Time to send (UK time)").fill("09:00")
    page.get_by_role("button", name="Continue to check and send").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check before scheduling")
    expect(summary_value(page, "Scheduled for")).to_have_text("Wednesday 4 September 2024, 09:00 BST")
    expect(summary_value(page, "Stop sending after")).to_contain_text("Wednesday 4 September 2024, 10:00 BST")
    expect(summary_value(page, "Subject line")).to_have_text(HEADLINE)
    expect(page.get_by_role("button", name="Schedule for 3 journalists")).to_be_visible()
    page.get_by_text("Names and outlets of the 3 journalists").click()
    page.set_viewport_size({"width": 390, "height": 844})
    assert no_sideways_scroll(page)
    axe(page)
