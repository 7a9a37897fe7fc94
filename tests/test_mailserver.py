"""The controllable SMTP server does what the mail tests rely on, seen through smtplib."""

from __future__ import annotations

import json
import re
import select
import signal
import smtplib
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import formatdate, make_msgid
from pathlib import Path

import pytest
from flask import Flask
from flask_mail import Mail
from flask_mail import Message as FlaskMailMessage

from tests.mailserver import CertificateAuthority, MailServer

ROOT = Path(__file__).resolve().parent.parent


def release(to: str = "jane@news.test", subject: str = "Embargoed: budget 2025") -> EmailMessage:
    """A message shaped like the app's: one recipient, UTF-8 allowed only in encoded headers."""
    message = EmailMessage()
    message["From"] = "Press Office <press@council.test>"
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate()
    message["Message-ID"] = make_msgid(domain="council.test")
    message.set_content("The council's budget is published today.\n")
    return message


def connect(server: MailServer, timeout: float = 10) -> smtplib.SMTP:
    """A plain smtplib client connected and greeted."""
    client = smtplib.SMTP(server.host, server.port, timeout=timeout)
    client.ehlo()
    return client


# Raw messages for strict mode: smtplib sends bytes as given, bare line breaks included.
HEADERS = [
    b"Date: Mon, 03 Mar 2025 09:30:00 +0000",
    b"From: Press Office <press@council.test>",
    b"To: Jane Reporter <jane@news.test>",
    b"Subject: Budget",
    b"Message-ID: <budget.1@council.test>",
]


def raw(headers: list[bytes] = HEADERS, body: bytes = b"The budget is out.\r\n") -> bytes:
    """A message built line by line, so each strict rule can be broken on its own."""
    return b"".join(line + b"\r\n" for line in headers) + b"\r\n" + body


def without(name: bytes) -> list[bytes]:
    """The valid headers less one field."""
    return [line for line in HEADERS if not line.lower().startswith(name.lower() + b":")]


def test_accepted_message_is_recorded_and_parsed() -> None:
    with MailServer() as server, connect(server) as client:
        message = release(subject="Café budget – 2025")
        client.send_message(message)
        (received,) = server.wait_for(1)
        assert received.mail_from == "press@council.test"
        assert received.rcpt_tos == ["jane@news.test"]
        assert received.message["Subject"] == "Café budget – 2025"
        assert received.message["Message-ID"] == message["Message-ID"]
        assert received.message.get_content() == "The council's budget is published today.\n"
        assert received.data.startswith(b"From: Press Office")
        assert received.connection_id == 1
        assert abs(received.received_at - time.time()) < 30
        client.send_message(release(to="Sam@Wire.test"))
        server.wait_for(2)
        assert server.by_recipient() == {"jane@news.test": 1, "sam@wire.test": 1}
        assert server.connections == 1
        server.clear()
        assert server.messages == [] and server.connections == 0


def test_fixture_gives_a_started_strict_server(mail_server: MailServer) -> None:
    assert mail_server.strict
    with connect(mail_server) as client:
        client.send_message(release())
    assert len(mail_server.wait_for(1)) == 1


def test_factory_fixture_starts_servers_with_options(
    mail_server_factory: Callable[..., MailServer],
) -> None:
    lenient = mail_server_factory(strict=False)
    with connect(lenient) as client:
        client.sendmail("a@council.test", ["b@news.test"], b"Subject: no date, no id\r\n\r\nHi\r\n")
    assert len(lenient.wait_for(1)) == 1


def test_connections_are_counted_and_numbered() -> None:
    with MailServer() as server:
        for _ in range(2):
            with connect(server) as client:
                client.send_message(release())
                client.send_message(release())
        received = server.wait_for(4)
        assert server.connections == 2
        assert [message.connection_id for message in received] == [1, 1, 2, 2]


def test_wait_for_times_out_with_the_count_seen() -> None:
    with MailServer() as server:
        with connect(server) as client:
            client.send_message(release())
        with pytest.raises(TimeoutError, match="2 messages, 1 arrived"):
            server.wait_for(2, timeout=0.2)


@pytest.mark.parametrize(
    ("code", "text"),
    [(451, "4.3.0 Temporary failure"), (550, "5.1.1 No such user")],
)
def test_reply_for_refuses_a_recipient_the_given_number_of_times(code: int, text: str) -> None:
    with MailServer() as server, connect(server) as client:
        server.reply_for("Jane@News.test", code, text, times=2)
        for _ in range(2):
            with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
                client.send_message(release())
            assert refused.value.recipients == {"jane@news.test": (code, text.encode())}
        client.send_message(release())
        assert server.by_recipient() == {"jane@news.test": 1}


