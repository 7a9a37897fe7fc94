"""The local mail catcher: with no SMTP relay configured, the app sends its mail here and staff read it.

Every message is kept as an ``.eml`` file in a Maildir-like directory (``tmp/``, ``new/``, ``cur/``),
so it can also be opened with any mail client; ``press.outbox.mailbox`` reads them back for the staff pages.
Nothing here imports Flask: ``serve`` runs the catcher, and ``deliver`` names each file with an id of
the shape ``press.outbox.mailbox`` accepts.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import secrets
import signal
import smtplib
import ssl
import threading
import weakref
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

log = logging.getLogger(__name__)

MAX_MESSAGE_SIZE = 25 * 1024 * 1024
DEFAULT_PORT = 8025  # press.config's default MAIL_PORT, so the app finds the catcher unconfigured.
# Mail to this reserved domain (RFC 2606) is not caught but bounced: the catcher sends the sender a real
# delivery-status report, as a relay does for an address that does not exist, so bounce handling can be seen.
BOUNCE_DOMAIN = "bounce.invalid"



class SMTPController(Controller):
    """aiosmtpd's threaded Controller that can listen on port 0 and stops without leaving a socket open."""

    def __init__(
        self,
        handler: Any,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        ssl_context: ssl.SSLContext | None = None,
        server_hostname: str = "localhost",
        **smtp_kwargs: Any,
    ) -> None:
        # A fixed server_hostname spares SMTP.__init__ a getfqdn() DNS lookup per connection.
        super().__init__(
            handler,
            hostname=host,
            port=port,
            ssl_context=ssl_context,
            server_hostname=server_hostname,
            **smtp_kwargs,
        )
        self._protocols: weakref.WeakSet[SMTP] = weakref.WeakSet()

    def create_protocol(self) -> SMTP:
        """Build the SMTP protocol for one new connection; subclasses return their own SMTP class."""
        # Passing the loop keeps aiosmtpd from calling get_event_loop() under catch_warnings,
        # which swaps the process-wide warning filters from this thread.
        return SMTP(self.handler, loop=self.loop, **self.SMTP_kwargs)

    def factory(self) -> SMTP:
        """Create and remember the protocol for a new connection, so stop() can close it."""
        protocol = self.create_protocol()
        self._protocols.add(protocol)
        return protocol

    def _run(self, ready_event: threading.Event) -> None:
        try:
            super()._run(ready_event)
        finally:
            # aiosmtpd signals readiness only on success, so a port already in use
            # would otherwise hold start() for the whole ready_timeout.
            ready_event.set()

    def _trigger_server(self) -> None:
        if self._thread_exception is not None:
            raise self._thread_exception  # the listener could not be created
        # Bound to port 0, the listener only now has its real port, and aiosmtpd's
        # start-up check connects to self.port.
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()

    def start(self) -> None:
        """Listen and serve in a background thread; on failure leave no thread or loop behind."""
        try:
            super().start()
        except BaseException:
            self._abandon()
            raise

    def stop(self, no_assert: bool = False) -> None:
        """Close every open connection, then stop the loop and its thread."""
        if self._thread is not None and self.loop.is_running():
            asyncio.run_coroutine_threadsafe(self._close_connections(), self.loop).result(timeout=15)
        super().stop(no_assert=no_assert)

    async def _close_connections(self) -> None:
        """Stop listening and abort live connections, so no transport outlives the loop."""
        assert self.server is not None
        self.server.close()
        for protocol in list(self._protocols):
            if protocol.transport is not None:
                protocol.transport.abort()
        current = asyncio.current_task()
        pending = [task for task in asyncio.all_tasks() if task is not current]
        if pending:
            await asyncio.wait(pending, timeout=10)
        # abort() closes the sockets in callbacks queued on the loop (several hops under TLS).
        for _ in range(5):
            await asyncio.sleep(0)

    def _abandon(self) -> None:
        """Tear down after a failed start: stop the thread if it runs, close the loop if it was left open."""
        if not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self.cancel_tasks)
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        if not self.loop.is_closed() and not self.loop.is_running():
            self.loop.close()
        self._cleanup()


class _SinkSMTP(SMTP):
    """aiosmtpd's SMTP with room for long lines: a sink keeps what real servers would refuse."""

    # aiosmtpd refuses lines over 1001 octets with 500; the catcher only caps the message size.
    line_length_limit = 1024 * 1024


