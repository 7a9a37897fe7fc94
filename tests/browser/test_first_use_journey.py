"""A new press officer's first morning with the demo data, in a real browser: import a partnership's release whose
contact has no account and whose date is left over from an older document, send it under embargo to a list, let
the worker deliver it, read the delivery report, and read what one journalist got in the caught mail."""

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from playwright.sync_api import Page, expect
from sqlalchemy import func

from press.demo import CONTACTS, DEMO_EMAIL, DEMO_PASSWORD, UNSUBSCRIBED
from press.extensions import db
from press.outbox.mailcatcher import MailCatcher
from press.outbox.models import Delivery
from press.outbox.worker import Worker
from tests.browser.conftest import fill_date, sign_in, summary_value
from tests.browser.test_distribution_journey import recipient_row
from tests.conftest import FrozenClock

pytestmark = pytest.mark.browser

HEADLINE = "Eastgate health partnership opens a walk-in clinic for young people"
# The frozen clock says 11:00 BST on Tuesday 3 September 2024; the embargo lifts a day later.
EMBARGO_LINE = "11:00 BST, Wednesday 4 September 2024"
RELEASE = f"""\
Ref: EHP 2024/25-07
Date: 3 September 2022
EMBARGOED UNTIL {EMBARGO_LINE}

{HEADLINE}

Young people in Eastgate can now see a nurse or a counsellor without an appointment.

The clinic at Eastgate Health Centre is open every weekday from 3pm to 7pm, after school and college.

ENDS

Notes to editors
1. The Eastgate Health Partnership brings together the council, the hospital trust and local GP practices.
2. More about the clinic is at https://partnership.example/young-peoples-clinic

For media enquiries contact Sam Rivers, Communications Manager, Eastgate Health Partnership, on 07700 900456 \
or email sam.rivers@partnership.example
"""
LOCAL_PRESS = sorted(
    (name, outlet, email) for name, outlet, _job, email, _phone, lists in CONTACTS
    if "Local press" in lists and email not in UNSUBSCRIBED
)


@pytest.fixture
def catcher(tmp_path: Path) -> Iterator[MailCatcher]:
    """The project's own mail catcher, a real SMTP server on loopback, keeping what it gets for the staff pages."""
    with MailCatcher(tmp_path / "mail", port=0) as running:
        yield running


@pytest.fixture
def app_config(app_config: dict, catcher: MailCatcher) -> dict:
    """Mail goes to the catcher, and the Caught mail pages read what it kept."""
    return app_config | {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": catcher.port, "PRESS_SEND_RATE_PER_MINUTE": 0,
                         "MAIL_DEFAULT_SENDER": "Northshire Press Office <press@northshire.example>",
                         "PRESS_MAIL_CATCHER_DIR": str(catcher.directory)}


