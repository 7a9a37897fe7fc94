"""A real SMTP server on loopback for the mail tests and benchmarks, which can be told to misbehave.

In a test::

    def test_sends(mail_server):               # fixture: strict, started and stopped per test
        send_everything(host=mail_server.host, port=mail_server.port)
        mail_server.wait_for(3)
        assert mail_server.by_recipient()["jane@news.test"] == 1

    mail_server.reply_for("jane@news.test", 451, "4.3.0 Temporary failure", times=2)
    mail_server.drop_after(5)                 # abort at the 6th DATA command, before the message
    mail_server.hang_up_after_data(0)         # take the next message whole, then hang up before its 250
    mail_server.stall(30, at="rcpt")
    mail_server.close_idle(after=1, reply="421 4.4.2 Idle for too long")  # as relays do with idle clients

As a process (for tests that SIGKILL other processes, and for the benchmark)::

    python -m tests.mailserver --port 0 --accept-delay 0.1 --log /tmp/mail.jsonl

prints the port as its first line, appends one JSON line per message to --log and runs until SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import re
import signal
import ssl
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any, Literal

import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session

from press.outbox.mailcatcher import SMTPController
from tests.servers import Running, started

Stage = Literal["connect", "mail", "rcpt", "data"]
STAGES: tuple[Stage, ...] = ("connect", "mail", "rcpt", "data")
LOOPBACK_NAMES = ("127.0.0.1", "localhost")


@dataclass(frozen=True)
class Received:
    """One message the server accepted: its envelope, its bytes as sent and those bytes parsed."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    message: EmailMessage
    connection_id: int
    received_at: float


# --- What strict mode refuses -------------------------------------------------------------------

_FIELD_NAME = re.compile(rb"[\x21-\x39\x3b-\x7e]+:")
_INJECTED_LINE = re.compile(rb"[\r\n][^ \t]")
_MESSAGE_ID = re.compile(r"\s*<[^<>@\s]+@[^<>@\s]+>\s*")
# RFC 5322 3.6: fields that may appear at most once.
_SINGLE_FIELDS = {
    "date": "Date",
    "from": "From",
    "sender": "Sender",
    "reply-to": "Reply-To",
    "to": "To",
    "cc": "Cc",
    "bcc": "Bcc",
    "message-id": "Message-ID",
    "in-reply-to": "In-Reply-To",
    "references": "References",
    "subject": "Subject",
}


def _show(line: bytes) -> str:
    """The start of a raw line, escaped so it reads on one line of an SMTP reply."""
    return line[:40].decode("latin-1").encode("unicode_escape").decode("ascii")


def message_problems(data: bytes, *, smtputf8: bool = False) -> list[str]:
    """Why a message as received after DATA is not RFC 5322 as our mail must be; empty when it is."""
    problems: dict[str, str] = {}  # one reason per kind of problem, the first place it shows

    def problem(kind: str, reason: str) -> None:
        problems.setdefault(kind, reason)

    lines = data.split(b"\r\n")
    if lines and lines[-1] == b"":
        lines.pop()  # the CRLF ending the last line
    for number, line in enumerate(lines, start=1):
        if len(line) > 998:
            problem("long", f"line {number} is {len(line)} octets long, over the 998 allowed")
        if b"\n" in line:
            problem("lf", f"bare LF in line {number}")
        if b"\r" in line:
            problem("cr", f"bare CR in line {number}")

    header_end = lines.index(b"") if b"" in lines else len(lines)
    fields: list[tuple[str, bytes]] = []  # (lower-case name, unfolded raw value)
    for number, line in enumerate(lines[:header_end], start=1):
        if _INJECTED_LINE.search(line):
            problem("injection", f"header line {number} has a bare line break followed by text (header injection)")
        if not smtputf8 and re.search(rb"[\x80-\xff]", line):
            problem("8bit", f"header line {number} has non-ASCII bytes but the client did not use SMTPUTF8")
        if line[:1] in (b" ", b"\t"):
            if fields:
                fields[-1] = (fields[-1][0], fields[-1][1] + line)
            else:
                problem("field", f"header line {number} is a continuation with no field before it")
        elif match := _FIELD_NAME.match(line):
            fields.append((match.group()[:-1].decode("ascii").lower(), line[match.end() :]))
        else:
            problem("field", f"header line {number} is not a header field: {_show(line)}")

    counts = collections.Counter(name for name, _ in fields)
    for name in ("date", "from", "message-id"):
        if not counts[name]:
            problem(f"missing {name}", f"no {_SINGLE_FIELDS[name]} header")
    for name, shown in _SINGLE_FIELDS.items():
        if counts[name] > 1:
            problem(f"repeated {name}", f"{counts[name]} {shown} headers, at most one allowed")

    encoding = "utf-8" if smtputf8 else "ascii"
    for name, raw in fields:
        value = raw.decode(encoding, "replace").strip()
        if name == "to":
            addresses = [address for _, address in getaddresses([value]) if address]
            if len(addresses) > 1:
                problem("to", f"To has {len(addresses)} addresses, one expected")
        elif name == "date":
            try:
                parsedate_to_datetime(value)
            except (TypeError, ValueError):
                problem("date", f"Date is not an RFC 5322 date: {_show(raw.strip())}")
        elif name == "message-id" and not _MESSAGE_ID.fullmatch(value):
            problem("message-id", f"Message-ID is not <id@domain>: {_show(raw.strip())}")
    return list(problems.values())


