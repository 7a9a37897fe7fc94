"""Media contacts in a real browser: a messy import to an unsubscribe, and the contacts pages' accessibility."""

import csv
import io
import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from press import uktime
from press.contacts import services
from press.extensions import db
from tests.browser.conftest import Browsing, sign_in, summary_value
from tests.conftest import FrozenClock

pytestmark = pytest.mark.browser

MANAGER_EMAIL = "mo.manager@council.example"
MANAGER_NAME = "Mo Manager"
SIGNUP_BUTTON = "Send me a confirmation email"

# What an export from someone's own spreadsheet looks like: Excel's semicolons and byte-order mark, a column
# the importer cannot place ("Mob"), one it places wrongly ("Notes" holds job titles), a bad address, a blank
# line, and the first contact again with their address in other capitals.
MESSY_CSV = (
    "Full name;Work email;Publication;Mob;Notes\r\n"  # line 1
    "Ada Lovelace;ada.lovelace@gazette.example;Northshire Gazette;07700 900123;Health correspondent\r\n"  # 2
    "Bob Byline;not-an-email;Radio Northshire;07700 900456;Political editor\r\n"  # 3
    "\r\n"  # 4
    "Cara Columnist;cara@radio.example;Radio Northshire;07700 900789;Business reporter\r\n"  # 5
    "Dan Desk;dan@weekly.example;Northshire Weekly;;News editor\r\n"  # 6
    "Ada Lovelace;ADA.Lovelace@Gazette.Example;Northshire Gazette;;Health correspondent\r\n"  # 7
)


def write_messy_csv(tmp_path: Path) -> Path:
    path = tmp_path / "press-contacts.csv"
    path.write_bytes(MESSY_CSV.encode("utf-8-sig"))
    return path


def add_contacts(app: Flask, *people: tuple[str, str, str]) -> None:
    """Put contacts (name, email, outlet) straight into the database."""
    with app.app_context():
        for name, email, outlet in people:
            services.create_contact(db.session, by=None, name=name, email=email, outlet=outlet)
        db.session.commit()


def open_signups(app: Flask) -> None:
    """Make a list take newsroom signups, which is what puts the form on /get-releases."""
    with app.app_context():
        services.save_list(db.session, None, name="Newsroom signups", description="", for_signups=True)
        db.session.commit()


def upload(page: Page, path: Path) -> None:
    """Send a file from the upload page and wait for its preview."""
    page.get_by_label("Contacts file (CSV)").set_input_files(path)
    page.get_by_label("Legitimate interests").check()
    page.get_by_role("button", name="Upload and preview").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Check the import of {path.name}")


