"""What the worker does with one claimed delivery: check, build, send, record."""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage

from flask import current_app
from sqlalchemy.orm import Session

from press import clock
from press.contacts import emails as contact_emails
from press.contacts.models import Contact
from press.distribution import emails as release_emails
from press.distribution.messages import address_domain, envelope_sender
from press.distribution.models import Delivery, DeliveryStatus
from press.distribution.outbox import record_outcome
from press.distribution.smtp import Relay
from press.enquiries import emails as enquiry_emails

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Kind:
    render: Callable[[Delivery], EmailMessage]
    # Mailings stop for anyone who unsubscribed or bounced; replies to a person's own request do not.
    suppressible: bool
    # A reason the message is no longer wanted at all (its distribution was cancelled), or None.
    unwanted: Callable[[Session, Delivery], str | None] | None = None


KINDS: dict[str, Kind] = {
    "signup-confirmation": Kind(contact_emails.signup_confirmation, suppressible=False),
    "release": Kind(release_emails.release_for_recipient, suppressible=True, unwanted=release_emails.unwanted),
    "release-test": Kind(release_emails.release_test, suppressible=False),
    "distribution-missed": Kind(release_emails.distribution_missed, suppressible=False),
    "enquiry-acknowledgement": Kind(enquiry_emails.acknowledgement, suppressible=False),
    "enquiry-assigned": Kind(enquiry_emails.assigned, suppressible=False),
}


def suppressed(session: Session, delivery: Delivery) -> bool:
    """Check, at the moment of sending, that the recipient still wants this mail."""
    if delivery.contact_id is None:
        return False
    contact = session.get(Contact, delivery.contact_id, populate_existing=True)
    return contact is None or not contact.can_be_sent_to


def settle(session: Session, delivery: Delivery, status: DeliveryStatus, reason: str) -> bool:
    """Close a delivery without sending it, saying why."""
    delivery.status = status
    delivery.smtp_response = reason
    delivery.lease_expires_at = None
    session.commit()
    return True


def render_and_send(
    session: Session, delivery_id: int, worker: str, relay: Relay, wait_for_slot: Callable[[], bool]
) -> bool:
    """Send one delivery this worker holds, unless it is no longer wanted, and record what happened.

    Returns False when the worker began stopping before the message went, so it can be given back.
    """
    delivery = session.get(Delivery, delivery_id, populate_existing=True)
    if delivery is None or delivery.status != DeliveryStatus.SENDING or delivery.leased_by != worker:
        return True
    kind = KINDS.get(delivery.kind)
    if kind is None:
        return settle(session, delivery, DeliveryStatus.FAILED, f"Unknown kind {delivery.kind}.")
    if kind.suppressible and suppressed(session, delivery):
        return settle(session, delivery, DeliveryStatus.SUPPRESSED, "The recipient unsubscribed or bounced.")
    reason = kind.unwanted(session, delivery) if kind.unwanted else None
    if reason:
        return settle(session, delivery, DeliveryStatus.CANCELLED, reason)
    if delivery.deadline_at is not None and clock.now() >= delivery.deadline_at:
        status = DeliveryStatus.MISSED if delivery.attempts <= 1 else DeliveryStatus.FAILED
        return settle(session, delivery, status, "Not sent: the time to stop sending had passed.")
    if not wait_for_slot():
        session.rollback()
        return False
    try:
        message = kind.render(delivery)
    except Exception as error:  # noqa: BLE001 - a message that cannot be built is a permanent failure
        log.exception("delivery %s could not be built", delivery.id)
        delivery.status = DeliveryStatus.FAILED
        delivery.smtp_response = f"The message could not be built: {error}"
        session.commit()
        return True
    delivery.message_id = message["Message-ID"]
    config = current_app.config
    envelope = envelope_sender(delivery.id, address_domain(config["MAIL_DEFAULT_SENDER"]), config["SECRET_KEY"])
    outcome = relay.send(message, envelope, delivery.to_address)
    record_outcome(delivery, outcome, clock.now())
    session.commit()
    return True
