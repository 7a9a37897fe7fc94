"""Bounces through the bounce listener, a real SMTP server: reports read, deliveries and contacts bounced,
temporary failures scored a point a day, forged and automatic messages ignored and counted, each once."""

import smtplib
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from press import clock
from press.bounces.listener import BounceListener
from press.bounces.models import InboundBounce
from press.bounces.reading import read
from press.contacts import services as contacts
from press.contacts.models import Contact, ContactEvent, ContactStatus, MediaList
from press.distribution import services
from press.extensions import db
from press.outbox.mailcatcher import MailCatcher
from press.outbox.messages import envelope_sender
from press.outbox.models import Delivery, DeliveryStatus
from press.outbox.worker import Worker
from press.releases.models import Release
from tests.bounces import ANN, BOB, auto_reply, contact, delivery_report, delivery_to, outcomes, send_bounce, verp_of


@pytest.fixture
def app_config(app_config, mail_server):
    return app_config | mail_server.app_settings()


def test_a_permanent_failure_bounces_the_delivery_and_the_contact(app, sent, mail_server, listener):
    verp = verp_of(mail_server, ANN)
    code, answer = send_bounce(listener, delivery_report(verp, ANN), verp)
    assert code == 250 and b"permanent" in answer
    delivery = delivery_to(app, ANN)
    assert delivery.status == DeliveryStatus.BOUNCED and delivery.bounced_at == clock.now()
    assert delivery.bounce_reason == "5.1.1 550 5.1.1 <the address>: Recipient address rejected: User unknown"
    ann = contact(app, sent[ANN])
    assert ann.status == ContactStatus.BOUNCED and ann.status_changed_at == clock.now()
    assert ann.status_reason.startswith("Bounced on 11:00 BST, Tuesday 3 September 2024: 5.1.1")
    assert contact(app, sent[BOB]).status == ContactStatus.ACTIVE, "only the address that failed"
    with app.app_context():
        [row] = db.session.scalars(select(InboundBounce)).all()
        assert (row.outcome, row.reading, row.source, row.status) == ("permanent", "report", "smtp", "5.1.1")
        assert (row.delivery_id, row.contact_id) == (delivery.id, sent[ANN])
        assert ANN not in row.reason
        assert db.session.scalar(select(ContactEvent.details).where(
            ContactEvent.contact_id == sent[ANN], ContactEvent.action == "status changed"))["to"] == "bounced"


def test_the_same_bounce_twice_counts_once(app, sent, mail_server, listener):
    verp = verp_of(mail_server, ANN)
    raw = delivery_report(verp, ANN, message_id="<dsn.1@mx.news.example>")
    assert send_bounce(listener, raw, verp)[0] == 250
    code, answer = send_bounce(listener, raw, verp)
    assert code == 250 and b"seen before" in answer
    assert outcomes(app) == ["permanent"]


def test_a_bounce_to_an_address_we_did_not_sign_changes_nothing(app, sent, mail_server, listener):
    verp = verp_of(mail_server, ANN)
    delivery_id = delivery_to(app, ANN).id
    forged = envelope_sender(delivery_id, "northshire.example", "not the secret key")
    assert forged != verp
    code, answer = send_bounce(listener, delivery_report(forged, ANN), forged)
    assert code == 250 and b"forged" in answer
    assert delivery_to(app, ANN).status == DeliveryStatus.SENT
    assert contact(app, sent[ANN]).status == ContactStatus.ACTIVE
    with app.app_context():
        [row] = db.session.scalars(select(InboundBounce)).all()
        assert (row.outcome, row.delivery_id, row.contact_id, row.reason) == ("forged", None, None, "")


def test_addresses_that_are_not_bounce_addresses_are_refused(listener):
    with smtplib.SMTP(listener.host, listener.port, timeout=10) as relay:
        relay.ehlo("relay.example")
        relay.mail("<>")
        assert relay.rcpt("press@northshire.example")[0] == 550
        assert relay.rcpt("bounces+x@northshire.example")[0] == 550


