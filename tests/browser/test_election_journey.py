"""An admin records a pre-election period and lists a councillor; the newsroom says the period is on; a manager's
release that quotes the councillor is held back until the admin overrides it with a reason, and marking it final
asks for the publicity code confirmation."""

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Browsing, fill_date, sign_in
from tests.conftest import FrozenClock

pytestmark = pytest.mark.browser

MANAGER_EMAIL = "mary.manager@council.example"
ADMIN_EMAIL = "ada.admin@council.example"


def test_a_release_through_a_pre_election_period(browsing: Browsing, make_user: Callable[..., int],
                                                 make_release: Callable[..., int], frozen_clock: FrozenClock,
                                                 axe: Callable[[Page], None], screenshots):
    make_user("manager", email=MANAGER_EMAIL, name="Mary Manager")
    make_user("admin", email=ADMIN_EMAIL, name="Ada Admin")
    release_id = make_release(body="“A great day for readers,” said Councillor Jo Bloggs.")

    admin = browsing.new_page()
    browsing.watch_of(admin).expect_error(r"status of 422 .*/election-periods")
    browsing.watch_of(admin).expect_error(r"status of 422 .*/election-override")
    sign_in(admin, ADMIN_EMAIL)
    admin.goto("/staff/settings/election-periods")
    axe(admin)
    admin.get_by_label("What election").fill("Northshire County Council elections, 19 September 2024")
    fill_date(admin, "First day", "2024-08-12")
    fill_date(admin, "Last day", "2024-08-01")
    admin.get_by_role("button", name="Add the period").click()
    expect(admin.get_by_role("alert")).to_contain_text("The last day must be the same as or after the first day.")
    axe(admin)
    fill_date(admin, "Last day", "2024-09-19")
    admin.get_by_role("button", name="Add the period").click()
    expect(admin.get_by_role("heading", level=1)).to_have_text("Northshire County Council elections, 19 September 2024")
    admin.get_by_label("Full name").fill("Jo Bloggs")
    admin.get_by_label("Ward (optional)").fill("Riverside")
    admin.get_by_role("button", name="List the name").click()
    expect(admin.get_by_text("Jo Bloggs is listed")).to_be_visible()
    axe(admin)
    screenshots(admin, "election-period")

    public = browsing.new_page()
    public.goto("/")
    expect(public.get_by_role("note")).to_contain_text("Northshire Council is in a pre-election period")
    axe(public)

    page = browsing.new_page()
    browsing.watch_of(page).expect_error(r"status of 422 .*/publish")
    sign_in(page, MANAGER_EMAIL)
    page.goto(f"/staff/releases/{release_id}")
    expect(page.get_by_role("region", name="Pre-election period")).to_contain_text("This release names Jo Bloggs")
    axe(page)
    page.get_by_role("button", name="Mark final").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mark final during a pre-election period")
    page.get_by_role("button", name="Mark final").click()
    expect(page.get_by_role("alert")).to_contain_text("This release names Jo Bloggs")
    axe(page)

    admin.goto(f"/staff/releases/{release_id}/election-override")
    admin.get_by_role("button", name="Record the override").click()
    expect(admin.get_by_role("alert")).to_contain_text("Enter the reason for the override.")
    axe(admin)
    admin.get_by_label("Reason for the override").fill("He opens it as chair of the libraries board.")
    admin.get_by_role("button", name="Record the override").click()
    expect(admin.get_by_text("Override recorded")).to_be_visible()

    page.reload()
    page.get_by_role("button", name="Mark final").click()
    expect(page.get_by_role("alert")).to_contain_text("Confirm that this release meets the Code")
    page.get_by_label("This release meets the Code of Recommended Practice on Local Authority Publicity").check()
    page.get_by_role("button", name="Mark final").click()
    expect(page.get_by_text("is final.")).to_be_visible()
    expect(page.get_by_role("region", name="Pre-election period")).to_contain_text("Override by Ada Admin")
    axe(page)
    screenshots(page, "election-release")
