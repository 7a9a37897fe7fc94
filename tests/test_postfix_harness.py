"""The private Postfix of tests/postfix.py returns real DSNs to the VERP sender, at the SMTP server a test names."""

from __future__ import annotations

import smtplib
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime

import pytest

from tests.mailserver import MailServer, Received
from tests.postfix import PostfixError, PostfixMTA

VERP = "bounces+42-0123456789abcdef@council.example"


def release_to(recipient: str, message_id: str = "<release-42@council.example>") -> bytes:
    """A release as the outbox sends it, to one recipient."""
    message = EmailMessage()
    message["From"] = "Northshire Press Office <press@council.example>"
    message["To"] = recipient
    message["Subject"] = "Embargoed: New library opening"
    message["Date"] = format_datetime(datetime(2026, 12, 3, 9, 0, tzinfo=UTC))
    message["Message-ID"] = message_id
    message.set_content("The new library opens on Monday.\n")
    return message.as_bytes().replace(b"\n", b"\r\n")


def status_fields(received: Received) -> list[dict[str, str]]:
    """The per-recipient field groups of a DSN's message/delivery-status part."""
    report = received.message
    assert report.get_content_type() == "multipart/report"
    assert report.get_param("report-type") == "delivery-status"
    [status] = [part for part in report.walk() if part.get_content_type() == "message/delivery-status"]
    # The email package reads each field group of a delivery-status part as a header block.
    groups = status.get_payload()
    return [{name.lower(): str(value) for name, value in group.items()} for group in groups[1:]]


def test_mail_to_a_missing_mailbox_comes_back_to_the_verp_sender(mail_server: MailServer, postfix_mta) -> None:
    mta = postfix_mta(mail_server.host, mail_server.port)

    mta.send(VERP, "jane@bounce.invalid", release_to("jane@bounce.invalid"))

    [dsn] = mail_server.wait_for(1, timeout=15)
    assert dsn.mail_from == "<>"  # RFC 5321 4.5.5: a notification has the null reverse-path
    assert dsn.rcpt_tos == [VERP]
    assert dsn.message["To"] == VERP
    [recipient] = status_fields(dsn)
    assert recipient["final-recipient"] == "rfc822; jane@bounce.invalid"
    assert recipient["action"] == "failed"
    assert recipient["status"] == "5.1.1"
    [returned] = [part for part in dsn.message.walk() if part.get_content_type() == "message/rfc822"]
    original = returned.get_payload()[0]
    assert original["Message-ID"] == "<release-42@council.example>"
    assert original["Subject"] == "Embargoed: New library opening"


def test_mail_to_an_unreachable_domain_brings_a_delay_warning(mail_server: MailServer, postfix_mta) -> None:
    mta = postfix_mta(mail_server.host, mail_server.port)

    mta.send(VERP, "sam@defer.invalid", release_to("sam@defer.invalid"))

    [dsn] = mail_server.wait_for(1, timeout=15)
    assert dsn.rcpt_tos == [VERP]
    assert dsn.message["Subject"] == "Delayed Mail (still being retried)"
    [recipient] = status_fields(dsn)
    assert recipient["final-recipient"] == "rfc822; sam@defer.invalid"
    assert recipient["action"] == "delayed"
    assert recipient["status"].startswith("4.")
    assert "sam@defer.invalid" in mta.queue()  # still queued: only a warning, not a bounce


def test_two_instances_run_side_by_side(mail_server_factory, postfix_mta) -> None:
    first_sink, second_sink = mail_server_factory(), mail_server_factory()
    first, second = postfix_mta(first_sink.host, first_sink.port), postfix_mta(second_sink.host, second_sink.port)
    assert first.port != second.port

    first.send(VERP, "jane@bounce.invalid", release_to("jane@bounce.invalid"))
    second.send("bounces+43-fedcba9876543210@council.example", "sam@bounce.invalid", release_to("sam@bounce.invalid"))

    assert first_sink.wait_for(1, timeout=15)[0].rcpt_tos == [VERP]
    assert second_sink.wait_for(1, timeout=15)[0].rcpt_tos == ["bounces+43-fedcba9876543210@council.example"]


def test_stopping_ends_every_postfix_process_and_removes_its_files(mail_server: MailServer) -> None:
    mta = PostfixMTA(mail_server.host, mail_server.port)
    with mta:
        root, port = mta.root, mta.port
        assert root is not None and (root / "spool" / "pid" / "master.pid").exists()

    assert not root.exists()
    with pytest.raises(OSError):
        smtplib.SMTP(mta.host, port, timeout=2)


def test_a_port_already_taken_fails_with_postfix_s_own_words(mail_server: MailServer) -> None:
    mta = PostfixMTA(mail_server.host, mail_server.port, port=mail_server.port)

    with pytest.raises(PostfixError, match="Address already in use"):
        mta.start()
    assert mta.root is None