def test_an_out_of_office_reply_is_not_a_bounce(app, sent, mail_server, listener):
    verp = verp_of(mail_server, ANN)
    assert send_bounce(listener, auto_reply(verp, ANN), verp)[0] == 250
    assert outcomes(app) == ["auto-reply"]
    assert contact(app, sent[ANN]).status == ContactStatus.ACTIVE
    assert delivery_to(app, ANN).status == DeliveryStatus.SENT


def test_a_report_of_delivery_is_not_a_failure(app, sent, mail_server, listener):
    verp = verp_of(mail_server, BOB)
    assert send_bounce(listener, delivery_report(verp, BOB, action="delivered", status="2.0.0",
                                                 diagnostic="smtp; 250 2.0.0 Ok"), verp)[0] == 250
    assert outcomes(app) == ["not a failure"]
    assert contact(app, sent[BOB]).status == ContactStatus.ACTIVE


def delay(verp: str, address: str) -> bytes:
    return delivery_report(verp, address, action="delayed", status="4.4.1",
                           diagnostic="X-Postfix; connect to mx.radio.example[192.0.2.7]:25: Connection timed out")


def test_temporary_failures_score_a_point_a_day_until_the_threshold(app, sent, mail_server, listener, frozen_clock):
    verp = verp_of(mail_server, BOB)
    for _ in range(3):
        send_bounce(listener, delay(verp, BOB), verp)
    bob = contact(app, sent[BOB])
    assert (bob.status, bob.bounce_score) == (ContactStatus.ACTIVE, 1), "one point on one day, however many"
    assert delivery_to(app, BOB).status == DeliveryStatus.SENT, "a delay does not bounce the delivery"
    frozen_clock.advance(days=1)
    send_bounce(listener, delay(verp, BOB), verp)
    assert contact(app, sent[BOB]).bounce_score == 2
    frozen_clock.advance(days=2)
    send_bounce(listener, delay(verp, BOB), verp)
    bob = contact(app, sent[BOB])
    assert (bob.status, bob.bounce_score) == (ContactStatus.BOUNCED, 3)
    assert bob.status_reason.startswith("3 temporary failures on separate days, the last on")
    assert bob.status_reason.endswith("4.4.1 connect to mx.radio.example[192.0.2.7]:25: Connection timed out")
    assert outcomes(app) == ["temporary"] * 5


def test_a_score_goes_stale(app, sent, mail_server, listener, frozen_clock):
    verp = verp_of(mail_server, BOB)
    send_bounce(listener, delay(verp, BOB), verp)
    frozen_clock.advance(days=1)
    send_bounce(listener, delay(verp, BOB), verp)
    frozen_clock.advance(days=8)
    send_bounce(listener, delay(verp, BOB), verp)
    bob = contact(app, sent[BOB])
    assert (bob.status, bob.bounce_score) == (ContactStatus.ACTIVE, 1), "a week without one starts it again"


def test_the_threshold_is_a_setting(app, sent, mail_server, listener):
    app.config["PRESS_BOUNCE_SCORE_THRESHOLD"] = 1
    verp = verp_of(mail_server, BOB)
    send_bounce(listener, delay(verp, BOB), verp)
    assert contact(app, sent[BOB]).status == ContactStatus.BOUNCED


def test_making_a_bounced_contact_active_again_needs_a_reason_and_clears_the_score(app, sent, mail_server, listener):
    verp = verp_of(mail_server, BOB)
    send_bounce(listener, delay(verp, BOB), verp)
    send_bounce(listener, delivery_report(verp, BOB), verp)
    with app.app_context():
        bob = db.session.get(Contact, sent[BOB])
        assert bob.status == ContactStatus.BOUNCED
        with pytest.raises(contacts.ContactError):
            contacts.set_status(db.session, bob, ContactStatus.ACTIVE, reason=" ", by=None)
        contacts.set_status(db.session, bob, ContactStatus.ACTIVE, reason="Their IT fixed the mailbox", by=None)
        db.session.commit()
        assert (bob.status, bob.bounce_score, bob.bounce_score_at) == (ContactStatus.ACTIVE, 0, None)