def test_reply_for_a_pattern_refuses_only_matching_recipients() -> None:
    with MailServer() as server, connect(server) as client:
        server.reply_for(re.compile(r"@gone\.test$"), 550, "5.1.1 No such user")
        message = release()
        refused = client.send_message(message, to_addrs=["jane@news.test", "old@gone.test"])
        assert refused == {"old@gone.test": (550, b"5.1.1 No such user")}
        client.send_message(release(), to_addrs=["again@gone.test", "sam@wire.test"])
        assert server.by_recipient() == {"jane@news.test": 1, "sam@wire.test": 1}
        server.behave()
        client.send_message(release(), to_addrs=["old@gone.test"])
        assert server.by_recipient()["old@gone.test"] == 1


def test_421_closes_the_connection() -> None:
    with MailServer() as server:
        server.reply_for("jane@news.test", 421, "4.7.0 Try again later", times=1)
        with connect(server) as client:
            client.mail("press@council.test")
            assert client.rcpt("jane@news.test") == (421, b"4.7.0 Try again later")
            assert client.sock is not None
            client.sock.settimeout(5)
            assert client.sock.recv(1) == b""  # the server hung up
        # smtplib's own handling: it closes too, and the next connection is served.
        server.reply_for("jane@news.test", 421, "4.7.0 Try again later", times=1)
        with connect(server) as client:
            with pytest.raises(smtplib.SMTPRecipientsRefused):
                client.send_message(release())
            assert client.sock is None
        with connect(server) as client:
            client.send_message(release())
        assert len(server.wait_for(1)) == 1


def test_drop_after_aborts_once_at_the_next_data() -> None:
    with MailServer() as server:
        server.drop_after(2)
        with connect(server) as client:
            client.send_message(release())
            client.send_message(release())
            with pytest.raises(smtplib.SMTPServerDisconnected):
                client.send_message(release())
        with connect(server) as client:
            client.send_message(release())
            client.send_message(release())
        assert len(server.messages) == 4
        assert server.connections == 2


def test_drop_after_zero_drops_the_very_next_message() -> None:
    with MailServer() as server, connect(server) as client:
        server.drop_after(0)
        with pytest.raises(smtplib.SMTPServerDisconnected):
            client.send_message(release())
        assert server.messages == []


def converse(server: MailServer, timeout: float) -> None:
    """Hold one whole SMTP conversation step by step, so a stall at any stage is met."""
    client = smtplib.SMTP(timeout=timeout)
    try:
        client.connect(server.host, server.port)
        client.ehlo()
        client.mail("press@council.test")
        client.rcpt("jane@news.test")
        client.data(release().as_bytes(policy=SMTP_POLICY))
    finally:
        client.close()


@pytest.mark.parametrize("stage", ["connect", "mail", "rcpt", "data"])
def test_stall_makes_the_client_time_out(stage: str) -> None:
    with MailServer() as server:
        server.stall(5, at=stage)  # type: ignore[arg-type]
        started = time.monotonic()
        with pytest.raises(smtplib.SMTPServerDisconnected) as disconnected:
            converse(server, timeout=0.3)
        # smtplib reports a read timeout as a disconnection; the socket.timeout is its cause.
        assert isinstance(disconnected.value.__context__, socket.timeout)
        assert time.monotonic() - started < 3
        assert server.messages == []
        server.stall(0)
        converse(server, timeout=5)
        assert len(server.wait_for(1)) == 1


def test_a_stalled_connection_does_not_hold_up_others() -> None:
    with MailServer() as server:
        server.stall(5, at="rcpt")
        stalled = connect(server)
        try:
            stalled.mail("press@council.test")
            stalled.putcmd("rcpt", "TO:<jane@news.test>")  # answer pending for 5 s
            server.stall(0)
            started = time.monotonic()
            with connect(server) as client:
                client.send_message(release())
            assert time.monotonic() - started < 2
        finally:
            stalled.close()


