"""Sending a release: who gets it, writing one delivery per recipient, cancelling, retrying, missing."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import JSON, Integer, String, and_, func, literal, not_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from press import clock
from press.accounts.models import User
from press.audit import audit
from press.contacts.models import Contact, ContactStatus, MediaList, contact_lists
from press.database import UTCDateTime, random_hex
from press.distribution import breaches, queries
from press.distribution.emails import RELEASE
from press.distribution.models import Distribution
from press.outbox.models import Delivery, DeliveryStatus
from press.releases import approval
from press.releases.models import Release, Status

DEFAULT_STOP_AFTER = timedelta(hours=1)


class DistributionError(ValueError):
    """A distribution that cannot be made or changed as asked, with the form field it concerns."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class AudienceChangedError(Exception):
    """The chosen lists no longer reach the number of people the manager confirmed."""

    def __init__(self, recipients: int) -> None:
        super().__init__(f"The chosen lists now reach {recipients:,} people.")
        self.recipients = recipients


@dataclass(frozen=True)
class Audience:
    recipients: int  # distinct contacts who will get it
    left_out: int  # chosen, but unsubscribed, bounced, or suspended for an embargo breach
    unsubscribed: int = 0
    bounced: int = 0
    counted_once: int = 0  # recipients chosen more than once (on two lists, or typed and on a list)
    suspended: int = 0  # active, but suspended from embargoed releases for a breach


def chosen_contacts(list_ids: list[int], contact_ids: list[int]):
    """Every contact on the chosen lists or chosen one by one, once each, whatever their status."""
    on_lists = select(contact_lists.c.contact_id).where(contact_lists.c.list_id.in_(list_ids or [-1]))
    return and_(
        Contact.status != ContactStatus.ERASED,
        or_(Contact.id.in_(on_lists), Contact.id.in_(contact_ids or [-1])),
    )


# An earlier tier of a send in tiers: its lists, and the moment it goes if that is under embargo.
EarlierTier = tuple[list[int], datetime | None]


def embargoed_at(release: Release, at: datetime | None) -> datetime | None:
    """The moment a send goes, if the release is still under embargo then; None if it goes without one."""
    now = clock.now()
    goes = max(at or now, now)
    return goes if release.under_embargo(goes) else None


def audience(session: Session, list_ids: list[int], contact_ids: list[int],
             embargoed: datetime | None = None, excluding: list[EarlierTier] | None = None) -> Audience:
    """How many would receive it, and how many chosen contacts are left out: opted out, bounced, or (for a send
    under embargo at ``embargoed``) suspended for an embargo breach."""
    rows = session.execute(
        select(Contact.status, func.count())
        .where(chosen_contacts(list_ids, contact_ids), Contact.email.is_not(None), *earlier_tiers(excluding))
        .group_by(Contact.status)
    ).all()
    counts = {str(status): n for status, n in rows}
    active = counts.pop(ContactStatus.ACTIVE.value, 0)
    held = 0
    if embargoed is not None and active:
        held = session.scalar(select(func.count(Contact.id)).where(receives(list_ids, contact_ids, None, excluding),
                                                                   breaches.suspended(embargoed))) or 0
    return Audience(active - held, sum(counts.values()) + held,
                    unsubscribed=counts.get(ContactStatus.UNSUBSCRIBED.value, 0),
                    bounced=counts.get(ContactStatus.BOUNCED.value, 0),
                    counted_once=counted_once(session, list_ids, contact_ids, embargoed, excluding)
                    if active > held else 0,
                    suspended=held)


def earlier_tiers(excluding: list[EarlierTier] | None) -> list:
    """Leave out whoever an earlier tier of the same send reaches: on its lists, and not suspended when it goes
    (a journalist suspended then gets the release in the first tier that is not under embargo)."""
    terms = []
    for list_ids, embargoed in excluding or []:
        reached = Contact.id.in_(select(contact_lists.c.contact_id).where(contact_lists.c.list_id.in_(list_ids or [-1])))
        if embargoed is not None:
            reached = and_(reached, not_(breaches.suspended(embargoed)))
        terms.append(not_(reached))
    return terms


def receives(list_ids: list[int], contact_ids: list[int], embargoed: datetime | None = None,
             excluding: list[EarlierTier] | None = None):
    """The contacts a distribution writes a delivery for: chosen, active and with an address (as queued), not
    in an earlier tier, and for a send under embargo, not suspended for a breach."""
    terms = [chosen_contacts(list_ids, contact_ids), Contact.status == ContactStatus.ACTIVE, Contact.email.is_not(None),
             *earlier_tiers(excluding)]
    if embargoed is not None:
        terms.append(not_(breaches.suspended(embargoed)))
    return and_(*terms)