class _CatcherController(SMTPController):
    """The controller that gives each connection the catcher's SMTP protocol."""

    def create_protocol(self) -> SMTP:
        """Build the long-line-tolerant protocol for one connection."""
        return _SinkSMTP(self.handler, loop=self.loop, **self.SMTP_kwargs)


def bounces(address: str) -> bool:
    return address.rpartition("@")[2].lower() == BOUNCE_DOMAIN


class _Store:
    """The aiosmtpd handler that writes each accepted message to the Maildir, and bounces the test domain's."""

    def __init__(self, directory: Path, bounce_to: tuple[str, int] | None = None) -> None:
        self.directory = directory
        self.bounce_to = bounce_to
        # Reports go out after the answer, one at a time, as a relay's queue sends them.
        self.reports = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mailcatcher-bounces")

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802 - aiosmtpd's hook name
        """Store the message, log one line for it and accept it; report the test domain's recipients as failed."""
        data = envelope.original_content or b""
        mail_from = envelope.mail_from or ""
        null_sender = mail_from.strip("<> ") == ""
        kept = [rcpt for rcpt in envelope.rcpt_tos if not bounces(rcpt)]
        failed = [rcpt for rcpt in envelope.rcpt_tos if bounces(rcpt)]
        answer = "250 2.0.0 Ok"
        if kept:
            message_id = deliver(self.directory, mail_from, kept, data)
            log.info("caught %s from <%s> to %s (%d bytes)", message_id, mail_from,
                     ", ".join(f"<{rcpt}>" for rcpt in kept), len(data))
            answer = f"250 2.0.0 Ok: caught as {message_id}"
        # A bounce is never bounced (RFC 5321 6.1): a null sender gets no report.
        if failed and not null_sender:
            self.reports.submit(self.hand_back, mail_from, failure_report(mail_from, failed, data))
        return answer

    def hand_back(self, mail_from: str, report: bytes) -> None:
        """Send the report to the bounce listener; without one, or with it down, keep it here to be read."""
        if self.bounce_to is not None:
            try:
                with smtplib.SMTP(*self.bounce_to, timeout=10) as relay:
                    relay.sendmail("<>", [mail_from], report)
                log.info("bounced mail from <%s>: report handed to %s:%d", mail_from, *self.bounce_to)
                return
            except (OSError, smtplib.SMTPException) as error:
                log.warning("bounce listener %s:%d did not take the report (%s); keeping it here", *self.bounce_to,
                            error)
        deliver(self.directory, "", [mail_from], report)


def failure_report(mail_from: str, recipients: list[str], data: bytes) -> bytes:
    """An RFC 3464 delivery-status report, as a relay writes one, saying the recipients do not exist."""
    boundary = f"press-mailcatcher-{secrets.token_hex(8)}"
    headers = data.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0].decode("utf-8", "replace")
    now = datetime.now(UTC)
    per_recipient = []
    for rcpt in recipients:
        per_recipient += ["", f"Final-Recipient: rfc822; {rcpt}", "Action: failed", "Status: 5.1.1",
                          "Remote-MTA: dns; press-mailcatcher",
                          f"Diagnostic-Code: smtp; 550 5.1.1 <{rcpt}>: {BOUNCE_DOMAIN} takes no mail (the local mail "
                          "catcher bounces it, to show how a bounce is handled)"]
    lines = [
        "From: Mail Delivery System <MAILER-DAEMON@press-mailcatcher>",
        f"To: <{mail_from}>",
        "Subject: Undelivered Mail Returned to Sender",
        f"Date: {format_datetime(now)}",
        f"Message-ID: <{now:%Y%m%d%H%M%S}.{secrets.token_hex(8)}@press-mailcatcher>",
        "Auto-Submitted: auto-replied",
        "MIME-Version: 1.0",
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"',
        "",
        f"--{boundary}",
        "Content-Type: text/plain; charset=us-ascii",
        "",
        "This is the local mail catcher. Your message could not be delivered to:",
        *(f"  <{rcpt}>" for rcpt in recipients),
        f"Addresses at {BOUNCE_DOMAIN} never take mail: the catcher bounces them so that a bounce can be seen.",
        "",
        f"--{boundary}",
        "Content-Type: message/delivery-status",
        "",
        "Reporting-MTA: dns; press-mailcatcher",
        f"Arrival-Date: {format_datetime(now)}",
        *per_recipient,
        "",
        f"--{boundary}",
        "Content-Type: text/rfc822-headers",
        "",
        *headers.splitlines(),
        "",
        f"--{boundary}--",
        "",
    ]
    return "\r\n".join(lines).encode("utf-8")


