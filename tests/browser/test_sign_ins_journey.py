"""A press officer signed in on a laptop and a phone sees both on their account page, signs the phone out from
the laptop, and the phone is asked to sign in again at its next page."""

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Browsing, sign_in

pytestmark = pytest.mark.browser

EMAIL = "sam.officer@council.example"
LAPTOP = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
PHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
         "Version/18.1 Mobile/15E148 Safari/604.1")


def test_an_officer_signs_out_their_phone_from_their_laptop(
        browsing: Browsing, make_user: Callable[..., int], axe, screenshots):
    make_user("staff", email=EMAIL, name="Sam Officer")
    phone = browsing.new_page(user_agent=PHONE)
    sign_in(phone, EMAIL)
    laptop = browsing.new_page(user_agent=LAPTOP)
    sign_in(laptop, EMAIL)
    laptop.get_by_role("navigation", name="Staff").get_by_role("link", name="Your account").click()
    places = laptop.get_by_role("list", name="Where you are signed in").get_by_role("listitem")
    expect(places).to_have_count(2)
    expect(places.filter(has_text="Firefox on Windows")).to_contain_text("This device")
    expect(places.filter(has_text="Safari on iPhone")).not_to_contain_text("This device")
    axe(laptop)
    screenshots(laptop, "account-sign-ins")

    laptop.get_by_role("button", name=re.compile("^Sign out Safari on iPhone")).click()
    expect(laptop.get_by_text("That session is signed out.")).to_be_visible()
    expect(places).to_have_count(1)
    axe(laptop)

    phone.get_by_role("navigation", name="Staff").get_by_role("link", name="Enquiries").first.click()
    expect(phone).to_have_url(re.compile(r"/staff/login"))
    expect(phone.get_by_role("heading", level=1)).to_have_text("Sign in to the press office")
