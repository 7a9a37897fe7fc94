"""A staff account from first email to audit trail, as the two people involved see it in their own browsers.

An admin invites a manager from the users page. The manager follows the emailed link, is told at the field
about a password too short and one typed differently twice, chooses a good one, and signs in. They set up
two-factor sign-in by typing the key the page shows into an authenticator app, keep their recovery codes,
sign out and back in with a code; a code already used is refused. The admin then reads the audit trail,
which shows the invitation, the password chosen, two-factor sign-in turned on and each sign-in and sign-out,
and filters it to the manager's own entries. Every page on the way passes axe.
"""

import re
from collections.abc import Callable

import pyotp
import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from press import clock
from press.accounts.services import MIN_PASSWORD_LENGTH
from tests.browser.conftest import Browsing, sign_in
from tests.conftest import FrozenClock
from tests.test_users_admin import emailed_links

pytestmark = pytest.mark.browser

ADMIN_EMAIL = "ada.admin@council.example"
MANAGER_EMAIL = "mina.manager@council.example"
NEW_PASSWORD = "a kettle of fish and chips"


@pytest.fixture
def app_config(app_config: dict, mail_server) -> dict:
    return app_config | mail_server.app_settings()


def type_password(page: Page) -> None:
    """The first step of signing in, which two-factor sign-in follows with the code page."""
    page.goto("/staff/login")
    page.get_by_label("Email address").fill(MANAGER_EMAIL)
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/staff/login/code$"))


def enter_code(page: Page, code: str) -> None:
    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Sign in").click()


def sign_out(page: Page) -> None:
    page.get_by_role("button", name=re.compile("^Sign out")).click()
    expect(page).to_have_url(re.compile(r"/staff/login"))


def shown_actions(page: Page) -> list[str]:
    cells = page.locator("tbody tr td:nth-child(3)").all_text_contents()
    return [text.removeprefix("What was done").strip() for text in cells]


def shown_objects(page: Page) -> list[str]:
    cells = page.locator("tbody tr td:nth-child(4)").all_text_contents()
    return [text.removeprefix("Object").strip() for text in cells]


def shown_people(page: Page) -> list[str]:
    cells = page.locator("tbody tr td:nth-child(2)").all_text_contents()
    return [text.removeprefix("Person").strip() for text in cells]


