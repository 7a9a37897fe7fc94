"""The worker's side of the outbox: claiming rows under a lease, keeping it, and recording what happened.

Each function runs on a connection the worker holds in autocommit mode, so every statement is its own
transaction: a claim, a renewal or an outcome is durable as soon as it returns. The statements are built
once, since a worker runs them for every message and building one costs more than running it.
"""

from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Connection, Row, Update, and_, bindparam, func, select, update
from sqlalchemy.orm import Session

from press import clock
from press.contacts.models import Contact
from press.distribution.models import Delivery, DeliveryStatus, Distribution
from press.distribution.outbox import backoff
from press.distribution.smtp import Outcome
from press.releases.models import Release, ReleaseEvent

_HELD = and_(Delivery.status == DeliveryStatus.SENDING, Delivery.leased_by == bindparam("worker"))
_HELD_ROW = and_(Delivery.id == bindparam("delivery_id"), _HELD)
_HELD_ROWS = and_(Delivery.id.in_(bindparam("ids", expanding=True)), _HELD)
RENEW = update(Delivery).where(_HELD_ROWS).values(lease_expires_at=bindparam("until"))
GIVE_BACK = update(Delivery).where(_HELD_ROWS).values(
    status=DeliveryStatus.QUEUED, lease_expires_at=None, attempts=Delivery.attempts - 1
)
# A release's every change updates it or adds to its history, so these three columns name its version.
_LATEST_CHANGE = select(func.max(ReleaseEvent.id)).where(ReleaseEvent.release_id == Release.id).scalar_subquery()
STILL_HELD = (
    select(
        Delivery.contact_id, Contact.status.label("contact_status"), Contact.email.label("contact_email"),
        Distribution.id.label("distribution_id"), Distribution.cancelled_at, Release.id.label("release_id"),
        Release.status.label("release_status"), Release.updated_at.label("release_updated_at"),
        _LATEST_CHANGE.label("release_change"),
    )
    .outerjoin(Contact, Contact.id == Delivery.contact_id)
    .outerjoin(Distribution, Distribution.id == Delivery.distribution_id)
    .outerjoin(Release, Release.id == Distribution.release_id)
    .where(_HELD_ROW)
)
LOAD = (
    select(Delivery, Contact).outerjoin(Contact, Contact.id == Delivery.contact_id)
    .where(Delivery.id.in_(bindparam("ids", expanding=True)))
    .execution_options(populate_existing=True)
)


@cache
def _claim_statement(dialect: str, expired: bool) -> Update:
    """Lease up to :limit rows: those whose lease ran out, or queued ones that are due, each in index order."""
    if expired:
        due, order = and_(Delivery.status == DeliveryStatus.SENDING, Delivery.lease_expires_at < bindparam("now")), \
            Delivery.lease_expires_at
    else:
        due, order = and_(Delivery.status == DeliveryStatus.QUEUED, Delivery.next_attempt_at <= bindparam("now")), \
            Delivery.next_attempt_at
    candidates = select(Delivery.id).where(due).order_by(order).limit(bindparam("limit"))
    if dialect == "postgresql":
        # Rows another worker is claiming right now are passed over, not waited for.
        candidates = candidates.with_for_update(skip_locked=True)
    return (
        update(Delivery).where(Delivery.id.in_(candidates.scalar_subquery()))
        .values(status=DeliveryStatus.SENDING, leased_by=bindparam("worker"), lease_expires_at=bindparam("until"),
                attempts=Delivery.attempts + 1)
        .returning(Delivery.id)
    )


def claim(connection: Connection, worker: str, limit: int, lease: timedelta, *, expired: bool = True) -> list[int]:
    """Lease up to ``limit`` due deliveries to this worker: with ``expired``, first those whose lease ran out."""
    now = clock.now()
    dialect = connection.dialect.name
    params = {"now": now, "until": now + lease, "worker": worker}
    # Two simple claims rather than one with OR: each walks its own index in order, so the cost does not
    # grow with the number of rows waiting.
    ids: list[int] = []
    if expired:
        ids += connection.scalars(_claim_statement(dialect, True), params | {"limit": limit}).all()
    if len(ids) < limit:
        ids += connection.scalars(_claim_statement(dialect, False), params | {"limit": limit - len(ids)}).all()
    return sorted(ids)


def renew(connection: Connection, worker: str, ids: list[int], lease: timedelta) -> None:
    """Extend this worker's lease on rows it still holds, so a slow relay or a rate limit never outlasts it."""
    if ids:
        connection.execute(RENEW, {"ids": ids, "worker": worker, "until": clock.now() + lease})


def give_back(connection: Connection, worker: str, ids: list[int]) -> None:
    """Return claimed deliveries that were not started, so a restart sends them at once."""
    if ids:
        connection.execute(GIVE_BACK, {"ids": ids, "worker": worker})


def load_claimed(session: Session, ids: list[int]) -> dict[int, tuple[Delivery, Contact | None]]:
    """Load claimed deliveries and their contacts in one query, to build their messages from."""
    return {delivery.id: (delivery, contact) for delivery, contact in session.execute(LOAD, {"ids": ids})}


def still_held(connection: Connection, delivery_id: int, worker: str) -> Row | None:
    """This worker's claim on a delivery as the database has it now, None if lost; with everything that can
    stop its message, read in the same statement: the contact's state, and for a release email whether its
    distribution was cancelled and the release's state and version."""
    return connection.execute(STILL_HELD, {"delivery_id": delivery_id, "worker": worker}).first()


@cache
def _record_statement(columns: frozenset[str]) -> Update:
    table = Delivery.__table__
    return update(Delivery).where(_HELD_ROW).values(
        {name: bindparam(f"new_{name}", type_=table.c[name].type) for name in sorted(columns)}
    )


def record(connection: Connection, delivery: Delivery, **values: Any) -> None:
    """Write what became of a delivery, only while this worker still holds it, in one self-committing UPDATE."""
    # A row whose lease ran out belongs to whoever claimed it next; their record is the one that counts.
    params = {f"new_{name}": value for name, value in values.items()}
    connection.execute(_record_statement(frozenset(values)),
                       params | {"delivery_id": delivery.id, "worker": delivery.leased_by})


def outcome_values(delivery: Delivery, outcome: Outcome, now: datetime) -> dict[str, Any]:
    """The columns to set from the relay's answer: sent, retried later, or failed for good."""
    values: dict[str, Any] = {"smtp_code": outcome.code, "smtp_response": outcome.response[:2000],
                              "lease_expires_at": None}
    if outcome.kind == "sent":
        values.update(status=DeliveryStatus.SENT, sent_at=now)
    elif outcome.kind == "permanent" or (delivery.deadline_at is not None and now >= delivery.deadline_at):
        values["status"] = DeliveryStatus.FAILED
    else:
        retry_at = now + backoff(delivery.attempts)
        if delivery.deadline_at is not None and retry_at > delivery.deadline_at:
            retry_at = delivery.deadline_at
        values.update(status=DeliveryStatus.QUEUED, next_attempt_at=retry_at)
    return values
