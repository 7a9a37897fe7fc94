"""The outbox: writing deliveries, finding what is due and stopping what is overdue; leases are in leases.py."""

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, insert, or_, select, update
from sqlalchemy.orm import Session

from press import clock
from press.distribution.models import Delivery, DeliveryStatus


def delivery_values(
    *,
    kind: str,
    to_address: str,
    payload: dict[str, Any] | None = None,
    contact_id: int | None = None,
    distribution_id: int | None = None,
    not_before: datetime | None = None,
    deadline: datetime | None = None,
) -> dict[str, Any]:
    """The columns of one outbox row: due at once (or at ``not_before``), given up on after two days by default."""
    now = clock.now()
    return {
        "kind": kind,
        "to_address": to_address,
        "payload": payload or {},
        "contact_id": contact_id,
        "distribution_id": distribution_id,
        "next_attempt_at": not_before or now,
        "deadline_at": deadline or (not_before or now) + timedelta(days=2),
        "created_at": now,
    }


def enqueue(session: Session, **fields: Any) -> Delivery:
    """Write one email as a row, in the caller's transaction; the worker sends it after the commit."""
    delivery = Delivery(**delivery_values(**fields))
    session.add(delivery)
    session.flush()
    return delivery


INSERT_DELIVERIES = insert(Delivery.__table__)


def enqueue_many(session: Session | Connection, rows: list[dict[str, Any]]) -> None:
    """Write several emails (each from delivery_values) in one statement, in the caller's transaction."""
    if rows:
        session.execute(INSERT_DELIVERIES, rows)


def backoff(attempts: int) -> timedelta:
    """Wait longer after each temporary failure: 1, 2, 4 ... minutes, at most an hour."""
    return timedelta(minutes=min(60, 2 ** max(0, attempts - 1)))


def due(now: datetime):
    """Deliveries to send now: queued ones whose time has come, and claimed ones whose lease ran out."""
    return or_(
        and_(Delivery.status == DeliveryStatus.QUEUED, Delivery.next_attempt_at <= now),
        and_(Delivery.status == DeliveryStatus.SENDING, Delivery.lease_expires_at < now),
    )


def anything_due(session: Session, now: datetime) -> bool:
    return session.scalar(select(Delivery.id).where(due(now)).limit(1)) is not None


def expire_overdue(session: Session, now: datetime) -> set[int]:
    """Stop deliveries whose stop-sending time passed by ``now``: missed if never tried, failed if they were.

    Returns the distributions that had deliveries missed, so their managers can be told.
    """
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
