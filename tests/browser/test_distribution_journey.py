"""Sending a release to journalists in a real browser: choose lists, check, preview, test, send, follow, retry."""

import re
import threading
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from flask import Flask
from playwright.sync_api import Locator, Page, expect

from press.contacts import services as contacts
from press.contacts.models import Contact, MediaList
from press.outbox.worker import Worker
from press.extensions import db
from tests.browser.conftest import sign_in, summary_value
from tests.conftest import FrozenClock
from tests.mailserver import MailServer

pytestmark = pytest.mark.browser

EMBARGO = datetime(2024, 9, 3, 23, 1, tzinfo=UTC)  # 00:01 BST, Wednesday 4 September 2024
EMBARGO_TEXT = "00:01 BST, Wednesday 4 September 2024"
HEADLINE = "Northshire libraries to open on Sundays"
MANAGER_EMAIL = "mo.manager@council.example"
MANAGER_NAME = "Mo Manager"
FAILING = "cat@times.example"
# Everyone who should get the release: each once, though Bob is on both lists, and never Dan, who left.
RECIPIENTS = {"ann@gazette.example", "bob@radio.example", FAILING, "dev@weekly.example", "eve@tv.example"}
PREVIEW_LINK = "Preview the email as a journalist will get it"
# The progress line can take two polls (2 s each) and a worker run to settle.
SETTLE_MS = 15_000


@pytest.fixture
def app_config(app_config: dict, mail_server: MailServer) -> dict:
    """Mail goes to the test's SMTP server, as fast as it will take it."""
    return app_config | mail_server.app_settings()


def add_journalists(app: Flask) -> None:
    """Two lists of journalists: Bob on both, Cat (whose server refuses) on one, and Dan, who unsubscribed."""
    with app.app_context():
        local, broadcast = MediaList(name="Local papers"), MediaList(name="Broadcasters")
        db.session.add_all([local, broadcast])
        db.session.flush()
        for email, name, outlet, lists in [
            ("ann@gazette.example", "Ann Lee", "Northshire Gazette", [local]),
            ("bob@radio.example", "Bob Roe", "Radio Northshire", [local, broadcast]),
            (FAILING, "Cat Day", "The Times", [broadcast]),
            ("dev@weekly.example", "Dev Shah", "Northshire Weekly", [local]),
            ("eve@tv.example", "Eve Hart", "Northshire TV", [broadcast]),
            ("dan@left.example", "Dan Gone", "Northshire Gazette", [local]),
        ]:
            contacts.create_contact(db.session, by=None, email=email, name=name, outlet=outlet, lists=lists)
        db.session.flush()
        dan = db.session.scalar(db.select(Contact).where(Contact.email == "dan@left.example"))
        contacts.unsubscribe(db.session, dan, how="link")
        db.session.commit()


@pytest.fixture
def newsroom(app: Flask, make_user: Callable[..., int], make_release: Callable[..., int],
             frozen_clock: FrozenClock) -> int:
    """Two lists of journalists (one on both, one unsubscribed) and a final embargoed release; its id."""
    manager_id = make_user("manager", email=MANAGER_EMAIL, name=MANAGER_NAME)
    release_id = make_release(headline=HEADLINE, contact_id=manager_id, embargo_at=EMBARGO, final=True)
    add_journalists(app)
    return release_id


class WorkerRun:
    """One pass of the outbox worker in a background thread, as if its process had woken up."""

    def __init__(self, app: Flask) -> None:
        self.handled: int | None = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self.run, args=(app,), name="outbox-worker", daemon=True)
        self.thread.start()

    def run(self, app: Flask) -> None:
        """The thread's work: drain the outbox once, keeping the count or the error for finish()."""
        try:
            self.handled = Worker(app).run(once=True)
        except BaseException as error:  # noqa: BLE001 - handed to the test by finish()
            self.error = error

    def finish(self) -> int:
        """Wait for the pass to end; return how many messages it handled, or raise what it raised."""
        self.thread.join(timeout=20)
        assert not self.thread.is_alive(), "the worker did not finish its pass"
        if self.error is not None:
            raise self.error
        assert self.handled is not None
        return self.handled


def count_cell(page: Page, label: str) -> Locator:
    """The number beside a status in the report's Progress table."""
    row = page.get_by_role("table", name="Progress").get_by_role("row").filter(
        has=page.get_by_role("link", name=label, exact=True)
    )
    return row.get_by_role("cell").nth(1)


def recipient_row(page: Page, email: str) -> Locator:
    """A recipient's row in the report's Recipients table."""
    return page.get_by_role("table", name="Recipients").get_by_role("row").filter(has_text=email)


