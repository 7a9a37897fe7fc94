"""The outbox and its worker, against a real SMTP server on loopback."""

import threading
from datetime import timedelta

import pytest
from flask import current_app

from press.contacts import services as contacts
from press.contacts.models import Contact, ContactStatus
from press.outbox import kinds
from press.outbox.messages import build_message, delivery_from_envelope
from press.outbox.models import Delivery, DeliveryStatus
from press.outbox.queue import enqueue
from press.outbox.worker import Worker
from press.extensions import db


def render_note(delivery: Delivery):
    """A plain test message whose subject and body come from the payload."""
    return build_message(subject=delivery.payload["subject"], sender=current_app.config["MAIL_DEFAULT_SENDER"],
                         to=delivery.to_address, text=delivery.payload.get("text", "Hello."),
                         html="<p>Hello.</p>")


@pytest.fixture
def app_config(app_config, mail_server):
    return app_config | mail_server.app_settings(PRESS_SMTP_TIMEOUT=2, PRESS_SMTP_CONNECTIONS=2)


NOTE = kinds.Kind("note", render_note, payload=("subject",))
MAILING = kinds.Kind("mailing", render_note, payload=("subject",), suppressible=True)
# A note without its subject, which cannot be built.
BROKEN = kinds.Kind("broken-note", render_note)


@pytest.fixture(autouse=True)
def note_kinds(monkeypatch):
    for kind in (NOTE, MAILING, BROKEN):
        monkeypatch.setitem(kinds.KINDS, kind.name, kind)


def queue(app, *addresses, kind=NOTE, **fields):
    with app.app_context():
        ids = [enqueue(db.session, kind=kind, to_address=a, payload={"subject": f"For {a}"}, **fields).id
               for a in addresses]
        db.session.commit()
        return ids


def deliveries(app) -> dict[str, Delivery]:
    with app.app_context():
        rows = db.session.scalars(db.select(Delivery)).all()
        db.session.expunge_all()
        return {d.to_address: d for d in rows}


def run_worker(app) -> int:
    return Worker(app).run(once=True)


def test_each_recipient_gets_one_message(app, mail_server):
    queue(app, "a@gazette.example", "b@radio.example", "c@tv.example")
    assert run_worker(app) == 3
    assert mail_server.by_recipient() == {"a@gazette.example": 1, "b@radio.example": 1, "c@tv.example": 1}
    sent = deliveries(app)
    for received in mail_server.messages:
        [recipient] = received.rcpt_tos
        delivery = sent[recipient]
        assert delivery.status == DeliveryStatus.SENT and delivery.smtp_code == 250
        assert received.message["Message-ID"] == delivery.message_id
        assert received.message["To"] == recipient
        assert delivery_from_envelope(received.mail_from, app.config["SECRET_KEY"]) == delivery.id
    assert run_worker(app) == 0, "nothing is sent twice"
    assert len(mail_server.messages) == 3


def test_connections_stay_open_across_messages(app, mail_server):
    app.config["PRESS_SMTP_CONNECTIONS"] = 1
    queue(app, *[f"reader{n}@gazette.example" for n in range(12)])
    run_worker(app)
    assert len(mail_server.messages) == 12
    assert mail_server.connections == 1


def test_temporary_failure_is_retried_with_backoff(app, mail_server, frozen_clock):
    mail_server.reply_for("slow@gazette.example", 451, "4.3.0 Try again later", times=1)
    queue(app, "slow@gazette.example", "fine@gazette.example")
    run_worker(app)
    slow = deliveries(app)["slow@gazette.example"]
    assert slow.status == DeliveryStatus.QUEUED and slow.attempts == 1 and slow.smtp_code == 451
    assert slow.next_attempt_at > frozen_clock()
    assert mail_server.by_recipient() == {"fine@gazette.example": 1}
    run_worker(app)
    assert mail_server.by_recipient()["slow@gazette.example"] == 0, "not before its time"
    frozen_clock.advance(minutes=2)
    run_worker(app)
    assert mail_server.by_recipient() == {"fine@gazette.example": 1, "slow@gazette.example": 1}
    assert deliveries(app)["slow@gazette.example"].status == DeliveryStatus.SENT