def test_accept_delay_is_concurrent_across_connections() -> None:
    delay = 0.5
    with MailServer(accept_delay=delay) as server:
        errors: list[BaseException] = []
        barrier = threading.Barrier(4)

        def send() -> None:
            try:
                with connect(server) as client:
                    barrier.wait(timeout=5)
                    client.send_message(release())
            except BaseException as error:  # noqa: BLE001 - reported by the main thread
                errors.append(error)

        threads = [threading.Thread(target=send) for _ in range(4)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=10)
        elapsed = time.monotonic() - started
        assert errors == []
        assert len(server.messages) == 4 and server.connections == 4
        assert delay <= elapsed < 3 * delay  # one after another would take 4 × delay


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (raw(body=b"x" * 999 + b"\r\n"), "line 7 is 999 octets long, over the 998 allowed"),
        (raw(body=b"first line\nsecond line\r\n"), "bare LF in line 7"),
        (raw(body=b"first line\rsecond line\r\n"), "bare CR in line 7"),
        (raw(without(b"Date")), "no Date header"),
        (raw(without(b"From")), "no From header"),
        (raw(without(b"Message-ID")), "no Message-ID header"),
        (raw([*without(b"To"), b"To: jane@news.test, sam@wire.test"]), "To has 2 addresses, one expected"),
        (raw([*HEADERS, b"To: sam@wire.test"]), "2 To headers, at most one allowed"),
        (raw([*without(b"Subject"), "Subject: Café".encode()]), "header line 5 has non-ASCII bytes"),
        (raw([*without(b"Subject"), b"Subject: Hi\nBcc: everyone@news.test"]), "header injection"),
        (raw([*HEADERS, b"Bcc everyone@news.test"]), "header line 6 is not a header field: Bcc everyone"),
        (raw([b"  folded", *HEADERS]), "header line 1 is a continuation with no field before it"),
        (raw([*without(b"Date"), b"Date: yesterday"]), "Date is not an RFC 5322 date"),
        (raw([*without(b"Message-ID"), b"Message-ID: budget"]), "Message-ID is not <id@domain>"),
    ],
    ids=[
        "long-line",
        "bare-lf",
        "bare-cr",
        "no-date",
        "no-from",
        "no-message-id",
        "two-addresses-in-to",
        "two-to-headers",
        "8bit-header",
        "injection",
        "not-a-field",
        "orphan-continuation",
        "bad-date",
        "bad-message-id",
    ],
)
def test_strict_mode_refuses_with_the_reason(data: bytes, reason: str) -> None:
    with MailServer() as server, connect(server) as client:
        with pytest.raises(smtplib.SMTPDataError) as refused:
            client.sendmail("press@council.test", ["jane@news.test"], data)
        assert refused.value.smtp_code == 554
        assert refused.value.smtp_error.startswith(b"5.6.0 Message refused: ")
        assert reason.encode() in refused.value.smtp_error
        assert server.messages == []
        ((reasons, refused_data),) = server.refused
        assert reason in reasons and refused_data == data
        client.send_message(release())  # the connection stays usable
        assert len(server.messages) == 1


def test_strict_mode_accepts_valid_messages() -> None:
    folded = b"Subject: A long subject that the sender folded\r\n onto a second line"
    with MailServer() as server, connect(server) as client:
        client.sendmail("press@council.test", ["jane@news.test"], raw(body=b"x" * 998 + b"\r\n"))
        client.sendmail("press@council.test", ["jane@news.test"], raw([*without(b"Subject"), folded]))
        # Non-ASCII headers are fine once the client says SMTPUTF8.
        utf8 = raw([*without(b"Subject"), "Subject: Café".encode()])
        client.sendmail("press@council.test", ["jane@news.test"], utf8, mail_options=["SMTPUTF8"])
        client.send_message(release(to='"Reporter, Jane" <jane@news.test>'))
        assert server.refused == []
        assert len(server.messages) == 4
        assert server.messages[2].message["Subject"] == "Café"


def test_strict_mode_accepts_what_flask_mail_sends() -> None:
    app = Flask(__name__)
    app.config.update(MAIL_DEFAULT_SENDER="Press Office <press@council.test>")
    Mail(app)
    with MailServer() as server, app.app_context():
        message = FlaskMailMessage(
            subject="Embargoed: Café budget — 2025",
            recipients=["Jane Réporter <jane@news.test>"],
            body="The budget is published today.\n",
            html="<p>The budget is published today.</p>",
        )
        message.attach("budget.pdf", "application/pdf", b"%PDF-1.4 " * 500)
        with connect(server) as client:
            client.sendmail("press@council.test", ["jane@news.test"], message.as_bytes())
        (received,) = server.wait_for(1)
        assert received.message["Subject"] == "Embargoed: Café budget — 2025"


def test_lenient_mode_accepts_anything() -> None:
    with MailServer(strict=False) as server, connect(server) as client:
        client.sendmail("a@council.test", ["b@news.test"], b"no headers at all\nbare LF\r\n")
        assert len(server.wait_for(1)) == 1 and server.refused == []


def test_starttls_is_required_and_verifies_against_ca_file() -> None:
    with MailServer(tls="starttls") as server:
        with connect(server) as client:
            assert client.has_extn("starttls")
            assert client.mail("press@council.test")[0] == 530  # not before STARTTLS
            client.starttls(context=ssl.create_default_context(cafile=server.ca_file))
            client.ehlo()
            client.send_message(release())
        (received,) = server.wait_for(1)
        assert received.message["To"] == "jane@news.test"
        ca_file = Path(server.ca_file)
        assert ca_file.read_text().startswith("-----BEGIN CERTIFICATE-----")
    assert not ca_file.exists()  # the server removed its CA


