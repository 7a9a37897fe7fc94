"""What the worker does with one claimed delivery: check, build, send, record."""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage

from flask import current_app
from sqlalchemy import Connection, Row

from press import clock
from press.contacts import emails as contact_emails
from press.contacts.models import ContactStatus
from press.distribution import emails as release_emails
from press.distribution.leases import outcome_values, record, still_held
from press.distribution.messages import address_domain, envelope_sender
from press.distribution.models import Delivery, DeliveryStatus
from press.distribution.smtp import Relay
from press.enquiries import emails as enquiry_emails

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Kind:
    render: Callable[[Delivery], EmailMessage]
    # Mailings stop for anyone who unsubscribed or bounced; replies to a person's own request do not.
    suppressible: bool
    # A reason the message is no longer wanted at all (its distribution was cancelled), or None; given
    # the claim as read again just before the message goes (leases.still_held).
    unwanted: Callable[[Row, Delivery], str | None] | None = None


KINDS: dict[str, Kind] = {
    "signup-confirmation": Kind(contact_emails.signup_confirmation, suppressible=False),
    "release": Kind(release_emails.release_for_recipient, suppressible=True, unwanted=release_emails.unwanted),
    "release-test": Kind(release_emails.release_test, suppressible=False),
    "distribution-missed": Kind(release_emails.distribution_missed, suppressible=False),
    "enquiry-acknowledgement": Kind(enquiry_emails.acknowledgement, suppressible=False),
    "enquiry-assigned": Kind(enquiry_emails.assigned, suppressible=False),
}


def suppressed(held: Row) -> bool:
    """Whether the recipient, as the database has them at the moment of sending, no longer wants mailings."""
    if held.contact_id is None:
        return False
    # Contact.can_be_sent_to, read from the row just fetched rather than a loaded object.
    return held.contact_status != ContactStatus.ACTIVE or not held.contact_email


def settle(connection: Connection, delivery: Delivery, status: DeliveryStatus, reason: str) -> bool:
    """Close a delivery without sending it, saying why."""
    record(connection, delivery, status=status, smtp_response=reason, lease_expires_at=None)
    return True


def render_and_send(
    connection: Connection, delivery: Delivery, worker: str, relay: Relay, wait_for_slot: Callable[[], bool]
) -> bool:
    """Send one delivery this worker holds, unless it is no longer wanted, and record what happened.

    Everything that can stop it is read again just before it goes; the outcome is committed before the
    connection sends anything else, so a killed worker leaves at most one message per connection unrecorded.
    Returns False when the worker began stopping before the message went, so it can be given back.
    """
    # The relay's rate is waited for first, so that what is checked next is what holds when it goes.
    if not wait_for_slot():
        return False
    held = still_held(connection, delivery.id, worker)
    if held is None:
        return True
    kind = KINDS.get(delivery.kind)
    if kind is None:
        return settle(connection, delivery, DeliveryStatus.FAILED, f"Unknown kind {delivery.kind}.")
    if kind.suppressible and suppressed(held):
        return settle(connection, delivery, DeliveryStatus.SUPPRESSED, "The recipient unsubscribed or bounced.")
    reason = kind.unwanted(held, delivery) if kind.unwanted else None
    if reason:
        return settle(connection, delivery, DeliveryStatus.CANCELLED, reason)
    if delivery.deadline_at is not None and clock.now() >= delivery.deadline_at:
        status = DeliveryStatus.MISSED if delivery.attempts <= 1 else DeliveryStatus.FAILED
        return settle(connection, delivery, status, "Not sent: the time to stop sending had passed.")
    try:
        message = kind.render(delivery)
    except Exception as error:  # noqa: BLE001 - a message that cannot be built is a permanent failure
        log.exception("delivery %s could not be built", delivery.id)
        return settle(connection, delivery, DeliveryStatus.FAILED, f"The message could not be built: {error}")
    config = current_app.config
    envelope = envelope_sender(delivery.id, address_domain(config["MAIL_DEFAULT_SENDER"]), config["SECRET_KEY"])
    outcome = relay.send(message, envelope, delivery.to_address)
    record(connection, delivery, message_id=message["Message-ID"], **outcome_values(delivery, outcome, clock.now()))
    return True