def test_a_new_press_officer_imports_sends_under_embargo_and_reads_what_a_journalist_got(
    page: Page, app: Flask, runner: FlaskCliRunner, frozen_clock: FrozenClock, axe: Callable[[Page], None],
    screenshots: Callable[[Page, str], list[Path]],
) -> None:
    result = runner.invoke(args=["press", "demo"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        # The demo's enquiries queue their acknowledgements and assignment emails; the worker's pass sends them too.
        queued_by_demo = db.session.scalar(db.select(func.count()).select_from(Delivery))
    staff_nav = page.get_by_role("navigation", name="Staff")

    # 1. Sign in and paste the release.
    sign_in(page, DEMO_EMAIL, DEMO_PASSWORD)
    axe(page)
    staff_nav.get_by_role("link", name="Import a release", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import a release")
    axe(page)
    page.get_by_label("Paste the release").fill(RELEASE)
    page.get_by_role("button", name="Read the release").click()

    # 2. The form asks about the contact and the date before anything is saved.
    expect(page.get_by_role("heading", level=1)).to_have_text("New release")
    recognised = page.get_by_role("status").filter(has_text="Check what was recognised")
    expect(recognised).to_contain_text("Nothing is saved until you press “Save draft”.")
    expect(recognised).to_contain_text("The release date is Saturday 3 September 2022; the embargo is "
                                       "Wednesday 4 September 2024. Check the release date.")
    expect(recognised).not_to_contain_text("were not recognised"), "the partner's name is read as the organisation"
    contact = page.get_by_role("group", name="Media contact")
    expect(contact).to_contain_text("This release names Sam Rivers, Communications Manager, Eastgate Health "
                                    "Partnership (sam.rivers@partnership.example), who has no staff account here.")
    expect(page.get_by_label("Headline")).to_have_value(HEADLINE)
    expect(page.get_by_label("Reference")).to_have_value("EHP 2024/25-07")
    axe(page)
    screenshots(page, "first-use-contact-question")

    contact.get_by_label("Add Sam Rivers as a user").check()
    expect(contact.get_by_label("Name", exact=True)).to_have_value("Sam Rivers")
    expect(contact.get_by_label("Job title (optional)")).to_have_value(
        "Communications Manager, Eastgate Health Partnership")
    expect(contact.get_by_label("Email address")).to_have_value("sam.rivers@partnership.example")
    expect(contact.get_by_label("Mobile (optional)")).to_have_value("07700 900456")
    contact.get_by_label(re.compile("^Staff:")).check()
    fill_date(page, "Release date", "2024-09-03")
    page.get_by_role("button", name="Save draft").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(HEADLINE)
    expect(page.get_by_text("Sam Rivers is now a user, and cannot sign in until a password is set for them.")
           ).to_be_visible()
    expect(summary_value(page, "Release date")).to_have_text("Tuesday 3 September 2024")
    expect(summary_value(page, "Embargo")).to_have_text(EMBARGO_LINE)
    expect(summary_value(page, "Media contact")).to_have_text(
        "Sam Rivers, Communications Manager, Eastgate Health Partnership")
    expect(page.locator(".release-meta")).to_contain_text("Draft")
    axe(page)
    page.get_by_role("button", name="Mark final").click()
    expect(page.get_by_text("EHP 2024/25-07 is final.")).to_be_visible()
    expect(page.locator(".release-meta")).to_contain_text("Under embargo")
    expect(summary_value(page, "Public from")).to_have_text(EMBARGO_LINE)
    expect(page.get_by_role("button", name="Mark final")).to_have_count(0)
    axe(page)

    # 3. Send it to the demo's Local press list, checking it first.
    page.get_by_role("link", name="Send to journalists").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Send to journalists")
    axe(page)
    page.get_by_role("group", name="Lists").get_by_role("checkbox", name=re.compile("^Local press")).check()
    page.get_by_role("button", name="Continue to check and send").click()

    who = f"{len(LOCAL_PRESS)} journalists"
    expect(page.get_by_role("heading", level=1)).to_have_text("Check before sending")
    expect(summary_value(page, "Subject line")).to_have_text(f"EMBARGOED UNTIL {EMBARGO_LINE}: {HEADLINE}")
    expect(summary_value(page, "Lists")).to_have_text("Local press")
    expect(summary_value(page, "Recipients")).to_have_text(who)
    recipients = page.locator(".recipient-list li")
    expect(recipients.first).to_be_hidden()
    page.get_by_text(f"Names and outlets of the {who}").click()
    expect(recipients).to_have_count(len(LOCAL_PRESS))
    for name, outlet, _email in LOCAL_PRESS:
        expect(recipients.filter(has_text=f"{name}, {outlet}")).to_be_visible()
    axe(page)
    screenshots(page, "first-use-send-confirmation")

    chooser = page.get_by_label("Preview the email as")
    second = chooser.locator("option").nth(1).inner_text()
    second_name = second.split(",")[0]
    second_email = next(email for name, _outlet, email in LOCAL_PRESS if name == second_name)
    chooser.select_option(label=second)
    with page.context.expect_page() as new_tab:
        page.get_by_role("button", name="Preview (opens in a new tab)").click()
    preview = new_tab.value
    preview.wait_for_load_state()
    expect(preview.get_by_role("heading", level=1)).to_have_text(f"The email as {second_name} will get it")
    expect(summary_value(preview, "To")).to_have_text(f"{second_name} <{second_email}>")
    expect(preview.locator(".email-text")).to_contain_text(f"EMBARGOED UNTIL {EMBARGO_LINE}")
    axe(preview)
    preview.close()

    page.get_by_role("button", name=f"Send to {who}").click()
    expect(page).to_have_url(re.compile(r"/staff/distributions/\d+$"))
    expect(page.get_by_role("status").filter(has_text="has started")).to_have_text(
        f"Sending to {who} has started.")
    axe(page)

    # 4. The worker delivers it; the report says so in plain words.
    assert Worker(app).run(once=True) == len(LOCAL_PRESS) + queued_by_demo
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Delivery report")
    for _name, _outlet, email in LOCAL_PRESS:
        expect(recipient_row(page, email).get_by_role("cell").nth(4)).to_have_text(
            re.compile(r"^Delivered to the mail server at \d\d:\d\d (GMT|BST)"))
    axe(page)
    screenshots(page, "first-use-report")

    # 5. Read what the second journalist got, as they would see it.
    staff_nav.get_by_role("link", name="Caught mail", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Caught mail")
    caught = page.get_by_role("table").get_by_role("row").filter(has_text=second_email)
    expect(caught).to_have_count(1)
    axe(page)
    caught.get_by_role("link", name=f"EMBARGOED UNTIL {EMBARGO_LINE}: {HEADLINE}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"EMBARGOED UNTIL {EMBARGO_LINE}: {HEADLINE}")
    expect(summary_value(page, "To")).to_have_text(f"{second_name} <{second_email}>")
    expect(summary_value(page, "From")).to_have_text("Northshire Press Office <press@northshire.example>")
    text = page.locator(".email-text")
    expect(text).to_contain_text("Do not publish or broadcast before then.")
    expect(text).to_contain_text("For media enquiries or interview requests contact Sam Rivers")
    expect(text).to_contain_text(re.compile(
        r"Read it online before the embargo lifts \(this link is yours alone\): http://press\.test/early/\S+"))
    axe(page)
