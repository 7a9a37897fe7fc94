"""What the contacts pages read: contacts in name order a page or chunk at a time, the lists, a contact's history."""

from collections.abc import Iterable, Sequence

from sqlalchemy import Row, ScalarResult, Select, func, select, tuple_
from sqlalchemy.orm import Session, selectinload

from press.contacts.models import Contact, ContactEvent, MediaList, contact_lists


def count_rows(session: Session, query: Select) -> int:
    """How many rows the query finds."""
    return session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0


def contacts_after(query: Select, name: str, contact_id: int) -> Select:
    """The query's contacts that come after this one in name order, the same order the pages use."""
    return query.where(tuple_(Contact.name, Contact.id) > tuple_(name, contact_id))


def contacts_in_order(
    session: Session, query: Select, limit: int, after: tuple[str, int] | None = None
) -> list[Contact]:
    """Up to `limit` of the query's contacts in name order with their lists, after a (name, id) if given."""
    query = query.order_by(Contact.name, Contact.id).options(selectinload(Contact.lists)).limit(limit)
    if after is not None:
        query = contacts_after(query, *after)
    return list(session.scalars(query))


def keyset_page(session: Session, query: Select, after: int | None, per_page: int) -> tuple[list[Contact], int | None]:
    """One page of contacts in name order, starting after a contact's id; and the id the next page starts after."""
    start = None
    if after is not None:
        name = session.scalar(select(Contact.name).where(Contact.id == after))
        if name is not None:
            start = (name, after)
    contacts = contacts_in_order(session, query, per_page + 1, start)
    if len(contacts) > per_page:
        return contacts[:per_page], contacts[per_page - 1].id
    return contacts, None


def media_lists(session: Session) -> list[MediaList]:
    """Every media list, by name."""
    return list(session.scalars(select(MediaList).order_by(MediaList.name)))


def lists_by_id(session: Session, list_ids: Iterable[int]) -> list[MediaList]:
    """The media lists with these ids; an unknown id is left out."""
    return list(session.scalars(select(MediaList).where(MediaList.id.in_(list_ids))))


def lists_with_counts(session: Session) -> Sequence[Row[tuple[MediaList, int]]]:
    """Every media list by name, each with how many contacts are on it."""
    return session.execute(
        select(MediaList, func.count(contact_lists.c.contact_id))
        .outerjoin(contact_lists, contact_lists.c.list_id == MediaList.id)
        .group_by(MediaList.id).order_by(MediaList.name)
    ).all()


def contact_history(session: Session, contact: Contact) -> ScalarResult[ContactEvent]:
    """A contact's events, newest first, with who did each; read as the page shows them."""
    return session.scalars(
        select(ContactEvent).where(ContactEvent.contact_id == contact.id)
        .options(selectinload(ContactEvent.user)).order_by(ContactEvent.at.desc(), ContactEvent.id.desc())
    )
