"""Bounces in the shapes real servers write them: Postfix's own reports, made here by a private Postfix, and the
non-standard shapes of Exchange, Gmail, qmail and Exim, with automatic replies that are not bounces at all."""

import time
from pathlib import Path

import pytest
from sqlalchemy import select

from press.bounces.models import InboundBounce
from press.bounces.reading import read
from press.contacts import services as contacts
from press.contacts.models import ContactStatus, MediaList
from press.distribution import services
from press.extensions import db
from press.outbox.models import DeliveryStatus
from press.outbox.worker import Worker
from press.releases.models import Release
from tests.bounces import ANN, BOB, contact, delivery_to, outcomes, send_bounce, verp_of

SHAPES = Path(__file__).parent / "data" / "bounces"
VERP = "bounces+42-0123456789abcdef@northshire.example"
RECIPIENT = "ann@gazette.example"


def shape(name: str, verp: str = VERP, recipient: str = RECIPIENT) -> bytes:
    text = (SHAPES / name).read_text()
    return text.replace("{{VERP}}", verp).replace("{{RECIPIENT}}", recipient).replace("\n", "\r\n").encode()


@pytest.mark.parametrize(("name", "permanent", "status", "reason"), [
    ("exchange.eml", True, "5.1.1", "#550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##"),
    ("gmail.eml", True, "5.1.1", "5.1.1 The email account that you tried to reach does not exist"),
    ("qmail.eml", True, "5.1.1", "Sorry, no mailbox here by that name. (#5.1.1)"),
    ("exim.eml", True, "5.1.1", "550 5.1.1"),
    ("exim_delayed.eml", False, "4.2.2", "452 4.2.2"),
])
def test_non_standard_bounces_are_read_for_the_recipient_and_whether_it_is_for_good(name, permanent, status, reason):
    reading = read(shape(name))
    assert reading.how == "heuristic"
    [failure] = reading.failures
    assert (failure.recipient, failure.permanent, failure.status) == (RECIPIENT, permanent, status)
    assert reason in failure.reason
    assert VERP in reading.envelope_recipients


@pytest.mark.parametrize("name", ["out_of_office.eml", "vacation_no_header.eml"])
def test_automatic_replies_are_not_bounces(name):
    reading = read(shape(name))
    assert (reading.how, reading.failures) == ("auto-reply", [])


@pytest.fixture
def app_config(app_config, mail_server):
    return app_config | mail_server.app_settings()


@pytest.mark.parametrize("name", ["exchange.eml", "gmail.eml", "qmail.eml", "exim.eml"])
def test_each_shape_through_the_listener_bounces_the_contact(app, sent, mail_server, listener, name):
    verp = verp_of(mail_server, ANN)
    code, answer = send_bounce(listener, shape(name, verp, ANN), verp)
    assert code == 250 and b"permanent" in answer
    assert contact(app, sent[ANN]).status == ContactStatus.BOUNCED
    assert delivery_to(app, ANN).status == DeliveryStatus.BOUNCED
    assert contact(app, sent[BOB]).status == ContactStatus.ACTIVE
    with app.app_context():
        [row] = db.session.scalars(select(InboundBounce)).all()
        assert (row.reading, row.status) == ("heuristic", "5.1.1")


def test_a_delay_warning_in_exims_words_is_scored_not_bounced(app, sent, mail_server, listener):
    verp = verp_of(mail_server, BOB)
    send_bounce(listener, shape("exim_delayed.eml", verp, BOB), verp)
    bob = contact(app, sent[BOB])
    assert (bob.status, bob.bounce_score) == (ContactStatus.ACTIVE, 1)
    assert outcomes(app) == ["temporary"]


def test_an_auto_reply_with_a_signed_address_changes_nothing(app, sent, mail_server, listener):
    for name in ("out_of_office.eml", "vacation_no_header.eml"):
        verp = verp_of(mail_server, ANN)
        send_bounce(listener, shape(name, verp, ANN), verp)
    assert outcomes(app) == ["auto-reply", "auto-reply"]
    assert contact(app, sent[ANN]).status == ContactStatus.ACTIVE


# --- Reports written by a real Postfix ---------------------------------------------------------------------------

def wait_for_outcomes(app, count: int, timeout: float = 30) -> list[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = outcomes(app)
        if len(found) >= count:
            return found
        time.sleep(0.2)
    raise AssertionError(f"only {outcomes(app)} arrived in {timeout} s")


def test_postfixs_reports_come_back_through_the_listener(app, build_app, make_release, listener, postfix_mta):
    mta = postfix_mta(listener.host, listener.port)
    sending = build_app(MAIL_SERVER=mta.host, MAIL_PORT=mta.port)
    release_id = make_release(headline="New library opening", final=True)
    with app.app_context():
        local = MediaList(name="Local")
        gone = contacts.create_contact(db.session, by=None, email="gone@bounce.invalid", name="Gone", lists=[local]).id
        slow = contacts.create_contact(db.session, by=None, email="slow@defer.invalid", name="Slow", lists=[local]).id
        services.create_distribution(db.session, db.session.get(Release, release_id), list_ids=[local.id],
                                     contact_ids=[], at=None, stop_after=None, request_key="k", by=None)
        db.session.commit()
    assert Worker(sending).run(once=True) == 2
    assert sorted(wait_for_outcomes(app, 2)) == ["permanent", "temporary"]
    gone_contact, slow_contact = contact(app, gone), contact(app, slow)
    assert gone_contact.status == ContactStatus.BOUNCED
    assert "5.1.1" in gone_contact.status_reason and "mailbox does not exist" in gone_contact.status_reason
    assert (slow_contact.status, slow_contact.bounce_score) == (ContactStatus.ACTIVE, 1)
    assert delivery_to(app, "gone@bounce.invalid").status == DeliveryStatus.BOUNCED
    assert delivery_to(app, "slow@defer.invalid").status == DeliveryStatus.SENT
    with app.app_context():
        rows = {row.outcome: row for row in db.session.scalars(select(InboundBounce))}
        assert rows["permanent"].reading == rows["temporary"].reading == "report"
        assert rows["temporary"].status == "4.4.1"
