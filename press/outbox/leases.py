"""The worker's side of the outbox: claiming rows under a lease, keeping it, and recording what happened.

Each function runs on a connection the worker holds in autocommit mode, so every statement is its own
transaction: a claim, a renewal or an outcome is durable as soon as it returns. The statements are built
once, since a worker runs them for every message and building one costs more than running it.
"""

import threading
import time
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Connection, Row, Select, Update, and_, bindparam, func, select, update
from sqlalchemy.orm import Session

from press import clock
from press.database import UTCDateTime
from press.outbox import kinds
from press.outbox.models import Delivery, DeliveryStatus
from press.outbox.queue import backoff
from press.outbox.smtp import Outcome

_HELD = and_(Delivery.status == DeliveryStatus.SENDING, Delivery.leased_by == bindparam("worker"))
_HELD_ROW = and_(Delivery.id == bindparam("delivery_id"), _HELD)
_HELD_ROWS = and_(Delivery.id.in_(bindparam("ids", expanding=True)), _HELD)
RENEW = update(Delivery).where(_HELD_ROWS).values(lease_expires_at=bindparam("until"))
_GIVEN_BACK = {"status": DeliveryStatus.QUEUED, "lease_expires_at": None, "attempts": Delivery.attempts - 1}
GIVE_BACK = update(Delivery).where(_HELD_ROWS).values(_GIVEN_BACK)
# Rows leased to this worker that it does not know it holds: a claim whose answer was lost with the connection.
GIVE_BACK_UNKNOWN = update(Delivery).where(
    _HELD, Delivery.id.not_in(bindparam("ids", expanding=True))).values(_GIVEN_BACK)


@cache
def _still_held_statement(reads: tuple[kinds.Reads, ...]) -> Select:
    """The claim and what every kind needs read with it, each join once, in the order they were registered."""
    statement = select(Delivery.contact_id, *[column for read in reads for column in read.columns])
    joined: list[object] = []
    for read in reads:
        for target, onclause in read.joins:
            if all(target is not seen for seen in joined):
                statement = statement.outerjoin(target, onclause)
                joined.append(target)
    # Held means leased to this worker and not yet run out, by the database's time: a worker that was
    # paused past its lease must not send what another may have claimed since.
    return statement.select_from(Delivery).where(
        _HELD_ROW, Delivery.lease_expires_at > bindparam("now", type_=UTCDateTime))


@cache
def _load_statement(loaded: tuple[kinds.Loaded, ...]) -> Select:
    statement = select(Delivery, *[entry.entity for entry in loaded]).select_from(Delivery)
    for entry in loaded:
        statement = statement.outerjoin(entry.entity, entry.onclause)
    return statement.where(Delivery.id.in_(bindparam("ids", expanding=True))).execution_options(
        populate_existing=True)


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
                attempts=Delivery.attempts + 1,
                first_attempt_at=func.coalesce(Delivery.first_attempt_at, bindparam("now", type_=UTCDateTime)))
        .returning(Delivery.id)
    )


IGNORED_SKEW = timedelta(seconds=1)


class DatabaseClock:
    """The time by the database's clock, so that every host agrees on leases and stop-sending times.

    A host whose clock ran ahead by more than a lease would take other workers' live leases as run out,
    and one behind would send past a stop-sending time. The offset between the database server's clock
    and this host's is measured now and then (on SQLite the database's clock is this host's) and added
    to press.clock's time.
    """

    def __init__(self) -> None:
        self.offset = timedelta(0)
        self.lock = threading.Lock()

    def measure(self, connection: Connection) -> None:
        """Read the database server's clock, allowing for the time the round trip took."""
        if connection.dialect.name != "postgresql":
            return
        before = time.perf_counter()
        host_before = clock.system_time()
        server = connection.scalar(select(func.statement_timestamp()))
        elapsed = timedelta(seconds=time.perf_counter() - before)
        offset = server - (host_before + elapsed / 2)
        with self.lock:
            # Less than a second apart is as good as agreeing, next to leases of minutes; it is also within
            # what one round trip can tell.
            self.offset = offset if abs(offset) >= IGNORED_SKEW else timedelta(0)

    def now(self) -> datetime:
        with self.lock:
            return clock.now() + self.offset


def claim(connection: Connection, worker: str, limit: int, lease: timedelta, now: datetime, *,
          expired: bool = True) -> list[int]:
    """Lease up to ``limit`` due deliveries to this worker: with ``expired``, first those whose lease ran out.

    ``now`` is the database's time (DatabaseClock): it decides which leases have run out.
    """
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


def renew(connection: Connection, worker: str, ids: list[int], lease: timedelta, now: datetime) -> None:
    """Extend this worker's lease on rows it still holds, so a slow relay or a rate limit never outlasts it."""
    if ids:
        connection.execute(RENEW, {"ids": ids, "worker": worker, "until": now + lease})


def give_back(connection: Connection, worker: str, ids: list[int]) -> None:
    """Return claimed deliveries that were not started, so a restart sends them at once."""
    if ids:
        connection.execute(GIVE_BACK, {"ids": ids, "worker": worker})


def give_back_unknown(connection: Connection, worker: str, in_hand: list[int]) -> int:
    """Return rows leased to this worker that it does not hold: claimed while the connection was lost."""
    return connection.execute(GIVE_BACK_UNKNOWN, {"ids": in_hand, "worker": worker}).rowcount


def load_claimed(session: Session, ids: list[int]) -> dict[int, tuple[Any, ...]]:
    """Load claimed deliveries in one query, with what the areas asked to have loaded alongside (the contact),
    to build their messages from: the delivery first in each row."""
    statement = _load_statement(kinds.all_loaded())
    return {row[0].id: tuple(row) for row in session.execute(statement, {"ids": ids})}


def still_held(connection: Connection, delivery_id: int, worker: str, now: datetime) -> Row | None:
    """This worker's live claim on a delivery as the database has it at ``now`` (its time), None if lost; with
    everything the kinds need to decide whether its message still goes, read in the same statement (the
    recipient's state; for a release email, its distribution and the release's state and version)."""
    statement = _still_held_statement(kinds.all_reads())
    return connection.execute(statement, {"delivery_id": delivery_id, "worker": worker, "now": now}).first()


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
