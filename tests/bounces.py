"""Bounces written the way receiving servers write them, and the fixtures and helpers of the bounce tests."""

import smtplib
from email.utils import make_msgid

import pytest
from sqlalchemy import select

from press.bounces.listener import BounceListener
from press.bounces.models import InboundBounce
from press.contacts import services as contacts
from press.contacts.models import Contact, MediaList
from press.distribution import services
from press.extensions import db
from press.outbox.models import Delivery
from press.outbox.worker import Worker
from press.releases.models import Release

ANN, BOB = "ann@gazette.example", "bob@radio.example"


def delivery_report(verp: str, recipient: str, *, action: str = "failed", status: str = "5.1.1",
                    diagnostic: str = "smtp; 550 5.1.1 <{recipient}>: Recipient address rejected: User unknown",
                    message_id: str | None = None, reporting: str = "mx.news.example") -> bytes:
    """An RFC 3464 multipart/report from a receiving server about one recipient, sent back to the VERP address."""
    boundary = "report-boundary-7Q2"
    subject = "Undelivered Mail Returned to Sender" if action == "failed" else "Delayed Mail (still being retried)"
    lines = [
        f"From: Mail Delivery System <MAILER-DAEMON@{reporting}>",
        f"To: {verp}",
        f"Subject: {subject}",
        "Date: Tue, 3 Sep 2024 10:30:02 +0100",
        f"Message-ID: {message_id or make_msgid(domain=reporting)}",
        "Auto-Submitted: auto-replied",
        "MIME-Version: 1.0",
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"',
        "",
        "This is a MIME-encapsulated message.",
        "",
        f"--{boundary}",
        "Content-Description: Notification",
        "Content-Type: text/plain; charset=us-ascii",
        "",
        f"This is the mail system at host {reporting}.",
        "",
        "I'm sorry to have to inform you that your message could not",
        "be delivered to one or more recipients.",
        "",
        f"--{boundary}",
        "Content-Description: Delivery report",
        "Content-Type: message/delivery-status",
        "",
        f"Reporting-MTA: dns; {reporting}",
        "Arrival-Date: Tue,  3 Sep 2024 10:29:58 +0100 (BST)",
        "",
        f"Final-Recipient: rfc822; {recipient}",
        f"Original-Recipient: rfc822;{recipient}",
        f"Action: {action}",
        f"Status: {status}",
        f"Remote-MTA: dns; {reporting}",
        f"Diagnostic-Code: {diagnostic.format(recipient=recipient)}",
        "",
        f"--{boundary}",
        "Content-Description: Undelivered Message Headers",
        "Content-Type: text/rfc822-headers",
        "",
        f"Return-Path: <{verp}>",
        "From: Northshire Press Office <press@northshire.example>",
        f"To: {recipient}",
        "Subject: Embargoed: New library opening",
        "Message-ID: <release.1@northshire.example>",
        "",
        f"--{boundary}--",
        "",
    ]
    return "\r\n".join(lines).encode()


def auto_reply(verp: str, sender: str) -> bytes:
    """An out-of-office answer, as Outlook sends one, to the address the release came from."""
    return "\r\n".join([
        f"From: {sender}",
        f"To: {verp}",
        "Subject: Automatic reply: Embargoed: New library opening",
        "Auto-Submitted: auto-replied",
        "X-MS-Exchange-Generated-Message-Source: Mailbox Rules Agent",
        f"Message-ID: {make_msgid(domain='news.example')}",
        "Content-Type: text/plain; charset=utf-8",
        "",
        "I am out of the office until Monday with no access to email.",
        "",
    ]).encode()


# --- Fixtures (conftest.py imports them) and helpers ------------------------------------------------------

@pytest.fixture
def sent(app, make_user, make_release, mail_server, frozen_clock):
    """A release sent by the worker to Ann and Bob through the loopback relay; returns their contact ids."""
    contact_id = make_user("manager", email="jane.smith@northshire.example", name="Jane Smith")
    release_id = make_release(contact_id=contact_id, headline="New library opening", final=True)
    with app.app_context():
        local = MediaList(name="Local")
        people = {email: contacts.create_contact(db.session, by=None, email=email, name=name, lists=[local]).id
                  for email, name in [(ANN, "Ann Lee"), (BOB, "Bob Roe")]}
        services.create_distribution(db.session, db.session.get(Release, release_id), list_ids=[local.id],
                                     contact_ids=[], at=None, stop_after=None, request_key="k", by=None)
        db.session.commit()
    assert Worker(app).run(once=True) == 2
    return people


@pytest.fixture
def listener(app):
    with BounceListener(app, port=0) as running:
        yield running


def verp_of(mail_server, address: str) -> str:
    """The envelope sender the release to this address went with, as the relay saw it."""
    return next(received.mail_from for received in mail_server.messages if address in received.rcpt_tos)


def send_bounce(listener, raw: bytes, to: str) -> tuple[int, bytes]:
    """Deliver a bounce to the listener as a relay does (null sender); the listener's answer to the data."""
    with smtplib.SMTP(listener.host, listener.port, timeout=10) as relay:
        relay.ehlo("relay.northshire.example")
        relay.mail("<>")
        relay.rcpt(to)
        return relay.data(raw)


def delivery_to(app, address: str) -> Delivery:
    with app.app_context():
        delivery = db.session.scalar(select(Delivery).where(Delivery.to_address == address))
        db.session.expunge(delivery)
        return delivery


def contact(app, contact_id: int) -> Contact:
    with app.app_context():
        found = db.session.get(Contact, contact_id)
        db.session.expunge(found)
        return found


def outcomes(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(InboundBounce.outcome).order_by(InboundBounce.id)))
