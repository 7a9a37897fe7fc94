"""Keeping media contacts: adding, changing, suppressing, exporting and erasing them."""

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from press import clock
from press.audit import audit
from press.accounts.models import User
from press.accounts.services import normalise_email
from press.contacts import elsewhere, search
from press.contacts.models import (
    Contact, ContactEvent, ContactStatus, MediaList, Suppression, contact_lists, email_digest,
)
from press.outbox.models import Delivery
from press.tokens import Token

CONTACT_FIELDS = ("name", "email", "outlet", "job_title", "phone", "notes", "source", "lawful_basis")


class ContactError(ValueError):
    """A change to a contact that cannot be made, with the form field it concerns."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class ErasedAddressError(ContactError):
    """The address was erased at its owner's request; it comes back only when they have asked."""


def check_not_erased(session: Session, email: str, *, readd_erased: bool) -> Suppression | None:
    """Refuse an erased address unless re-adding was confirmed; return its suppression, which the caller lifts."""
    suppression = find_suppression(session, email)
    if suppression is not None and not readd_erased:
        raise ErasedAddressError(
            f"This address was erased at its owner's request on {suppression.created_at:%-d %B %Y}. "
            "Add it again only if they have asked you to, and tick the box to say so.", "email",
        )
    return suppression


def record(session: Session, contact: Contact, action: str, by: User | None, **details: Any) -> None:
    session.add(ContactEvent(contact_id=contact.id, user=by, action=action, details=details, at=clock.now()))


def find_suppression(session: Session, email: str) -> Suppression | None:
    return session.scalar(select(Suppression).where(Suppression.email_digest == email_digest(email)))


def find_contact_by_email(session: Session, email: str) -> Contact | None:
    return session.scalar(select(Contact).where(Contact.email == normalise_email(email)))


def list_name(text: str) -> str:
    """A list's name as stored: spaces tidied, at most 100 characters."""
    return " ".join(text.split())[:100]


def lists_named(session: Session, names: list[str], *, create: bool = False) -> list[MediaList]:
    """The lists with these names (matched without regard to case), made if asked."""
    found: list[MediaList] = []
    existing = {m.name.lower(): m for m in session.scalars(select(MediaList))}
    for name in names:
        name = list_name(name)
        if not name:
            continue
        media_list = existing.get(name.lower())
        if media_list is None and create:
            media_list = MediaList(name=name)
            session.add(media_list)
            session.flush()
            existing[name.lower()] = media_list
        if media_list is not None and media_list not in found:
            found.append(media_list)
    return found


def create_contact(
    session: Session, *, by: User | None, lists: list[MediaList] = (), readd_erased: bool = False, **fields: Any
) -> Contact:
    """Add a contact; an address erased at its owner's request is only added again when asked explicitly."""
    fields["email"] = normalise_email(fields["email"])
    suppression = check_not_erased(session, fields["email"], readd_erased=readd_erased)
    contact = Contact(**fields, status=ContactStatus.ACTIVE, status_changed_at=clock.now())
    contact.lists = list(lists)
    try:
        with session.begin_nested():
            session.add(contact)
            session.flush()
    except IntegrityError as error:
        raise ContactError(f"{fields['email']} is already in the contacts list.", "email") from error
    if suppression is not None:
        session.delete(suppression)
    record(session, contact, "added", by, source=contact.source, readded_after_erasure=suppression is not None)
    audit(session, "contact added", by, contact, readded_after_erasure=suppression is not None)
    return contact


def update_contact(session: Session, contact: Contact, *, by: User | None, lists: list[MediaList] | None = None,
                   readd_erased: bool = False, **fields: Any) -> dict[str, list]:
    """Change a contact's details and record which fields changed."""
    if contact.status == ContactStatus.ERASED:
        raise ContactError("An erased contact cannot be changed.")
    suppression = None
    if "email" in fields:
        fields["email"] = normalise_email(fields["email"])
        if fields["email"] != contact.email:
            suppression = check_not_erased(session, fields["email"], readd_erased=readd_erased)
    before = {name: getattr(contact, name) for name in fields}
    old_lists = sorted(m.name for m in contact.lists)
    try:
        with session.begin_nested():
            for name, value in fields.items():
                setattr(contact, name, value)
            if lists is not None:
                contact.lists = list(lists)
            session.flush()
    except IntegrityError as error:
        raise ContactError(f"{fields.get('email')} is already in the contacts list.", "email") from error
    if suppression is not None:
        session.delete(suppression)
    changes = {name: [before[name], value] for name, value in fields.items() if before[name] != value}
    new_lists = sorted(m.name for m in contact.lists)
    if new_lists != old_lists:
        changes["lists"] = [old_lists, new_lists]
    if changes:
        # Only field names go in the history: values could be personal data that erasure must reach.
        record(session, contact, "edited", by, fields=sorted(changes))
        audit(session, "contact edited", by, contact, fields=sorted(changes))
    return changes


def set_status(session: Session, contact: Contact, status: ContactStatus, *, reason: str, by: User | None) -> None:
    """Change whether a contact can be sent releases, keeping the date and reason."""
    if contact.status == ContactStatus.ERASED:
        raise ContactError("An erased contact cannot be changed.")
    if status == ContactStatus.ACTIVE and contact.status != ContactStatus.ACTIVE and not reason.strip():
        raise ContactError("Give the reason for resubscribing this contact.", "reason")
    if contact.status == status:
        return
    previous = contact.status
    contact.status = status
    contact.status_changed_at = clock.now()
    contact.status_reason = reason.strip()
    if status == ContactStatus.ACTIVE:
        # Made active again, a contact's earlier temporary bounces no longer count against them.
        contact.bounce_score, contact.bounce_score_at = 0, None
    session.flush()
    record(session, contact, "status changed", by, **{"from": previous, "to": str(status), "reason": reason.strip()})
    audit(session, "contact status changed", by, contact, **{"from": str(previous), "to": str(status)})


