"""The local mail catcher keeps every message as a file that the staff views can list and read back."""

from __future__ import annotations

import logging
import os
import select
import signal
import smtplib
import stat
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email import policy
from email.parser import BytesParser
from email.utils import formatdate, make_msgid
from pathlib import Path

import pytest

from press.outbox.mailbox import list_messages, message_parts, read_message
from press.outbox.mailcatcher import MAX_MESSAGE_SIZE, MailCatcher

ROOT = Path(__file__).resolve().parent.parent
PDF = b"%PDF-1.4\n" + bytes(range(256)) * 40


def release(to: str = "Jane Réporter <jane@news.test>", subject: str = "Embargoed: Café budget — 2025") -> EmailMessage:
    """A release as the app sends it: plain text and HTML alternatives with a PDF attached."""
    message = EmailMessage()
    message["From"] = "Press Office <press@council.test>"
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate()
    message["Message-ID"] = make_msgid(domain="council.test")
    message.set_content("The budget is published today.\n")
    message.add_alternative("<p>The budget is <b>published</b> today.</p>\n", subtype="html")
    message.add_attachment(PDF, maintype="application", subtype="pdf", filename="budget.pdf")
    return message


@pytest.fixture
def catcher(tmp_path: Path):
    """A catcher on an ephemeral loopback port, keeping mail under tmp_path/mail."""
    with MailCatcher(tmp_path / "mail", port=0) as running:
        yield running


def test_a_caught_message_is_listed_read_and_taken_apart(catcher: MailCatcher, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="press.outbox.mailcatcher")
    sent = release()
    with smtplib.SMTP(catcher.host, catcher.port, timeout=10) as client:
        client.send_message(sent, to_addrs=["jane@news.test", "desk@news.test"])

    (listed,) = list_messages(str(catcher.directory))
    assert listed.subject == "Embargoed: Café budget — 2025"
    assert listed.from_ == "Press Office <press@council.test>"
    assert listed.to == "Jane Réporter <jane@news.test>"
    assert listed.recipients == ("jane@news.test", "desk@news.test")
    assert listed.received_at.tzinfo is UTC
    assert abs(datetime.now(UTC) - listed.received_at) < timedelta(minutes=1)
    path = catcher.directory / "new" / f"{listed.id}.eml"
    assert listed.size == path.stat().st_size > len(PDF)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert os.listdir(catcher.directory / "tmp") == []
    assert f"caught {listed.id}" in caplog.text

    message = read_message(str(catcher.directory), listed.id)
    assert message is not None
    assert message["Message-ID"] == sent["Message-ID"]
    assert message["Return-Path"] == "<press@council.test>"
    text, html, attachments = message_parts(message)
    assert text == "The budget is published today.\n"
    assert html is not None and "<b>published</b>" in html
    assert attachments == [("budget.pdf", "application/pdf", len(PDF))]


def test_messages_are_listed_newest_first_up_to_the_limit(catcher: MailCatcher) -> None:
    with smtplib.SMTP(catcher.host, catcher.port, timeout=10) as client:
        for number in range(3):
            client.send_message(release(subject=f"Release {number}"))
    directory = str(catcher.directory)
    assert [message.subject for message in list_messages(directory)] == ["Release 2", "Release 1", "Release 0"]
    assert [message.subject for message in list_messages(directory, limit=2)] == ["Release 2", "Release 1"]
    assert list_messages(directory, limit=0) == []


def test_listing_ignores_other_files_and_a_missing_directory(catcher: MailCatcher, tmp_path: Path) -> None:
    (catcher.directory / "new" / "notes.txt").write_text("not mail")
    (catcher.directory / "new" / "draft.eml").write_text("Subject: not ours\n\n")
    assert list_messages(str(catcher.directory)) == []
    assert list_messages(str(tmp_path / "nowhere")) == []


def test_the_sink_keeps_what_a_strict_server_would_refuse(catcher: MailCatcher) -> None:
    odd = b"Subject: no date, no id\r\n\r\n" + b"x" * 5000 + b"\r\nbare LF\nhere\r\n"
    with smtplib.SMTP(catcher.host, catcher.port, timeout=10) as client:
        client.sendmail("press@council.test", ["jane@news.test"], odd)
    (listed,) = list_messages(str(catcher.directory))
    assert listed.subject == "no date, no id" and listed.from_ == "" and listed.to == ""
    message = read_message(str(catcher.directory), listed.id)
    assert message is not None
    assert message_parts(message)[0] == "x" * 5000 + "\nbare LF\nhere\n"


@pytest.mark.parametrize(
    "bad_id",
    [
        "../etc/passwd",
        "..",
        ".",
        "a/b",
        "",
        "x" * 10_000,
        "/etc/passwd",
        "20250314T093015.123456Z-3f9a0c1d2e4b5a69/../../x",
        "20250314T093015.123456Z-3f9a0c1d2e4b5a69\n",
        "20250314T093015.123456Z-3F9A0C1D2E4B5A69",
        "20250314T093015.123456Z-3f9a0c1d2e4b5a69.eml",
        "20250314T093015.123456Z-3f9a0c1d2e4b5a69",  # well formed, but no such message
        "\x00",
    ],
)
def test_bad_or_unknown_ids_read_as_none(catcher: MailCatcher, bad_id: str) -> None:
    assert read_message(str(catcher.directory), bad_id) is None


def test_a_non_string_id_reads_as_none(catcher: MailCatcher) -> None:
    assert read_message(str(catcher.directory), None) is None  # type: ignore[arg-type]


