"""Finding the way round the staff area on a desktop and a phone, the enquiry log as cards, and the enquiry form
that asks only what applies, with error summary links that land on the field with its label in view."""

import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Locator, Page, expect

from press.extensions import db
from press.releases.models import Release
from tests.browser.conftest import SCREEN_WIDTHS, Browsing, fill_date, sign_in
from tests.conftest import FrozenClock

pytestmark = pytest.mark.browser

MANAGER_EMAIL = "mo.manager@council.example"
OFFICER_EMAIL = "olu.officer@council.example"
HEADLINE = "Northshire libraries to open on Sundays"
PHONE = {"width": SCREEN_WIDTHS["phone"][0], "height": SCREEN_WIDTHS["phone"][1]}
DESKTOP = {"width": SCREEN_WIDTHS["desktop"][0], "height": SCREEN_WIDTHS["desktop"][1]}
GROUPS = ["Releases", "Distributions", "Contacts and lists", "Enquiries and dashboard", "Caught mail"]


@pytest.fixture
def app_config(app_config: dict, tmp_path) -> dict:
    """A mail catcher, so a manager's navigation has its Caught mail group."""
    return app_config | {"PRESS_MAIL_CATCHER_DIR": str(tmp_path / "mail")}


@pytest.fixture
def office(make_user: Callable[..., int], make_enquiry: Callable[..., int], frozen_clock: FrozenClock) -> list[int]:
    """A manager, a press officer, and three open enquiries, one with a long outlet and subject."""
    make_user("manager", email=MANAGER_EMAIL, name="Mo Manager")
    make_user("staff", email=OFFICER_EMAIL, name="Olu Officer")
    return [
        make_enquiry(journalist_name="Hannah Okafor", outlet="BBC Radio Northshire and the Three Counties Breakfast Show",
                     subject="Sunday opening across every library in the county, and what it costs the council",
                     deadline_at=frozen_clock() + timedelta(minutes=30)),
        make_enquiry(journalist_name="Sam Reporter", deadline_at=frozen_clock() + timedelta(hours=5)),
        make_enquiry(journalist_name="Priya Patel", outlet="Freelance", kind="interview",
                     deadline_at=frozen_clock() + timedelta(days=1)),
    ]


def staff_nav(page: Page) -> Locator:
    return page.get_by_role("navigation", name="Staff")


def group_label(nav: Locator, text: str) -> Locator:
    """A group's visible label (for a job with one page, the label is its link)."""
    return nav.locator(".staff-nav-label").filter(has_text=re.compile(f"^{re.escape(text)}$"))


def no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    wide = page.evaluate("""(limit) => [...document.querySelectorAll('body *')]
        .filter(el => el.getBoundingClientRect().right > limit || el.scrollWidth > limit)
        .map(el => el.tagName.toLowerCase() + (el.className ? '.' + el.className : '') + (el.id ? '#' + el.id : ''))
        .slice(0, 5)""", page.viewport_size["width"])
    assert width <= page.viewport_size["width"], (
        f"the page is {width}px wide on a {page.viewport_size['width']}px screen: {wide}")