def test_manager_imports_a_messy_file_and_a_journalist_unsubscribes(
    browsing: Browsing, page: Page, make_user: Callable[..., int], frozen_clock: FrozenClock, tmp_path: Path
) -> None:
    """The whole journey: import with a corrected mapping, read the report, find a contact, and see them leave."""
    make_user("manager", email=MANAGER_EMAIL, name=MANAGER_NAME)
    path = write_messy_csv(tmp_path)
    imported_at = frozen_clock()

    sign_in(page, MANAGER_EMAIL)
    page.get_by_role("navigation", name="Staff").get_by_role("link", name="Contacts", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Contacts")
    page.get_by_role("link", name="Import contacts").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import contacts")
    upload(page, path)

    assert summary_value(page, "Text encoding").inner_text() == "UTF-8 (with a byte-order mark)"
    assert summary_value(page, "Cells separated by").inner_text() == "semicolons"
    assert summary_value(page, "Rows").inner_text() == "6"
    expect(page.get_by_label("Full name", exact=True)).to_have_value("name")
    expect(page.get_by_label("Work email", exact=True)).to_have_value("email")
    expect(page.get_by_label("Publication", exact=True)).to_have_value("outlet")
    mob, notes = page.get_by_label("Mob", exact=True), page.get_by_label("Notes", exact=True)
    expect(mob, "'Mob' is not a column name the importer knows").to_have_value("")
    expect(notes, "a 'Notes' column is taken for notes until someone says otherwise").to_have_value("notes")
    mob.select_option(label="Phone")
    notes.select_option(label="Job title or beat")
    page.get_by_role("button", name="Import the contacts").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(f"Imported {path.name}")
    expect(page.get_by_role("status").filter(has_text="added")).to_have_text(
        "3 added, 0 updated, 2 skipped, 1 rejected."
    )
    assert summary_value(page, "Imported").inner_text() == f"{uktime.format_moment(imported_at)} by {MANAGER_NAME}"
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the report").click()
    download = download_info.value
    assert download.suggested_filename.endswith("-report.csv")
    report = list(csv.reader(io.StringIO(Path(download.path()).read_bytes().decode("utf-8-sig"))))
    assert report[0] == ["line", "outcome", "reason", "Full name", "Work email", "Publication", "Mob", "Notes"]
    by_line = {row[0]: row for row in report[1:]}
    assert sorted(by_line) == ["3", "4", "7"]
    assert by_line["3"][1] == "rejected"
    assert by_line["3"][2].startswith("Email address 'not-an-email' is not valid")
    assert by_line["3"][3:] == ["Bob Byline", "not-an-email", "Radio Northshire", "07700 900456", "Political editor"]
    assert by_line["4"][1:3] == ["skipped", "Blank line."]
    assert by_line["7"][1:3] == ["skipped", "Same email as line 2: merged into it."]

    page.get_by_role("link", name="Go to the contacts").click()
    expect(page.get_by_role("status")).to_contain_text("3 contacts")
    search = page.get_by_role("search", name="Find contacts")
    search.get_by_label("Name, outlet or email").fill("Cara")
    search.get_by_role("button", name="Find").click()
    expect(page).to_have_url(re.compile(r"/staff/contacts/\?q=Cara"))
    expect(page.get_by_role("status")).to_contain_text("1 contact")
    rows = page.get_by_role("row").filter(has=page.get_by_role("cell"))
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Business reporter")
    expect(rows.first).to_contain_text("Active")
    page.get_by_role("link", name="Cara Columnist").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Cara Columnist")
    assert summary_value(page, "Email").inner_text() == "cara@radio.example"
    assert summary_value(page, "Outlet").inner_text() == "Radio Northshire"
    assert summary_value(page, "Job title or beat").inner_text() == "Business reporter"
    assert summary_value(page, "Phone").inner_text() == "07700 900789"
    assert summary_value(page, "Notes").inner_text() == "–"
    assert summary_value(page, "Status").inner_text() == f"Active since {uktime.format_moment(imported_at)}"
    unsubscribe_url = summary_value(page, "Unsubscribe link").inner_text()
    assert unsubscribe_url.startswith("http://press.test/unsubscribe/")

    frozen_clock.advance(days=1, hours=2, minutes=30)
    left_at = frozen_clock()
    journalist = browsing.new_page()
    journalist.goto(urlsplit(unsubscribe_url).path)
    expect(journalist.get_by_role("heading", level=1)).to_have_text("Stop receiving press releases")
    expect(journalist.get_by_role("main")).to_contain_text("cara@radio.example")
    expect(journalist.get_by_role("navigation", name="Staff"), "the journalist is not signed in").to_have_count(0)
    journalist.get_by_role("button", name="Unsubscribe").click()
    expect(journalist.get_by_role("heading", level=1)).to_have_text("You are unsubscribed")
    expect(journalist.get_by_role("main")).to_contain_text("We will not send press releases to cara@radio.example")
    journalist.reload()
    expect(journalist.get_by_role("heading", level=1), "a second visit shows it is done").to_have_text(
        "You are unsubscribed"
    )

    page.reload()
    assert summary_value(page, "Status").inner_text() == (
        f"Unsubscribed since {uktime.format_moment(left_at)}: Unsubscribed with the link in an email"
    )
    expect(page.locator(".history li").first).to_contain_text("Status changed")
    page.get_by_role("navigation", name="Staff").get_by_role("link", name="Contacts", exact=True).click()
    page.get_by_label("Status").select_option(label="Unsubscribed")
    page.get_by_role("button", name="Find").click()
    expect(page.get_by_role("link", name="Cara Columnist")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("1 contact")


def test_contacts_pages_are_accessible(
    browsing: Browsing, page: Page, app: Flask, axe: Callable[[Page], None], make_user: Callable[..., int],
    tmp_path: Path,
) -> None:
    """The staff contacts pages and the public unsubscribe and signup pages pass axe's WCAG 2.2 AA rules."""
    make_user("manager", email=MANAGER_EMAIL, name=MANAGER_NAME)
    add_contacts(app, ("Priya Patel", "priya@gazette.example", "Northshire Gazette"),
                 ("Sam Lee", "sam.lee@radio.example", "Radio Northshire"),
                 ("Tom Ng", "tom@weekly.example", ""))
    open_signups(app)

    sign_in(page, MANAGER_EMAIL)
    page.goto("/staff/contacts/")
    expect(page.get_by_role("link", name="Priya Patel")).to_be_visible()
    axe(page)
    page.get_by_role("link", name="Sam Lee").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sam Lee")
    unsubscribe_path = urlsplit(summary_value(page, "Unsubscribe link").inner_text()).path
    axe(page)
    page.goto("/staff/contacts/lists")
    expect(page.get_by_role("cell", name="Receives signups")).to_be_visible()
    axe(page)

    page.goto("/staff/contacts/import")
    expect(page.get_by_role("heading", level=1)).to_have_text("Import contacts")
    axe(page)
    upload(page, write_messy_csv(tmp_path))
    axe(page)
    page.get_by_label("Full name", exact=True).select_option(label="Email")
    page.get_by_role("button", name="Import the contacts").click()
    summary = page.get_by_role("alert")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_have_text(
        ["Column 'Full name' is already set to Email: choose another field for this one, or Ignore."]
    )
    expect(page.get_by_label("Work email", exact=True)).to_have_attribute("aria-invalid", "true")
    axe(page)

    visitor = browsing.new_page()
    visitor.goto(unsubscribe_path)
    expect(visitor.get_by_role("button", name="Unsubscribe")).to_be_visible()
    axe(visitor)
    visitor.get_by_role("button", name="Unsubscribe").click()
    expect(visitor.get_by_role("heading", level=1)).to_have_text("You are unsubscribed")
    axe(visitor)

    visitor.goto("/get-releases")
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Get our press releases by email")
    axe(visitor)
    visitor.get_by_role("button", name=SIGNUP_BUTTON).click()
    expect(visitor.get_by_role("alert")).to_be_focused()
    expect(visitor.get_by_label("Your name")).to_have_attribute("aria-invalid", "true")
    axe(visitor)


def focused_element(page: Page) -> str:
    """Name the focused element by its id, or its tag and text when it has none."""
    return page.evaluate(
        "() => { const el = document.activeElement;"
        " return el.id || `${el.tagName.toLowerCase()}:${(el.textContent || '').trim()}`; }"
    )


def test_signup_form_keeps_the_honeypot_out_of_the_tab_order(page: Page, app: Flask) -> None:
    """Tab goes through the form's fields to its button without stopping at the hidden field bots fill in."""
    open_signups(app)
    page.goto("/get-releases")
    honeypot = page.locator("#website")
    expect(honeypot).to_have_attribute("tabindex", "-1")
    expect(page.locator(".honeypot")).to_have_attribute("aria-hidden", "true")

    visited: list[str] = []
    for _ in range(40):
        page.keyboard.press("Tab")
        visited.append(focused_element(page))
        assert visited[-1] != "website", f"Tab reached the honeypot after {visited[:-1]}"
        expect(honeypot).not_to_be_focused()
        if visited[-1] == f"button:{SIGNUP_BUTTON}":
            break
    else:
        pytest.fail(f"Tab never reached the signup button: {visited}")
    fields = [name for name in visited if name in ("name", "email", "outlet", "consent")]
    assert fields == ["name", "email", "outlet", "consent"], visited

    # Backwards too: from the button to the consent box, then over the honeypot straight to the outlet field.
    page.keyboard.press("Shift+Tab")
    assert focused_element(page) == "consent"
    page.keyboard.press("Shift+Tab")
    assert focused_element(page) == "outlet"
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name=SIGNUP_BUTTON)).to_be_focused()
    page.keyboard.press("Enter")

    summary = page.get_by_role("alert")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("heading")).to_have_text("There is a problem")
    expect(summary.get_by_role("link")).to_have_text(
        ["Enter your name.", "Enter your email address.", "Tick the box to say you want our press releases."]
    )
    summary.get_by_role("link", name="Enter your name.").press("Enter")
    expect(page.get_by_label("Your name")).to_be_focused()
