"""Replying to the journalist from the enquiry's page: the email goes through the outbox, in their thread.

The reply's Message-ID is made when it is queued, from the delivery's own secret, so the journalist's answer
can be matched to it (by In-Reply-To or References) before the worker has even sent it, and no one can work
it out from the delivery's number.
"""

import re
import secrets
from email.utils import parseaddr

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from press import clock
from press.accounts.models import User
from press.audit import audit
from press.enquiries.emails import REPLY
from press.enquiries.models import ANSWERED_STATUSES, Direction, Enquiry, EnquiryEmail, EnquiryStatus, EventKind
from press.enquiries.services import EnquiryError, _mark_answered, add_event
from press.outbox.messages import address_domain, delivery_message_id
from press.outbox.queue import enqueue

# A Message-ID as it may go back into a header: printable ASCII with no brackets or spaces, and one @.
MESSAGE_ID = re.compile(r"[\x21-\x3b\x3d\x3f\x41-\x7e]+@[\x21-\x3b\x3d\x3f\x41-\x7e]+")
# References keep the thread's first message and the latest ones (RFC 5322 3.6.4 lets the middle go).
MOST_REFERENCES = 10
# Longest subject taken from what the journalist wrote, before "Re: " and the reference go round it.
SUBJECT_WORDS = 250
REPLY_PREFIX = re.compile(r"^\s*((re|fwd?|aw|sv)\s*(\[\d+\])?\s*:\s*)+", re.IGNORECASE)
NO_EMAIL = "This enquiry has no email address, so a reply cannot be sent from here. Record the response instead."
ANONYMISED = "This enquiry was anonymised, so no reply can be sent."


def message_ids(text: str) -> list[str]:
    """The Message-IDs in a header's text (bracketed, or bare and space-separated), without their brackets.

    They came in a stranger's email: anything that is not a plain Message-ID is left out, so nothing in them
    can reach a header of ours but an identifier.
    """
    found = re.findall(r"<([^<>]*)>", text) if "<" in text else text.split()
    return [item.strip() for item in found if MESSAGE_ID.fullmatch(item.strip())]


def thread_references(earlier: EnquiryEmail | None) -> list[str]:
    """The References of a reply to ``earlier``: its own References and its Message-ID, capped and without repeats."""
    if earlier is None:
        return []
    chain = list(dict.fromkeys(message_ids(earlier.references) + message_ids(earlier.message_id)))
    if len(chain) > MOST_REFERENCES:
        chain = chain[:1] + chain[-(MOST_REFERENCES - 1):]
    return chain


def tag(enquiry: Enquiry) -> str:
    return f"[{enquiry.reference}]"


def reply_subject(enquiry: Enquiry, earlier: EnquiryEmail | None) -> str:
    """``Re: <subject> [ENQ-2026-0042]``: the journalist's latest subject (or the enquiry's), tagged once."""
    subject = earlier.subject if earlier is not None and earlier.subject.strip() else enquiry.subject
    subject = " ".join("".join(ch if ch.isprintable() else " " for ch in subject).split())
    subject = REPLY_PREFIX.sub("", subject.replace(tag(enquiry), " "))
    subject = " ".join(subject.split())[:SUBJECT_WORDS].strip()
    return f"Re: {subject} {tag(enquiry)}" if subject else f"Re: {tag(enquiry)}"


def latest_incoming(session: Session, enquiry: Enquiry) -> EnquiryEmail | None:
    """The journalist's most recent email on this enquiry, the one a reply answers."""
    return session.scalar(
        select(EnquiryEmail).where(EnquiryEmail.enquiry_id == enquiry.id, EnquiryEmail.direction == Direction.IN)
        .order_by(EnquiryEmail.at.desc(), EnquiryEmail.id.desc()).limit(1)
    )


def why_no_reply(enquiry: Enquiry) -> str | None:
    """Why a reply cannot be sent for this enquiry, in words for the page; None when it can."""
    if enquiry.anonymised_at is not None:
        return ANONYMISED
    if not enquiry.email:
        return NO_EMAIL
    return None


def send_reply(session: Session, enquiry: Enquiry, text: str, *, by: User) -> EnquiryEmail:
    """Queue a reply to the journalist in their thread, keep it in the conversation, and count it as answering.

    A new or in-progress enquiry becomes responded, as recording a response makes it; the first reply sent
    is the first response the dashboard measures.
    """
    refused = why_no_reply(enquiry)
    if refused:
        raise EnquiryError(refused)
    body = "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").strip().split("\n"))
    if not body:
        raise EnquiryError("Enter your reply.")
    earlier = latest_incoming(session, enquiry)
    answering = message_ids(earlier.message_id) if earlier is not None else []
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    sender_name, sender_address = parseaddr(sender)
    now = clock.now()
    email = EnquiryEmail(
        # A placeholder until the delivery exists: the column is unique, and two replies may be written at once.
        enquiry_id=enquiry.id, direction=Direction.OUT, message_id=f"pending.{secrets.token_hex(16)}", at=now,
        by_id=by.id,
        in_reply_to=answering[0] if answering else "",
        references=" ".join(thread_references(earlier)), subject=reply_subject(enquiry, earlier), body=body,
        from_name=sender_name or f"{current_app.config['PRESS_ORGANISATION']} press office",
        from_address=sender_address, to_address=enquiry.email,
    )
    session.add(email)
    session.flush()
    delivery = enqueue(session, kind=REPLY, to_address=enquiry.email, payload={"email_id": email.id})
    email.delivery_id = delivery.id
    # The worker stamps each message with its delivery's Message-ID: the same one, made here.
    email.message_id = delivery_message_id(delivery.id, delivery.secret, address_domain(sender)).strip("<>")
    add_event(session, enquiry, EventKind.EMAIL_OUT, by, email_id=email.id)
    _mark_answered(enquiry, now)
    if enquiry.status not in ANSWERED_STATUSES:
        previous = enquiry.status
        enquiry.status = EnquiryStatus.RESPONDED
        add_event(session, enquiry, EventKind.STATUS, by, previous=previous, to=EnquiryStatus.RESPONDED)
    audit(session, "enquiry reply sent", by, enquiry, email_id=email.id, delivery_id=delivery.id)
    session.flush()
    return email