def _reply(code: int, text: str) -> str:
    """One SMTP reply line: printable ASCII, short enough for RFC 5321's 512-octet limit."""
    text = "".join(char if " " <= char <= "~" else "?" for char in text)
    return f"{code} {text}"[:500]


# --- Certificates -------------------------------------------------------------------------------


class CertificateAuthority:
    """A throwaway certificate authority for TLS tests; its PEM file lives in a temp dir until close()."""

    def __init__(self) -> None:
        import trustme  # imported here: only TLS tests pay for it and for cryptography behind it

        self._ca = trustme.CA()
        self._directory = tempfile.TemporaryDirectory(prefix="press-test-ca-")
        self.ca_file = str(Path(self._directory.name) / "ca.pem")
        self._ca.cert_pem.write_to_path(self.ca_file)

    def server_context(self, *hostnames: str) -> ssl.SSLContext:
        """A server context presenting a certificate this CA issued for the names (loopback by default)."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._ca.issue_cert(*(hostnames or LOOPBACK_NAMES)).configure_cert(context)
        return context

    def client_context(self) -> ssl.SSLContext:
        """A verifying client context that trusts this CA and no other."""
        return ssl.create_default_context(cafile=self.ca_file)

    def close(self) -> None:
        """Remove the CA's PEM file."""
        self._directory.cleanup()

    def __enter__(self) -> CertificateAuthority:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def _stranger_context() -> ssl.SSLContext:
    """A server context whose loopback certificate comes from a CA nobody was given."""
    import trustme

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    trustme.CA().issue_cert(*LOOPBACK_NAMES).configure_cert(context)
    return context


# --- The server ---------------------------------------------------------------------------------


@dataclass
class _ReplyRule:
    """An answer to give at RCPT TO for matching recipients, perhaps only a number of times."""

    recipient: str | re.Pattern[str]
    code: int
    text: str
    remaining: int | None

    def matches(self, address: str) -> bool:
        """Whether the rule applies to this recipient (strings ignore case, patterns search)."""
        if isinstance(self.recipient, str):
            return self.recipient.lower() == address.lower()
        return self.recipient.search(address) is not None