def test_permanent_failure_is_recorded_and_never_retried(app, mail_server, frozen_clock):
    mail_server.reply_for("gone@gazette.example", 550, "5.1.1 No such user here")
    queue(app, "gone@gazette.example", "fine@gazette.example")
    run_worker(app)
    gone = deliveries(app)["gone@gazette.example"]
    assert gone.status == DeliveryStatus.FAILED and gone.smtp_code == 550
    assert "No such user here" in gone.smtp_response
    frozen_clock.advance(hours=3)
    run_worker(app)
    assert mail_server.by_recipient() == {"fine@gazette.example": 1}


def test_421_closes_the_connection_and_others_still_go(app, mail_server, frozen_clock):
    app.config["PRESS_SMTP_CONNECTIONS"] = 1
    mail_server.reply_for("busy@gazette.example", 421, "4.7.0 Too busy", times=1)
    queue(app, "busy@gazette.example", *[f"r{n}@gazette.example" for n in range(4)])
    run_worker(app)
    assert sum(mail_server.by_recipient().values()) == 4
    assert deliveries(app)["busy@gazette.example"].status == DeliveryStatus.QUEUED
    frozen_clock.advance(minutes=5)
    run_worker(app)
    assert mail_server.by_recipient()["busy@gazette.example"] == 1


def test_dropped_connection_loses_and_doubles_nothing(app, mail_server, frozen_clock):
    app.config["PRESS_SMTP_CONNECTIONS"] = 1
    mail_server.drop_after(2)
    addresses = [f"r{n}@gazette.example" for n in range(6)]
    queue(app, *addresses)
    run_worker(app)
    frozen_clock.advance(minutes=5)
    run_worker(app)
    assert mail_server.by_recipient() == {a: 1 for a in addresses}


def test_stalled_relay_times_out_instead_of_hanging(app, mail_server, frozen_clock):
    app.config["PRESS_SMTP_TIMEOUT"] = 1
    mail_server.stall(5, at="data")
    queue(app, "r@gazette.example")
    run_worker(app)
    delivery = deliveries(app)["r@gazette.example"]
    assert delivery.status == DeliveryStatus.QUEUED and "timed out" in delivery.smtp_response.lower()
    mail_server.stall(0)


def test_temporary_failures_stop_at_the_deadline(app, mail_server, frozen_clock):
    mail_server.reply_for("slow@gazette.example", 451, "4.3.0 Try again later")
    queue(app, "slow@gazette.example", deadline=frozen_clock() + timedelta(minutes=3))
    for _ in range(4):
        run_worker(app)
        frozen_clock.advance(minutes=2)
    delivery = deliveries(app)["slow@gazette.example"]
    assert delivery.status == DeliveryStatus.FAILED and delivery.smtp_code == 451


def test_suppression_is_checked_again_at_send_time(app, mail_server):
    with app.app_context():
        stays = contacts.create_contact(db.session, by=None, email="stays@gazette.example", name="Stays")
        leaves = contacts.create_contact(db.session, by=None, email="leaves@gazette.example", name="Leaves")
        for contact in (stays, leaves):
            enqueue(db.session, kind=MAILING, to_address=contact.email, contact_id=contact.id,
                    payload={"subject": "Release"})
        db.session.commit()
        contacts.unsubscribe(db.session, db.session.get(Contact, leaves.id), how="link")
        db.session.commit()
    run_worker(app)
    assert mail_server.by_recipient() == {"stays@gazette.example": 1}
    assert deliveries(app)["leaves@gazette.example"].status == DeliveryStatus.SUPPRESSED


