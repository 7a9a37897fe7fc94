"""Writing emails as rows, finding what is due and stopping what is overdue; the worker's leases are in leases.py."""

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, insert, or_, select, update
from sqlalchemy.orm import Session

from press import clock
from press.outbox.kinds import Kind, named
from press.outbox.models import Delivery, DeliveryStatus, new_secret


def delivery_values(
    *,
    kind: Kind,
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
        "kind": kind.name,
        "to_address": to_address,
        "payload": kind.payload_of(**(payload or {})),
        "secret": new_secret(),
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


def expire_overdue(session: Session, now: datetime) -> list[tuple[str, int]]:
    """Stop deliveries whose stop-sending time passed by ``now``: missed if never tried, failed if they were.

    Returns the kind and id of each missed one, so that its kind can tell whoever needs to know.
    """
    overdue = and_(Delivery.status == DeliveryStatus.QUEUED, Delivery.deadline_at.is_not(None),
                   Delivery.deadline_at <= now)
    missed = session.execute(
        update(Delivery)
        .where(overdue, Delivery.attempts == 0)
        .values(status=DeliveryStatus.MISSED, smtp_response="Not sent: the time to stop sending had passed.")
        .returning(Delivery.kind, Delivery.id)
        .execution_options(synchronize_session=False)
    ).all()
    session.execute(
        update(Delivery).where(overdue).values(status=DeliveryStatus.FAILED)
        .execution_options(synchronize_session=False)
    )
    return [(kind, delivery_id) for kind, delivery_id in missed]


def tell_missed(session: Session, missed: list[tuple[str, int]]) -> None:
    """Give each kind's missed handler the ids of its deliveries that were missed."""
    by_kind: dict[str, list[int]] = {}
    for name, delivery_id in missed:
        by_kind.setdefault(name, []).append(delivery_id)
    for name, ids in by_kind.items():
        kind = named(name)
        if kind is not None and kind.missed is not None:
            kind.missed(session, sorted(ids))