class _MisbehavingSMTP(SMTP):
    """aiosmtpd's SMTP protocol with the hooks MailServer needs: stalls, 421 hang-ups and drops."""

    # aiosmtpd answers 500 to lines over 1001 octets; strict mode would rather say which line, in a 554.
    line_length_limit = 64 * 1024

    def __init__(self, handler: Any, *, mail_server: MailServer, connection_id: int, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self.mail_server = mail_server
        self.connection_id = connection_id
        self.close_after_reply = False

    async def _handle_client(self) -> None:
        try:
            await self.mail_server._pause("connect")
        except asyncio.CancelledError:
            # aiosmtpd closes the transport on cancellation only once its own loop has begun.
            if self.transport is not None:
                self.transport.close()
            raise
        await super()._handle_client()

    def _reset_timeout(self, duration: float | None = None) -> None:
        # aiosmtpd restarts its idle timer after every command; close_idle() shortens it.
        super()._reset_timeout(duration or self.mail_server._idle_after)

    def _timeout_cb(self) -> None:
        reply = self.mail_server._idle_reply
        if reply and self.transport is not None and not self.transport.is_closing():
            self.transport.write(reply.encode("ascii") + b"\r\n")
        with self.mail_server._condition:
            self.mail_server._idle_closed += 1
        super()._timeout_cb()

    async def smtp_RCPT(self, arg: str | None) -> None:  # noqa: N802 - aiosmtpd's hook name
        await super().smtp_RCPT(arg)
        if self.close_after_reply and self.transport is not None:
            # RFC 5321 3.8: a server that answers 421 closes the transmission channel.
            self.transport.close()

    async def smtp_DATA(self, arg: str) -> None:  # noqa: N802 - aiosmtpd's hook name
        if self.envelope is not None and self.envelope.rcpt_tos and self.mail_server._take_drop():
            assert self.transport is not None
            self.transport.abort()
            return
        await super().smtp_DATA(arg)


class _Hooks:
    """The aiosmtpd handler: every hook asks the MailServer how to behave."""

    def __init__(self, mail_server: MailServer) -> None:
        self._server = mail_server

    async def handle_MAIL(  # noqa: N802 - aiosmtpd's hook name
        self, smtp: SMTP, session: Session, envelope: Envelope, address: str, mail_options: list[str]
    ) -> str:
        """Accept the sender, after any stall at MAIL."""
        await self._server._pause("mail")
        # A hook that answers takes over aiosmtpd's own bookkeeping.
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, smtp: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        """Accept the recipient or give the answer set with reply_for, after any stall at RCPT."""
        await self._server._pause("rcpt")
        rule = self._server._rule_for(address)
        if rule is not None:
            if rule.code == 421 and isinstance(smtp, _MisbehavingSMTP):
                smtp.close_after_reply = True
            return _reply(rule.code, rule.text)
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, smtp: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802 - aiosmtpd's hook name
        """Take the message after any stall and accept delay: record it, or refuse it in strict mode."""
        await self._server._pause("data")
        connection_id = smtp.connection_id if isinstance(smtp, _MisbehavingSMTP) else 0
        reply = self._server._take_message(envelope, connection_id)
        if reply.startswith("250") and smtp.transport is not None and self._server._take_hang_up():
            smtp.transport.abort()
        return reply


class _Controller(SMTPController):
    """The controller that builds a misbehaving protocol, numbered, for each connection."""

    def __init__(self, mail_server: MailServer, handler: Any, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self.mail_server = mail_server

    def create_protocol(self) -> SMTP:
        """Count the connection and build its protocol."""
        return _MisbehavingSMTP(
            self.handler,
            mail_server=self.mail_server,
            connection_id=self.mail_server._open_connection(),
            loop=self.loop,
            **self.SMTP_kwargs,
        )


class MailServer(Running):
    """A real SMTP server on loopback that records what arrives and misbehaves on request, thread-safely.

    tls="starttls" offers STARTTLS and requires it before MAIL; tls="implicit" speaks TLS from the
    first byte. The certificate comes from `certificate` (a CertificateAuthority, made for the server
    when not given) and clients verify it with `ca_file`; trusted=False presents one from another CA.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        strict: bool = True,
        tls: Literal["starttls", "implicit"] | None = None,
        certificate: CertificateAuthority | None = None,
        trusted: bool = True,
        accept_delay: float = 0.0,
        log_path: str | os.PathLike[str] | None = None,
        discard: bool = False,
    ) -> None:
        if discard and strict:
            raise ValueError("discard=True only counts and logs messages, so it cannot check them (strict=False)")
        if tls not in (None, "starttls", "implicit"):
            raise ValueError(f"tls must be None, 'starttls' or 'implicit', not {tls!r}")
        self.host = host
        self.strict = strict
        self.tls = tls
        self.log_path = None if log_path is None else Path(log_path)
        self.discard = discard
        self._requested_port = port
        self._certificate = certificate
        self._owns_certificate = False
        self._trusted = trusted
        self._controller: _Controller | None = None
        # One condition guards all state below: the loop thread writes it, test threads read and change it.
        self._condition = threading.Condition()
        self._messages: list[Received] = []
        self._refused: list[tuple[str, bytes]] = []
        self._connections = 0
        self._last_connection_id = 0
        self._rules: list[_ReplyRule] = []
        self._drop_countdown: int | None = None
        self._hang_up_countdown: int | None = None
        self._stall: tuple[Stage, float] | None = None
        self._paused: collections.Counter[Stage] = collections.Counter()
        self._idle_after: float | None = None
        self._idle_reply: str | None = None
        self._idle_closed = 0
        self._accept_delay = 0.0
        self.accept_delay = accept_delay

    # Lifecycle

    @property
    def port(self) -> int:
        """The port listened on: the real one once started, even when 0 was asked for."""
        if self._controller is not None:
            return self._controller.port
        return self._requested_port

    def app_settings(self, **overrides: Any) -> dict[str, Any]:
        """The app's settings for sending here: this relay, no rate limit, the press office as sender."""
        return {"MAIL_SERVER": self.host, "MAIL_PORT": self.port, "PRESS_SEND_RATE_PER_MINUTE": 0,
                "MAIL_DEFAULT_SENDER": "Northshire Press Office <press@northshire.example>"} | overrides

    def start(self) -> None:
        """Start listening in a background thread."""
        if self._controller is not None:
            raise RuntimeError("the mail server is already running")
        smtp_options: dict[str, Any] = {}
        ssl_context = None
        if self.tls is not None:
            if self._certificate is None:
                self._certificate = CertificateAuthority()
                self._owns_certificate = True
            context = self._certificate.server_context() if self._trusted else _stranger_context()
            if self.tls == "starttls":
                smtp_options.update(tls_context=context, require_starttls=True)
            else:
                ssl_context = context
        controller = _Controller(
            self,
            _Hooks(self),
            host=self.host,
            port=self._requested_port,
            ssl_context=ssl_context,
            server_hostname="mail.press.test",
            **smtp_options,
        )
        try:
            controller.start()
        except BaseException:
            self._release_certificate()
            raise
        # aiosmtpd connects once to check the server is up; that is not a client's connection.
        with self._condition:
            self._connections = 0
            self._last_connection_id = 0
        self._controller = controller

    def stop(self) -> None:
        """Close every connection, stop the server and remove its certificate files."""
        controller, self._controller = self._controller, None
        try:
            if controller is not None:
                controller.stop()
        finally:
            self._release_certificate()

    def _release_certificate(self) -> None:
        """Remove the CA this server made for itself, if it made one."""
        if self._owns_certificate and self._certificate is not None:
            self._certificate.close()
            self._certificate = None
            self._owns_certificate = False

    @property
    def ca_file(self) -> str:
        """The PEM file of the CA that clients should trust to verify this server."""
        if self._certificate is None:
            raise RuntimeError("no certificate: the server was made without tls, or is not started")
        return self._certificate.ca_file

    def client_context(self) -> ssl.SSLContext:
        """A verifying client SSL context that trusts ca_file."""
        return ssl.create_default_context(cafile=self.ca_file)

    # What arrived

    @property
    def messages(self) -> list[Received]:
        """The messages accepted so far, oldest first (a copy)."""
        with self._condition:
            return list(self._messages)

    @property
    def refused(self) -> list[tuple[str, bytes]]:
        """The (reasons, data) of each message strict mode refused (a copy)."""
        with self._condition:
            return list(self._refused)

    @property
    def connections(self) -> int:
        """How many SMTP connections clients have opened."""
        with self._condition:
            return self._connections

    def by_recipient(self) -> collections.Counter[str]:
        """How many accepted messages each (lower-cased) recipient got."""
        with self._condition:
            return collections.Counter(rcpt.lower() for received in self._messages for rcpt in received.rcpt_tos)

    def wait_for(self, count: int, timeout: float = 10) -> list[Received]:
        """Block until at least `count` messages have arrived and return them; TimeoutError otherwise."""
        with self._condition:
            if not self._condition.wait_for(lambda: len(self._messages) >= count, timeout):
                raise TimeoutError(f"waited {timeout}s for {count} messages, {len(self._messages)} arrived")
            return list(self._messages)

    def clear(self) -> None:
        """Forget the messages, refusals and connection count recorded so far (not the misbehaviour)."""
        with self._condition:
            self._messages.clear()
            self._refused.clear()
            self._connections = 0

    # Misbehaviour

    def reply_for(self, recipient: str | re.Pattern[str], code: int, text: str, times: int | None = None) -> None:
        """Answer RCPT TO for matching recipients with `code text`, the first `times` times or always.

        A string matches the whole address, ignoring case; a pattern is searched in it. The newest
        matching rule wins. After a 421 the server closes the connection, as RFC 5321 says.
        """
        if not 400 <= code <= 599:
            raise ValueError(f"reply_for is for refusals (4xx or 5xx), not {code}")
        if times is not None and times < 1:
            raise ValueError("times must be at least 1, or None for always")
        with self._condition:
            self._rules.append(_ReplyRule(recipient, code, text, times))

    def close_idle(self, after: float, reply: str | None = None) -> None:
        """Close a connection that sends nothing for `after` seconds, first writing `reply` (such as Postfix's
        "421 4.4.2 ... Error: timeout exceeded") if given, else silently as aiosmtpd does; for connections
        opened or used from now on."""
        if after <= 0:
            raise ValueError("after must be positive")
        if reply is not None and not re.fullmatch(r"4\d\d [ -~]*", reply):
            raise ValueError(f"reply must be a 4xx line such as '421 4.4.2 Idle for too long', not {reply!r}")
        with self._condition:
            self._idle_after, self._idle_reply = after, reply

    @property
    def idle_closed(self) -> int:
        """How many connections the server closed for sitting idle (see close_idle)."""
        with self._condition:
            return self._idle_closed

    def drop_after(self, n: int) -> None:
        """After n more accepted messages, abort the connection at its next DATA, once."""
        if n < 0:
            raise ValueError("n must not be negative")
        with self._condition:
            self._drop_countdown = n

    def hang_up_after_data(self, n: int = 0) -> None:
        """After n more accepted messages, take the next one whole and hang up before answering it, once.

        The message counts as arrived (a relay that queued it and then lost the connection), but the
        client never hears the 250, so it must try again: the second copy shows what a retry sends.
        """
        if n < 0:
            raise ValueError("n must not be negative")
        with self._condition:
            self._hang_up_countdown = n

    def paused_at(self, stage: Stage) -> int:
        """How many sessions are waiting in a stall at `stage` right now."""
        with self._condition:
            return self._paused[stage]

    def wait_until_paused(self, stage: Stage, timeout: float = 10) -> None:
        """Block until some session is waiting in a stall at `stage`; TimeoutError otherwise."""
        with self._condition:
            if not self._condition.wait_for(lambda: self._paused[stage] > 0, timeout):
                raise TimeoutError(f"no session stalled at {stage} within {timeout}s")

    def stall(self, seconds: float, at: Stage = "data") -> None:
        """Delay the reply at one stage (banner, MAIL, RCPT or end of DATA) by `seconds`; stall(0) stops.

        One stall is in force at a time: a new call replaces the last. Other connections carry on.
        """
        if at not in STAGES:
            raise ValueError(f"at must be one of {', '.join(STAGES)}, not {at!r}")
        if seconds < 0:
            raise ValueError("seconds must not be negative")
        with self._condition:
            self._stall = (at, seconds) if seconds else None

    @property
    def accept_delay(self) -> float:
        """Seconds every message takes to be accepted at the end of DATA (concurrent across connections)."""
        with self._condition:
            return self._accept_delay

    @accept_delay.setter
    def accept_delay(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("accept_delay must not be negative")
        with self._condition:
            self._accept_delay = float(seconds)

    def behave(self) -> None:
        """Drop every misbehaviour: reply rules, the pending drop, the stall and the accept delay."""
        with self._condition:
            self._rules.clear()
            self._drop_countdown = None
            self._hang_up_countdown = None
            self._stall = None
            self._accept_delay = 0.0

    # Called from the server's loop thread

    def _open_connection(self) -> int:
        """Count a new connection and give it its id."""
        with self._condition:
            self._connections += 1
            self._last_connection_id += 1
            return self._last_connection_id

    async def _pause(self, stage: Stage) -> None:
        """Sleep as long as the stall (and, at DATA, the accept delay) asks, without blocking the loop."""
        with self._condition:
            seconds = self._stall[1] if self._stall is not None and self._stall[0] == stage else 0.0
            if stage == "data":
                seconds += self._accept_delay
        if seconds:
            with self._condition:
                self._paused[stage] += 1
                self._condition.notify_all()
            try:
                await asyncio.sleep(seconds)
            finally:
                with self._condition:
                    self._paused[stage] -= 1

    def _rule_for(self, address: str) -> _ReplyRule | None:
        """The newest live reply rule matching the recipient, its use counted."""
        with self._condition:
            for rule in reversed(self._rules):
                if rule.matches(address):
                    if rule.remaining is not None:
                        rule.remaining -= 1
                        if rule.remaining == 0:
                            self._rules.remove(rule)
                    return rule
        return None

    def _take_drop(self) -> bool:
        """Whether this DATA is the one to drop; a drop happens once."""
        with self._condition:
            if self._drop_countdown == 0:
                self._drop_countdown = None
                return True
            return False

    def _take_hang_up(self) -> bool:
        """Whether to hang up on the message just taken instead of answering it; it happens once."""
        with self._condition:
            if self._hang_up_countdown == 0:
                self._hang_up_countdown = None
                return True
            if self._hang_up_countdown:
                self._hang_up_countdown -= 1
            return False

    def _take_message(self, envelope: Envelope, connection_id: int) -> str:
        """Record or (in strict mode) refuse a message, and give the reply."""
        data = envelope.original_content or b""
        problems = message_problems(data, smtputf8=envelope.smtp_utf8) if self.strict else []
        if problems:
            reasons = "; ".join(problems)
            with self._condition:
                self._refused.append((reasons, data))
            return _reply(554, f"5.6.0 Message refused: {reasons}")
        if self.discard:
            # A sink for benchmarks: parsing and keeping each message would cost more than sending it.
            if self.log_path is not None:
                self._log_line(envelope.mail_from or "", list(envelope.rcpt_tos), None, len(data), connection_id)
            return "250 2.0.0 OK"
        # Parsed with LF line ends, so text parts read as Python text; `data` keeps the wire form.
        message = BytesParser(policy=policy.default).parsebytes(data.replace(b"\r\n", b"\n"))
        assert isinstance(message, EmailMessage)
        received = Received(
            mail_from=envelope.mail_from or "",
            rcpt_tos=list(envelope.rcpt_tos),
            data=data,
            message=message,
            connection_id=connection_id,
            received_at=time.time(),
        )
        with self._condition:
            self._messages.append(received)
            if self._drop_countdown:
                self._drop_countdown -= 1
            self._condition.notify_all()
        if self.log_path is not None:
            self._log(received)
        return "250 2.0.0 OK"

    def _log(self, received: Received) -> None:
        """Append the message's JSON line to the log file."""
        message_id = received.message["Message-ID"]
        self._log_line(received.mail_from, received.rcpt_tos, None if message_id is None else str(message_id).strip(),
                       len(received.data), received.connection_id, received.received_at)

    def _log_line(self, mail_from: str, rcpt_tos: list[str], message_id: str | None, size: int, connection_id: int,
                  received_at: float | None = None) -> None:
        line = json.dumps({"mail_from": mail_from, "rcpt_tos": rcpt_tos, "message_id": message_id, "size": size,
                           "connection_id": connection_id, "received_at": received_at or time.time()})
        assert self.log_path is not None
        # One write per line, so a reader polling the file sees whole lines.
        with self.log_path.open("a", encoding="utf-8") as file:
            file.write(line + "\n")


# --- Fixtures -----------------------------------------------------------------------------------


@pytest.fixture
def mail_server() -> Iterator[MailServer]:
    """A strict MailServer on an ephemeral loopback port, stopped when the test ends."""
    with MailServer() as server:
        yield server


@pytest.fixture
def mail_server_factory() -> Iterator[Callable[..., MailServer]]:
    """Start MailServers with any options (tls=..., strict=False, ...); all stop when the test ends."""
    yield from started(MailServer)


# --- As a process -------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Run a MailServer until SIGTERM or SIGINT, printing its port first."""
    parser = argparse.ArgumentParser(prog="python -m tests.mailserver", description=main.__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 (the default) picks a free port")
    parser.add_argument("--accept-delay", type=float, default=0.0, help="seconds to accept each message")
    parser.add_argument("--log", help="append one JSON line per received message to this file")
    parser.add_argument("--lenient", action="store_true", help="accept messages strict mode would refuse")
    parser.add_argument("--discard", action="store_true",
                        help="with --lenient: only count and log messages, neither parsing nor keeping them")
    args = parser.parse_args(argv)
    if args.discard and not args.lenient:
        parser.error("--discard needs --lenient: a discarded message is not checked")

    stopping = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    server = MailServer(
        host=args.host,
        port=args.port,
        strict=not args.lenient,
        accept_delay=args.accept_delay,
        log_path=args.log,
        discard=args.discard,
    )
    with server:
        print(server.port, flush=True)
        # A timed wait lets the interpreter run the signal handler promptly.
        while not stopping.wait(0.5):
            pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
