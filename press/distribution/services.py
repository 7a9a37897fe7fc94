"""Sending a release: who gets it, writing one delivery per recipient, cancelling, retrying, missing."""

import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import JSON, Integer, String, and_, func, literal, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from press import clock
from press.accounts.models import User
from press.contacts.models import Contact, ContactStatus, MediaList, contact_lists
from press.database import MAX_ID, UTCDateTime, random_hex
from press.distribution.models import AccessView, Delivery, DeliveryStatus, Distribution
from press.distribution.outbox import enqueue
from press.releases.models import Release, Status

DEFAULT_STOP_AFTER = timedelta(hours=1)
# Opening an early-access link again within this time is not recorded again: reloads are not new visits.
ACCESS_VIEW_INTERVAL = timedelta(minutes=5)


class DistributionError(ValueError):
    """A distribution that cannot be made or changed as asked, with the form field it concerns."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Audience:
    recipients: int  # distinct contacts who will get it
    left_out: int  # chosen, but unsubscribed or bounced


def chosen_contacts(list_ids: list[int], contact_ids: list[int]):
    """Every contact on the chosen lists or chosen one by one, once each, whatever their status."""
    on_lists = select(contact_lists.c.contact_id).where(contact_lists.c.list_id.in_(list_ids or [-1]))
    return and_(
        Contact.status != ContactStatus.ERASED,
        or_(Contact.id.in_(on_lists), Contact.id.in_(contact_ids or [-1])),
    )


def audience(session: Session, list_ids: list[int], contact_ids: list[int]) -> Audience:
    """How many would receive it, and how many chosen contacts are left out because they opted out."""
    rows = session.execute(
        select(Contact.status, func.count())
        .where(chosen_contacts(list_ids, contact_ids), Contact.email.is_not(None))
        .group_by(Contact.status)
    ).all()
    counts = {str(status): n for status, n in rows}
    active = counts.pop(ContactStatus.ACTIVE.value, 0)
    return Audience(active, sum(counts.values()))


def create_distribution(
    session: Session, release: Release, *, list_ids: list[int], contact_ids: list[int], at: datetime | None,
    stop_after: datetime | None, request_key: str, by: User | None,
) -> Distribution:
    """Write the distribution and one delivery per recipient in this transaction; the web request sends nothing."""
    existing = session.scalar(select(Distribution).where(Distribution.request_key == request_key))
    if existing is not None:
        return existing
    if release.status != Status.FINAL:
        raise DistributionError("Only a final release can be sent.")
    now = clock.now()
    scheduled_at = max(at or now, now)
    stop_after = stop_after or scheduled_at + DEFAULT_STOP_AFTER
    if stop_after <= scheduled_at:
        raise DistributionError("The time to stop sending must be after the time to send.", "stop_after")
    chosen = audience(session, list_ids, contact_ids)
    if chosen.recipients == 0:
        raise DistributionError("Nobody would receive it: choose lists or contacts who can be sent releases.", "lists")
    names = list(session.scalars(select(MediaList.name).where(MediaList.id.in_(list_ids or [-1])).order_by(MediaList.name)))
    distribution = Distribution(
        release=release, created_by=by, created_at=now, request_key=request_key, scheduled_at=scheduled_at,
        stop_after=stop_after, list_names=names, recipients=chosen.recipients, left_out=chosen.left_out,
    )
    try:
        with session.begin_nested():
            session.add(distribution)
            session.flush()
    except IntegrityError:
        # The same form was submitted twice at once: the other request made it.
        return session.scalar(select(Distribution).where(Distribution.request_key == request_key))
    columns = ["kind", "distribution_id", "contact_id", "to_address", "payload", "status", "attempts",
               "next_attempt_at", "deadline_at", "leased_by", "message_id", "smtp_response", "created_at", "secret"]
    inserted = session.execute(
        Delivery.__table__.insert().from_select(
            columns,
            select(
                literal("release", String), literal(distribution.id, Integer), Contact.id, Contact.email,
                literal({}, JSON), literal(DeliveryStatus.QUEUED.value, String), literal(0, Integer),
                literal(scheduled_at, UTCDateTime), literal(stop_after, UTCDateTime), literal("", String),
                literal("", String), literal("", String), literal(now, UTCDateTime), random_hex(),
            ).where(chosen_contacts(list_ids, contact_ids), Contact.status == ContactStatus.ACTIVE,
                    Contact.email.is_not(None)),
        ).execution_options(preserve_rowcount=True)
    )
    # The rows written are the truth, should a contact have changed since the count.
    distribution.recipients = inserted.rowcount
    session.flush()
    return distribution


def cancel_distribution(session: Session, distribution: Distribution, *, by: User | None) -> int:
    """Stop a scheduled or running distribution: nothing not yet sent will be sent. Returns how many were stopped."""
    if distribution.cancelled_at is not None:
        return 0
    waiting = session.scalar(select(func.count()).where(
        Delivery.distribution_id == distribution.id,
        Delivery.status.in_([DeliveryStatus.QUEUED, DeliveryStatus.SENDING])))
    if not waiting:
        raise DistributionError("Everything has already been sent or settled: there is nothing left to cancel.")
    distribution.cancelled_at = clock.now()
    distribution.cancelled_by_id = by.id if by else None
    # Messages being sent this moment finish; the worker checks for cancellation before each one.
    result = session.execute(
        update(Delivery)
        .where(Delivery.distribution_id == distribution.id, Delivery.status == DeliveryStatus.QUEUED)
        .values(status=DeliveryStatus.CANCELLED, smtp_response="Cancelled before it was sent.")
        .execution_options(synchronize_session=False)
    )
    session.flush()
    return result.rowcount


def retry_failed(session: Session, distribution: Distribution, *, by: User | None) -> int:
    """Send again to the recipients whose delivery failed, from now, with a fresh hour to do it."""
    if distribution.cancelled_at is not None:
        raise DistributionError("A cancelled distribution cannot be retried.")
    if distribution.release.status != Status.FINAL:
        raise DistributionError("A withdrawn release cannot be sent again.")
    now = clock.now()
    result = session.execute(
        update(Delivery)
        .where(Delivery.distribution_id == distribution.id,
               Delivery.status.in_([DeliveryStatus.FAILED, DeliveryStatus.MISSED]))
        .values(status=DeliveryStatus.QUEUED, next_attempt_at=now, deadline_at=now + DEFAULT_STOP_AFTER,
                lease_expires_at=None)
        .execution_options(synchronize_session=False)
    )
    distribution.stop_after = max(distribution.stop_after, now + DEFAULT_STOP_AFTER)
    if result.rowcount:
        distribution.missed_at = None
    session.flush()
    return result.rowcount


def status_counts(session: Session, distribution_id: int) -> dict[str, int]:
    """How many deliveries of a distribution are in each state."""
    rows = session.execute(
        select(Delivery.status, func.count()).where(Delivery.distribution_id == distribution_id).group_by(Delivery.status)
    ).all()
    return {str(status): n for status, n in rows}


def state(distribution: Distribution, counts: dict[str, int], now: datetime) -> str:
    """One word for where a distribution is: scheduled, sending, finished, cancelled or missed."""
    if distribution.cancelled_at is not None:
        return "cancelled"
    if distribution.missed_at is not None and not counts.get(DeliveryStatus.SENT):
        return "missed"
    if counts.get(DeliveryStatus.QUEUED, 0) + counts.get(DeliveryStatus.SENDING, 0):
        return "scheduled" if distribution.scheduled_at > now else "sending"
    return "finished"


def access_serializer(secret: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt="press.early-access")


def access_token(delivery_id: int, delivery_secret: str, key: str) -> str:
    """A recipient's own early-access link token: their delivery and its random value, signed with the key.

    The delivery's random value means the link cannot be made from its id, even by someone who has the key.
    """
    return access_serializer(key).dumps([delivery_id, delivery_secret])


def delivery_for_link(session: Session, value: object, kind: str) -> Delivery | None:
    """The delivery of this kind that a signed link's [id, random value] names, if the value is that delivery's own."""
    # Links made before each delivery had a random value of its own carried an id alone: they find nothing.
    if not (isinstance(value, list) and len(value) == 2 and type(value[0]) is int and isinstance(value[1], str)):
        return None
    delivery_id, delivery_secret = value
    if not 0 < delivery_id <= MAX_ID:
        return None
    delivery = session.get(Delivery, delivery_id)
    if (delivery is None or delivery.kind != kind or not delivery.secret
            or not hmac.compare_digest(delivery.secret.encode(), delivery_secret.encode())):
        return None
    return delivery


def delivery_for_access(session: Session, token: str, key: str) -> Delivery | None:
    """The delivery an early-access token belongs to, unless forged or revoked, or its journalist left or was erased."""
    try:
        value = access_serializer(key).loads(token)
    except BadSignature:
        return None
    delivery = delivery_for_link(session, value, "release")
    if delivery is None or delivery.access_revoked_at is not None:
        return None
    contact = session.get(Contact, delivery.contact_id) if delivery.contact_id is not None else None
    if contact is None or contact.status in (ContactStatus.UNSUBSCRIBED, ContactStatus.ERASED):
        return None
    return delivery


def record_access(session: Session, delivery: Delivery, what: str, now: datetime) -> None:
    """Note that a recipient opened their early-access page or a file, at most once per ACCESS_VIEW_INTERVAL."""
    recent = session.scalar(
        select(AccessView.id)
        .where(AccessView.delivery_id == delivery.id, AccessView.what == what,
               AccessView.at > now - ACCESS_VIEW_INTERVAL)
        .limit(1)
    )
    if recent is None:
        session.add(AccessView(delivery_id=delivery.id, at=now, what=what))
        session.flush()


def revoke_access(session: Session, distribution: Distribution, *, contact_id: int | None = None) -> int:
    """Revoke early access for one recipient, or for everyone the distribution went to."""
    condition = [Delivery.distribution_id == distribution.id, Delivery.access_revoked_at.is_(None)]
    if contact_id is not None:
        condition.append(Delivery.contact_id == contact_id)
    result = session.execute(
        update(Delivery).where(*condition).values(access_revoked_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def note_missed(session: Session, distribution_ids: set[int]) -> None:
    """Mark distributions missed and tell the manager who sent each, by email and on its page."""
    now = clock.now()
    for distribution in session.scalars(
        select(Distribution).where(Distribution.id.in_(distribution_ids), Distribution.missed_at.is_(None))
    ):
        distribution.missed_at = now
        if distribution.created_by is not None:
            enqueue(session, kind="distribution-missed", to_address=distribution.created_by.email,
                    payload={"distribution_id": distribution.id})