def test_no_header_can_be_injected(app, mail_server):
    with app.app_context():
        enqueue(db.session, kind=NOTE, to_address="r@gazette.example",
                payload={"subject": "Hello\r\nBcc: victim@elsewhere.example\r\n\r\nbody"})
        db.session.commit()
    run_worker(app)
    [received] = mail_server.messages
    assert received.rcpt_tos == ["r@gazette.example"]
    assert received.message["Bcc"] is None
    assert received.message["Subject"] == "Hello Bcc: victim@elsewhere.example body"


def test_a_message_that_cannot_be_built_fails_alone(app, mail_server):
    queue(app, "r@gazette.example")
    with app.app_context():
        enqueue(db.session, kind=BROKEN, to_address="broken@gazette.example")
        db.session.commit()
    run_worker(app)
    rows = deliveries(app)
    assert rows["broken@gazette.example"].status == DeliveryStatus.FAILED
    assert "could not be built" in rows["broken@gazette.example"].smtp_response
    assert mail_server.by_recipient() == {"r@gazette.example": 1}


def test_stop_finishes_in_flight_and_gives_back_the_rest(app, mail_server):
    app.config.update(PRESS_SEND_RATE_PER_MINUTE=120, PRESS_SMTP_CONNECTIONS=1)
    addresses = [f"r{n}@gazette.example" for n in range(8)]
    queue(app, *addresses)
    worker = Worker(app)
    thread = threading.Thread(target=worker.run)
    thread.start()
    mail_server.wait_for(1)
    worker.stop()
    thread.join(timeout=10)
    assert not thread.is_alive()
    rows = deliveries(app)
    sent = {a for a, d in rows.items() if d.status == DeliveryStatus.SENT}
    assert 1 <= len(sent) < len(addresses)
    assert {d.status for a, d in rows.items() if a not in sent} == {DeliveryStatus.QUEUED}
    assert {d.attempts for a, d in rows.items() if a not in sent} == {0}
    app.config["PRESS_SEND_RATE_PER_MINUTE"] = 0
    run_worker(app)
    assert mail_server.by_recipient() == {a: 1 for a in addresses}


def test_erasing_a_contact_clears_their_deliveries(app, mail_server):
    with app.app_context():
        contact = contacts.create_contact(db.session, by=None, email="r@gazette.example", name="R")
        enqueue(db.session, kind=MAILING, to_address=contact.email, contact_id=contact.id, payload={"subject": "x"})
        db.session.commit()
        contact_id = contact.id
    run_worker(app)
    with app.app_context():
        contacts.erase_contact(db.session, db.session.get(Contact, contact_id), by=None)
        db.session.commit()
        delivery = db.session.scalar(db.select(Delivery))
        assert delivery.to_address == "" and delivery.status == DeliveryStatus.SENT
        assert db.session.get(Contact, contact_id).status == ContactStatus.ERASED


@pytest.mark.parametrize("tls", ["starttls", "implicit"])
def test_relay_tls_is_verified(app, mail_server_factory, tls):
    server = mail_server_factory(tls=tls)
    app.config.update(PRESS_SMTP_CA_FILE=server.ca_file)
    app.extensions["mail"].server, app.extensions["mail"].port = server.host, server.port
    app.extensions["mail"].use_tls, app.extensions["mail"].use_ssl = tls == "starttls", tls == "implicit"
    queue(app, "r@gazette.example")
    run_worker(app)
    assert server.by_recipient() == {"r@gazette.example": 1}


def test_relay_with_an_untrusted_certificate_gets_nothing(app, mail_server_factory):
    server = mail_server_factory(tls="starttls", trusted=False)
    app.config.update(PRESS_SMTP_CA_FILE=server.ca_file)
    app.extensions["mail"].server, app.extensions["mail"].port = server.host, server.port
    app.extensions["mail"].use_tls = True
    queue(app, "r@gazette.example")
    run_worker(app)
    assert server.messages == []
    delivery = deliveries(app)["r@gazette.example"]
    assert delivery.status == DeliveryStatus.QUEUED and "certificate" in delivery.smtp_response