def progress_line(page: Page) -> Locator:
    """The report's live line saying how many have been sent."""
    return page.get_by_role("status").filter(has_text=re.compile(r"\d+ of \d+ sent"))


def open_send_page(page: Page, release_id: int) -> None:
    """Go from the release's staff page to the send page, as a manager would."""
    page.goto(f"/staff/releases/{release_id}")
    page.get_by_role("link", name="Send to journalists").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Send to journalists")


def tick_both_lists(page: Page) -> None:
    """Tick the two lists, whose labels say how many active contacts each has."""
    lists = page.get_by_role("group", name="Lists")
    lists.get_by_role("checkbox", name="Local papers (3 active contacts)").check()
    lists.get_by_role("checkbox", name="Broadcasters (3 active contacts)").check()


def test_manager_sends_an_embargoed_release_follows_it_and_retries_the_failure(
    page: Page, app: Flask, newsroom: int, mail_server: MailServer,
) -> None:
    """The whole journey: check the audience, preview, test, send, watch the report fill in, retry the failure."""
    mail_server.reply_for(FAILING, 550, "5.1.1 No such mailbox here", times=1)
    subject = f"EMBARGOED UNTIL {EMBARGO_TEXT}: {HEADLINE}"

    sign_in(page, MANAGER_EMAIL)
    open_send_page(page, newsroom)
    expect(page.locator(".embargo-line")).to_have_text(f"Embargoed until {EMBARGO_TEXT}")
    tick_both_lists(page)
    page.get_by_role("button", name="Check who will receive it").click()
    audience = page.get_by_role("status").filter(has=page.get_by_role("heading", name="Who will receive it"))
    expect(audience).to_contain_text(
        "5 journalists will receive it; 1 on these lists is left out because they unsubscribed or bounced."
    )
    expect(page.get_by_role("checkbox", name=re.compile("^Local papers")), "the choice survives Check").to_be_checked()
    expect(page.get_by_role("checkbox", name=re.compile("^Broadcasters"))).to_be_checked()

    with page.context.expect_page() as new_tab:
        page.get_by_role("link", name=PREVIEW_LINK).click(modifiers=["ControlOrMeta"])
    preview = new_tab.value
    preview.wait_for_load_state()
    expect(preview.get_by_role("heading", level=1)).to_have_text("The email as Ann Lee will get it")
    expect(summary_value(preview, "Subject")).to_have_text(subject)
    expect(summary_value(preview, "Reply-To")).to_contain_text(MANAGER_EMAIL)
    expect(preview.locator(".email-text")).to_contain_text(f"EMBARGOED UNTIL {EMBARGO_TEXT}")
    preview.close()

    page.get_by_role("button", name="Send me a test").click()
    expect(page.get_by_role("status").filter(has_text="A test is on its way")).to_have_text(
        f"A test is on its way to {MANAGER_EMAIL}."
    )
    expect(page.get_by_role("checkbox", name=re.compile("^Local papers")), "the choice survives a test").to_be_checked()
    assert mail_server.messages == [], "nothing goes until the worker runs"

    page.get_by_role("button", name="Continue to check and send").click()
    page.get_by_role("button", name="Send to 5 journalists").click()
    expect(page).to_have_url(re.compile(r"/staff/distributions/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Delivery report")
    expect(page.get_by_role("status").filter(has_text="has started")).to_have_text(
        "Sending to 5 journalists has started."
    )
    expect(summary_value(page, "Recipients")).to_have_text("5 (1 left out because they unsubscribed or bounced)")
    expect(summary_value(page, "State")).to_have_text("Sending")
    expect(progress_line(page)).to_have_text("0 of 5 sent.")
    expect(count_cell(page, "Waiting to go")).to_have_text("5")
    # Anything that reloads the page loses this mark.
    page.evaluate("() => { window.stillTheSamePage = true; }")

    worker = WorkerRun(app)
    expect(progress_line(page)).to_have_text(
        "Finished: 4 of 5 sent. Refresh the page for the full report.", timeout=SETTLE_MS
    )
    assert worker.finish() == 6, "the test message and the five deliveries"
    expect(count_cell(page, "Sent")).to_have_text("4")
    expect(count_cell(page, "Failed")).to_have_text("1")
    expect(count_cell(page, "Waiting to go")).to_have_text("0")
    assert page.evaluate("() => window.stillTheSamePage === true"), "the report filled in without a reload"

    [test_message] = [m.message for m in mail_server.messages if m.rcpt_tos == [MANAGER_EMAIL]]
    assert test_message["Subject"] == f"[TEST] {subject}"
    assert dict(mail_server.by_recipient()) == {MANAGER_EMAIL: 1} | {a: 1 for a in RECIPIENTS - {FAILING}}
    for received in mail_server.messages:
        if received.rcpt_tos != [MANAGER_EMAIL]:
            assert received.message["Subject"] == subject
            assert MANAGER_EMAIL in received.message["Reply-To"]

    page.reload()
    failed = recipient_row(page, FAILING)
    expect(failed.get_by_role("cell").nth(1)).to_have_text("Failed")
    expect(failed.get_by_role("cell").nth(4)).to_contain_text("550")
    expect(failed.get_by_role("cell").nth(4)).to_contain_text("No such mailbox here")
    expect(recipient_row(page, "ann@gazette.example").get_by_role("cell").nth(1)).to_have_text("Sent")
    expect(recipient_row(page, "dan@left.example"), "the unsubscribed journalist is not on the report").to_have_count(0)

    page.get_by_role("button", name="Retry the failed ones").click()
    expect(page.get_by_role("status").filter(has_text="tried again")).to_have_text(
        "1 email will be tried again in the next hour."
    )
    expect(progress_line(page)).to_have_text("4 of 5 sent.")
    expect(count_cell(page, "Waiting to go")).to_have_text("1")
    page.evaluate("() => { window.stillTheSamePage = true; }")

    worker = WorkerRun(app)
    expect(progress_line(page)).to_have_text(
        "Finished: 5 of 5 sent. Refresh the page for the full report.", timeout=SETTLE_MS
    )
    assert worker.finish() == 1
    expect(count_cell(page, "Sent")).to_have_text("5")
    expect(count_cell(page, "Failed")).to_have_text("0")
    assert page.evaluate("() => window.stillTheSamePage === true"), "the report filled in without a reload"
    assert mail_server.by_recipient()[FAILING] == 1
    assert dict(mail_server.by_recipient()) == {MANAGER_EMAIL: 1} | {a: 1 for a in RECIPIENTS}

    page.reload()
    expect(recipient_row(page, FAILING).get_by_role("cell").nth(1)).to_have_text("Sent")
    expect(recipient_row(page, FAILING).get_by_role("cell").nth(3), "two attempts").to_have_text("2")
    expect(page.get_by_role("button", name="Retry the failed ones")).to_have_count(0)
    expect(summary_value(page, "State")).to_have_text("Finished")


def test_send_preview_and_report_pages_are_accessible(
    page: Page, app: Flask, axe: Callable[[Page], None], newsroom: int,
    mail_server: MailServer,
) -> None:
    """The send page (empty, with its audience, with a field error), the preview and the report pass axe."""
    mail_server.reply_for(FAILING, 550, "5.1.1 No such mailbox here", times=1)
    sign_in(page, MANAGER_EMAIL)
    open_send_page(page, newsroom)
    axe(page)

    tick_both_lists(page)
    page.get_by_role("button", name="Check who will receive it").click()
    expect(page.get_by_role("heading", name="Who will receive it")).to_be_visible()
    axe(page)

    page.get_by_role("radio", name="Schedule").check()
    page.get_by_role("button", name="Continue to check and send").click()
    summary = page.get_by_role("alert")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_have_text(["Enter the date and time to send it, or choose Send now."])
    when = page.get_by_role("group", name="Date to send", exact=True)
    for part in ("Day", "Month", "Year"):
        expect(when.get_by_label(part)).to_have_attribute("aria-invalid", "true")
    axe(page)

    page.get_by_role("link", name=PREVIEW_LINK).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("The email as Ann Lee will get it")
    axe(page)
    # The email itself: its frame's sandbox policy runs no script, axe included, so check its HTML on a blank page.
    email_src = page.locator("iframe.email-preview").get_attribute("src")
    assert email_src is not None
    email = page.context.new_page()
    email.set_content(page.request.get(email_src).text())
    expect(email.get_by_role("heading", level=1)).to_have_text(HEADLINE)
    expect(email.get_by_text(f"EMBARGOED UNTIL {EMBARGO_TEXT}")).to_be_visible()
    axe(email)
    email.close()

    open_send_page(page, newsroom)
    tick_both_lists(page)
    page.get_by_role("button", name="Continue to check and send").click()
    page.get_by_role("button", name="Send to 5 journalists").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Delivery report")
    expect(progress_line(page)).to_have_text("0 of 5 sent.")
    axe(page)

    worker = WorkerRun(app)
    worker.finish()
    page.reload()
    expect(page.get_by_role("button", name="Retry the failed ones")).to_be_visible()
    expect(recipient_row(page, FAILING).get_by_role("cell").nth(1)).to_have_text("Failed")
    axe(page)