def test_a_link_planted_in_the_maildir_is_not_followed(catcher: MailCatcher, tmp_path: Path) -> None:
    secret = tmp_path / "secret.eml"
    secret.write_text("Subject: secret\n\nkeep out\n")
    planted = "20250314T093015.123456Z-3f9a0c1d2e4b5a69"
    (catcher.directory / "new" / f"{planted}.eml").symlink_to(secret)
    assert read_message(str(catcher.directory), planted) is None


def test_messages_over_25_mb_are_refused(catcher: MailCatcher) -> None:
    assert catcher.max_size == MAX_MESSAGE_SIZE == 25 * 1024 * 1024
    line = b"y" * 998 + b"\r\n"
    huge = b"Subject: too big\r\n\r\n" + line * (MAX_MESSAGE_SIZE // len(line) + 1)
    with smtplib.SMTP(catcher.host, catcher.port, timeout=30) as client:
        # smtplib declares SIZE, so the catcher refuses at MAIL FROM without reading the data.
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:
            client.sendmail("press@council.test", ["jane@news.test"], huge)
        assert refused.value.smtp_code == 552
        # A client that does not declare SIZE is refused once the data is in.
        client.mail("press@council.test")
        client.rcpt("jane@news.test")
        code, _ = client.data(huge)
        assert code == 552
        # And the connection still takes a message of the right size.
        client.send_message(release())
    assert [message.subject for message in list_messages(str(catcher.directory))] == ["Embargoed: Café budget — 2025"]


def test_a_smaller_cap_is_honoured(tmp_path: Path) -> None:
    with MailCatcher(tmp_path / "mail", port=0, max_size=4000) as catcher:
        with smtplib.SMTP(catcher.host, catcher.port, timeout=10) as client:
            client.sendmail("a@council.test", ["b@news.test"], b"Subject: small\r\n\r\n" + b"z" * 3000 + b"\r\n")
            with pytest.raises(smtplib.SMTPSenderRefused):
                client.sendmail("a@council.test", ["b@news.test"], b"Subject: big\r\n\r\n" + b"z" * 5000 + b"\r\n")
        assert [message.subject for message in list_messages(str(catcher.directory))] == ["small"]


def test_a_port_in_use_fails_at_once(catcher: MailCatcher, tmp_path: Path) -> None:
    second = MailCatcher(tmp_path / "other", port=catcher.port)
    started = time.monotonic()
    with pytest.raises(OSError):
        second.start()
    assert time.monotonic() - started < 2
    second.stop()  # nothing to stop, and no error for it


def test_message_parts_of_other_shapes() -> None:
    plain = EmailMessage()
    plain["Subject"] = "Plain"
    plain.set_content("Just text.\n")
    assert message_parts(plain) == ("Just text.\n", None, [])

    html_only = EmailMessage()
    html_only.set_content("<p>Only HTML</p>\n", subtype="html")
    assert message_parts(html_only) == (None, "<p>Only HTML</p>\n", [])

    # HTML with an inline logo, and a forwarded message attached whole.
    rich = EmailMessage()
    rich.set_content("Text.\n")
    rich.add_alternative('<p><img src="cid:logo"></p>\n', subtype="html")
    html_part = rich.get_body(preferencelist=("html",))
    assert html_part is not None
    html_part.add_related(b"\x89PNG" + b"\x00" * 96, maintype="image", subtype="png", cid="<logo>")
    forwarded = EmailMessage()
    forwarded["Subject"] = "Earlier release"
    forwarded.set_content("Earlier text.\n")
    rich.add_attachment(forwarded)
    text, html, attachments = message_parts(rich)
    assert text == "Text.\n" and html == '<p><img src="cid:logo"></p>\n'
    assert [(name, kind) for name, kind, _ in attachments] == [("part-3", "image/png"), ("part-4", "message/rfc822")]
    assert attachments[0][2] == 100 and attachments[1][2] > 0


def test_message_parts_survive_an_unknown_charset() -> None:
    raw = (
        b'Content-Type: text/plain; charset="x-no-such-charset"\r\n'
        b"Content-Transfer-Encoding: 8bit\r\n\r\ncaf\xc3\xa9\r\n"
    )
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    assert message_parts(message)[0] == "café\n"


def wait_for_line(stream, needle: str, timeout: float) -> str:
    """Read a child's pipe until a line contains needle; fail if it does not come in time."""
    while True:
        ready, _, _ = select.select([stream], [], [], timeout)
        assert ready, f"no line with {needle!r} in time"
        line = stream.readline()
        assert line, f"the process ended before printing {needle!r}"
        if needle in line:
            return line


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_serve_runs_until_a_signal_and_stops_cleanly(tmp_path: Path, stop_signal: signal.Signals) -> None:
    directory = tmp_path / "mail"
    command = [sys.executable, "-m", "press.outbox.mailcatcher", "--port", "0", "--directory", str(directory)]
    with subprocess.Popen(command, cwd=ROOT, stderr=subprocess.PIPE, text=True) as process:
        try:
            assert process.stderr is not None
            line = wait_for_line(process.stderr, "listening on", timeout=30)
            port = int(line.split("listening on 127.0.0.1:")[1].split(",")[0])
            with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
                client.send_message(release(subject="Through serve"))
            wait_for_line(process.stderr, "caught ", timeout=10)
            process.send_signal(stop_signal)
            assert process.wait(timeout=10) == 0
            assert "stopping" in process.stderr.read()
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    assert [message.subject for message in list_messages(str(directory))] == ["Through serve"]
