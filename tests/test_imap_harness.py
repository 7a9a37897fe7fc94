"""The private Dovecot does what the bounce-mailbox tests rely on, seen through imaplib and IMAPClient."""

from __future__ import annotations

import imaplib
import socket
import ssl
import time
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY

import pytest
import trustme
from imapclient import IMAPClient

from tests import imapserver
from tests.imapserver import ImapServer

PROCESSED = "Processed bounces"


def bounce(n: int) -> bytes:
    """A delivery failure report as a mail server sends it back, with CRLF line ends as IMAP gives them."""
    message = EmailMessage()
    message["From"] = "Mail Delivery System <MAILER-DAEMON@relay.test>"
    message["To"] = "bounces@council.test"
    message["Subject"] = f"Undelivered Mail Returned to Sender {n}"
    message["Date"] = "Mon, 03 Mar 2025 09:30:00 +0000"
    message["Message-ID"] = f"<bounce.{n}@relay.test>"
    message.set_content(f"This is the mail system at host relay.test.\n\nRecipient {n}: 550 5.1.1 User unknown\n")
    return message.as_bytes(policy=SMTP_POLICY)


def subjects(messages: list[bytes]) -> list[str]:
    return [line.decode().removeprefix("Subject: ") for raw in messages for line in raw.split(b"\r\n")
            if line.startswith(b"Subject: ")]


def test_imaplib_logs_in_over_verified_tls_and_moves_a_bounce(imap_server):
    for n in (1, 2, 3):
        imap_server.append(bounce(n))

    context = ssl.create_default_context(cafile=imap_server.cafile)
    with imaplib.IMAP4_SSL(imap_server.host, imap_server.port, ssl_context=context, timeout=10) as client:
        assert client.login(imap_server.username, imap_server.password)[0] == "OK"
        assert client.sock.getpeercert()["subjectAltName"]  # verified against the instance's CA, by name
        status, listed = client.list('""', "*")
        assert status == "OK" and listed == [b'(\\HasNoChildren) "/" INBOX']
        assert client.select("INBOX") == ("OK", [b"3"])
        assert "MOVE" in client.capability()[1][0].decode().split()
        assert client.create(imapserver.quote(PROCESSED))[0] == "OK"
        status, found = client.uid("SEARCH", "HEADER", "Message-ID", "<bounce.2@relay.test>")
        assert status == "OK" and found == [b"2"]
        assert client.uid("MOVE", "2", imapserver.quote(PROCESSED))[0] == "OK"

    assert imap_server.folders() == ["INBOX", PROCESSED]
    assert imap_server.folder_messages("INBOX") == [bounce(1), bounce(3)]
    assert imap_server.folder_messages(PROCESSED) == [bounce(2)]


def test_a_client_trusting_another_ca_refuses_the_certificate(imap_server, tmp_path):
    stranger = tmp_path / "stranger.pem"
    trustme.CA().cert_pem.write_to_path(str(stranger))
    for context in (ssl.create_default_context(cafile=str(stranger)), ssl.create_default_context()):
        with pytest.raises(ssl.SSLCertVerificationError, match="unable to get local issuer certificate"):
            imaplib.IMAP4_SSL(imap_server.host, imap_server.port, ssl_context=context, timeout=10)


def test_the_starttls_port_takes_no_password_before_starttls(imap_server_factory):
    server = imap_server_factory(starttls=True)
    with imaplib.IMAP4(server.starttls_host, server.starttls_port, timeout=10) as client:
        assert {"STARTTLS", "LOGINDISABLED"} <= set(client.capabilities)
        with pytest.raises(imaplib.IMAP4.error, match="PRIVACYREQUIRED"):
            client.login(server.username, server.password)
    with imaplib.IMAP4(server.starttls_host, server.starttls_port, timeout=10) as client:
        client.starttls(ssl_context=server.ssl_context())
        assert client.login(server.username, server.password)[0] == "OK"
    login = server.wait_for_log(r"imap-login: Info: Login: user=<bounces>")
    assert f"lip={server.starttls_host}," in login and ", TLS," in login


