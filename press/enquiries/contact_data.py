"""A contact's enquiries: in their subject access export, anonymised when they are erased, listed on their page.

The contacts area sits below this one and cannot look here, so this registers with it (press.contacts.elsewhere).
An enquiry is a contact's if it was linked to them when it came in, or was sent from their address.
"""

from datetime import datetime
from typing import Any

from flask import url_for
from sqlalchemy import ColumnElement, false, or_, select, update
from sqlalchemy.orm import Session, selectinload

from press import clock, uktime
from press.contacts import elsewhere
from press.contacts.models import Contact
from press.enquiries.emails import ACKNOWLEDGEMENT
from press.enquiries.models import Enquiry, EnquiryEmail, EnquiryEvent
from press.enquiries.retention import anonymise
from press.outbox.models import Delivery

# Shown on the contact's page; the export has them all.
LISTED = 50
ERASED = "[removed at the journalist's request]"


def theirs(contact: Contact) -> ColumnElement[bool]:
    """The enquiries that belong to this contact."""
    if contact.email:
        return or_(Enquiry.contact_id == contact.id, Enquiry.email == contact.email)
    return Enquiry.contact_id == contact.id if contact.id is not None else false()


def _when(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _email(email: EnquiryEmail) -> dict[str, Any]:
    return {"direction": email.direction, "at": _when(email.at), "from_name": email.from_name,
            "from": email.from_address, "to": email.to_address, "subject": email.subject, "text": email.body,
            "written_by": email.by.name if email.by else None, "message_id": email.message_id,
            "attachments": [{"filename": a.filename, "content_type": a.content_type, "size": a.size}
                            for a in email.attachments]}


def export(session: Session, contact: Contact) -> list[dict[str, Any]]:
    """Each of the contact's enquiries as they sent it, where it got to, its timeline and every email."""
    enquiries = session.scalars(
        select(Enquiry).where(theirs(contact)).order_by(Enquiry.received_at, Enquiry.id)
        .options(selectinload(Enquiry.emails).selectinload(EnquiryEmail.attachments),
                 selectinload(Enquiry.emails).selectinload(EnquiryEmail.by),
                 selectinload(Enquiry.events).selectinload(EnquiryEvent.by))
    ).all()
    return [
        {"reference": e.reference, "received_at": _when(e.received_at), "channel": e.channel,
         "name": e.journalist_name, "outlet": e.outlet, "email": e.email, "phone": e.phone, "kind": e.kind,
         "subject": e.subject, "text": e.body, "deadline_at": _when(e.deadline_at), "interviewee": e.interviewee,
         "interview_format": e.interview_format, "interview_mode": e.interview_mode,
         "proposed_at": _when(e.proposed_at), "proposed_place": e.proposed_place, "status": e.status,
         "outcome": e.outcome, "first_response_at": _when(e.first_response_at), "closed_at": _when(e.closed_at),
         "anonymised_at": _when(e.anonymised_at),
         "timeline": [{"at": _when(ev.at), "kind": ev.kind, "by": ev.by.name if ev.by else None, "text": ev.text}
                      for ev in e.events],
         "emails": [_email(m) for m in e.emails]}
        for e in enquiries
    ]


def erase(session: Session, contact: Contact) -> None:
    """Anonymise the contact's enquiries as the retention rule would, and the acknowledgements sent to them."""
    if contact.email:
        session.execute(
            update(Delivery).where(Delivery.kind == ACKNOWLEDGEMENT.name, Delivery.to_address == contact.email)
            .values(to_address="anonymised@invalid", smtp_response="", bounce_reason="")
            .execution_options(synchronize_session=False)
        )
    anonymise(session, theirs(contact), now=clock.now(), removed=ERASED, reason="erasure")
    # The bulk updates went past the session: enquiries it holds are read again when next used.
    for enquiry in [obj for obj in session.identity_map.values() if isinstance(obj, Enquiry | EnquiryEmail)]:
        session.expire(enquiry)


def listed(session: Session, contact: Contact) -> list[elsewhere.Listed]:
    """The contact's latest enquiries, newest first, each a link to its page."""
    enquiries = session.scalars(
        select(Enquiry).where(theirs(contact)).order_by(Enquiry.received_at.desc(), Enquiry.id.desc()).limit(LISTED)
    )
    return [elsewhere.Listed(f"{e.reference}: {e.subject}", url_for("enquiries.show", enquiry_id=e.id),
                             f"{uktime.format_date(uktime.to_london(e.received_at).date())}, {e.status_label.lower()}") for e in enquiries]


ENQUIRIES = elsewhere.register(elsewhere.Holding("enquiries", "Enquiries", export, erase, listed))
