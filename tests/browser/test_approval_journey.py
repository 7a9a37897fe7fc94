"""Second-person approval in a real browser: the author writes a release tagged as involving a child and cannot
mark it final; a second manager answers the safeguarding checklist (told next to each question left blank),
reads the release as it will be published and approves it; the author marks it final and sends it."""

import re
from collections.abc import Callable

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from press.accounts.policy import Setting
from press.extensions import db
from press.releases import approval
from tests.browser.conftest import Browsing, sign_in
from tests.browser.test_distribution_journey import add_journalists

pytestmark = pytest.mark.browser

AUTHOR_EMAIL = "ann.author@council.example"
SECOND_EMAIL = "sam.second@council.example"
HEADLINE = "Youth centre reopens after fire"


@pytest.fixture
def office(app: Flask, make_user: Callable[..., int]) -> None:
    """Two managers, journalists on two lists, and approval required."""
    make_user("manager", email=AUTHOR_EMAIL, name="Ann Author")
    make_user("manager", email=SECOND_EMAIL, name="Sam Second")
    add_journalists(app)
    with app.app_context():
        db.session.add(Setting(name=approval.SETTING, value=True))
        db.session.commit()


def test_a_second_manager_works_the_checklist_and_approves_and_the_author_sends(
        browsing: Browsing, office: None, axe: Callable[[Page], None], screenshots: Callable[[Page, str], list]):
    author = browsing.new_page()
    sign_in(author, AUTHOR_EMAIL)
    author.goto("/staff/releases/new")
    author.get_by_label("Headline").fill(HEADLINE)
    author.get_by_label("Body").fill("The youth centre on Mill Lane reopens on Monday.")
    author.get_by_role("group", name="Safeguarding tags (optional)").get_by_role(
        "checkbox", name="Involves a child or young person (under 18)").check()
    author.get_by_role("button", name="Save draft").click()
    expect(author.get_by_role("heading", level=1)).to_have_text(HEADLINE)
    release_url = author.url
    author.get_by_role("button", name="Mark final").click()
    expect(author.get_by_text(re.compile("needs approving by a second manager or admin"))).to_be_visible()
    axe(author)

    second = browsing.new_page()
    browsing.watch_of(second).expect_error(r"status of 422 .*/checklist")
    sign_in(second, SECOND_EMAIL)
    second.goto(release_url)
    second.get_by_role("link", name="Approve", exact=True).click()
    expect(second.get_by_role("heading", name="Approve this version")).to_be_visible()
    expect(second.get_by_text(re.compile("questions unanswered"))).to_be_visible()
    expect(second.get_by_role("button", name="Approve this version")).to_have_count(0)
    axe(second)
    second.get_by_role("link", name="Answer the safeguarding checklist").click()
    expect(second.get_by_role("heading", level=1)).to_contain_text("Safeguarding checklist")
    expect(second.get_by_text(re.compile("Children and Young Persons Act 1933 s.49")).first).to_be_visible()
    lead = second.get_by_label("Who is the named safeguarding lead who has read this version?")
    lead.fill("Pat Lead, Head of Safeguarding")
    second.get_by_role("button", name="Save the answers").click()
    expect(second.get_by_role("alert")).to_contain_text("Answer yes or no.")
    expect(second.locator("#item_child_identified-error")).to_contain_text("Answer yes or no.")
    expect(lead).to_have_value("Pat Lead, Head of Safeguarding")
    axe(second)
    screenshots(second, "checklist-error")
    for question in ("Could anyone under 18 be identified", "Does the release touch family or care proceedings",
                     "Has a child been arrested but not charged"):
        second.get_by_role("group", name=re.compile(question)).get_by_role("radio", name="No").check()
    second.get_by_label("Who gave legal sign-off for this version, and when?").fill("Lee Legal, today")
    second.get_by_role("button", name="Save the answers").click()
    expect(second.get_by_text("The safeguarding checklist is saved for this version.")).to_be_visible()
    expect(second.get_by_role("article").get_by_role("heading", level=1)).to_have_text(HEADLINE)
    axe(second)
    screenshots(second, "approve")
    second.get_by_role("button", name="Approve this version").click()
    expect(second.get_by_text(re.compile(r"Version 1 of .* is approved"))).to_be_visible()
    expect(second.get_by_text(re.compile("Version 1 approved by Sam Second"))).to_be_visible()
    axe(second)

    author.goto(release_url)
    author.get_by_role("button", name="Mark final").click()
    expect(author.get_by_text(re.compile(r"is final\.$"))).to_be_visible()
    author.get_by_role("link", name="Versions").click()
    expect(author.get_by_role("heading", level=1)).to_contain_text("Versions of")
    expect(author.get_by_role("cell", name=re.compile("^Sam Second, "))).to_be_visible()
    axe(author)
    author.goto(release_url)
    author.get_by_role("link", name="Send to journalists").click()
    author.get_by_role("group", name="Lists").get_by_role("checkbox", name=re.compile("^Local papers")).check()
    author.get_by_role("button", name="Continue to check and send").click()
    expect(author.get_by_role("heading", level=1)).to_have_text("Check before sending")
    author.get_by_role("button", name=re.compile("^Send to")).click()
    expect(author.get_by_text(re.compile("Sending to .* has started"))).to_be_visible()
    axe(author)
