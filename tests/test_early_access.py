"""Early-access links: unguessable even with the key, dead once the journalist leaves, limited, counted sparingly."""

import re
from datetime import UTC, datetime

import pytest
from itsdangerous import URLSafeSerializer
from sqlalchemy import select, update

from press.audit import AuditEvent
from press.contacts import services as contacts
from press.contacts.models import Contact, MediaList
from press.distribution import services
from press.distribution.emails import EARLY_ACCESS, release_for_recipient
from press.distribution.models import AccessView
from press.outbox.models import Delivery
from press.extensions import db, limiter
from press.releases import services as releases
from press.releases.models import Release

EMBARGO = datetime(2024, 9, 3, 23, 1, tzinfo=UTC)  # 00:01 BST on the day after the frozen clock's
PDF = b"%PDF-1.7\n" + b"0" * 2000
ANN, BOB = "ann@gazette.example", "bob@radio.example"


@pytest.fixture
def sent(app, make_user, make_release, frozen_clock):
    """An embargoed release with a file, sent to Ann and Bob; returns each one's contact id."""
    contact_id = make_user("manager", email="jane.smith@northshire.example", name="Jane Smith")
    release_id = make_release(contact_id=contact_id, headline="Library plans", embargo_at=EMBARGO, final=True)
    with app.app_context():
        release = db.session.get(Release, release_id)
        releases.add_attachment(db.session, release, directory=app.config["PRESS_UPLOAD_DIR"], filename="plan.pdf",
                                data=PDF, max_bytes=10**6, by=None)
        local = MediaList(name="Local")
        people = {email: contacts.create_contact(db.session, by=None, email=email, name=name, lists=[local]).id
                  for email, name in [(ANN, "Ann Lee"), (BOB, "Bob Roe")]}
        services.create_distribution(db.session, release, list_ids=[local.id], contact_ids=[], at=None,
                                     stop_after=None, request_key="k", by=None)
        db.session.commit()
    return people


def links(app) -> dict[str, str]:
    """Each recipient's early-access link, as it is written into the email the worker builds for them."""
    found = {}
    with app.app_context():
        for delivery in db.session.scalars(select(Delivery).where(Delivery.kind == "release")):
            text = release_for_recipient(delivery).get_body(("plain",)).get_content()
            found[delivery.to_address] = re.search(r"http://press\.test(/early/[^/\s]+)\s", text).group(1)
    return found


def delivery_of(app, address: str) -> Delivery:
    with app.app_context():
        delivery = db.session.scalar(select(Delivery).where(Delivery.to_address == address))
        db.session.expunge(delivery)
        return delivery


def file_link(client, link: str) -> str:
    return re.search(r'href="(/early/[^"]+/files/[^"]+)"', client.get(link).data.decode()).group(1)


def status(client, url: str) -> int:
    with client.get(url) as response:
        return response.status_code


def test_a_link_cannot_be_made_from_the_delivery_id_even_with_the_key(app, client, sent):
    link = links(app)[ANN]
    assert client.get(link).status_code == 200
    ann, bob = delivery_of(app, ANN), delivery_of(app, BOB)
    assert len(ann.secret) == 32 and ann.secret != bob.secret
    signer = URLSafeSerializer(app.config["SECRET_KEY"], salt=EARLY_ACCESS.salt)
    forged = [
        signer.dumps(ann.id),  # the earlier format: the id alone, as old links were made
        signer.dumps([ann.id, "0" * 32]),
        signer.dumps([ann.id, ""]),
        signer.dumps([ann.id, bob.secret]),
        signer.dumps([bob.id, ann.secret]),
        signer.dumps([ann.id, ann.secret.upper()]),
        signer.dumps([ann.id, "é" * 32]),
        signer.dumps([str(ann.id), ann.secret]),
        signer.dumps([2**40, ann.secret]),
        signer.dumps({"id": ann.id}),
    ]
    for token in forged:
        assert client.get(f"/early/{token}").status_code == 404, token
    assert client.get(f"/early/{signer.dumps([ann.id, ann.secret])}").status_code == 200


