"""What staff and journalists do in a real browser: sign in, write and embargo a release, read it."""

import re
from collections.abc import Callable
from datetime import UTC, timedelta

import pytest
from playwright.sync_api import Page, expect

from press import uktime
from tests.browser.conftest import Browsing, fill_date, sign_in, summary_value
from tests.conftest import FrozenClock

pytestmark = pytest.mark.browser

HEADLINE = "Northshire libraries to open on Sundays"
BODY_SENTENCE = "Every library in the county will open from 10am to 4pm on Sundays."
BODY = f"{BODY_SENTENCE}\n\nThe change follows a public consultation."
NOTES = "1. The consultation ran for twelve weeks."
EDITOR_EMAIL = "edna.editor@council.example"
EDITOR_NAME = "Edna Editor"


def test_embargoed_release_appears_only_when_its_embargo_lifts(
    browsing: Browsing, page: Page, make_user: Callable[..., int], frozen_clock: FrozenClock
) -> None:
    """A manager writes and finalises an embargoed release; the public sees it only from the embargo time."""
    make_user("manager", email=EDITOR_EMAIL, name=EDITOR_NAME)
    lift = uktime.to_london(frozen_clock() + timedelta(hours=4)).replace(second=0, microsecond=0)

    sign_in(page, EDITOR_EMAIL)
    page.get_by_role("navigation", name="Staff").get_by_role("link", name="New release").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New release")
    page.get_by_label("Headline").fill(HEADLINE)
    page.get_by_label("Body", exact=True).fill(BODY)
    page.get_by_label("Notes to editors").fill(NOTES)
    fill_date(page, "Embargo date", lift.date().isoformat())
    page.get_by_label("Embargo time (UK time)").fill(f"{lift:%H:%M}")
    page.get_by_role("button", name="Save draft").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(HEADLINE)
    expect(page.locator(".release-meta")).to_contain_text("NCC 2024/25-01")
    expect(page.get_by_role("status")).to_contain_text("Draft NCC 2024/25-01 saved.")
    assert summary_value(page, "Embargo").inner_text() == uktime.format_moment(lift)
    page.get_by_role("button", name="Mark final").click()
    expect(page.locator(".release-meta")).to_contain_text("Under embargo")
    slug_path = summary_value(page, "Public address").inner_text()
    assert slug_path.startswith("/releases/2024-09-03-northshire-libraries")

    visitor = browsing.new_page()
    browsing.watch_of(visitor).expect_error(rf"status of 404 .*{re.escape(slug_path)}")
    visitor.goto("/")
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Press releases")
    expect(visitor.get_by_text(HEADLINE)).to_have_count(0)
    response = visitor.goto(slug_path)
    assert response is not None and response.status == 404
    expect(visitor.get_by_role("heading", level=1)).to_have_text("Page not found")
    expect(visitor.get_by_text(BODY_SENTENCE)).to_have_count(0)

    frozen_clock.set(lift.astimezone(UTC) + timedelta(minutes=1))
    response = visitor.reload()
    assert response is not None and response.status == 200
    expect(visitor.get_by_role("heading", level=1)).to_have_text(HEADLINE)
    visitor.goto("/")
    visitor.get_by_role("link", name=HEADLINE).click()
    expect(visitor).to_have_url(f"{browsing.base_url}{slug_path}")
    expect(visitor.locator(".release-body")).to_contain_text(BODY_SENTENCE)
    expect(visitor.get_by_role("region", name="Notes to editors")).to_contain_text("twelve weeks")
    contact = visitor.get_by_role("region", name="Media enquiries")
    expect(contact).to_contain_text(EDITOR_NAME)
    expect(contact.get_by_role("link", name=EDITOR_EMAIL)).to_have_attribute("href", f"mailto:{EDITOR_EMAIL}")

    page.reload()
    expect(page.locator(".release-meta .tag")).to_have_text("Public")