def test_an_invited_manager_sets_up_their_account_and_the_admin_reads_it_in_the_audit_trail(
        app: Flask, browsing: Browsing, make_user: Callable[..., int], mail_server, frozen_clock: FrozenClock,
        axe: Callable[[Page], None], screenshots: Callable) -> None:
    make_user("admin", email=ADMIN_EMAIL, name="Ada Admin")
    admin = browsing.new_page()
    browsing.watch_of(admin).expect_error(r"status of 422 .*/staff/users/invite")
    sign_in(admin, ADMIN_EMAIL)
    admin.get_by_role("navigation", name="Staff").get_by_role("link", name="Users").click()
    expect(admin.get_by_role("heading", level=1)).to_have_text("Users")
    axe(admin)

    admin.get_by_role("link", name="Invite a colleague").click()
    expect(admin.get_by_role("heading", level=1)).to_have_text("Invite a colleague")
    axe(admin)
    admin.get_by_label("Name").fill("Mina Manager")
    admin.get_by_label("Email address").fill("mina.manager")
    admin.get_by_label("Job title").fill("Communications Manager")
    admin.get_by_label("Mobile").fill("07700 900321")
    admin.get_by_label(re.compile("^Manager")).check()
    admin.get_by_role("button", name="Send the invitation").click()
    # The mistake is named at its field, and everything typed is still there to correct.
    expect(admin.get_by_role("alert")).to_contain_text("There is a problem")
    email_box = admin.get_by_label("Email address")
    expect(email_box).to_have_attribute("aria-invalid", "true")
    expect(email_box).to_have_accessible_description(re.compile("Enter a valid email address"))
    expect(email_box).to_have_value("mina.manager")
    expect(admin.get_by_label("Name")).to_have_value("Mina Manager")
    expect(admin.get_by_label("Job title")).to_have_value("Communications Manager")
    expect(admin.get_by_label("Mobile")).to_have_value("07700 900321")
    expect(admin.get_by_label(re.compile("^Manager"))).to_be_checked()
    axe(admin)
    screenshots(admin, "accounts-invite-error")
    email_box.fill(MANAGER_EMAIL)
    admin.get_by_role("button", name="Send the invitation").click()
    expect(admin.get_by_role("status")).to_contain_text("emailed Mina Manager an invitation")
    expect(admin.get_by_role("row", name=re.compile("Mina Manager"))).to_contain_text("No password yet")

    # The invitation, delivered by the outbox worker to the SMTP server on loopback.
    [link] = emailed_links(app, mail_server, MANAGER_EMAIL)
    manager = browsing.new_page()
    browsing.watch_of(manager).expect_error(r"status of 422 .*/staff/password/set/")
    manager.goto(link)
    expect(manager.get_by_role("heading", level=1)).to_have_text("Choose your password")
    expect(manager.get_by_text(f"For the account {MANAGER_EMAIL}.")).to_be_visible()
    axe(manager)
    password_box = manager.get_by_label("Password", exact=True)
    again_box = manager.get_by_label("Type the new password again")
    password_box.fill("kettle")
    again_box.fill("kettle")
    manager.get_by_role("button", name="Set the password").click()
    expect(manager.get_by_role("alert")).to_contain_text(f"at least {MIN_PASSWORD_LENGTH} characters")
    expect(password_box).to_have_attribute("aria-invalid", "true")
    expect(password_box).to_have_accessible_description(
        re.compile(f"Error: The password must be at least {MIN_PASSWORD_LENGTH} characters"))
    # The page is still for the same account; a password is never written back into a page, so both are typed again.
    expect(manager.get_by_text(f"For the account {MANAGER_EMAIL}.")).to_be_visible()
    expect(password_box).to_have_value("")
    axe(manager)
    screenshots(manager, "accounts-password-too-short")
    password_box.fill(NEW_PASSWORD)
    again_box.fill("a kettle of fish and chops")
    manager.get_by_role("button", name="Set the password").click()
    expect(again_box).to_have_accessible_description(re.compile("The two passwords are not the same."))
    expect(password_box).not_to_have_attribute("aria-invalid", "true")
    axe(manager)
    password_box.fill(NEW_PASSWORD)
    again_box.fill(NEW_PASSWORD)
    manager.get_by_role("button", name="Set the password").click()
    expect(manager.get_by_role("status")).to_contain_text("Your password is set")

    sign_in(manager, MANAGER_EMAIL, NEW_PASSWORD)
    manager.get_by_role("navigation", name="Staff").get_by_role("link", name="Two-factor sign-in").click()
    expect(manager.get_by_role("heading", level=1)).to_have_text("Set up two-factor sign-in")
    axe(manager)
    screenshots(manager, "accounts-two-factor-setup")
    authenticator = pyotp.TOTP(manager.locator("#setup-key").inner_text().replace(" ", ""))
    manager.get_by_label("Code from your authenticator app").fill(authenticator.at(clock.now()))
    manager.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(manager.get_by_role("heading", level=1)).to_have_text("Your recovery codes")
    expect(manager.locator(".recovery-codes code")).to_have_count(10)
    axe(manager)
    screenshots(manager, "accounts-recovery-codes")
    manager.get_by_role("link", name="I have saved my recovery codes").click()
    expect(manager.get_by_text("Two-factor sign-in is on.")).to_be_visible()
    sign_out(manager)

    # The next code is a new time step: the one turning two-factor sign-in on has been used.
    frozen_clock.advance(seconds=30)
    type_password(manager)
    expect(manager.get_by_role("heading", level=1)).to_have_text("Enter the code from your authenticator app")
    axe(manager)
    first_code = authenticator.at(clock.now())
    enter_code(manager, first_code)
    expect(manager).to_have_url(re.compile(r"/staff/releases/$"))
    sign_out(manager)

    # Someone who saw that code over the manager's shoulder cannot use it again in the same half-minute.
    type_password(manager)
    enter_code(manager, first_code)
    expect(manager.locator("#code-error")).to_contain_text("it has been used already")
    expect(manager.get_by_label("Code")).to_have_attribute("aria-invalid", "true")
    expect(manager.get_by_label("Code")).to_have_value(first_code)
    axe(manager)
    screenshots(manager, "accounts-code-replayed")
    frozen_clock.advance(seconds=30)
    enter_code(manager, authenticator.at(clock.now()))
    expect(manager).to_have_url(re.compile(r"/staff/releases/$"))

    # The admin sees the manager signed in with two-factor sign-in on, and what was done in the audit trail.
    admin.get_by_role("navigation", name="Staff").get_by_role("link", name="Users").click()
    row = admin.get_by_role("row", name=re.compile("Mina Manager"))
    expect(row).to_contain_text("Active")
    # The last sign-in is the second, a minute after the clock's start.
    signed_in = row.locator("td[data-label='Last signed in'] time")
    expect(signed_in).to_have_attribute("datetime", "2024-09-03T10:01:00Z")
    expect(signed_in).to_have_text("11:01 BST, Tuesday 3 September 2024")
    expect(row.locator("td[data-label='Two-factor sign-in']")).to_have_text("On")
    manager_id = row.get_by_role("link", name="Mina Manager").get_attribute("href").rstrip("/").rsplit("/", 1)[1]
    admin.get_by_role("navigation", name="Staff").get_by_role("link", name="Audit trail").click()
    expect(admin.get_by_role("heading", level=1)).to_have_text("Audit trail")
    # Newest first: each sign-in and sign-out, how two-factor sign-in came to be on, and the invitation.
    mina = ["signed in", "signed out", "signed in", "signed out", "two-factor sign-in turned on", "signed in",
            "invitation accepted"]
    assert shown_actions(admin) == [*mina, "invitation sent", "user invited", "signed in"]
    assert shown_people(admin) == ["Mina Manager"] * 7 + ["Ada Admin"] * 3
    # Every entry is about an account, the ones people made about their own included.
    assert shown_objects(admin)[:9] == [f"user {manager_id}"] * 9
    expect(admin.get_by_label("Kind of object").get_by_role("option")).to_have_text(["Any object", "user"])
    expect(admin.get_by_role("row", name=re.compile("user invited"))).to_contain_text(MANAGER_EMAIL)
    axe(admin)
    screenshots(admin, "accounts-audit")

    admin.get_by_label("Person").select_option(label="Mina Manager")
    admin.get_by_role("button", name="Apply filters").click()
    expect(admin).to_have_url(re.compile(f"person={manager_id}"))
    expect(admin.get_by_label("Person")).to_have_value(manager_id)
    assert shown_actions(admin) == mina
    assert set(shown_people(admin)) == {"Mina Manager"}
    axe(admin)
    screenshots(admin, "accounts-audit-manager")
