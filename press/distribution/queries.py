"""Reads the distribution pages make: the send form's lists, previews, the reports and their export."""

from collections.abc import Sequence

from sqlalchemy import Row, Select, and_, func, select
from sqlalchemy.orm import Session, selectinload

from press.contacts.models import Contact, ContactStatus, MediaList, contact_lists
from press.distribution.models import AccessView, Distribution
from press.outbox.models import Delivery
from press.releases.models import Release


def lists_with_active_counts(session: Session) -> list[Row]:
    """Every media list by name, each with how many active contacts with an address are on it."""
    return list(session.execute(
        select(MediaList, func.count(Contact.id))
        .outerjoin(contact_lists, contact_lists.c.list_id == MediaList.id)
        .outerjoin(Contact, and_(Contact.id == contact_lists.c.contact_id, Contact.status == ContactStatus.ACTIVE,
                                 Contact.email.is_not(None)))
        .group_by(MediaList.id).order_by(MediaList.name)
    ))


def contact_ids_by_email(session: Session, addresses: Sequence[str]) -> dict[str, int]:
    """The id of each contact whose address is one of these, by address; an unknown address is left out."""
    return dict(session.execute(select(Contact.email, Contact.id).where(Contact.email.in_(addresses))).all())


def list_names(session: Session, list_ids: Sequence[int]) -> list[str]:
    """The names of these lists, in name order."""
    return list(session.scalars(select(MediaList.name).where(MediaList.id.in_(list_ids or [-1])).order_by(MediaList.name)))


def distribution_with_key(session: Session, request_key: str) -> Distribution | None:
    """The distribution a send form with this one-time key made, if any."""
    return session.scalar(select(Distribution).where(Distribution.request_key == request_key))


def contact_by_id(session: Session, contact_id: int) -> Contact | None:
    """The contact with this id, if any."""
    return session.get(Contact, contact_id)


def first_active_contact(session: Session, list_ids: list[int] | None = None) -> Contact | None:
    """The first active contact with an address in name order, on one of these lists if any are given."""
    query = (select(Contact).where(Contact.status == ContactStatus.ACTIVE, Contact.email.is_not(None))
             .order_by(Contact.name, Contact.id).limit(1))
    if list_ids:
        on_lists = select(contact_lists.c.contact_id).where(contact_lists.c.list_id.in_(list_ids))
        query = query.where(Contact.id.in_(on_lists))
    return session.scalar(query)


def release_of_distribution(session: Session, distribution_id: int) -> Release:
    """The release a distribution sent."""
    return session.get(Distribution, distribution_id).release


def counts_by_distribution(session: Session, ids: list[int]) -> dict[int, dict[str, int]]:
    """The status counts of several distributions in one query."""
    counts: dict[int, dict[str, int]] = {distribution_id: {} for distribution_id in ids}
    rows = session.execute(
        select(Delivery.distribution_id, Delivery.status, func.count())
        .where(Delivery.distribution_id.in_(ids or [-1])).group_by(Delivery.distribution_id, Delivery.status)
    )
    for distribution_id, status, n in rows:
        counts[distribution_id][str(status)] = n
    return counts


def distributions_of_release(session: Session, release_id: int) -> list[Distribution]:
    """A release's distributions, newest first."""
    return list(session.scalars(
        select(Distribution).where(Distribution.release_id == release_id)
        .order_by(Distribution.created_at.desc(), Distribution.id.desc())
    ))


def distribution_listing(release_id: int | None) -> Select:
    """Every distribution, or one release's, newest first with its release and who made it."""
    query = (select(Distribution).options(selectinload(Distribution.release), selectinload(Distribution.created_by))
             .order_by(Distribution.created_at.desc(), Distribution.id.desc()))
    if release_id is not None:
        query = query.where(Distribution.release_id == release_id)
    return query


def recipients(distribution_id: int, status: str) -> Select:
    """Each delivery of a distribution with its contact's name and outlet and how often early access was opened."""
    views = select(func.count(AccessView.id)).where(AccessView.delivery_id == Delivery.id).scalar_subquery()
    query = (select(Delivery, Contact.name, Contact.outlet, views)
             .outerjoin(Contact, Contact.id == Delivery.contact_id)
             .where(Delivery.distribution_id == distribution_id))
    return query.where(Delivery.status == status) if status else query


def access_views(session: Session, delivery_ids: list[int]) -> dict[int, list[AccessView]]:
    """Each of these deliveries' early-access views, oldest first."""
    found: dict[int, list[AccessView]] = {delivery_id: [] for delivery_id in delivery_ids}
    if delivery_ids:
        for view in session.scalars(select(AccessView).where(AccessView.delivery_id.in_(delivery_ids))
                                    .order_by(AccessView.delivery_id, AccessView.at, AccessView.id)):
            found[view.delivery_id].append(view)
    return found


def recipients_after(session: Session, query: Select, after: int | None, limit: int) -> list[Row]:
    """Up to ``limit`` recipients in delivery order, starting after a delivery's id."""
    if after is not None:
        query = query.where(Delivery.id > after)
    return list(session.execute(query.order_by(Delivery.id).limit(limit)))
