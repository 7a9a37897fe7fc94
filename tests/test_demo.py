"""The demo data: media contacts across outlets on four lists, enough to send a release and follow it."""

import html
import re

import pytest
from sqlalchemy import func, select

from press.accounts.models import User
from press.contacts import services as contacts
from press.contacts.models import Contact, ContactEvent, ContactStatus, MediaList, Signup, contact_lists
from press.demo import CONTACTS, DEMO_EMAIL, DEMO_PASSWORD, LISTS
from press.distribution.models import Distribution
from press.enquiries.models import Enquiry
from press.extensions import db
from press.outbox.models import Delivery
from press.outbox.worker import Worker
from press.releases.models import Release

REPORT = re.compile(r"/staff/distributions/(\d+)$")
DEMO_LISTS = ["Broadcast", "Local press", "National", "Trade"]


@pytest.fixture
def app_config(app_config, mail_server):
    return app_config | mail_server.app_settings()


@pytest.fixture
def demo(app, runner):
    """Load the demo data with the command, as `make run` does."""
    result = runner.invoke(args=["press", "demo"])
    assert result.exit_code == 0, result.output
    return result.output


def counts(app) -> dict[str, int]:
    with app.app_context():
        return {model.__name__: db.session.scalar(select(func.count()).select_from(model))
                for model in (User, Release, Enquiry, Contact, MediaList, ContactEvent)} | {
            "memberships": db.session.scalar(select(func.count()).select_from(contact_lists))}


def text_of(response) -> str:
    return html.unescape(response.data.decode())


def test_demo_has_contacts_across_outlets_on_four_lists(app, demo):
    with app.app_context():
        found = db.session.scalars(select(Contact)).all()
        lists = {m.name: m for m in db.session.scalars(select(MediaList))}
        assert len(found) == len(CONTACTS) >= 24
        assert len({c.outlet for c in found}) >= 10
        # Both are reserved (RFC 2606); the local mail catcher bounces .invalid, to show a bounce handled.
        assert all(c.email.endswith((".example", ".invalid")) for c in found), "every demo address is fictional"
        assert sorted(lists) == sorted(LISTS) == DEMO_LISTS
        for media_list in lists.values():
            members = db.session.scalar(select(func.count()).where(contact_lists.c.list_id == media_list.id))
            assert members >= 5, f"{media_list.name} has only {members} contacts"
        assert [m.name for m in lists.values() if m.for_signups] == ["Local press"]
        assert any(c.status == ContactStatus.UNSUBSCRIBED for c in found), "a send shows who it leaves out"


def test_running_the_demo_twice_duplicates_nothing(app, runner, demo):
    before = counts(app)
    again = runner.invoke(args=["press", "demo"])
    assert again.exit_code == 0 and "already loaded" in again.output
    assert DEMO_EMAIL in again.output and DEMO_PASSWORD in again.output
    assert counts(app) == before


def test_the_demo_fills_in_contacts_missing_from_an_earlier_load(app, runner, demo):
    with app.app_context():
        contact = contacts.find_contact_by_email(db.session, "grace.whitfield@gazette.example")
        db.session.delete(contact)
        db.session.commit()
    before = counts(app)
    assert runner.invoke(args=["press", "demo"]).exit_code == 0
    after = counts(app)
    assert after["Contact"] == before["Contact"] + 1 and after["User"] == before["User"]
    assert after["Release"] == before["Release"] and after["MediaList"] == before["MediaList"]


def test_the_demo_leaves_an_erased_contact_erased_and_another_signup_list_chosen(app, runner, demo):
    with app.app_context():
        contact = contacts.find_contact_by_email(db.session, "leo.marsh@gazette.example")
        contacts.erase_contact(db.session, contact, by=None)
        trade = contacts.lists_named(db.session, ["Trade"])[0]
        contacts.save_list(db.session, trade, name="Trade", description="", for_signups=True)
        local = contacts.lists_named(db.session, ["Local press"])[0]
        contacts.save_list(db.session, local, name="Local press renamed", description="", for_signups=False)
        db.session.commit()
    assert runner.invoke(args=["press", "demo"]).exit_code == 0
    with app.app_context():
        assert contacts.find_contact_by_email(db.session, "leo.marsh@gazette.example") is None
        signup_lists = db.session.scalars(select(MediaList.name).where(MediaList.for_signups.is_(True))).all()
        assert signup_lists == ["Trade"]


