"""SMTP connections to the relay: Flask-Mail's settings, with timeouts and verified TLS."""

import smtplib
import socket
import ssl
from dataclasses import dataclass
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
            if self.mail.use_tls:
                host.starttls(context=tls_context(config.get("PRESS_SMTP_CA_FILE")))
        if self.mail.username and self.mail.password:
            host.login(self.mail.username, self.mail.password)
        return host


@dataclass(frozen=True)
class Outcome:
    """What the relay said about one message."""

    kind: str  # "sent", "temporary" or "permanent"
    code: int | None
    response: str


TEMPORARY_ERRORS = (smtplib.SMTPServerDisconnected, socket.timeout, TimeoutError, ConnectionError, OSError)


class Relay:
    """One open connection to the relay, reopened when it drops, used by one thread at a time."""

    def __init__(self) -> None:
        self.connection: RelayConnection | None = None

    def send(self, message: EmailMessage, envelope_from: str, recipient: str) -> Outcome:
        """Send one message to one recipient and classify the answer; never raises for SMTP trouble."""
        try:
            if self.connection is None:
                # This app's Flask-Mail settings (the extension object holds only the last app's).
                connection = RelayConnection(current_app.extensions["mail"])
                connection.host = connection.configure_host()
                self.connection = connection
            refused = self.connection.host.send_message(message, from_addr=envelope_from, to_addrs=[recipient])
        except smtplib.SMTPRecipientsRefused as error:
            code, response = next(iter(error.recipients.values()))
            return self._refused(code, response)
        except smtplib.SMTPResponseException as error:
            if error.smtp_code == 421:
                self.close()
            return self._refused(error.smtp_code, error.smtp_error)
        except ssl.SSLCertVerificationError as error:
            self.close()
            return Outcome("temporary", None, f"The relay's TLS certificate could not be verified: {error}")
        except TEMPORARY_ERRORS as error:
            self.close()
            return Outcome("temporary", None, f"{type(error).__name__}: {error}".strip(": "))
        if refused:
            code, response = next(iter(refused.values()))
            return self._refused(code, response)
        return Outcome("sent", 250, "accepted")

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
            self.connection.host.rset()
        except (smtplib.SMTPException, OSError):
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
