"""An admin invites a manager from the users page; the manager sets a password from the emailed link and signs in."""

import re
from collections.abc import Callable

import pytest
from flask import Flask
from playwright.sync_api import expect

from tests.browser.conftest import Browsing, sign_in
from tests.test_users_admin import emailed_links

pytestmark = pytest.mark.browser

ADMIN_EMAIL = "ada.admin@council.example"
NEW_PASSWORD = "a kettle of fish and chips"


@pytest.fixture
def app_config(app_config: dict, mail_server) -> dict:
    return app_config | mail_server.app_settings()


def test_an_admin_invites_a_manager_who_sets_a_password_and_signs_in(
        app: Flask, browsing: Browsing, make_user: Callable[..., int], mail_server, axe, screenshots):
    make_user("admin", email=ADMIN_EMAIL, name="Ada Admin")
    admin = browsing.new_page()
    browsing.watch_of(admin).expect_error(r"status of 422 .*/staff/users/invite")
    sign_in(admin, ADMIN_EMAIL)
    admin.get_by_role("navigation", name="Staff").get_by_role("link", name="Users").click()
    expect(admin.get_by_role("heading", level=1)).to_have_text("Users")
    axe(admin)
    admin.get_by_role("link", name="Invite a colleague").click()
    # Sent empty, the form says what is missing next to each field.
    admin.get_by_role("button", name="Send the invitation").click()
    expect(admin.get_by_role("alert")).to_contain_text("Enter a name.")
    axe(admin)
    admin.get_by_label("Name").fill("Mina Manager")
    admin.get_by_label("Email address").fill("mina.manager@council.example")
    admin.get_by_label("Job title").fill("Communications Manager")
    admin.get_by_label("Mobile").fill("07700 900321")
    admin.get_by_label(re.compile("^Manager")).check()
    screenshots(admin, "users-invite")
    admin.get_by_role("button", name="Send the invitation").click()
    expect(admin.get_by_role("status")).to_contain_text("emailed Mina Manager an invitation")
    row = admin.get_by_role("row", name=re.compile("Mina Manager"))
    expect(row).to_contain_text("No password yet")
    screenshots(admin, "users-list")

    [link] = emailed_links(app, mail_server, "mina.manager@council.example")
    manager = browsing.new_page()
    browsing.watch_of(manager).expect_error(r"status of 422 .*/staff/password/set/")
    manager.goto(link)
    expect(manager.get_by_role("heading", level=1)).to_have_text("Choose your password")
    axe(manager)
    manager.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    manager.get_by_label("Type the new password again").fill("not the same password")
    manager.get_by_role("button", name="Set the password").click()
    expect(manager.get_by_role("alert")).to_contain_text("The two passwords are not the same.")
    axe(manager)
    manager.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    manager.get_by_label("Type the new password again").fill(NEW_PASSWORD)
    manager.get_by_role("button", name="Set the password").click()
    expect(manager.get_by_role("status")).to_contain_text("Your password is set")
    axe(manager)
    sign_in(manager, "mina.manager@council.example", NEW_PASSWORD)
    manager.get_by_role("link", name="Your account").click()
    expect(manager.get_by_label("Job title")).to_have_value("Communications Manager")
    axe(manager)
    screenshots(manager, "users-account")
    expect(manager.get_by_role("navigation", name="Staff").get_by_role("link", name="Users")).to_have_count(0)

    admin.reload()
    row = admin.get_by_role("row", name=re.compile("Mina Manager"))
    expect(row).to_contain_text("Active")
    row.get_by_role("link", name="Mina Manager").click()
    axe(admin)
    admin.get_by_role("button", name="Deactivate Mina Manager").click()
    expect(admin.get_by_role("status")).to_contain_text("can no longer sign in")
    manager.reload()
    expect(manager).to_have_url(re.compile(r"/staff/login"))
