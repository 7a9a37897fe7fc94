"""A manager sets up two-factor sign-in by typing the key the page shows into an authenticator app, then signs out
and back in with a code; a recovery code gets them in once when the phone is not to hand."""

import re
from collections.abc import Callable

import pyotp
import pytest
from playwright.sync_api import Page, expect

from press import clock
from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD, FrozenClock

pytestmark = pytest.mark.browser

EMAIL = "mo.manager@council.example"


def type_password(page: Page) -> None:
    page.goto("/staff/login")
    page.get_by_label("Email address").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_a_manager_sets_up_two_factor_sign_in_and_signs_in_with_a_code(
        page: Page, make_user: Callable[..., int], frozen_clock: FrozenClock, axe: Callable[[Page], None],
        screenshots: Callable) -> None:
    make_user("manager", email=EMAIL, name="Mo Manager")
    sign_in(page, EMAIL)
    page.get_by_role("navigation", name="Staff").get_by_role("link", name="Two-factor sign-in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up two-factor sign-in")
    expect(page.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
    axe(page)
    screenshots(page, "two-factor-setup")

    # As a person with an app that cannot scan: the key typed in from the screen.
    secret = page.locator("#setup-key").inner_text().replace(" ", "")
    app = pyotp.TOTP(secret)
    code_box = page.get_by_label("Code from your authenticator app")
    code_box.fill("12")
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page.locator("#code-error")).to_contain_text("Enter the 6-digit code")
    expect(code_box).to_have_value("12")
    axe(page)
    code_box.fill(app.at(clock.now()))
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your recovery codes")
    codes = page.locator(".recovery-codes code").all_inner_texts()
    assert len(codes) == 10
    axe(page)
    page.get_by_role("link", name="I have saved my recovery codes").click()
    expect(page.get_by_text("Two-factor sign-in is on.")).to_be_visible()
    expect(page.get_by_text("You have 10 unused recovery codes.")).to_be_visible()
    axe(page)

    page.get_by_role("button", name=re.compile("^Sign out")).click()
    frozen_clock.advance(seconds=30)
    type_password(page)
    expect(page).to_have_url(re.compile(r"/staff/login/code$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter the code from your authenticator app")
    axe(page)
    page.get_by_label("Code").fill("000000" if app.at(clock.now()) != "000000" else "111111")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#code-error")).to_contain_text("That code is not right")
    axe(page)
    screenshots(page, "two-factor-code-wrong")
    page.get_by_label("Code").fill(app.at(clock.now()))
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/staff/releases/$"))

    page.get_by_role("button", name=re.compile("^Sign out")).click()
    frozen_clock.advance(minutes=1)
    type_password(page)
    page.get_by_label("Code").fill(codes[0])
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/staff/releases/$"))