def test_a_contact_who_bounces_while_a_distribution_waits_gets_nothing_more(app, sent, mail_server, listener,
                                                                             make_release, frozen_clock):
    verp = verp_of(mail_server, ANN)
    with app.app_context():
        release = db.session.get(Release, make_release(headline="Second release", final=True))
        local = db.session.scalar(select(MediaList).where(MediaList.name == "Local"))
        later = services.create_distribution(db.session, release, list_ids=[local.id], contact_ids=[],
                                             at=clock.now() + timedelta(minutes=5), stop_after=None,
                                             request_key="k2", by=None).id
        db.session.commit()
    send_bounce(listener, delivery_report(verp, ANN), verp)
    before = len(mail_server.messages)
    frozen_clock.advance(minutes=6)
    assert Worker(app).run(once=True) == 2
    assert [rcpt for received in mail_server.messages[before:] for rcpt in received.rcpt_tos] == [BOB]
    with app.app_context():
        statuses = dict(db.session.execute(
            select(Delivery.to_address, Delivery.status).where(Delivery.distribution_id == later)).all())
        assert statuses == {ANN: DeliveryStatus.SUPPRESSED, BOB: DeliveryStatus.SENT}
        assert db.session.scalar(select(func.count()).select_from(InboundBounce)) == 1


# --- The local mail catcher bounces the reserved test domain ---------------------------------------------------

def test_the_mail_catcher_bounces_the_test_domain_and_the_listener_handles_it(app, build_app, make_release,
                                                                              listener, tmp_path):
    catcher = MailCatcher(tmp_path / "caught", port=0, bounce_to=(listener.host, listener.port))
    with catcher:
        sending = build_app(MAIL_SERVER=catcher.host, MAIL_PORT=catcher.port)
        release_id = make_release(headline="New library opening", final=True)
        with app.app_context():
            local = MediaList(name="Local")
            dead = contacts.create_contact(db.session, by=None, email="dan@bounce.invalid", name="Dan Dead",
                                           lists=[local]).id
            contacts.create_contact(db.session, by=None, email=ANN, name="Ann Lee", lists=[local])
            services.create_distribution(db.session, db.session.get(Release, release_id), list_ids=[local.id],
                                         contact_ids=[], at=None, stop_after=None, request_key="k", by=None)
            db.session.commit()
        assert Worker(sending).run(once=True) == 2
    assert contact(app, dead).status == ContactStatus.BOUNCED
    assert delivery_to(app, "dan@bounce.invalid").status == DeliveryStatus.BOUNCED
    assert delivery_to(app, ANN).status == DeliveryStatus.SENT
    caught = list((tmp_path / "caught" / "new").iterdir())
    assert len(caught) == 1 and b"To: ann@gazette.example" in caught[0].read_bytes(), "only Ann's was caught"
    with app.app_context():
        [row] = db.session.scalars(select(InboundBounce)).all()
        assert (row.outcome, row.reading, row.status) == ("permanent", "report", "5.1.1")


def test_with_no_listener_the_catcher_keeps_the_report_to_be_read(tmp_path):
    with MailCatcher(tmp_path, port=0, bounce_to=("127.0.0.1", 9)) as catcher, \
            smtplib.SMTP(catcher.host, catcher.port) as client:
        client.sendmail("bounces+7-0123456789abcdef@northshire.example", ["dan@bounce.invalid"],
                        b"From: press@northshire.example\r\nSubject: Hello\r\n\r\nHi\r\n")
        client.sendmail("", ["sam@bounce.invalid"], b"Subject: A bounce\r\n\r\nIs never bounced\r\n")
    [kept] = list((tmp_path / "new").iterdir())
    raw = kept.read_bytes()
    assert b"Delivered-To: bounces+7-0123456789abcdef@northshire.example" in raw
    reading = read(raw)
    assert reading.how == "report"
    assert [(f.recipient, f.permanent, f.status) for f in reading.failures] == [("dan@bounce.invalid", True, "5.1.1")]
    assert "Subject: Hello" in raw.decode()