def tab_to(page: Page, text: str, presses: int = 30) -> None:
    """Press Tab, as a keyboard user would, until the focused element's text is this."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.textContent.trim()") == text:
            return
    raise AssertionError(f"Tab never reached “{text}”")


def in_view(page: Page, locator: Locator) -> bool:
    """Whether the element is wholly inside the window, top to bottom and side to side."""
    box = locator.bounding_box()
    size = page.viewport_size
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= size["height"] \
        and box["x"] >= 0 and box["x"] + box["width"] <= size["width"]


def test_the_navigation_groups_jobs_marks_the_page_and_names_the_part(
        page: Page, office: list[int], axe, screenshots) -> None:
    page.set_viewport_size(DESKTOP)
    sign_in(page, MANAGER_EMAIL)
    nav = staff_nav(page)
    expect(nav.get_by_text("Menu", exact=True)).to_be_hidden()
    for label in GROUPS:
        expect(group_label(nav, label)).to_be_visible()
    expect(page.locator(".staff-part")).to_have_text("You are in: Releases")
    expect(nav.get_by_role("link", name="Releases", exact=True)).to_have_attribute("aria-current", "page")
    expect(page.get_by_text("get our press releases by email")).to_have_count(0)
    expect(page.get_by_role("contentinfo")).to_have_count(0)
    axe(page)

    nav.get_by_role("link", name="Enquiries", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Enquiries")
    expect(page.locator(".staff-part")).to_contain_text("Enquiries")
    expect(nav.get_by_role("link", name="Enquiries", exact=True)).to_have_attribute("aria-current", "page")
    expect(nav.locator("[aria-current]")).to_have_count(1)
    axe(page)

    nav.get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Enquiries dashboard")
    expect(page.locator(".staff-part")).to_contain_text("Enquiries")
    expect(nav.get_by_role("link", name="Dashboard")).to_have_attribute("aria-current", "page")
    expect(nav.get_by_role("link", name="Enquiries", exact=True)).not_to_have_attribute("aria-current", re.compile("."))
    axe(page)

    page.goto(f"/staff/enquiries/{office[1]}")
    expect(page.locator(".staff-part")).to_contain_text("Enquiries")
    expect(nav.get_by_role("link", name="Enquiries", exact=True)).to_have_attribute("aria-current", "true")
    axe(page)

    nav.get_by_role("link", name="Lists").click()
    expect(page.locator(".staff-part")).to_contain_text("Contacts and lists")
    expect(nav.get_by_role("link", name="Lists")).to_have_attribute("aria-current", "page")
    nav.get_by_role("link", name="Caught mail").click()
    expect(page.locator(".staff-part")).to_contain_text("Caught mail")
    axe(page)

    page.goto("/staff/enquiries/")
    page.set_viewport_size(PHONE)
    nav.get_by_text("Menu", exact=True).click()
    screenshots(page, "staff-navigation")


def test_on_a_phone_the_menu_opens_by_keyboard_and_shows_only_what_the_role_may_open(
        browsing: Browsing, office: list[int], axe) -> None:
    page = browsing.new_page()
    page.set_viewport_size(PHONE)
    sign_in(page, OFFICER_EMAIL)
    page.goto(f"/staff/enquiries/{office[0]}")
    nav = staff_nav(page)
    menu = nav.get_by_text("Menu", exact=True)
    expect(menu).to_be_visible()
    expect(nav.get_by_role("link", name="Enquiries", exact=True)).to_be_hidden()
    expect(page.locator(".staff-part")).to_contain_text("Enquiries")
    no_sideways_scroll(page)
    axe(page)

    tab_to(page, "Menu")
    expect(menu).to_be_focused()
    page.keyboard.press("Enter")
    expect(nav.get_by_role("link", name="Enquiries", exact=True)).to_be_visible()
    for label in GROUPS[:-1]:
        expect(group_label(nav, label)).to_be_visible()
    # A press officer may not open these pages, so the menu does not offer them.
    for hidden in ("New release", "Import a release", "Caught mail"):
        expect(nav.get_by_text(hidden)).to_have_count(0)
    no_sideways_scroll(page)
    axe(page)

    page.keyboard.press("Tab")
    expect(nav.get_by_role("link", name="Releases", exact=True)).to_be_focused()
    tab_to(page, "Enquiries")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Enquiries")
    # On the new page the menu is folded again; Space opens it from the keyboard too.
    expect(nav.get_by_role("link", name="Enquiries", exact=True)).to_be_hidden()
    tab_to(page, "Menu")
    page.keyboard.press("Space")
    expect(nav.get_by_role("link", name="Enquiries", exact=True)).to_have_attribute("aria-current", "page")
    no_sideways_scroll(page)
    axe(page)


def test_the_enquiry_log_is_cards_on_a_phone_with_its_filters_folded(
        browsing: Browsing, office: list[int], axe, screenshots) -> None:
    page = browsing.new_page()
    page.set_viewport_size(PHONE)
    sign_in(page, MANAGER_EMAIL)
    page.goto("/staff/enquiries/")
    no_sideways_scroll(page)
    cards = page.locator("table.log-table tbody tr")
    expect(cards).to_have_count(3)
    first = cards.first
    for cell, text in ((".cell-journalist", "Hannah Okafor"), (".cell-deadline", "11:30 BST"),
                       (".cell-status", "New")):
        expect(first.locator(cell)).to_contain_text(text)
        assert in_view(page, first.locator(cell)), f"{cell} is outside the phone's screen"
    assert in_view(page, first.get_by_role("link", name=re.compile("^ENQ-")))
    expect(first.locator(".cell-deadline .cell-label")).to_have_text("Deadline")
    assert page.locator(".log-table thead").bounding_box()["height"] <= 1, "the column headings are for screen readers"
    axe(page)

    filters = page.locator("details.filter-disclosure")
    summary = filters.get_by_text("Filter enquiries", exact=True)
    expect(summary).to_be_visible()
    expect(page.get_by_label("Search")).to_be_hidden()
    summary.click()
    expect(page.get_by_label("Search")).to_be_visible()
    no_sideways_scroll(page)
    axe(page)
    page.get_by_label("Search").fill("Okafor")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_role("status")).to_have_text("1 enquiry matches.")
    expect(page.get_by_label("Search"), "a filter in use keeps the filters open").to_have_value("Okafor")
    expect(page.get_by_label("Search")).to_be_visible()
    no_sideways_scroll(page)
    axe(page)

    page.goto("/staff/enquiries/")
    screenshots(page, "enquiry-log")
    page.set_viewport_size(DESKTOP)
    expect(page.get_by_role("columnheader", name="Deadline")).to_be_visible()
    expect(cards.first.locator(".cell-label").first).to_be_hidden()
    axe(page)


@pytest.fixture
def release_slug(app: Flask, make_release: Callable[..., int], frozen_clock: FrozenClock) -> str:
    """A public release, made on the frozen clock's day."""
    release_id = make_release(headline=HEADLINE, final=True)
    with app.app_context():
        return db.session.get(Release, release_id).slug


