"""The outbox: writing deliveries, claiming them under a lease, and recording what the relay said."""

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from press import clock
from press.distribution.models import Delivery, DeliveryStatus
from press.distribution.smtp import Outcome


def enqueue(
    session: Session,
    *,
    kind: str,
    to_address: str,
    payload: dict[str, Any] | None = None,
    contact_id: int | None = None,
    distribution_id: int | None = None,
    not_before: datetime | None = None,
    deadline: datetime | None = None,
) -> Delivery:
    """Write one email as a row, in the caller's transaction; the worker sends it after the commit."""
    now = clock.now()
    delivery = Delivery(
        kind=kind,
        to_address=to_address,
        payload=payload or {},
        contact_id=contact_id,
        distribution_id=distribution_id,
        next_attempt_at=not_before or now,
        deadline_at=deadline or (not_before or now) + timedelta(days=2),
        created_at=now,
    )
    session.add(delivery)
    session.flush()
    return delivery


def backoff(attempts: int) -> timedelta:
    """Wait longer after each temporary failure: 1, 2, 4 ... minutes, at most an hour."""
    return timedelta(minutes=min(60, 2 ** max(0, attempts - 1)))


def due(now: datetime):
    """Deliveries to send now: queued ones whose time has come, and claimed ones whose lease ran out."""
    return or_(
        and_(Delivery.status == DeliveryStatus.QUEUED, Delivery.next_attempt_at <= now),
        and_(Delivery.status == DeliveryStatus.SENDING, Delivery.lease_expires_at < now),
    )


def anything_due(session: Session) -> bool:
    return session.scalar(select(Delivery.id).where(due(clock.now())).limit(1)) is not None


def expire_overdue(session: Session) -> set[int]:
    """Stop deliveries whose stop-sending time passed: missed if never tried, failed if they were.

    Returns the distributions that had deliveries missed, so their managers can be told.
    """
    now = clock.now()
    overdue = and_(Delivery.status == DeliveryStatus.QUEUED, Delivery.deadline_at.is_not(None), Delivery.deadline_at <= now)
    missed = session.scalars(
        update(Delivery)
        .where(overdue, Delivery.attempts == 0)
        .values(status=DeliveryStatus.MISSED, smtp_response="Not sent: the time to stop sending had passed.")
        .returning(Delivery.distribution_id)
        .execution_options(synchronize_session=False)
    ).all()
    session.execute(
        update(Delivery).where(overdue).values(status=DeliveryStatus.FAILED)
        .execution_options(synchronize_session=False)
    )
    return {distribution_id for distribution_id in missed if distribution_id is not None}


def _claim_where(session: Session, condition, order, worker: str, limit: int, lease: timedelta) -> list[int]:
    now = clock.now()
    candidates = select(Delivery.id).where(condition).order_by(*order).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        # Rows another worker is claiming right now are passed over, not waited for.
        candidates = candidates.with_for_update(skip_locked=True)
    return list(session.scalars(
        update(Delivery)
        .where(Delivery.id.in_(candidates.scalar_subquery()))
        .values(status=DeliveryStatus.SENDING, leased_by=worker, lease_expires_at=now + lease,
                attempts=Delivery.attempts + 1)
        .returning(Delivery.id)
        .execution_options(synchronize_session=False)
    ))


def claim(session: Session, worker: str, limit: int, lease: timedelta) -> list[int]:
    """Take up to ``limit`` due deliveries (first those whose lease ran out) for this worker, and commit."""
    now = clock.now()
    # Two simple claims rather than one with OR: each walks its own index in order, so the cost
    # does not grow with the number of rows waiting.
    ids = _claim_where(session, and_(Delivery.status == DeliveryStatus.SENDING, Delivery.lease_expires_at < now),
                       (Delivery.lease_expires_at,), worker, limit, lease)
    if len(ids) < limit:
        ids += _claim_where(session, and_(Delivery.status == DeliveryStatus.QUEUED, Delivery.next_attempt_at <= now),
                            (Delivery.next_attempt_at,), worker, limit - len(ids), lease)
    session.commit()
    return sorted(ids)


def release(session: Session, worker: str, ids: list[int]) -> None:
    """Give back claimed deliveries that were not started, so a restart sends them at once."""
    if ids:
        session.execute(
            update(Delivery)
            .where(Delivery.id.in_(ids), Delivery.leased_by == worker, Delivery.status == DeliveryStatus.SENDING)
            .values(status=DeliveryStatus.QUEUED, lease_expires_at=None, attempts=Delivery.attempts - 1)
            .execution_options(synchronize_session=False)
        )
        session.commit()


def record_outcome(delivery: Delivery, outcome: Outcome, now: datetime) -> None:
    """Set a delivery's status from the relay's answer: sent, retried later, or failed for good."""
    delivery.smtp_code = outcome.code
    delivery.smtp_response = outcome.response[:2000]
    delivery.lease_expires_at = None
    if outcome.kind == "sent":
        delivery.status = DeliveryStatus.SENT
        delivery.sent_at = now
    elif outcome.kind == "permanent" or (delivery.deadline_at is not None and now >= delivery.deadline_at):
        delivery.status = DeliveryStatus.FAILED
    else:
        delivery.status = DeliveryStatus.QUEUED
        delivery.next_attempt_at = now + backoff(delivery.attempts)
        if delivery.deadline_at is not None and delivery.next_attempt_at > delivery.deadline_at:
            delivery.next_attempt_at = delivery.deadline_at