def counted_once(session: Session, list_ids: list[int], contact_ids: list[int],
                 embargoed: datetime | None = None, excluding: list[EarlierTier] | None = None) -> int:
    """How many recipients were chosen more than once, on two lists or typed as well, and get it once all the same."""
    chosen = (select(contact_lists.c.contact_id.label("contact_id")).where(contact_lists.c.list_id.in_(list_ids or [-1]))
              .union_all(select(Contact.id).where(Contact.id.in_(contact_ids or [-1]))).subquery())
    repeated = select(chosen.c.contact_id).group_by(chosen.c.contact_id).having(func.count() > 1)
    return session.scalar(select(func.count(Contact.id)).where(receives(list_ids, contact_ids, embargoed, excluding),
                                                               Contact.id.in_(repeated))) or 0


def recipient_rows(session: Session, list_ids: list[int], contact_ids: list[int], limit: int,
                   embargoed: datetime | None = None) -> list[Contact]:
    """The first recipients by name, each once: who the confirmation page names and offers to preview as."""
    return list(session.scalars(select(Contact).where(receives(list_ids, contact_ids, embargoed))
                                .order_by(Contact.name, Contact.id).limit(limit)))


def create_distribution(
    session: Session, release: Release, *, list_ids: list[int], contact_ids: list[int], at: datetime | None,
    stop_after: datetime | None, request_key: str, by: User | None, expected: int | None = None,
    excluding: list[EarlierTier] | None = None, tier: tuple[int, int, str] | None = None,
) -> Distribution:
    """Write the distribution and one delivery per recipient in this transaction; the web request sends nothing.

    With ``expected`` (the number the manager confirmed), a different number of recipients raises
    AudienceChangedError and the caller rolls back: nobody is sent to a number they did not see.
    """
    existing = queries.distribution_with_key(session, request_key)
    if existing is not None:
        return existing
    if release.status != Status.FINAL:
        raise DistributionError("Only a final release can be sent.")
    if (refused := approval.refusal(session, release, "sent")) is not None:
        raise DistributionError(refused)
    now = clock.now()
    scheduled_at = max(at or now, now)
    stop_after = stop_after or scheduled_at + DEFAULT_STOP_AFTER
    if stop_after <= scheduled_at:
        raise DistributionError("The time to stop sending must be after the time to send.", "stop_after")
    embargoed = scheduled_at if release.under_embargo(scheduled_at) else None
    chosen = audience(session, list_ids, contact_ids, embargoed, excluding)
    if expected is not None and chosen.recipients != expected:
        raise AudienceChangedError(chosen.recipients)
    if chosen.recipients == 0:
        raise DistributionError("Nobody would receive it: choose lists or contacts who can be sent releases.", "lists")
    names = list(session.scalars(select(MediaList.name).where(MediaList.id.in_(list_ids or [-1])).order_by(MediaList.name)))
    distribution = Distribution(
        release=release, created_by=by, created_at=now, request_key=request_key, scheduled_at=scheduled_at,
        stop_after=stop_after, list_names=names, recipients=chosen.recipients,
        left_out=chosen.left_out - chosen.suspended, suspended=chosen.suspended,
    )
    if tier is not None:
        distribution.tier_number, distribution.tier_count, distribution.tier_name = tier
    try:
        with session.begin_nested():
            session.add(distribution)
            session.flush()
    except IntegrityError:
        # The same form was submitted twice at once: the other request made it.
        return queries.distribution_with_key(session, request_key)
    columns = ["kind", "distribution_id", "contact_id", "to_address", "payload", "status", "attempts",
               "next_attempt_at", "deadline_at", "leased_by", "message_id", "smtp_response", "created_at", "secret"]
    inserted = session.execute(
        Delivery.__table__.insert().from_select(
            columns,
            select(
                literal(RELEASE.name, String), literal(distribution.id, Integer), Contact.id, Contact.email,
                literal({}, JSON), literal(DeliveryStatus.QUEUED.value, String), literal(0, Integer),
                literal(scheduled_at, UTCDateTime), literal(stop_after, UTCDateTime), literal("", String),
                literal("", String), literal("", String), literal(now, UTCDateTime), random_hex(),
            ).where(receives(list_ids, contact_ids, embargoed, excluding)),
        ).execution_options(preserve_rowcount=True)
    )
    if expected is not None and inserted.rowcount != expected:
        raise AudienceChangedError(inserted.rowcount)
    # The rows written are the truth, should a contact have changed since the count.
    distribution.recipients = inserted.rowcount
    session.flush()
    audit(session, "distribution scheduled" if scheduled_at > now else "distribution sent", by, distribution,
          release_id=release.id, recipients=distribution.recipients)
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
    audit(session, "distribution cancelled", by, distribution, deliveries=result.rowcount)
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
        audit(session, "deliveries sent again", by, distribution, distribution_id=distribution.id, deliveries=result.rowcount)
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