# A contact's unsubscribe link signs their random key, so it cannot be made from their id or address.
UNSUBSCRIBE = Token("unsubscribe")


def unsubscribe_token(contact: Contact) -> str:
    """The contact's unsubscribe token: their random key, signed so it cannot be forged or guessed."""
    return UNSUBSCRIBE.make(contact.unsubscribe_key)


def contact_for_token(session: Session, token: str) -> Contact | None:
    """The contact an unsubscribe token belongs to; None for a tampered or unknown token alike."""
    key = UNSUBSCRIBE.read(token)
    if not isinstance(key, str):
        return None
    return session.scalar(
        select(Contact).where(Contact.unsubscribe_key == key, Contact.status != ContactStatus.ERASED)
    )


def unsubscribe(session: Session, contact: Contact, *, how: str) -> bool:
    """Unsubscribe a contact by their own request; True if this changed anything."""
    if contact.status != ContactStatus.ACTIVE:
        return False
    set_status(session, contact, ContactStatus.UNSUBSCRIBED, reason=how, by=None)
    return True


def erase_contact(session: Session, contact: Contact, *, by: User | None) -> None:
    """Remove a contact's personal data, keeping only a fingerprint of the address so it is never re-added unseen.

    What other areas keep about them (their enquiries) goes first, while their address still finds it.
    """
    if contact.status == ContactStatus.ERASED:
        return
    for holding in elsewhere.holdings():
        holding.erase(session, contact)
    if contact.email and find_suppression(session, contact.email) is None:
        session.add(Suppression(email_digest=email_digest(contact.email), reason="erased at the owner's request"))
    for name in ("name", "outlet", "job_title", "phone", "notes", "source", "consent_text", "status_reason"):
        setattr(contact, name, "")
    contact.email = None
    contact.consent_at = None
    contact.lists = []
    contact.status = ContactStatus.ERASED
    contact.status_changed_at = clock.now()
    session.execute(delete(ContactEvent).where(ContactEvent.contact_id == contact.id))
    session.execute(
        update(Delivery).where(Delivery.contact_id == contact.id).values(to_address="", payload={}, bounce_reason="")
        .execution_options(synchronize_session=False)
    )
    session.flush()
    search.forget_erased(session)
    record(session, contact, "erased", by)
    audit(session, "contact erased", by, contact, contact_id=contact.id)


def search_contacts(q: str = "", list_id: int | None = None, status: str | None = None):
    """The contacts query for the list page: words match name, outlet or email; filters by list and status."""
    query = select(Contact).where(Contact.status != ContactStatus.ERASED, *search.matching(q))
    if list_id is not None:
        query = query.where(Contact.id.in_(select(contact_lists.c.contact_id).where(contact_lists.c.list_id == list_id)))
    if status in set(ContactStatus) - {ContactStatus.ERASED}:
        query = query.where(Contact.status == status)
    return query


def subject_access(session: Session, contact: Contact) -> dict[str, Any]:
    """Everything held about one contact, for a subject access request."""

    def when(moment: datetime | None) -> str | None:
        return moment.isoformat() if moment else None

    held_elsewhere = {holding.name: holding.export(session, contact) for holding in elsewhere.holdings()}
    events = session.scalars(select(ContactEvent).where(ContactEvent.contact_id == contact.id).order_by(ContactEvent.at))
    deliveries = session.scalars(select(Delivery).where(Delivery.contact_id == contact.id).order_by(Delivery.id))
    return {
        "contact": {name: getattr(contact, name) for name in CONTACT_FIELDS}
        | {
            "status": contact.status,
            "status_changed_at": when(contact.status_changed_at),
            "status_reason": contact.status_reason,
            "consent_at": when(contact.consent_at),
            "consent_text": contact.consent_text,
            "created_at": when(contact.created_at),
            "updated_at": when(contact.updated_at),
        },
        "lists": [m.name for m in contact.lists],
        "history": [
            {"at": when(e.at), "action": e.action, "by": e.user.name if e.user else None, "details": e.details}
            for e in events
        ],
        "emails": [
            {"kind": d.kind, "to": d.to_address, "status": d.status, "sent_at": when(d.sent_at),
             "message_id": d.message_id}
            for d in deliveries
        ],
    } | held_elsewhere


def save_list(session: Session, media_list: MediaList | None, *, name: str, description: str,
              for_signups: bool, by: User | None = None) -> MediaList:
    """Add or change a list; names must differ by more than case, and only one list takes newsroom signups."""
    name = " ".join(name.split())
    action = "list edited" if media_list is not None else "list created"
    media_list = media_list or MediaList()
    taken = session.scalar(select(MediaList.id).where(func.lower(MediaList.name) == name.lower()))
    if taken not in (None, media_list.id):
        raise ContactError(f"There is already a list called {name}.", "name")
    try:
        with session.begin_nested():
            media_list.name, media_list.description, media_list.for_signups = name, description, for_signups
            session.add(media_list)
            session.flush()
    except IntegrityError as error:
        # Another request took the name since the check: the unique constraint is the real guard.
        raise ContactError(f"There is already a list called {name}.", "name") from error
    audit(session, action, by, media_list, name=name, for_signups=for_signups)
    if media_list.for_signups:
        session.execute(update(MediaList).where(MediaList.id != media_list.id).values(for_signups=False))
    return media_list
