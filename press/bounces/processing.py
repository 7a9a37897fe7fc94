"""What a message sent back to a bounce address does: each is recorded once; a permanent failure bounces the
delivery and the contact; temporary ones are scored against the contact, Mailman's way.

A message counts for a delivery only through the signed envelope address it came back to (VERP): one sent to
a bounce address we did not sign is recorded as forged and changes nothing.
"""

import re
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from press import clock, uktime
from press.bounces.models import InboundBounce, Outcome
from press.bounces.reading import Failure, Reading, read
from press.contacts.models import Contact, ContactStatus
from press.contacts.services import record, set_status
from press.outbox.messages import delivery_from_envelope
from press.outbox.models import Delivery, DeliveryStatus


@dataclass(frozen=True)
class Handled:
    """What became of one message: its outcome, or None when it had been handled before."""

    outcome: Outcome | None
    delivery_id: int | None = None
    contact_id: int | None = None


def signed_delivery(addresses: list[str]) -> int | None:
    """The delivery named by the first of these addresses that is a bounce address we signed."""
    secret = current_app.config["SECRET_KEY"]
    for address in addresses:
        delivery_id = delivery_from_envelope(address, secret)
        if delivery_id is not None:
            return delivery_id
    return None


def failure_for(reading: Reading, address: str) -> Failure | None:
    """The failure the reading reports for the delivery's address; with none named so, the gravest it reports."""
    named = [failure for failure in reading.failures if failure.recipient == address.lower()]
    candidates = named or reading.failures
    return next((f for f in candidates if f.permanent), candidates[0] if candidates else None)


def without_address(text: str, address: str) -> str:
    """A server's reason with the recipient's own address taken out, so no copy of it outlives an erasure."""
    return re.sub(re.escape(address), "the address", text, flags=re.IGNORECASE) if address else text


def handle(session: Session, raw: bytes, *, recipients: list[str] | tuple[str, ...] = (), source: str) -> Handled:
    """Record and act on one message that reached the bounce address; the caller commits."""
    reading = read(raw)
    if session.scalar(select(InboundBounce.id).where(InboundBounce.message_key == reading.message_key)):
        return Handled(None)
    delivery_id = signed_delivery([*recipients, *reading.envelope_recipients])
    delivery, contact = None, None
    if delivery_id is not None:
        found = session.execute(select(Delivery, Contact).outerjoin(Contact, Contact.id == Delivery.contact_id)
                                .where(Delivery.id == delivery_id)).first()
        delivery, contact = found if found is not None else (None, None)
    failure = failure_for(reading, delivery.to_address) if delivery is not None else None
    if reading.how == "auto-reply":
        outcome = Outcome.AUTO_REPLY
    elif delivery_id is None:
        outcome = Outcome.FORGED
    elif delivery is None:
        outcome = Outcome.UNKNOWN_DELIVERY
    elif failure is None:
        outcome = Outcome.NOT_A_FAILURE
    else:
        outcome = Outcome.PERMANENT if failure.permanent else Outcome.TEMPORARY
    acts = outcome in (Outcome.PERMANENT, Outcome.TEMPORARY)
    address = delivery.to_address if delivery is not None else ""
    row = InboundBounce(
        message_key=reading.message_key, received_at=clock.now(), source=source, outcome=outcome,
        reading=reading.how if reading.how in ("report", "heuristic") else "",
        delivery_id=delivery.id if delivery is not None and outcome != Outcome.FORGED else None,
        contact_id=delivery.contact_id if acts else None,
        status=failure.status if acts else "", reason=without_address(failure.reason, address) if acts else "",
    )
    # Should another process take the same message at the same moment, the unique key refuses the second
    # at commit: that transaction is rolled back and its message, tried again, is found handled.
    session.add(row)
    if outcome == Outcome.PERMANENT:
        bounce_delivery(session, delivery, contact, failure)
    elif outcome == Outcome.TEMPORARY:
        score(session, delivery, contact, failure)
    return Handled(outcome, row.delivery_id, row.contact_id)


def explained(failure: Failure, address: str) -> str:
    return " ".join(part for part in (failure.status, without_address(failure.reason, address)) if part) \
        or "no reason given"


def bounce_delivery(session: Session, delivery: Delivery, contact: Contact | None, failure: Failure) -> None:
    """A permanent failure: the delivery and the contact it went to are bounced, with the server's reason."""
    now = clock.now()
    reason = explained(failure, delivery.to_address)
    if delivery.status == DeliveryStatus.SENT:
        delivery.status = DeliveryStatus.BOUNCED
    delivery.bounced_at, delivery.bounce_reason = now, reason
    if contact is not None and contact.status == ContactStatus.ACTIVE:
        set_status(session, contact, ContactStatus.BOUNCED, by=None,
                   reason=f"Bounced on {uktime.format_moment(now)}: {reason}")


def score(session: Session, delivery: Delivery, contact: Contact | None, failure: Failure) -> None:
    """A temporary failure: a point against the contact, at most one a day; points go stale after a while,
    and enough of them bounce the contact."""
    if contact is None or contact.status != ContactStatus.ACTIVE:
        return
    config = current_app.config
    now = clock.now()
    last = contact.bounce_score_at
    if last is None or now - last > timedelta(days=config["PRESS_BOUNCE_SCORE_STALE_DAYS"]):
        contact.bounce_score = 0
    if last is None or contact.bounce_score == 0 or uktime.to_london(last).date() != uktime.to_london(now).date():
        contact.bounce_score += 1
        contact.bounce_score_at = now
        record(session, contact, "bounce scored", None, score=contact.bounce_score,
               status=failure.status, reason=without_address(failure.reason, delivery.to_address))
    threshold = config["PRESS_BOUNCE_SCORE_THRESHOLD"]
    if contact.bounce_score >= threshold:
        set_status(session, contact, ContactStatus.BOUNCED, by=None,
                   reason=f"{contact.bounce_score} temporary failures on separate days, the last on "
                          f"{uktime.format_moment(now)}: {explained(failure, delivery.to_address)}")
