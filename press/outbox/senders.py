"""What the worker does with one claimed delivery: build it, check it is still wanted at the last moment, send.

Nothing here writes to the database: deliver() answers with the columns to record, and the worker records
them (and keeps trying while the database refuses writes), so a message that went is never forgotten.
"""

import logging
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from typing import Any

from flask import current_app
from sqlalchemy import Connection
from sqlalchemy.exc import SQLAlchemyError

from press.outbox import kinds
from press.outbox.kinds import Kind
from press.outbox.leases import DatabaseClock, outcome_values, still_held
from press.outbox.messages import address_domain, delivery_message_id, envelope_sender, stamp, stamped
from press.outbox.models import Delivery, DeliveryStatus
from press.outbox.smtp import Relay, prepare

log = logging.getLogger(__name__)

# A release changed between building its email and the check before DATA this many times running is sent
# as last built: the check is a moment old, and the next message has the change.
REBUILDS = 2


@dataclass(frozen=True)
class Handled:
    """What became of one delivery: the columns to record (None if it is no longer this worker's)."""

    values: dict[str, Any] | None
    went: bool = False  # whether DATA was given: the relay may have the message even if it did not say so


NOT_HELD = Handled(None)


def settled(status: DeliveryStatus, reason: str) -> Handled:
    """Close a delivery without sending it, saying why."""
    return Handled({"status": status, "smtp_response": reason, "lease_expires_at": None})


def build(kind: Kind, delivery: Delivery, now: datetime) -> EmailMessage:
    """The kind's message, with the delivery's own Message-ID and the Date of its first attempt."""
    domain = address_domain(current_app.config["MAIL_DEFAULT_SENDER"])
    message_id = delivery_message_id(delivery.id, delivery.secret, domain)
    date = delivery.first_attempt_at or now
    with stamped(message_id=message_id, date=date):
        message = kind.render(delivery)
    if message["Message-ID"] != message_id:  # a kind that built its message some other way
        stamp(message, message_id=message_id, date=date)
    return message


def deliver(connection: Connection, delivery: Delivery, worker: str, relay: Relay, clock: DatabaseClock) -> Handled:
    """Send one delivery this worker holds, unless it is no longer wanted; say what to record.

    The message is built, MAIL FROM and RCPT TO are given, and only then is the claim read again, with
    everything that can stop the message: the last moment before DATA. A worker paused past its lease
    finds it lost there and sends nothing. A database error raised from here means nothing was sent.
    """
    kind = kinds.named(delivery.kind)
    if kind is None:
        return settled(DeliveryStatus.FAILED, f"Unknown kind {delivery.kind}.")
    now = clock.now()
    if delivery.deadline_at is not None and now >= delivery.deadline_at:
        status = DeliveryStatus.MISSED if delivery.attempts <= 1 else DeliveryStatus.FAILED
        return settled(status, "Not sent: the time to stop sending had passed.")
    config = current_app.config
    envelope = envelope_sender(delivery.id, address_domain(config["MAIL_DEFAULT_SENDER"]), config["SECRET_KEY"])
    for rebuilt in range(REBUILDS + 1):
        try:
            message = build(kind, delivery, now)
        except Exception as error:
            if isinstance(error, SQLAlchemyError):
                raise  # the database, not the message: nothing was sent, and the worker waits for it
            log.exception("delivery %s could not be built", delivery.id)
            if rebuilt:
                relay.abandon()
            return settled(DeliveryStatus.FAILED, f"The message could not be built: {error}")
        prepared = prepare(message, envelope, delivery.to_address)
        if rebuilt == 0:
            refused = relay.begin(prepared)
            if refused is not None:
                return Handled(outcome_values(delivery, refused, clock.now()))
        held = still_held(connection, delivery.id, worker, clock.now())
        if held is None:
            relay.abandon()
            return NOT_HELD
        suppression = kinds.suppression() if kind.suppressible else None
        if suppression is not None and suppression.suppressed(held):
            relay.abandon()
            return settled(DeliveryStatus.SUPPRESSED, "The recipient unsubscribed or bounced.")
        reason = kind.unwanted(held, delivery) if kind.unwanted else None
        if reason:
            relay.abandon()
            return settled(DeliveryStatus.CANCELLED, reason)
        if kind.current is None or kind.current(held, delivery):
            break
    outcome = relay.finish(prepared)
    return Handled({"message_id": message["Message-ID"], **outcome_values(delivery, outcome, clock.now())}, went=True)
