"""SMTP connections to the relay: Flask-Mail's settings, with timeouts and verified TLS."""

import io
import smtplib
import socket
import ssl
from dataclasses import dataclass
from email.generator import BytesGenerator
from email.message import EmailMessage
from functools import lru_cache

from flask import current_app
from flask_mail import Connection


@lru_cache(maxsize=4)
def tls_context(ca_file: str | None) -> ssl.SSLContext:
    """A context that verifies the relay's certificate; made once, since loading the CA store is slow."""
    return ssl.create_default_context(cafile=ca_file or None)


class RelayConnection(Connection):
    """Flask-Mail's connection, made to time out and to verify the relay's certificate."""

    def configure_host(self) -> smtplib.SMTP:
        config = current_app.config
        timeout = config["PRESS_SMTP_TIMEOUT"]
        host: smtplib.SMTP
        if self.mail.use_ssl:
            host = smtplib.SMTP_SSL(self.mail.server, self.mail.port, timeout=timeout,
                                    context=tls_context(config.get("PRESS_SMTP_CA_FILE")))
        else:
            host = smtplib.SMTP(self.mail.server, self.mail.port, timeout=timeout)
        try:
            if self.mail.use_tls and not self.mail.use_ssl:
                host.starttls(context=tls_context(config.get("PRESS_SMTP_CA_FILE")))
            if self.mail.username and self.mail.password:
                host.login(self.mail.username, self.mail.password)
        except BaseException:
            host.close()
            raise
        return host


@dataclass(frozen=True)
class Outcome:
    """What the relay said about one message."""

    kind: str  # "sent", "temporary" or "permanent"
    code: int | None
    response: str


TEMPORARY_ERRORS = (smtplib.SMTPServerDisconnected, socket.timeout, TimeoutError, ConnectionError, OSError)


def described(error: Exception) -> str:
    return f"{type(error).__name__}: {error}".strip(": ")


@dataclass(frozen=True)
class Prepared:
    """A message as it goes on the wire, with its envelope: made before MAIL, so SIZE can be declared."""

    envelope_from: str
    recipient: str
    data: bytes
    international: bool  # a non-ASCII address: the relay must offer SMTPUTF8


def prepare(message: EmailMessage, envelope_from: str, recipient: str) -> Prepared:
    """Flatten a message for one recipient with CRLF line ends, as smtplib's send_message would."""
    international = not (envelope_from + recipient).isascii()
    generator_policy = message.policy.clone(utf8=True) if international else None
    with io.BytesIO() as buffer:
        BytesGenerator(buffer, policy=generator_policy).flatten(message, linesep="\r\n")
        return Prepared(envelope_from, recipient, buffer.getvalue(), international)


class Relay:
    """One open connection to the relay, reopened when it drops, used by one thread at a time.

    A message goes in two steps, so that the caller can check it still holds the delivery at the last
    moment the protocol allows: begin() gives MAIL FROM and RCPT TO, finish() gives DATA (or abandon()
    gives RSET). Neither raises for SMTP trouble: each answers with an Outcome.
    """

    def __init__(self) -> None:
        self.connection: RelayConnection | None = None
        self.used = False  # whether the open connection has carried a transaction already

    def send(self, message: EmailMessage, envelope_from: str, recipient: str) -> Outcome:
        """Send one message to one recipient in one go and classify the answer."""
        prepared = prepare(message, envelope_from, recipient)
        return self.begin(prepared) or self.finish(prepared)

    def begin(self, prepared: Prepared) -> Outcome | None:
        """MAIL FROM and RCPT TO; None once the relay waits for the message, else why it will not take it."""
        for _ in range(2):
            reused = self.connection is not None and self.used
            try:
                host = self._host()
                self.used = True
                options = ["SMTPUTF8", "BODY=8BITMIME"] if prepared.international else []
                if prepared.international and not host.has_extn("smtputf8"):
                    return Outcome("permanent", None, "The relay does not take internationalised addresses (SMTPUTF8).")
                if host.does_esmtp and host.has_extn("size"):
                    options.append(f"SIZE={len(prepared.data)}")
                code, response = host.mail(prepared.envelope_from, options)
                if code == 421 and reused:
                    # The relay closed a connection that sat idle, saying so first (as Postfix does): nothing
                    # was sent, so open a fresh one.
                    self.close()
                    continue
                if code != 250:
                    return self._refused(code, response)
                code, response = host.rcpt(prepared.recipient)
                if code not in (250, 251):
                    return self._refused(code, response)
                return None
            except ssl.SSLCertVerificationError as error:
                self.close()
                return Outcome("temporary", None, f"The relay's TLS certificate could not be verified: {error}")
            except smtplib.SMTPResponseException as error:
                return self._refused(error.smtp_code, error.smtp_error)
            except TEMPORARY_ERRORS as error:
                self.close()
                if not reused:
                    return Outcome("temporary", None, described(error))
                # The relay closed a connection that sat idle: nothing was sent, so open a fresh one.
            except smtplib.SMTPException as error:
                self.close()
                return Outcome("temporary", None, described(error))
        return Outcome("temporary", None, "The relay closed the connection.")

    def finish(self, prepared: Prepared) -> Outcome:
        """DATA: the message itself, after a begin() that returned None."""
        assert self.connection is not None and self.connection.host is not None
        try:
            code, response = self.connection.host.data(prepared.data)
        except smtplib.SMTPResponseException as error:
            return self._refused(error.smtp_code, error.smtp_error)
        except (*TEMPORARY_ERRORS, smtplib.SMTPException) as error:
            # Dropped before the relay answered: it may have taken the message. A retry is the same
            # message (same Message-ID), so a relay or a reader can tell.
            self.close()
            return Outcome("temporary", None, described(error))
        if code != 250:
            return self._refused(code, response)
        return Outcome("sent", code, response.decode("utf-8", "replace") if isinstance(response, bytes) else "accepted")

    def abandon(self) -> None:
        """Give up the transaction begun, leaving the connection clean for the next message."""
        self._reset()

    def _host(self) -> smtplib.SMTP:
        if self.connection is None:
            # This app's Flask-Mail settings (the extension object holds only the last app's).
            connection = RelayConnection(current_app.extensions["mail"])
            connection.host = connection.configure_host()
            connection.host.ehlo_or_helo_if_needed()
            self.connection, self.used = connection, False
        return self.connection.host

    def _refused(self, code: int, response: bytes | str) -> Outcome:
        text = response.decode("utf-8", "replace") if isinstance(response, bytes) else str(response)
        if code == 421 or code == -1:
            self.close()
        kind = "permanent" if 500 <= code < 600 else "temporary"
        # After a refused MAIL or DATA the session may be mid-transaction; RSET makes it clean.
        self._reset()
        return Outcome(kind, code, text)

    def _reset(self) -> None:
        if self.connection is None or self.connection.host is None:
            return
        try:
            code, _response = self.connection.host.rset()
        except (smtplib.SMTPException, OSError):
            self.close()
            return
        if code != 250:
            self.close()

    def close(self) -> None:
        """Drop the connection, politely if the relay still listens."""
        if self.connection is None:
            return
        host, self.connection = self.connection.host, None
        if host is None:
            return
        try:
            host.quit()
        except (smtplib.SMTPException, OSError):
            host.close()