def test_the_link_stops_working_when_the_journalist_unsubscribes(app, client, sent):
    found = links(app)
    files = file_link(client, found[ANN])
    assert status(client, files) == 200
    with app.app_context():
        token = contacts.unsubscribe_token(db.session.get(Contact, sent[ANN]))
    client.post(f"/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"})
    assert client.get(found[ANN]).status_code == 404
    assert status(client, files) == 404
    assert client.get(found[BOB]).status_code == 200, "the others' links still work"


def test_the_link_stops_working_when_the_journalist_is_erased(app, client, sent):
    found = links(app)
    with app.app_context():
        contacts.erase_contact(db.session, db.session.get(Contact, sent[ANN]), by=None)
        db.session.commit()
    assert client.get(found[ANN]).status_code == 404
    with app.app_context():
        # A delivery whose contact row has gone altogether.
        db.session.execute(update(Delivery).where(Delivery.to_address == BOB).values(contact_id=None))
        db.session.commit()
    assert client.get(found[BOB]).status_code == 404


def test_opening_again_within_minutes_is_not_recorded_again(app, client, sent, frozen_clock):
    link = links(app)[ANN]
    files = file_link(client, link)
    for _ in range(4):
        assert client.get(link).status_code == 200
        assert status(client, files) == 200
    frozen_clock.advance(minutes=4, seconds=59)
    client.get(link)

    def recorded():
        with app.app_context():
            return sorted(db.session.scalars(select(AccessView.what)))

    assert recorded() == ["page", "plan.pdf"]
    frozen_clock.advance(seconds=2)
    client.get(link)
    assert recorded() == ["page", "page", "plan.pdf"]


@pytest.fixture
def app_config(app_config):
    # The limiter reads whether it is enabled when the app is built.
    return app_config | {"RATELIMIT_ENABLED": True, "PRESS_PUBLIC_FORM_RATE_LIMIT": "1000 per minute"}


def test_early_access_is_rate_limited_per_address(app, client, sent):
    link = links(app)[ANN]
    files = file_link(client, link)
    app.config["PRESS_PUBLIC_FORM_RATE_LIMIT"] = "3 per minute"
    with app.app_context():
        limiter.reset()
    answers = [status(client, url) for url in (link, files, "/early/guess", link, files)]
    assert answers == [200, 200, 404, 429, 429], "the page, its files and wrong guesses share one limit"
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    assert elsewhere.get(link).status_code == 200, "another address is not held back"


def test_a_manager_sees_each_journalists_views_and_revokes_one_link(app, client, auth, sent, frozen_clock):
    found = links(app)
    client.get(found[ANN])
    frozen_clock.advance(minutes=10)
    assert status(client, file_link(client, found[ANN])) == 200
    with app.app_context():
        db.session.execute(update(Delivery).values(status="sent", sent_at=EMBARGO.replace(hour=8)))
        db.session.commit()
    ann = delivery_of(app, ANN)
    report = f"/staff/distributions/{ann.distribution_id}"
    auth.login("jane.smith@northshire.example")
    page = " ".join(client.get(report).get_data(as_text=True).split())
    assert "3 views<span class=\"visually-hidden\"> by Ann Lee</span>" in page
    assert "11:00 BST, Tuesday 3 September 2024</time>: the release" in page
    assert "11:10 BST, Tuesday 3 September 2024</time>: plan.pdf" in page
    assert f'action="{report}/recipients/{ann.id}/revoke-access"' in page
    done = client.post(f"{report}/recipients/{ann.id}/revoke-access")
    assert done.status_code == 302 and done.headers["Location"] == f"{report}#recipient-{ann.id}"
    assert "Early access revoked for ann@gazette.example" in client.get(report).get_data(as_text=True)
    client.post("/staff/logout")
    assert client.get(found[ANN]).status_code == 404
    assert client.get(found[BOB]).status_code == 200, "everyone else's link still works"
    with app.app_context():
        [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "early access revoked")).all()
        assert event.details == {"links": 1, "delivery_id": ann.id, "contact_id": sent[ANN]}
        assert (event.object_kind, event.object_id) == ("distribution", ann.distribution_id)
    auth.login("jane.smith@northshire.example")
    client.post(f"{report}/recipients/{ann.id}/revoke-access")
    assert "had already been revoked for ann@gazette.example" in client.get(report).get_data(as_text=True)
    assert client.post(f"/staff/distributions/{ann.distribution_id + 1}/recipients/{ann.id}/revoke-access"
                       ).status_code == 404
