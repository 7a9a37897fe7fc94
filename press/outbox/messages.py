"""Building RFC 5322 messages, from templates or parts, and the signed per-delivery envelope sender (VERP)."""

import hashlib
import hmac
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from typing import Any

from flask import current_app, render_template

from press import clock

VERP_PATTERN = re.compile(r"^bounces\+(\d+)-([0-9a-f]{16})@", re.IGNORECASE)
# RFC 5322 allows 998 octets a line. With the default 78, a header too long to fold (List-Unsubscribe
# with a signed link) would be RFC 2047-encoded, which mail clients do not decode in that header.
MESSAGE_POLICY = policy.SMTP.clone(max_line_length=998)
# The Message-ID and Date that messages built in this context take: a delivery's own (see stamped()).
_STAMP: ContextVar[tuple[str, datetime] | None] = ContextVar("press_message_stamp", default=None)


def address_domain(address: str) -> str:
    """The domain of an address such as 'Press Office <press@council.example>'."""
    return parseaddr(address)[1].rpartition("@")[2] or "localhost"


def build_message(
    *,
    subject: str,
    sender: str,
    to: str,
    text: str,
    html: str | None = None,
    reply_to: str | None = None,
    headers: dict[str, str] | None = None,
) -> EmailMessage:
    """A multipart text-and-HTML message to one recipient, with a fresh Message-ID (or the one stamped()
    gives).

    The modern email policy refuses any header value with a line break, so nothing a
    person typed can add a header.
    """
    message = EmailMessage(policy=MESSAGE_POLICY)
    message["Subject"] = " ".join(subject.split())
    message["From"] = sender
    message["To"] = to
    if reply_to:
        message["Reply-To"] = reply_to
    given = _STAMP.get()
    if given is None:
        message["Date"] = format_datetime(clock.now())
        message["Message-ID"] = make_msgid(domain=address_domain(sender))
    else:
        message["Message-ID"], date = given
        message["Date"] = format_datetime(date)
    message["MIME-Version"] = "1.0"
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text, cte="quoted-printable")
    if html is not None:
        message.add_alternative(html, subtype="html", cte="quoted-printable")
    return message


def templated(
    template: str,
    context: dict[str, Any],
    *,
    subject: str,
    to: str,
    html: bool = True,
    reply_to: str | None = None,
    headers: dict[str, str] | None = None,
) -> EmailMessage:
    """A message from the press office built from ``emails/<template>.txt`` (and ``.html`` unless ``html`` is
    False), the organisation's name added to what the templates are given."""
    config = current_app.config
    context = {"organisation": config["PRESS_ORGANISATION"], **context}
    return build_message(
        subject=subject,
        sender=config["MAIL_DEFAULT_SENDER"],
        to=to,
        reply_to=reply_to,
        text=render_template(f"emails/{template}.txt", **context),
        html=render_template(f"emails/{template}.html", **context) if html else None,
        headers=headers,
    )


def delivery_message_id(delivery_id: int, secret: str, domain: str) -> str:
    """The Message-ID of a delivery's message, the same on every attempt; it does not give its secret away."""
    digest = hashlib.sha256(f"press.message-id:{secret}".encode()).hexdigest()[:24]
    return f"<{delivery_id}.{digest}@{domain}>"


@contextmanager
def stamped(*, message_id: str, date: datetime) -> Iterator[None]:
    """Messages built within take this Message-ID and Date, a delivery's own, so that a retry is the same
    message. Setting them as the message is built costs a third of replacing them after."""
    token = _STAMP.set((message_id, date))
    try:
        yield
    finally:
        _STAMP.reset(token)


def stamp(message: EmailMessage, *, message_id: str, date: datetime) -> None:
    """Give a built message its delivery's own Message-ID and Date, so that a retry is the same message."""
    message.replace_header("Message-ID", message_id)
    message.replace_header("Date", format_datetime(date))


def mailbox(name: str, email: str) -> str:
    """Format 'Name <email>' safely, encoding the name as RFC 2047 needs."""
    local, _, domain = email.partition("@")
    return str(Address(display_name=" ".join(name.split()), username=local, domain=domain))


def _signature(delivery_id: int, secret: str) -> str:
    return hmac.new(secret.encode(), f"verp:{delivery_id}".encode(), hashlib.sha256).hexdigest()[:16]


def envelope_sender(delivery_id: int, domain: str, secret: str) -> str:
    """The Return-Path for one delivery: a bounce to it names the delivery and proves it."""
    return f"bounces+{delivery_id}-{_signature(delivery_id, secret)}@{domain}"


def delivery_from_envelope(address: str, secret: str) -> int | None:
    """The delivery a bounce address belongs to, or None if it was not signed by us."""
    match = VERP_PATTERN.match(address.strip().strip("<>"))
    if match is None:
        return None
    delivery_id = int(match.group(1))
    if not hmac.compare_digest(match.group(2).lower(), _signature(delivery_id, secret)):
        return None
    return delivery_id
