"""An admin reads the audit trail: finds it in the staff navigation, filters it by person, action and date,
is told at the field about a bad object number, and exports what the filters show."""

import csv
import io
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from press.audit import AuditEvent
from press.extensions import db
from tests.browser.conftest import fill_date, sign_in

pytestmark = pytest.mark.browser

ADMIN_EMAIL = "ada.admin@council.example"


@pytest.fixture
def trail(app: Flask, make_user: Callable[..., int]) -> None:
    """An admin, and a manager and a press officer whose changes are in the trail."""
    make_user("admin", email=ADMIN_EMAIL, name="Ada Admin")
    mary = make_user("manager", email="mary@council.example", name="Mary Manager")
    sam = make_user("staff", email="sam@council.example", name="Sam Officer")
    with app.app_context():
        for at, who, action, kind, object_id in [
            (datetime(2024, 9, 1, 9, 0, tzinfo=UTC), mary, "contact added", "contact", 5),
            (datetime(2024, 9, 2, 10, 0, tzinfo=UTC), sam, "enquiry note added", "enquiry", 7),
            (datetime(2024, 9, 3, 11, 0, tzinfo=UTC), mary, "contact erased", "contact", 5),
            (datetime(2024, 9, 4, 12, 0, tzinfo=UTC), mary, "contacts exported", None, None),
        ]:
            db.session.add(AuditEvent(at=at, user_id=who, action=action, object_kind=kind, object_id=object_id,
                                      remote_addr="192.0.2.10", details={}))
        db.session.commit()


def shown_actions(page: Page) -> list[str]:
    return [text.removeprefix("What was done").strip() for text in page.locator("tbody tr td:nth-child(3)").all_text_contents()]


def test_an_admin_filters_the_audit_trail_and_exports_it(page: Page, trail, axe, screenshots):
    sign_in(page, ADMIN_EMAIL)
    page.get_by_role("navigation", name="Staff").get_by_role("link", name="Audit trail").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit trail")
    # The four entries made for the test, and the admin's own sign-in just now.
    expect(page.locator("tbody tr")).to_have_count(5)
    assert shown_actions(page)[0] == "signed in"
    axe(page)

    page.get_by_label("Person").select_option(label="Mary Manager")
    page.get_by_label("Kind of object").select_option("contact")
    fill_date(page, "From", "2024-09-02")
    fill_date(page, "To", "2024-09-30")
    page.get_by_role("button", name="Apply filters").click()
    assert shown_actions(page) == ["contact erased"]
    expect(page.locator("tbody")).to_contain_text("contact 5")
    expect(page.locator("tbody")).to_contain_text("192.0.2.10")
    screenshots(page, "audit-filtered")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export these as CSV").click()
    rows = list(csv.reader(io.StringIO(Path(download_info.value.path()).read_bytes().decode("utf-8-sig"))))
    assert [row[1:6] for row in rows[1:]] == [["Mary Manager", "contact erased", "contact", "5", "192.0.2.10"]]

    page.get_by_label("Object number").fill("five")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_role("alert")).to_contain_text("The object number must be a whole number, like 42.")
    expect(page.get_by_label("Object number")).to_have_value("five")
    expect(page.locator("#object_id-error")).to_contain_text("whole number")
    axe(page)
    screenshots(page, "audit-bad-filter")

    # The export itself is in the trail, newest first.
    page.get_by_role("link", name="Clear filters").click()
    assert shown_actions(page)[0] == "audit trail exported"
    expect(page.get_by_role("row", name=re.compile("audit trail exported"))).to_contain_text("Ada Admin")