def test_the_lists_page_shows_the_demo_lists_with_their_members(client, auth, demo):
    auth.login(DEMO_EMAIL, DEMO_PASSWORD)
    page = text_of(client.get("/staff/contacts/lists"))
    for name in DEMO_LISTS:
        assert f">{name}</a>" in page
    assert "Receives signups" in page
    assert "There are no lists yet" not in page


def test_the_newsroom_takes_signups_into_the_demo_list(app, client, demo):
    newsroom = text_of(client.get("/"))
    assert 'href="/get-releases"' in newsroom
    form = text_of(client.get("/get-releases"))
    assert "Send me a confirmation email" in form
    response = client.post("/get-releases", data={"name": "Nia Journalist", "email": "nia@newsdesk.example",
                                                  "outlet": "Newsdesk", "consent": "y"})
    assert response.status_code == 200 and "Check your email" in text_of(response)
    with app.app_context():
        [signup] = db.session.scalars(select(Signup)).all()
        assert signup.media_list.name == "Local press"


def test_a_release_goes_to_a_demo_list_and_is_followed_in_the_report(app, client, auth, demo, mail_server):
    auth.login(DEMO_EMAIL, DEMO_PASSWORD)
    with app.app_context():
        release = db.session.scalar(select(Release).where(Release.headline == "Winter gritting routes published"))
        local = contacts.lists_named(db.session, ["Local press"])[0]
        named = contacts.find_contact_by_email(db.session, "megan.price@eastgate-echo.example")
        release_id, local_id, named_id = release.id, local.id, named.id
        on_list = db.session.scalar(select(func.count()).select_from(Contact).join(contact_lists).where(
            contact_lists.c.list_id == local_id, Contact.status == ContactStatus.ACTIVE))
    send_page = text_of(client.get(f"/staff/releases/{release_id}/send"))
    assert f"Local press ({on_list} active contacts)" in send_page
    preview = text_of(client.get(f"/staff/releases/{release_id}/send/preview?contact={named_id}"))
    assert "<dt>To</dt><dd>Megan Price <megan.price@eastgate-echo.example></dd>" in preview
    choices = {"request_key": "key-" + "d" * 28, "lists": [local_id], "emails": "", "when": "now",
               "send_date": "", "send_time": "", "stop_date": "", "stop_time": ""}
    summary = client.post(f"/staff/releases/{release_id}/send", data=choices | {"send": "y"})
    assert summary.status_code == 200, "the summary comes first"
    assert f'<dd id="recipient-count">{on_list} journalists</dd>' in text_of(summary)
    response = client.post(f"/staff/releases/{release_id}/send",
                           data=choices | {"confirm": "y", "expected": str(on_list)})
    assert response.status_code == 302 and REPORT.search(response.headers["Location"])
    with app.app_context():
        [distribution] = db.session.scalars(select(Distribution)).all()
        assert distribution.recipients == on_list
        assert db.session.scalar(select(func.count()).select_from(Delivery).where(
            Delivery.distribution_id == distribution.id)) == on_list
    Worker(app).run(once=True)
    assert len([m for m in mail_server.messages if "Winter gritting" in m.data.decode(errors="replace")]) == on_list
    report = text_of(client.get(response.headers["Location"]))
    assert f"{on_list} of {on_list} sent" in report
    assert "megan.price@eastgate-echo.example" in report


def test_the_demo_has_an_emailed_enquiry_to_confirm_and_a_freedom_of_information_request(app, client, auth, demo):
    from press.enquiries.models import Channel, EnquiryEmail
    with app.app_context():
        emailed = db.session.scalar(select(Enquiry).where(Enquiry.channel == Channel.EMAIL))
        assert emailed.release is not None and emailed.release.reference in emailed.subject
        assert emailed.assignee.email == DEMO_EMAIL, "routed to the release's media contact"
        [email] = db.session.scalars(select(EnquiryEmail).where(EnquiryEmail.enquiry_id == emailed.id)).all()
        assert email.suggested_deadline_words or email.suggested_deadline_at is None
        request = db.session.scalar(select(Enquiry).where(Enquiry.request_law == "foi"))
        assert request.foi_due_on is not None
        emailed_id, request_id = emailed.id, request.id
    auth.login(DEMO_EMAIL, DEMO_PASSWORD)
    page = text_of(client.get(f"/staff/enquiries/{emailed_id}"))
    assert "Email from the journalist" in page and "how much the scheme costs" in page
    assert "FOI due" in text_of(client.get(f"/staff/enquiries/{request_id}"))