def test_the_enquiry_form_shows_interview_questions_only_for_an_interview(
        browsing: Browsing, release_slug: str, frozen_clock: FrozenClock, axe) -> None:
    for viewport in (DESKTOP, PHONE):
        page = browsing.new_page()
        page.set_viewport_size(viewport)
        page.goto(f"/releases/{release_slug}")
        page.get_by_role("link", name="Make a media enquiry about this release").click()
        expect(page.get_by_label("Subject")).to_have_value(HEADLINE)
        interview = page.get_by_role("group", name="For an interview request")
        expect(interview, "nothing is chosen yet, so nothing is hidden").to_be_visible()
        page.get_by_label("Request for comment or statement").check()
        expect(interview).to_be_hidden()
        expect(page.get_by_label("Who you would like to interview")).to_be_hidden()
        no_sideways_scroll(page)
        axe(page)
        page.get_by_label("Interview request").check()
        expect(interview).to_be_visible()
        expect(page.get_by_label("Proposed date")).to_be_visible()
        no_sideways_scroll(page)
        axe(page)


def test_without_script_the_interview_questions_stay_and_the_form_still_works(
        browsing: Browsing, release_slug: str, frozen_clock: FrozenClock) -> None:
    context = browsing.browser.new_context(base_url=browsing.base_url, java_script_enabled=False, locale="en-GB")
    try:
        page = context.new_page()
        page.goto(f"/releases/{release_slug}")
        page.get_by_role("link", name="Make a media enquiry about this release").click()
        page.get_by_label("Request for comment or statement").check()
        expect(page.get_by_role("group", name="For an interview request")).to_be_visible()
        page.get_by_label("Your name").fill("Sam Reporter")
        page.get_by_label("Media outlet").fill("Northshire Gazette")
        page.get_by_label("Email address").fill("sam@gazette.example")
        page.get_by_label("Your enquiry").fill("What are the Sunday hours?")
        fill_date(page, "Deadline date", "2024-09-03")
        page.get_by_label("Deadline time (UK time)").fill("16:30")
        # Left over from before the type was changed: not an interview, so it does not hold the enquiry up.
        page.get_by_label("Proposed time (UK time)").fill("09:00")
        page.get_by_role("button", name="Send the enquiry").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Enquiry sent")
    finally:
        context.close()


