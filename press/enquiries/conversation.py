"""An enquiry's emails as its page shows them, the files that came with them, and the deadlines they suggest."""

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from press import clock, uktime
from press.accounts.models import User
from press.audit import audit
from press.enquiries.models import Direction, Enquiry, EnquiryAttachment, EnquiryEmail, EventKind
from press.enquiries.services import EnquiryError, add_event
from press.outbox.models import Delivery, DeliveryStatus

SETTLED = "That suggested deadline was already used or dismissed."


class Sent(NamedTuple):
    """Where a reply has got to in the outbox, in words for staff."""

    words: str
    problem: bool


def delivery_words(delivery: Delivery | None) -> Sent:
    """Say a reply's delivery status as a person would, with a problem flagged so the page can mark it."""
    if delivery is None:
        return Sent("Not known: its outbox record has gone.", True)
    status = delivery.status
    if status == DeliveryStatus.SENT:
        return Sent(f"Sent {uktime.format_moment(delivery.sent_at)}" if delivery.sent_at else "Sent", False)
    if status == DeliveryStatus.QUEUED and delivery.attempts:
        return Sent("Not sent yet: the mail server asked us to try again later, and we will.", False)
    if status in (DeliveryStatus.QUEUED, DeliveryStatus.SENDING):
        return Sent("Waiting to be sent", False)
    if status == DeliveryStatus.BOUNCED:
        return Sent("Sent, but the journalist's mail server sent it back as undeliverable", True)
    if status == DeliveryStatus.MISSED:
        return Sent("Not sent: the outbox did not get to it in time", True)
    if status == DeliveryStatus.SUPPRESSED:
        return Sent("Not sent: the address is blocked", True)
    if status == DeliveryStatus.CANCELLED:
        return Sent("Not sent: it was cancelled", True)
    return Sent("Could not be sent: the mail server refused it", True)


class Conversation(NamedTuple):
    """An enquiry's emails by id (for the timeline entries that name them), and the replies' delivery status."""

    emails: dict[int, EnquiryEmail]
    sent: dict[int, Sent]
    suggestions: list[EnquiryEmail]  # incoming emails whose suggested deadline nobody has settled yet


def conversation(session: Session, enquiry: Enquiry) -> Conversation:
    """Every email on the enquiry with its files and writer, in three queries whatever the number."""
    emails = list(session.scalars(
        select(EnquiryEmail).where(EnquiryEmail.enquiry_id == enquiry.id)
        .options(selectinload(EnquiryEmail.attachments), selectinload(EnquiryEmail.by)).order_by(EnquiryEmail.id)
    ))
    delivery_ids = [e.delivery_id for e in emails if e.delivery_id is not None]
    deliveries = {d.id: d for d in session.scalars(select(Delivery).where(Delivery.id.in_(delivery_ids)))} \
        if delivery_ids else {}
    sent = {e.id: delivery_words(deliveries.get(e.delivery_id)) for e in emails if e.direction == Direction.OUT}
    suggestions = [e for e in emails if e.direction == Direction.IN and e.suggested_deadline_at is not None
                   and e.suggestion_settled_at is None]
    return Conversation({e.id: e for e in emails}, sent, suggestions)


def email_on(session: Session, enquiry: Enquiry, email_id: int) -> EnquiryEmail | None:
    """One of this enquiry's emails; None for an email of another enquiry, so an id typed in reaches no other."""
    return session.scalar(select(EnquiryEmail).where(EnquiryEmail.id == email_id,
                                                     EnquiryEmail.enquiry_id == enquiry.id))


def attachment_on(session: Session, enquiry: Enquiry, attachment_id: int) -> EnquiryAttachment | None:
    """A file that came with one of this enquiry's emails; None for anyone else's."""
    return session.scalar(
        select(EnquiryAttachment).join(EnquiryEmail, EnquiryAttachment.email_id == EnquiryEmail.id)
        .where(EnquiryAttachment.id == attachment_id, EnquiryEmail.enquiry_id == enquiry.id)
    )


def _open_suggestion(enquiry: Enquiry, email: EnquiryEmail) -> datetime:
    if enquiry.anonymised_at is not None:
        raise EnquiryError("This enquiry was anonymised, so nothing more can be changed.")
    if email.suggested_deadline_at is None or email.suggestion_settled_at is not None:
        raise EnquiryError(SETTLED)
    return email.suggested_deadline_at


def use_suggested_deadline(session: Session, enquiry: Enquiry, email: EnquiryEmail, *, by: User) -> None:
    """Make the deadline read from the journalist's email the enquiry's deadline, now that staff have confirmed it."""
    suggested = _open_suggestion(enquiry, email)
    previous = enquiry.deadline_at
    enquiry.deadline_at = suggested
    email.suggestion_settled_at = clock.now()
    add_event(session, enquiry, EventKind.DEADLINE, by, previous=previous.isoformat(), to=suggested.isoformat(),
              shown_previous=uktime.format_moment(previous), shown_to=uktime.format_moment(suggested), email_id=email.id)
    audit(session, "enquiry deadline changed", by, enquiry, email_id=email.id, to=suggested.isoformat())
    session.flush()


def dismiss_suggested_deadline(session: Session, enquiry: Enquiry, email: EnquiryEmail, *, by: User) -> None:
    """Leave the deadline as it is and stop offering the one read from this email."""
    _open_suggestion(enquiry, email)
    email.suggestion_settled_at = clock.now()
    audit(session, "enquiry deadline suggestion dismissed", by, enquiry, email_id=email.id)
    session.flush()