class MailCatcher:
    """An SMTP server that accepts any message up to 25 MB and keeps it as an .eml file in a Maildir."""

    def __init__(
        self,
        directory: str | os.PathLike[str],
        host: str = "127.0.0.1",
        port: int = DEFAULT_PORT,
        *,
        max_size: int = MAX_MESSAGE_SIZE,
        bounce_to: tuple[str, int] | None = None,
    ) -> None:
        self.directory = Path(directory)
        self.host = host
        self.max_size = max_size
        self.bounce_to = bounce_to
        self._requested_port = port
        self._controller: SMTPController | None = None

    @property
    def port(self) -> int:
        """The port listened on: the real one once started, even when 0 was asked for."""
        if self._controller is not None:
            return self._controller.port
        return self._requested_port

    def start(self) -> None:
        """Create the Maildir folders and start serving in a background thread."""
        if self._controller is not None:
            raise RuntimeError("the mail catcher is already running")
        # Made now, so a bad directory fails at start rather than at the first message.
        for folder in ("tmp", "new", "cur"):
            (self.directory / folder).mkdir(parents=True, exist_ok=True)
        controller = _CatcherController(
            _Store(self.directory, self.bounce_to),
            host=self.host,
            port=self._requested_port,
            server_hostname="press-mailcatcher",
            # aiosmtpd answers 552 above this, at MAIL FROM when the client declares SIZE, else after DATA.
            data_size_limit=self.max_size,
        )
        controller.start()
        self._controller = controller

    def stop(self) -> None:
        """Close all connections and stop serving, once the reports waiting to go are sent; safe when not running."""
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()
            controller.handler.reports.shutdown(wait=True)

    def __enter__(self) -> MailCatcher:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def _envelope_address(address: str) -> str:
    """An envelope address made safe to write into a header line."""
    # aiosmtpd has parsed it already; this only rules out control characters reaching the file.
    return "".join(char if char.isprintable() else "?" for char in address)


def deliver(directory: str | os.PathLike[str], mail_from: str, rcpt_tos: list[str], data: bytes) -> str:
    """Write one message into <directory>/new as a real MTA would deliver it, and return its id."""
    root = Path(directory)
    for folder in ("tmp", "new", "cur"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    message_id = f"{datetime.now(UTC):%Y%m%dT%H%M%S.%fZ}-{secrets.token_hex(8)}"
    # Return-Path and Delivered-To are what a receiving server adds; they also keep the Bcc recipients.
    trace = [f"Return-Path: <{_envelope_address(mail_from)}>"]
    trace += [f"Delivered-To: {_envelope_address(rcpt)}" for rcpt in rcpt_tos]
    content = "".join(line + "\r\n" for line in trace).encode("utf-8") + data
    temporary = root / "tmp" / f"{message_id}.eml"
    # 0600: caught mail can hold embargoed releases.
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(content)
        # The rename makes the finished file appear at once; a reader never sees half a message.
        os.replace(temporary, root / "new" / f"{message_id}.eml")
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return message_id


def serve(host: str, port: int, directory: str, bounce_to: tuple[str, int] | None = None) -> None:
    """Run a mail catcher in the main thread until SIGTERM or SIGINT, then shut it down cleanly."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    # aiosmtpd logs every command at INFO; the catcher's own line per message is enough.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    stopping = threading.Event()

    def request_stop(_signum: int, _frame: FrameType | None) -> None:
        stopping.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    catcher = MailCatcher(directory, host, port, bounce_to=bounce_to)
    try:
        catcher.start()
        log.info("mail catcher listening on %s:%d, keeping mail in %s", host, catcher.port, directory)
        # A timed wait lets the interpreter run the signal handler promptly.
        while not stopping.wait(0.5):
            pass
        log.info("mail catcher stopping")
    finally:
        catcher.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def main(argv: list[str] | None = None) -> None:
    """Command line: python -m press.outbox.mailcatcher [--host H] [--port N] [--directory DIR] [--bounce-to H:P]."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--directory", default=str(Path(__file__).resolve().parent.parent / "instance" / "mail"))
    parser.add_argument("--bounce-to", metavar="HOST:PORT", default=None,
                        help=f"where to send the reports for mail to {BOUNCE_DOMAIN} (flask press bounces)")
    args = parser.parse_args(argv)
    bounce_to = None
    if args.bounce_to:
        host, _, port = args.bounce_to.rpartition(":")
        bounce_to = (host or "127.0.0.1", int(port))
    serve(args.host, args.port, args.directory, bounce_to)


if __name__ == "__main__":
    main()