def test_implicit_tls_verifies_against_ca_file() -> None:
    with MailServer(tls="implicit") as server:
        with smtplib.SMTP_SSL(server.host, server.port, context=server.client_context(), timeout=10) as client:
            client.send_message(release())
        assert len(server.wait_for(1)) == 1


def test_servers_can_share_a_certificate_authority() -> None:
    with CertificateAuthority() as authority:
        with MailServer(tls="implicit", certificate=authority) as first, MailServer(
            tls="starttls", certificate=authority
        ) as second:
            assert first.ca_file == second.ca_file == authority.ca_file
            with smtplib.SMTP_SSL(first.host, first.port, context=authority.client_context()) as client:
                client.send_message(release())
            with connect(second) as client:
                client.starttls(context=authority.client_context())
                client.ehlo()
                client.send_message(release())
            assert len(first.messages) == len(second.messages) == 1
        assert Path(authority.ca_file).exists()  # the caller's CA outlives the servers


def test_verification_fails_for_a_certificate_from_another_ca() -> None:
    with MailServer(tls="implicit", trusted=False) as server:
        with pytest.raises(ssl.SSLCertVerificationError):
            smtplib.SMTP_SSL(server.host, server.port, context=server.client_context(), timeout=10)
    with MailServer(tls="starttls", trusted=False) as server, connect(server) as client:
        with pytest.raises(ssl.SSLCertVerificationError):
            client.starttls(context=server.client_context())
    with MailServer(tls="implicit") as server, CertificateAuthority() as other:
        with pytest.raises(ssl.SSLCertVerificationError):
            smtplib.SMTP_SSL(server.host, server.port, context=other.client_context(), timeout=10)
        assert server.messages == []


def test_options_are_checked() -> None:
    server = MailServer()
    with pytest.raises(ValueError):
        server.reply_for("jane@news.test", 250, "OK")
    with pytest.raises(ValueError):
        server.stall(1, at="quit")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        server.accept_delay = -1
    with pytest.raises(ValueError):
        MailServer(tls="ssl")  # type: ignore[arg-type]
    with pytest.raises(RuntimeError):
        server.ca_file  # noqa: B018 - reading it raises


def test_server_can_be_restarted_and_stops_with_clients_still_connected() -> None:
    server = MailServer()
    server.start()
    first_port = server.port
    lingering = connect(server)
    server.stop()
    lingering.close()
    server.start()
    try:
        assert server.port != 0 and first_port != 0
        with connect(server) as client:
            client.send_message(release())
        assert len(server.messages) == 1
    finally:
        server.stop()


def read_line(stream, timeout: float) -> str:
    """One line from a child's pipe, or an AssertionError if none comes in time."""
    ready, _, _ = select.select([stream], [], [], timeout)
    assert ready, "the mail server process printed nothing"
    return stream.readline()


def test_process_mode_prints_its_port_logs_json_and_stops_on_sigterm(tmp_path: Path) -> None:
    log = tmp_path / "mail.jsonl"
    command = [sys.executable, "-m", "tests.mailserver", "--port", "0", "--accept-delay", "0.05", "--log", str(log)]
    with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True) as process:
        try:
            assert process.stdout is not None
            port = int(read_line(process.stdout, timeout=30))
            sent = [release(to="jane@news.test"), release(to="sam@wire.test"), release(to="Jane@News.test")]
            with smtplib.SMTP("127.0.0.1", port, timeout=10) as client:
                for message in sent:
                    client.send_message(message)
            entries = [json.loads(line) for line in log.read_text().splitlines()]
            assert [entry["rcpt_tos"] for entry in entries] == [["jane@news.test"], ["sam@wire.test"], ["Jane@News.test"]]
            assert [entry["message_id"] for entry in entries] == [message["Message-ID"] for message in sent]
            assert all(entry["mail_from"] == "press@council.test" and entry["size"] > 100 for entry in entries)
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=10) == 0
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()


def test_discard_mode_counts_and_logs_without_keeping(tmp_path: Path) -> None:
    log = tmp_path / "mail.jsonl"
    with pytest.raises(ValueError, match="strict=False"):
        MailServer(discard=True)
    with MailServer(strict=False, discard=True, log_path=log) as server:
        with smtplib.SMTP("127.0.0.1", server.port, timeout=10) as client:
            client.send_message(release(to="jane@news.test"))
            client.sendmail("press@council.test", ["sam@wire.test"], b"not even a header block")
        entries = [json.loads(line) for line in log.read_text().splitlines()]
        assert [entry["rcpt_tos"] for entry in entries] == [["jane@news.test"], ["sam@wire.test"]]
        assert all(entry["mail_from"] == "press@council.test" and entry["size"] > 0 for entry in entries)
        assert server.messages == []
