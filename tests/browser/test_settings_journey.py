"""An admin opens the sign-in settings from the navigation, mistypes a number and is told so next to the box,
then requires two-factor sign-in for managers; a manager already signed in is taken to set it up."""

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Browsing, sign_in

pytestmark = pytest.mark.browser

ADMIN_EMAIL = "ada.admin@council.example"
MANAGER_EMAIL = "mo.manager@council.example"


def test_an_admin_requires_two_factor_sign_in_for_managers(
        browsing: Browsing, make_user: Callable[..., int], axe, screenshots):
    make_user("admin", email=ADMIN_EMAIL, name="Ada Admin")
    make_user("manager", email=MANAGER_EMAIL, name="Mo Manager")
    manager = browsing.new_page()
    sign_in(manager, MANAGER_EMAIL)
    admin = browsing.new_page()
    browsing.watch_of(admin).expect_error(r"status of 422 .*/staff/settings")
    sign_in(admin, ADMIN_EMAIL)
    admin.get_by_role("navigation", name="Staff").get_by_role("link", name="Settings").click()
    expect(admin.get_by_role("heading", level=1)).to_have_text("Sign-in settings")
    axe(admin)

    admin.get_by_role("checkbox", name="Managers").check()
    idle = admin.get_by_label("Sign people out after this many minutes unused")
    idle.fill("half an hour")
    admin.get_by_role("button", name="Save the settings").click()
    expect(admin.get_by_role("alert")).to_contain_text("Enter the minutes as a whole number")
    expect(admin.locator("#idle_minutes-error")).to_contain_text("Enter the minutes as a whole number")
    expect(idle).to_have_value("half an hour")
    expect(admin.get_by_role("checkbox", name="Managers")).to_be_checked()
    axe(admin)
    screenshots(admin, "settings-error")
    # The summary's link takes the keyboard to the box.
    admin.get_by_role("alert").get_by_role("link").first.click()
    expect(idle).to_be_focused()
    idle.fill("30")
    admin.get_by_role("button", name="Save the settings").click()
    expect(admin.get_by_text("The sign-in settings are saved.")).to_be_visible()
    expect(admin.get_by_role("status").filter(has_text="1 manager")).to_be_visible()
    axe(admin)
    screenshots(admin, "settings-saved")

    manager.get_by_role("navigation", name="Staff").get_by_role("link", name="Contacts").click()
    expect(manager.get_by_role("heading", level=1)).to_have_text("Set up two-factor sign-in")
    expect(manager.get_by_text(re.compile("asks you to sign in with a code"))).to_be_visible()
    axe(manager)
