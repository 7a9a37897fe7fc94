"""Journalists asking for releases from the newsroom: a double opt-in, with the consent recorded."""

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from press import clock
from press.accounts.services import normalise_email
from press.contacts.models import Contact, ContactStatus, MediaList, Signup
from press.contacts.emails import SIGNUP_CONFIRMATION
from press.contacts.services import create_contact, find_contact_by_email, record, set_status
from press.outbox.queue import enqueue

CONSENT_TEXT = (
    "I would like to receive press releases from {organisation} by email at this address. "
    "I can unsubscribe at any time with the link in every email."
)


def signup_list(session: Session) -> MediaList | None:
    """The list a manager chose for journalists who sign up from the newsroom."""
    return session.scalar(select(MediaList).where(MediaList.for_signups.is_(True)).order_by(MediaList.id))


def request_signup(session: Session, *, name: str, email: str, outlet: str, media_list: MediaList,
                   organisation: str) -> Signup:
    """Record the request and queue the confirmation email; nothing is added until they confirm."""
    now = clock.now()
    signup = Signup(email=normalise_email(email), name=" ".join(name.split()), outlet=" ".join(outlet.split()),
                    media_list=media_list, consent_text=CONSENT_TEXT.format(organisation=organisation), created_at=now)
    session.add(signup)
    session.flush()
    enqueue(session, kind=SIGNUP_CONFIRMATION, to_address=signup.email, payload={"signup_id": signup.id},
            deadline=now + timedelta(days=1))
    return signup


def confirm_signup(session: Session, signup: Signup) -> Contact:
    """Add (or update) the contact, put them on the chosen list and record their consent."""
    now = clock.now()
    contact = find_contact_by_email(session, signup.email)
    if contact is None:
        contact = create_contact(
            session, by=None, readd_erased=True, name=signup.name, email=signup.email, outlet=signup.outlet,
            source="Signed up on the newsroom", lawful_basis="consent", lists=[signup.media_list],
        )
    else:
        if signup.media_list not in contact.lists:
            contact.lists.append(signup.media_list)
        contact.lawful_basis = "consent"
        if contact.status != ContactStatus.ACTIVE:
            # Their own confirmed request is the reason for resubscribing them.
            set_status(session, contact, ContactStatus.ACTIVE, reason="Confirmed a signup from the newsroom", by=None)
    contact.consent_at = now
    contact.consent_text = signup.consent_text
    if signup.confirmed_at is None:
        signup.confirmed_at = now
    session.flush()
    record(session, contact, "consent recorded", None, list=signup.media_list.name, signup_id=signup.id)
    return contact