def test_imapclient_moves_a_bounce(imap_server):
    for n in (1, 2):
        imap_server.append(bounce(n))
    imap_server.append(bounce(3), folder=PROCESSED)  # APPEND makes the folder when it is missing

    with IMAPClient(imap_server.host, imap_server.port, ssl=True, ssl_context=imap_server.ssl_context(),
                    timeout=10) as client:
        client.login(imap_server.username, imap_server.password)
        assert client.has_capability("MOVE")
        client.select_folder("INBOX")
        uids = client.search(["HEADER", "Message-ID", "<bounce.1@relay.test>"])
        assert uids == [1]
        client.move(uids, PROCESSED)

    assert subjects(imap_server.folder_messages("INBOX")) == ["Undelivered Mail Returned to Sender 2"]
    assert subjects(imap_server.folder_messages(PROCESSED)) == [
        "Undelivered Mail Returned to Sender 3", "Undelivered Mail Returned to Sender 1"]


def test_fill_writes_a_thousand_messages_straight_into_the_maildir(imap_server):
    messages = [bounce(n) for n in range(1000)]
    started = time.monotonic()
    assert imap_server.fill(m.replace(b"\r\n", b"\n") for m in messages) == 1000
    elapsed = time.monotonic() - started
    print(f"fill(): 1,000 messages written and indexed in {elapsed:.2f}s")

    assert imap_server.folder_messages("INBOX") == messages
    # Dovecot has taken them as its own: the next APPEND gets the next UID, and fill() works on other folders.
    assert imap_server.append(bounce(1000)) == 1001
    assert imap_server.fill([bounce(1001)], folder=PROCESSED) == 1
    assert imap_server.folder_messages(PROCESSED) == [bounce(1001)]


def test_two_instances_run_side_by_side(imap_server, imap_server_factory):
    other = imap_server_factory()
    assert other.port != imap_server.port and other.directory != imap_server.directory
    assert other.folder_messages() == [] and other.folders() == ["INBOX"]
    imap_server.append(bounce(1))
    other.append(bounce(2))
    other.append(bounce(3))
    assert imap_server.folder_messages() == [bounce(1)]
    assert other.folder_messages() == [bounce(2), bounce(3)]
    with pytest.raises(ssl.SSLCertVerificationError):  # each instance has a CA of its own
        imaplib.IMAP4_SSL(other.host, other.port, ssl_context=imap_server.ssl_context(), timeout=10)


def test_stop_leaves_no_process_port_or_file_behind():
    server = ImapServer()
    started = time.monotonic()
    server.start()
    print(f"start(): answering over TLS after {time.monotonic() - started:.2f}s")
    server.append(bounce(1))
    group, port, directory = server.pid, server.port, server.directory
    assert group is not None and directory is not None

    server.stop()
    assert not directory.exists()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((server.host, port), timeout=2)
    assert imapserver.live_processes(group) == []
    server.stop()  # a second stop does nothing


def test_a_failed_start_says_why_and_cleans_up(monkeypatch):
    monkeypatch.setattr(imapserver, "CONFIG", imapserver.CONFIG + "no_such_setting = yes\n")
    server = ImapServer()
    with pytest.raises(RuntimeError, match="(?s)Dovecot exited with status .*Unknown setting: no_such_setting"):
        server.start()
    assert server.pid is None and server.directory is None


def test_a_port_taken_before_dovecot_binds_it_means_another_try(monkeypatch):
    taken = socket.create_server((imapserver.HOST, 0))
    ports = iter([taken.getsockname()[1]])
    choose = imapserver._free_port
    monkeypatch.setattr(imapserver, "_free_port", lambda host: next(ports, None) or choose(host))
    with taken, ImapServer() as server:
        assert server.port != taken.getsockname()[1]
        server.append(bounce(1))
        assert len(server.folder_messages()) == 1

