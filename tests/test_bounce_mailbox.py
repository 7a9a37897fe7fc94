"""Bounces fetched from a real IMAP mailbox (a private Dovecot on loopback, TLS only): each handled once by its
Message-ID, moved to a folder of its own once committed; a bad login, certificate or database loses nothing."""

import pytest
from sqlalchemy import select

from press.bounces.models import InboundBounce
from press.contacts.models import ContactStatus
from press.extensions import db
from press.outbox.messages import envelope_sender
from press.outbox.models import DeliveryStatus
from tests.bounces import ANN, BOB, auto_reply, contact, delivery_report, delivery_to, outcomes, verp_of


@pytest.fixture
def app_config(app_config, mail_server, imap_server):
    return app_config | mail_server.app_settings() | {
        "PRESS_BOUNCE_IMAP_HOST": imap_server.host, "PRESS_BOUNCE_IMAP_PORT": imap_server.port,
        "PRESS_BOUNCE_IMAP_USERNAME": imap_server.username, "PRESS_BOUNCE_IMAP_PASSWORD": imap_server.password,
        "PRESS_BOUNCE_IMAP_CA_FILE": str(imap_server.cafile)}


def delivered(raw: bytes, verp: str) -> bytes:
    """A message as the bounce address's mail server delivers it to the mailbox, the envelope noted on top."""
    return f"Delivered-To: {verp}\r\n".encode() + raw


def fetch(runner):
    result = runner.invoke(args=["press", "fetch-bounces"])
    return result.exit_code, result.output


def test_bounces_are_read_from_the_mailbox_and_moved_once_handled(app, runner, sent, mail_server, imap_server):
    ann, bob = verp_of(mail_server, ANN), verp_of(mail_server, BOB)
    forged = envelope_sender(delivery_to(app, ANN).id, "northshire.example", "not our key")
    report = delivery_report(ann, ANN, message_id="<dsn.ann@mx.news.example>")
    imap_server.append(delivered(report, ann))
    imap_server.append(delivered(report, ann))  # the same report delivered twice
    imap_server.append(delivered(auto_reply(bob, BOB), bob))
    imap_server.append(delivered(delivery_report(forged, BOB), forged))
    code, output = fetch(runner)
    assert code == 0, output
    assert output.strip() == ("4 messages read: 1 auto-reply, 1 forged, 1 permanent, 1 seen before; "
                              "4 moved to Processed bounces.")
    assert imap_server.folder_messages("INBOX") == []
    assert len(imap_server.folder_messages("Processed bounces")) == 4
    assert sorted(outcomes(app)) == ["auto-reply", "forged", "permanent"]
    assert contact(app, sent[ANN]).status == ContactStatus.BOUNCED
    assert delivery_to(app, ANN).status == DeliveryStatus.BOUNCED
    assert contact(app, sent[BOB]).status == ContactStatus.ACTIVE
    with app.app_context():
        assert set(db.session.scalars(select(InboundBounce.source))) == {"imap"}
    assert fetch(runner) == (0, "No new messages in the bounce mailbox.\n")
    imap_server.append(delivered(report, ann))
    assert "1 seen before" in fetch(runner)[1], "fetched again later, it still counts once"
    assert sorted(outcomes(app)) == ["auto-reply", "forged", "permanent"]


def test_a_wrong_password_or_certificate_is_said_plainly_and_moves_nothing(app, runner, imap_server, tmp_path):
    imap_server.append(b"Subject: waiting\r\n\r\nStill here\r\n")
    app.config["PRESS_BOUNCE_IMAP_PASSWORD"] = "wrong"
    code, output = fetch(runner)
    assert code == 1 and "refused the username or password" in output and "Traceback" not in output
    app.config["PRESS_BOUNCE_IMAP_PASSWORD"] = imap_server.password
    app.config["PRESS_BOUNCE_IMAP_CA_FILE"] = None  # the system's authorities do not know the test's own
    code, output = fetch(runner)
    assert code == 1 and "certificate was not accepted" in output and "PRESS_BOUNCE_IMAP_CA_FILE" in output
    app.config["PRESS_BOUNCE_IMAP_HOST"] = None
    code, output = fetch(runner)
    assert code == 1 and "PRESS_BOUNCE_IMAP_HOST is not set" in output
    assert len(imap_server.folder_messages("INBOX")) == 1


def test_with_the_database_away_nothing_is_moved(app, build_app, imap_server, tmp_path):
    imap_server.append(delivery_report("bounces+1-0123456789abcdef@northshire.example", ANN))
    away = build_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'no such folder' / 'press.db'}")
    result = away.test_cli_runner().invoke(args=["press", "fetch-bounces"])
    assert result.exit_code == 1 and "The database is unavailable" in result.output
    assert len(imap_server.folder_messages("INBOX")) == 1
    assert imap_server.folder_messages("Processed bounces") == []