def test_keyboard_user_signs_in_from_the_skip_link(page: Page) -> None:
    """Tab first reaches the skip link, which leads into the form; an empty sign-in then focuses the error summary."""
    page.goto("/staff/login")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.get_by_role("main")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Email address")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Sign in")).to_be_focused()
    page.keyboard.press("Enter")

    summary = page.get_by_role("alert")
    expect(summary.get_by_role("heading")).to_have_text("There is a problem")
    expect(summary, "the error summary, not the #content the skip link left in the address, takes focus").to_be_focused()


def test_error_summary_takes_focus_and_links_to_each_field(page: Page) -> None:
    """An empty sign-in focuses the error summary, whose links name each problem and move focus to its field."""
    page.goto("/staff/login")
    page.get_by_role("button", name="Sign in").press("Enter")
    summary = page.get_by_role("alert")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("heading")).to_have_text("There is a problem")
    links = summary.get_by_role("link")
    expect(links).to_have_text(["Enter your email address.", "Enter your password."])
    for label, link in (("Email address", links.nth(0)), ("Password", links.nth(1))):
        field = page.get_by_label(label)
        assert link.get_attribute("href") == f"#{field.get_attribute('id')}"
        expect(field).to_have_attribute("aria-invalid", "true")
        link.press("Enter")
        expect(field).to_be_focused()


def test_newsroom_and_release_page_are_accessible(
    page: Page, axe: Callable[[Page], None], make_user: Callable[..., int], make_release: Callable[..., int]
) -> None:
    """The public list and a full release, with helpline box, notes and contact, pass axe's WCAG 2.2 AA rules."""
    contact = make_user("manager", email="press.office@council.example", name="Priya Press")
    for headline in ("Bin collections change for the bank holiday", "New cycle lanes for Northshire town centre"):
        make_release(headline=headline, contact_id=contact, final=True)
    make_release(
        headline="Council warns of doorstep scam",
        standfirst="Residents are asked to check callers' identity.",
        body="Officers have had **three reports** this week.\n\n- Ask for ID\n- Call the council to check",
        helpline="If you are worried, ring the council on [01234 567890](tel:01234567890).",
        notes_to_editors="1. Trading Standards can give interviews.\n2. Photographs are available.",
        contact_id=contact,
        final=True,
    )

    page.goto("/")
    expect(page.get_by_role("listitem").get_by_role("heading", level=2)).to_have_count(3)
    axe(page)

    page.get_by_role("link", name="Council warns of doorstep scam").click()
    expect(page.get_by_role("complementary", name="Getting help")).to_contain_text("01234 567890")
    expect(page.get_by_role("region", name="Notes to editors")).to_be_visible()
    expect(page.get_by_role("region", name="Media enquiries")).to_contain_text("Priya Press")
    expect(page.get_by_role("region", name="Downloads")).to_have_count(0)
    axe(page)


def test_login_page_is_accessible_empty_and_with_errors(page: Page, axe: Callable[[Page], None]) -> None:
    """The sign-in page passes axe both as first shown and after a failed attempt."""
    page.goto("/staff/login")
    axe(page)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_be_focused()
    axe(page)
    page.get_by_label("Email address").fill("nobody@council.example")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("The email address or password is not right.")
    axe(page)


def test_new_release_form_with_errors_is_accessible(
    page: Page, axe: Callable[[Page], None], make_user: Callable[..., int]
) -> None:
    """The staff release form passes axe when it comes back with errors, and its summary takes focus."""
    make_user("manager", email=EDITOR_EMAIL, name=EDITOR_NAME)
    sign_in(page, EDITOR_EMAIL)
    page.goto("/staff/releases/new")
    page.get_by_label("Embargo time (UK time)").fill("09:30")
    page.get_by_role("button", name="Save draft").click()
    summary = page.get_by_role("alert")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_have_text(
        ["Enter a headline.", "Enter the body of the release.", "Enter the embargo date as well as the time."]
    )
    expect(page.get_by_label("Headline")).to_have_attribute("aria-invalid", "true")
    axe(page)