def label_of(page: Page, input_id: str) -> Locator:
    return page.locator(f"label[for='{input_id}']")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_error_summary_links_land_on_the_field_with_its_label_in_view(
        browsing: Browsing, frozen_clock: FrozenClock, axe, screenshots, viewport: dict) -> None:
    page = browsing.new_page()
    page.set_viewport_size(viewport)
    browsing.watch_of(page).expect_error(r"status of 422 .*/enquiries/new")
    page.goto("/enquiries/new")
    page.get_by_label("Interview request").check()
    fill_date(page, "Proposed date", "2024-09-05")
    page.get_by_role("button", name="Send the enquiry").click()
    summary = page.get_by_role("alert")
    expect(summary).to_be_focused()
    axe(page)

    # Each field's error once, in one style: no error bar inside another, no description named twice.
    assert page.locator(".field-error .field-error").count() == 0
    expect(page.locator(".error-message")).to_have_count(summary.get_by_role("link").count())
    described = page.evaluate("""() => [...document.querySelectorAll('[aria-describedby]')]
        .flatMap(el => el.getAttribute('aria-describedby').split(/\\s+/))""")
    assert len(described) == len(set(described)), described

    checks = [
        ("Enter your name.", "#name", label_of(page, "name")),
        ("Enter the time of your deadline.", "#deadline_time", label_of(page, "deadline_time")),
        ("Enter the proposed time as well as the date.", "#proposed_time", label_of(page, "proposed_time")),
        ("Choose the format of the interview.", "#interview_format-0",
         page.get_by_role("group", name="Format", exact=True).locator("legend")),
    ]
    for message, target, label in checks:
        page.evaluate("() => window.scrollTo(0, document.body.scrollHeight)")
        summary.get_by_role("link", name=message).click()
        expect(page.locator(target)).to_be_focused()
        assert in_view(page, label), (f"after “{message}” the label is out of view: {label.bounding_box()}, "
                                      f"scrolled to {page.evaluate('() => window.scrollY')}")
        assert in_view(page, page.locator(target)), f"after “{message}” the field is out of view"
    no_sideways_scroll(page)
    if viewport == PHONE:
        screenshots(page, "enquiry-form-errors")


def test_the_releases_list_fits_a_phone_as_one_card_per_release(
    browsing: Browsing, make_user: Callable[..., int], make_release: Callable[..., int],
    axe: Callable[[Page], None], screenshots: Callable[[Page, str], list[Path]],
) -> None:
    make_user("manager", email="edna.editor@council.example", name="Edna Editor")
    make_release(headline="A headline long enough to wrap on a phone rather than push the page sideways")
    page = browsing.new_page()
    sign_in(page, "edna.editor@council.example")
    width, height = SCREEN_WIDTHS["phone"]
    page.set_viewport_size({"width": width, "height": height})
    page.goto("/staff/releases/")
    row = page.get_by_role("row").filter(has_text="A headline long enough")
    expect(row).to_contain_text("Media contact")
    no_sideways_scroll(page)
    axe(page)
    screenshots(page, "releases-list")