def test_with_the_database_away_the_listener_asks_the_relay_to_try_again(app, build_app, sent, mail_server, tmp_path,
                                                                          listener):
    away = build_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'no such folder' / 'press.db'}")
    verp = verp_of(mail_server, ANN)
    raw = delivery_report(verp, ANN)
    with BounceListener(away, port=0) as down:
        code, answer = send_bounce(down, raw, verp)
    assert code == 451 and b"try again later" in answer
    assert outcomes(app) == [] and contact(app, sent[ANN]).status == ContactStatus.ACTIVE
    assert send_bounce(listener, raw, verp)[0] == 250, "the relay's next try is taken"
    assert contact(app, sent[ANN]).status == ContactStatus.BOUNCED


def test_the_delivery_report_counts_and_explains_bounces(app, client, auth, sent, mail_server, listener):
    verp = verp_of(mail_server, ANN)
    send_bounce(listener, delivery_report(verp, ANN), verp)
    auth.login("jane.smith@northshire.example")
    distribution_id = delivery_to(app, ANN).distribution_id
    page = " ".join(client.get(f"/staff/distributions/{distribution_id}").get_data(as_text=True).split())
    assert 'Bounced: the address does not take mail</a></td><td data-count="bounced">1</td>' in page
    assert ("Bounced: delivered to the mail server, then sent back at 11:00 BST (5.1.1 550 5.1.1 &lt;the address&gt;: "
            "Recipient address rejected: User unknown)") in page
    only = client.get(f"/staff/distributions/{distribution_id}?status=bounced").get_data(as_text=True)
    assert ANN in only and BOB not in only
    contacts_page = client.get("/staff/contacts/?status=bounced").get_data(as_text=True)
    assert "Ann Lee" in contacts_page and "Bob Roe" not in contacts_page
    shown = " ".join(client.get(f"/staff/contacts/{sent[ANN]}").get_data(as_text=True).split())
    assert "Bounced on 11:00 BST, Tuesday 3 September 2024: 5.1.1" in shown


def test_the_progress_line_counts_a_bounced_email_as_sent_then_bounced(app, client, auth, sent, mail_server, listener):
    verp = verp_of(mail_server, ANN)
    send_bounce(listener, delivery_report(verp, ANN), verp)
    auth.login("jane.smith@northshire.example")
    page = client.get(f"/staff/distributions/{delivery_to(app, ANN).distribution_id}").get_data(as_text=True)
    assert "2 of 2 sent (1 then bounced)." in page


def test_the_bounces_page_counts_what_came_back_and_lists_it(app, client, auth, make_user, sent, mail_server,
                                                             listener):
    ann, bob = verp_of(mail_server, ANN), verp_of(mail_server, BOB)
    send_bounce(listener, delivery_report(ann, ANN), ann)
    send_bounce(listener, auto_reply(bob, BOB), bob)
    forged = envelope_sender(delivery_to(app, BOB).id, "northshire.example", "not the key")
    send_bounce(listener, delivery_report(forged, BOB), forged)
    auth.login("jane.smith@northshire.example")
    page = " ".join(client.get("/staff/bounces/").get_data(as_text=True).split())
    for outcome, count in [("permanent", 1), ("auto-reply", 1), ("forged", 1), ("temporary", 0)]:
        assert f'<td data-count="{outcome}">{count}</td>' in page, outcome
    assert "Ann Lee" in page and "Its delivery report" in page and "&lt;the address&gt;" in page
    assert 'href="/staff/bounces/"' in client.get("/staff/contacts/").get_data(as_text=True)
    auth.logout()
    make_user("staff", email="officer@council.example")
    auth.login("officer@council.example")
    assert client.get("/staff/bounces/").status_code == 403
