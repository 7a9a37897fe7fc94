"""Lifting an embargo early: the release is public at once, everyone who had it under embargo is told by
email, emails still waiting go without the embargo wording, and it is recorded."""

import pytest
from sqlalchemy import select

from press.audit import AuditEvent
from press.contacts import services as contacts
from press.contacts.models import ContactStatus, MediaList
from press.distribution import services
from press.extensions import db
from press.outbox.worker import Worker
from press.releases.models import Release
from tests.test_distribution_pages import EMBARGO

ANN, BOB, CAT = "ann@gazette.example", "bob@radio.example", "cat@gone.example"


@pytest.fixture
def app_config(app_config, mail_server):
    return app_config | mail_server.app_settings()


@pytest.fixture
def embargoed(app, client, manager, make_release, mail_server, frozen_clock):
    """A release under embargo sent to Ann, Bob and Cat (who has unsubscribed since); returns its id and slug."""
    release_id = make_release(final=True, headline="Library plans", embargo_at=EMBARGO)
    with app.app_context():
        local = MediaList(name="Local")
        made = {email: contacts.create_contact(db.session, by=None, email=email, name=email, lists=[local])
                for email in (ANN, BOB, CAT)}
        release = db.session.get(Release, release_id)
        services.create_distribution(db.session, release, list_ids=[local.id], contact_ids=[], at=None,
                                     stop_after=None, request_key="k", by=None)
        db.session.commit()
        assert Worker(app).run(once=True) == 3
        contacts.set_status(db.session, made[CAT], ContactStatus.UNSUBSCRIBED, reason="", by=None)
        db.session.commit()
        return release_id, release.slug


def test_lifting_makes_it_public_and_tells_those_who_had_it(app, client, embargoed, mail_server):
    release_id, slug = embargoed
    assert client.get(f"/releases/{slug}").status_code == 404, "under embargo, not public"
    confirm = " ".join(client.get(f"/staff/releases/{release_id}/lift-embargo").get_data(as_text=True).split())
    assert "2 journalists who received it under embargo will get an email" in confirm, "not the one who left"
    done = client.post(f"/staff/releases/{release_id}/lift-embargo")
    assert done.status_code == 302 and done.headers["Location"] == f"/staff/releases/{release_id}"
    shown = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "The embargo is lifted: the release is public now, and 2 journalists who had it are being told." in shown
    assert "Lift the embargo now" not in shown
    assert client.get(f"/releases/{slug}").status_code == 200
    assert "Library plans" in client.get("/feed.atom").get_data(as_text=True)
    before = len(mail_server.messages)
    Worker(app).run(once=True)
    notices = mail_server.messages[before:]
    assert sorted(rcpt for received in notices for rcpt in received.rcpt_tos) == [ANN, BOB], "not the unsubscribed"
    text = notices[0].message.get_body(("plain",)).get_content()
    assert notices[0].message["Subject"].startswith("Embargo lifted: ")
    assert "lifted early, at 11:00 BST, Tuesday 3 September 2024" in text and f"/releases/{slug}" in text
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "release embargo lifted"))
        assert event is not None and event.object_id == release_id


def test_a_release_not_under_embargo_has_nothing_to_lift(app, client, manager, make_release):
    release_id = make_release(final=True, headline="Bin collections")
    answer = client.get(f"/staff/releases/{release_id}/lift-embargo")
    assert answer.status_code == 302
    assert "nothing to lift" in client.get(answer.headers["Location"]).get_data(as_text=True)
    assert client.post(f"/staff/releases/{release_id}/lift-embargo").status_code == 302
    assert client.get("/staff/releases/99999/lift-embargo").status_code == 404


def test_only_managers_lift_an_embargo(app, client, auth, embargoed, make_user):
    release_id, slug = embargoed
    auth.logout()
    assert client.post(f"/staff/releases/{release_id}/lift-embargo").headers["Location"].startswith("/staff/login")
    make_user("staff", email="officer@council.example")
    auth.login("officer@council.example")
    assert client.get(f"/staff/releases/{release_id}/lift-embargo").status_code == 403
    assert client.post(f"/staff/releases/{release_id}/lift-embargo").status_code == 403
    assert client.get(f"/releases/{slug}").status_code == 404
