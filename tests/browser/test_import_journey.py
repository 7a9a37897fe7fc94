"""Importing in a real browser: a contacts file whose bad and repeated rows are shown before and after, and a
release whose media contact has no account yet."""

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from press.accounts.models import User
from press.contacts import services
from press.extensions import db
from press.releases.models import Release
from tests.browser.conftest import sign_in, summary_value
from tests.conftest import FrozenClock

pytestmark = pytest.mark.browser

MANAGER_EMAIL = "mo.manager@council.example"

CONTACTS_CSV = (
    "Name,Email,Outlet\r\n"  # line 1
    "Ada Lovelace,ada@gazette.example,Northshire Gazette\r\n"  # 2
    "Bob Byline,bob-at-radio,Radio Northshire\r\n"  # 3
    "Ada L,ADA@gazette.example,\r\n"  # 4
    "Priya Patel,priya@weekly.example,Northshire Weekly\r\n"  # 5
)

RELEASE = """\
Ref: NCP 2024/25-04
Date: 4 September 2024

Partnership publishes its annual report

The Northshire Safeguarding Partnership has published its annual report for 2023/24.

ENDS

Notes to editors
1. The report is at https://partnership.example/annual-report.pdf

For media enquiries contact Jane Doe, Communications Manager, on 07700 900321 or email jane.doe@partnership.example
"""


def test_contacts_import_shows_rejected_and_merged_rows_and_asks_the_lawful_basis(
    page: Page, app: Flask, make_user: Callable[..., int], axe: Callable[[Page], None],
    screenshots: Callable, frozen_clock: FrozenClock, tmp_path: Path,
) -> None:
    """Upload a file with a bad and a repeated row, see them before and after importing, with the basis chosen."""
    make_user("manager", email=MANAGER_EMAIL, name="Mo Manager")
    with app.app_context():
        services.create_contact(db.session, by=None, name="Priya Patel", email="priya@weekly.example")
        db.session.commit()
    path = tmp_path / "journalists.csv"
    path.write_text(CONTACTS_CSV, encoding="utf-8")

    sign_in(page, MANAGER_EMAIL)
    page.goto("/staff/contacts/import")
    page.get_by_label("Contacts file (CSV)").set_input_files(path)
    page.get_by_role("button", name="Upload and preview").click()
    summary = page.get_by_role("alert")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_have_text(["Choose the lawful basis for holding these contacts."])
    expect(page.get_by_text("You chose journalists.csv: choose it again below.")).to_be_visible()
    axe(page)

    page.get_by_label("Contacts file (CSV)").set_input_files(path)
    page.get_by_label("Consent").check()
    page.get_by_role("button", name="Upload and preview").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check the import of journalists.csv")
    expect(page.get_by_text("Nothing has been imported yet.")).to_be_visible()
    rejected = page.get_by_role("table", name="Rows that will be rejected")
    expect(rejected.get_by_role("row")).to_have_count(2)
    expect(rejected.get_by_role("row").nth(1)).to_contain_text("bob-at-radio")
    merged = page.get_by_role("table", name="Rows that will be merged")
    expect(merged.get_by_role("row").nth(1)).to_contain_text("Line 2 of the file (ada@gazette.example)")
    expect(merged.get_by_role("row").nth(2)).to_contain_text("Priya Patel (priya@weekly.example)")
    expect(merged.get_by_role("row").nth(2)).to_contain_text("Fills in or changes: Outlet")
    expect(summary_value(page, "Lawful basis for new contacts")).to_have_text("Consent")
    axe(page)
    screenshots(page, "contacts-import-preview")

    page.get_by_role("button", name="Import the contacts").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Imported journalists.csv")
    expect(page.get_by_role("status")).to_have_text("1 added, 1 updated, 1 skipped, 1 rejected.")
    expect(page.get_by_role("table", name="Rows that were rejected")).to_contain_text("bob-at-radio")
    expect(page.get_by_role("table", name="Rows that were merged")).to_contain_text("Updated")
    expect(page.get_by_role("link", name="Download the report")).to_be_visible()
    axe(page)
    screenshots(page, "contacts-import-done")
    with app.app_context():
        assert services.find_contact_by_email(db.session, "ada@gazette.example").lawful_basis == "consent"


def test_imported_release_naming_someone_without_an_account_asks_before_saving(
    page: Page, app: Flask, make_user: Callable[..., int], axe: Callable[[Page], None],
    screenshots: Callable, frozen_clock: FrozenClock,
) -> None:
    """The contact field says who the release names; saving waits until the manager adds them or picks a user."""
    make_user("manager", email=MANAGER_EMAIL, name="Mo Manager")
    sign_in(page, MANAGER_EMAIL)
    page.goto("/staff/releases/import")
    axe(page)
    page.get_by_label("Paste the release").fill(RELEASE)
    page.get_by_role("button", name="Read the release").click()
    contact = page.get_by_role("group", name="Media contact")
    expect(contact).to_contain_text("This release names Jane Doe, Communications Manager "
                                    "(jane.doe@partnership.example), who has no staff account here.")
    expect(page.get_by_label("Existing user", exact=True)).to_have_value("")
    axe(page)
    screenshots(page, "release-import-unknown-contact")

    page.get_by_role("button", name="Save draft").click()
    summary = page.get_by_role("alert")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_have_text(
        ["Choose whether to add Jane Doe as a user or to choose an existing user."])
    expect(page.get_by_label("Headline")).to_have_value("Partnership publishes its annual report")
    axe(page)

    page.get_by_label("Add Jane Doe as a user").check()
    expect(page.get_by_label("Email address")).to_have_value("jane.doe@partnership.example")
    expect(page.get_by_label("Job title (optional)")).to_have_value("Communications Manager")
    expect(page.get_by_label("Mobile (optional)")).to_have_value("07700 900321")
    page.get_by_label(re.compile("^Manager:")).check()
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("Jane Doe is now a user, and cannot sign in until a password is set for them.")).to_be_visible()
    expect(summary_value(page, "Media contact")).to_have_text("Jane Doe, Communications Manager")
    axe(page)

    page.get_by_role("link", name="Preview", exact=True).click()
    link = page.get_by_role("link", name="https://partnership.example/annual-report.pdf")
    expect(link).to_have_attribute("rel", "noopener noreferrer nofollow")
    axe(page)
    with app.app_context():
        jane = db.session.scalar(db.select(User).where(User.email == "jane.doe@partnership.example"))
        assert jane.role == "manager"
        assert db.session.scalar(db.select(Release)).contact_id == jane.id
