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
import ssl
import threading
import weakref
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

log = logging.getLogger(__name__)

MAX_MESSAGE_SIZE = 25 * 1024 * 1024
DEFAULT_PORT = 8025  # press.config's default MAIL_PORT, so the app finds the catcher unconfigured.



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


class _Store:
    """The aiosmtpd handler that writes each accepted message to the Maildir."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802 - aiosmtpd's hook name
        """Store the message, log one line for it and accept it."""
        data = envelope.original_content or b""
        message_id = deliver(self.directory, envelope.mail_from or "", envelope.rcpt_tos, data)
        log.info(
            "caught %s from <%s> to %s (%d bytes)",
            message_id,
            envelope.mail_from,
            ", ".join(f"<{rcpt}>" for rcpt in envelope.rcpt_tos),
            len(data),
        )
        return f"250 2.0.0 Ok: caught as {message_id}"


class MailCatcher:
    """An SMTP server that accepts any message up to 25 MB and keeps it as an .eml file in a Maildir."""

    def __init__(
        self,
        directory: str | os.PathLike[str],
        host: str = "127.0.0.1",
        port: int = DEFAULT_PORT,
        *,
        max_size: int = MAX_MESSAGE_SIZE,
    ) -> None:
        self.directory = Path(directory)
        self.host = host
        self.max_size = max_size
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
            _Store(self.directory),
            host=self.host,
            port=self._requested_port,
            server_hostname="press-mailcatcher",
            # aiosmtpd answers 552 above this, at MAIL FROM when the client declares SIZE, else after DATA.
            data_size_limit=self.max_size,
        )
        controller.start()
        self._controller = controller

    def stop(self) -> None:
        """Close all connections and stop serving; safe to call when not running."""
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()

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


def serve(host: str, port: int, directory: str) -> None:
    """Run a mail catcher in the main thread until SIGTERM or SIGINT, then shut it down cleanly."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    # aiosmtpd logs every command at INFO; the catcher's own line per message is enough.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    stopping = threading.Event()

    def request_stop(_signum: int, _frame: FrameType | None) -> None:
        stopping.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    catcher = MailCatcher(directory, host, port)
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
    """Command line: python -m press.outbox.mailcatcher [--host H] [--port N] [--directory DIR]."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--directory", default=str(Path(__file__).resolve().parent.parent / "instance" / "mail"))
    args = parser.parse_args(argv)
    serve(args.host, args.port, args.directory)


if __name__ == "__main__":
    main()
