"""A press officer flags an enquiry as an FOI request, pauses its clock for a fees notice, mistypes the date the fee
came in and puts it right; an admin adds a one-off non-working day; the log shows the due date it moved to."""

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Browsing, fill_date, sign_in, summary_value
from tests.conftest import FrozenClock

pytestmark = pytest.mark.browser

OFFICER_EMAIL = "pat.officer@council.example"
ADMIN_EMAIL = "ada.admin@council.example"


def test_an_foi_request_through_its_clock(browsing: Browsing, make_user: Callable[..., int],
                                          make_enquiry: Callable[..., int], frozen_clock: FrozenClock,
                                          axe: Callable[[Page], None], screenshots):
    frozen_clock.set(datetime(2026, 12, 11, 10, 0, tzinfo=UTC))
    make_user("staff", email=OFFICER_EMAIL, name="Pat Officer")
    make_user("admin", email=ADMIN_EMAIL, name="Ada Admin")
    enquiry_id = make_enquiry(subject="Spending on consultants", kind="information")
    frozen_clock.set(datetime(2026, 12, 16, 10, 0, tzinfo=UTC))

    page = browsing.new_page()
    browsing.watch_of(page).expect_error(r"status of 422 .*/foi/pauses/end")
    sign_in(page, OFFICER_EMAIL)
    page.goto(f"/staff/enquiries/{enquiry_id}")
    section = page.get_by_role("region", name="Freedom of information")
    section.get_by_label("Yes, under the Freedom of Information Act 2000").check()
    section.get_by_role("button", name="Save the flag").click()
    expect(page.get_by_text("Marked as an FOI request. Due 14 January 2027.")).to_be_visible()
    expect(summary_value(page, "Statutory due date")).to_have_text("FOI due 14 January 2027")
    axe(page)

    section.get_by_label("Fees notice sent").check()
    fill_date(page, "Date sent", "2026-12-14")
    section.get_by_label("Note (optional)").fill("£45 for copying")
    section.get_by_role("button", name="Pause the clock").click()
    expect(summary_value(page, "Statutory due date")).to_have_text("Paused since 14 December 2026")

    fill_date(page, "Date answered", "2026-12-10")
    section.get_by_role("button", name="Start the clock again").click()
    expect(page.get_by_role("alert")).to_contain_text("The date answered cannot be before the date sent")
    expect(page.get_by_role("group", name="Date answered").get_by_label("Day")).to_have_value("10")
    axe(page)
    screenshots(page, "foi-resume-error")
    fill_date(page, "Date answered", "2026-12-16")
    section.get_by_role("button", name="Start the clock again").click()
    expect(page.get_by_text("The clock started again. It is now due 19 January 2027.")).to_be_visible()
    axe(page)

    admin = browsing.new_page()
    sign_in(admin, ADMIN_EMAIL)
    admin.goto("/staff/settings/non-working-days")
    expect(admin.get_by_role("heading", level=1)).to_have_text("One-off non-working days")
    axe(admin)
    fill_date(admin, "Date", "2027-01-18")
    admin.get_by_label("Name").fill("Day of national mourning")
    admin.get_by_role("button", name="Add the day").click()
    expect(admin.get_by_text("1 open FOI or EIR request had its due date moved.")).to_be_visible()
    axe(admin)
    screenshots(admin, "foi-non-working-days")

    page.goto("/staff/enquiries/?foi=only")
    expect(page.get_by_text("FOI due 20 January 2027")).to_be_visible()
    axe(page)
    screenshots(page, "foi-log")
