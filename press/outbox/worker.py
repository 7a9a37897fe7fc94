"""The worker: claims due deliveries under a lease and sends them over a few open connections.

It outlives the database. While the database is away (a restart) or refuses writes (a full disk), the
worker claims nothing; a sender holding a message it sent keeps trying to record what became of it, and
sends nothing else until it has; everything waits and reconnects with backoff, saying so once in the log.
So after any storage fault at most one message per connection goes twice, as after a SIGKILL.
"""

import logging
import os
import queue
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import timedelta
from typing import TypeVar

from flask import Flask
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from press.database import prepared_statements, unavailable
from press.database_errors import plain_cause
from press.extensions import db
from press.outbox.leases import DatabaseClock, claim, give_back, give_back_unknown, load_claimed, record, renew
from press.outbox.models import Delivery, DeliveryStatus
from press.outbox.queue import anything_due, expire_overdue, tell_missed
from press.outbox.senders import Handled, deliver
from press.outbox.smtp import Relay

log = logging.getLogger(__name__)
T = TypeVar("T")

# Deliveries a sender takes at a time: loaded for building in one query, then checked and sent one by one.
CHUNK = 4
# How long a stopping worker goes on trying to write down what it sent and to hand back what it holds.
STOP_GRACE_SECONDS = 10.0
# How often an idle worker looks for new mail on a database that cannot tell it (SQLite): a claim that finds
# nothing is one look along an index.
SHORT_POLL_SECONDS = 0.5
# A sender with nothing to send for this long closes its relay connection: relays drop idle clients (Postfix
# after 300 s, some sooner), and a connection opened afresh is quicker than one found dead.
RELAY_IDLE_SECONDS = 30.0
# The channel PostgreSQL notifies when deliveries are written (migration 0015).
CHANNEL = "press_outbox"


def configure_logging() -> None:
    """Log the worker's lines with their time and level, unless the deployment set logging up already."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


class Backoff:
    """Waits that double from half a second to fifteen, for trying the database again."""

    def __init__(self) -> None:
        self.delay = 0.5

    def next(self) -> float:
        delay, self.delay = self.delay, min(15.0, self.delay * 2)
        return delay


class Outage:
    """Whether the database is away, said once in the log when it goes, now and then while it stays away,
    and once when it is back; never a traceback per try."""

    REMIND_SECONDS = 60.0

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.since: float | None = None
        self.told_at = 0.0
        self.seen = threading.Event()  # set at every failure; the claimer clears it once it has tidied up
        # Counts failures: a connection opened before the latest one is not trusted again (see HeldConnection).
        self.generation = 0

    def failed(self, error: BaseException) -> None:
        now = time.monotonic()
        self.seen.set()
        with self.lock:
            self.generation += 1
            if self.since is None:
                self.since = self.told_at = now
                log.warning("The database is unavailable (%s): waiting for it, then carrying on.", plain_cause(error))
            elif now - self.told_at >= self.REMIND_SECONDS:
                self.told_at = now
                log.warning("Still waiting for the database after %.0f s (%s).", now - self.since, plain_cause(error))

    def recovered(self, started: float) -> None:
        """A write that began at ``started`` (time.monotonic()) went through; one begun before the outage
        was noticed proves nothing about it."""
        with self.lock:
            if self.since is not None and started >= self.since:
                log.warning("The database is back after %.0f s.", time.monotonic() - self.since)
                self.since = None

    def lasted(self) -> float:
        with self.lock:
            return 0.0 if self.since is None else time.monotonic() - self.since


class HeldConnection:
    """A connection one thread holds for its life, in autocommit: each statement on it is its own transaction.

    The worker runs the same few statements, each finding rows by key, for every message, so they are
    prepared on its own connections. After a database error the connection is thrown away (never handed
    back to the pool, where a broken one would fail the next user) and opened afresh on next use; so is one
    that sat idle through an outage another thread ran into, since a restarted server has closed it.
    """

    def __init__(self, outage: Outage | None = None) -> None:
        self._connection: Connection | None = None
        self._stack: ExitStack | None = None
        self._outage = outage
        self._generation = 0

    def get(self) -> Connection:
        if self._outage is not None and self._connection is not None and self._generation != self._outage.generation:
            self.drop()
        if self._connection is None:
            if self._outage is not None:
                self._generation = self._outage.generation
            stack = ExitStack()
            try:
                connection = stack.enter_context(db.engine.connect())
                connection.execution_options(isolation_level="AUTOCOMMIT")
                stack.enter_context(prepared_statements(connection))
            except BaseException:
                stack.close()
                raise
            self._connection, self._stack = connection, stack
        return self._connection

    def drop(self) -> None:
        """Throw the connection away after an error."""
        connection, stack = self._connection, self._stack
        self._connection = self._stack = None
        if connection is None or stack is None:
            return
        try:
            connection.invalidate()
        except Exception:  # noqa: BLE001,S110 - it is being thrown away because it failed
            pass
        try:
            stack.close()
        except Exception:  # noqa: BLE001,S110
            pass

    def close(self) -> None:
        """Give the connection back to the pool at the end of the thread's life."""
        stack, self._connection, self._stack = self._stack, None, None
        if stack is not None:
            try:
                stack.close()
            except Exception:
                log.debug("a worker connection could not be closed cleanly", exc_info=True)


@contextmanager
def own_connection() -> Iterator[Connection]:
    """A HeldConnection for the length of a block."""
    held = HeldConnection()
    try:
        yield held.get()
    finally:
        held.close()


def sweep_overdue(now, noticed: set[tuple[str, int]]) -> None:
    """Stop deliveries past their stop-sending time, tell each missed one's kind, and commit.

    ``noticed`` are (kind, id) of deliveries the senders found past their time themselves.
    """
    missed = sorted(set(expire_overdue(db.session, now)) | noticed)
    if missed:
        tell_missed(db.session, missed)
    db.session.commit()


class RateLimit:
    """Spread sends out to at most ``per_minute`` across all connections."""

    def __init__(self, per_minute: int) -> None:
        self.interval = 60.0 / per_minute if per_minute > 0 else 0.0
        self.next_slot = time.monotonic()
        self.lock = threading.Lock()

    def wait(self, stopping: threading.Event) -> bool:
        """Wait for this sender's turn; False if the worker began stopping meanwhile."""
        if self.interval:
            with self.lock:
                slot = max(self.next_slot, time.monotonic())
                self.next_slot = slot + self.interval
            stopping.wait(max(0.0, slot - time.monotonic()))
        return not stopping.is_set()


class Worker:
    """Claims due deliveries and hands them to sender threads, each with its own relay connection."""

    def __init__(self, app: Flask, name: str | None = None) -> None:
        self.app = app
        config = app.config
        self.name = name or f"{socket.gethostname()}:{os.getpid()}"
        self.connections = max(1, int(config["PRESS_SMTP_CONNECTIONS"]))
        self.rate = RateLimit(int(config["PRESS_SEND_RATE_PER_MINUTE"]))
        self.lease = timedelta(seconds=int(config["PRESS_LEASE_SECONDS"]))
        self.poll_seconds = float(config["PRESS_WORKER_POLL_SECONDS"])
        self.clock = DatabaseClock()
        self.outage = Outage()
        # One chunk waiting per sender: with one more in each sender's hands, at most 2 * CHUNK rows a
        # connection are leased at once. A chunk is claimed only once there is room for it, so none waits
        # outside the queue.
        self.work: queue.Queue[list[int] | None] = queue.Queue()
        self.room = threading.Semaphore(self.connections)
        self.stopping = threading.Event()
        # Set when there may be new mail: PostgreSQL said so, or the worker is stopping.
        self.wake = threading.Event()
        self.listening = threading.Event()  # while a LISTEN connection is open, idle waits can be long
        self.grace_ends = float("inf")  # set by stop(): the database is waited for until then, and no longer
        self.finished = threading.Event()
        self.lock = threading.Lock()
        self.in_hand: set[int] = set()
        # Sent (or refused) but not yet written down: nothing more is claimed or sent until they are.
        self.unrecorded: set[int] = set()
        self.missed: set[tuple[str, int]] = set()  # (kind, id) of deliveries a sender found past their time
        self.once = False
        self.gave_up = False  # a --once run that waited longer than a lease for the database

    def stop(self) -> None:
        """Stop claiming; messages being sent are finished, waiting ones are given back."""
        if not self.stopping.is_set():
            self.grace_ends = time.monotonic() + STOP_GRACE_SECONDS
            self.stopping.set()
            self.wake.set()

    def run(self, once: bool = False) -> int:
        """Send until stopped (or, with ``once``, until nothing is due); return how many were handled."""
        handled = [0]
        self.once = once
        threads = [
            threading.Thread(target=self._sender, args=(handled,), name=f"sender-{n}", daemon=True)
            for n in range(self.connections)
        ]
        keeper = threading.Thread(target=self._keep_leases, name="lease-keeper", daemon=True)
        helpers = [keeper]
        if not once and self._dialect() == "postgresql":
            helpers.append(threading.Thread(target=self._listen, name="listener", daemon=True))
        for thread in [*threads, *helpers]:
            thread.start()
        held = HeldConnection(self.outage)
        try:
            with self.app.app_context():
                try:
                    self._claim_until_done(held, once)
                finally:
                    for _ in threads:
                        self.work.put(None)
                    for thread in threads:
                        thread.join()
                    self.finished.set()
                    for thread in helpers:
                        thread.join()
                    self._hand_back(held)
        finally:
            held.close()
            with self.app.app_context():
                db.session.remove()
        return handled[0]

    # --- Claiming, in the main thread --------------------------------------------------------------

    def _claim_until_done(self, held: HeldConnection, once: bool) -> None:
        swept_at = float("-inf")
        reclaim = True
        backoff = Backoff()
        while not self.stopping.is_set():
            if self._waited_too_long():
                break
            if self.unrecorded:
                # A sender holds a message whose outcome the database would not take: claim nothing more.
                self.stopping.wait(min(self.poll_seconds, 0.5))
                continue
            try:
                # Overdue deliveries and leases that ran out (a worker that died) are looked for once per
                # poll interval, and whenever there is nothing else to send; not for every claim.
                if time.monotonic() - swept_at >= self.poll_seconds:
                    self.clock.measure(held.get())
                    self._sweep()
                    swept_at, reclaim = time.monotonic(), True
                if self.outage.seen.is_set():
                    self._tidy_after_outage(held)
                if not self.room.acquire(timeout=self.poll_seconds):
                    continue
                # Whatever is queued from now on is found by this claim or wakes the wait after it.
                self.wake.clear()
                places = 1
                while places < self.connections and self.room.acquire(blocking=False):
                    places += 1
                started = time.monotonic()
                try:
                    ids = claim(held.get(), self.name, places * CHUNK, self.lease, self.clock.now(), expired=reclaim)
                except BaseException:
                    for _ in range(places):
                        self.room.release()
                    raise
                self.outage.recovered(started)
                backoff = Backoff()
                reclaim = len(ids) < places * CHUNK
                with self.lock:
                    self.in_hand.update(ids)
                chunks = [ids[start:start + CHUNK] for start in range(0, len(ids), CHUNK)]
                for chunk in chunks:
                    self.work.put(chunk)
                for _ in range(places - len(chunks)):
                    self.room.release()
                if not ids:
                    self.work.join()
                    if once and not self.unrecorded and not self._anything_due():
                        # One last sweep, so a --once run leaves nothing overdue behind.
                        self._sweep()
                        if not self._anything_due():
                            break
                    if not once:
                        self.wake.wait(self.poll_seconds if self.listening.is_set()
                                       else min(self.poll_seconds, SHORT_POLL_SECONDS))
            except Exception as error:
                if not unavailable(error):
                    raise
                self.outage.failed(error)
                held.drop()
                self._forget_session()
                self.stopping.wait(backoff.next())

    def _waited_too_long(self) -> bool:
        """Whether a --once run should give up: the database has been away for longer than a lease."""
        if not (self.once and self.outage.lasted() > self.lease.total_seconds()):
            return False
        if not self.gave_up:
            self.gave_up = True
            log.error("The database has been unavailable for longer than a lease (%.0f s): giving up for now.",
                      self.lease.total_seconds())
        self.stop()
        return True

    def _sweep(self) -> None:
        with self.lock:
            noticed = set(self.missed)
        sweep_overdue(self.clock.now(), noticed)
        with self.lock:
            self.missed -= noticed

    def _anything_due(self) -> bool:
        due = anything_due(db.session, self.clock.now())
        db.session.rollback()
        return due

    def _tidy_after_outage(self, held: HeldConnection) -> None:
        """Hand back rows a claim leased to this worker while its answer was lost with the connection."""
        with self.lock:
            in_hand = sorted(self.in_hand)
        returned = give_back_unknown(held.get(), self.name, in_hand)
        self.outage.seen.clear()
        if returned:
            log.warning("%d deliveries claimed as the database went away were handed back.", returned)

    def _forget_session(self) -> None:
        try:
            db.session.rollback()
        except Exception:  # noqa: BLE001,S110 - the connection is gone; removing the session is what matters
            pass
        db.session.remove()

    def _hand_back(self, held: HeldConnection) -> None:
        """Give back what was claimed but not sent, so that a restart sends it at once."""
        with self.lock:
            ids = sorted(self.in_hand - self.unrecorded)
        if not ids:
            return
        try:
            self._patiently(held, lambda connection: give_back(connection, self.name, ids))
        except Exception as error:  # noqa: BLE001 - the leases still run out; say when
            log.warning("%d claimed deliveries could not be handed back (%s): they will be sent once their lease "
                        "runs out, within %d s.", len(ids), plain_cause(error), self.lease.total_seconds())

    def _patiently(self, held: HeldConnection, work: Callable[[Connection], T]) -> T:
        """Run ``work`` on the held connection as the worker stops, trying again while the database is away,
        until the grace stop() gave runs out."""
        backoff = Backoff()
        while True:
            started = time.monotonic()
            try:
                result = work(held.get())
            except Exception as error:
                if not unavailable(error) or time.monotonic() >= self.grace_ends:
                    raise
                self.outage.failed(error)
                held.drop()
                time.sleep(min(backoff.next(), max(0.0, self.grace_ends - time.monotonic())))
                continue
            self.outage.recovered(started)
            return result

    def _dialect(self) -> str:
        with self.app.app_context():
            return db.engine.dialect.name

    # --- Hearing of new mail, on PostgreSQL --------------------------------------------------------

    def _listen(self) -> None:
        """Wake the claimer whenever PostgreSQL says deliveries were written (migration 0015's trigger).

        While this connection is down (an outage) the claimer polls often instead, so nothing waits on it.
        """
        from psycopg import OperationalError  # only ever run on PostgreSQL

        backoff = Backoff()
        with self.app.app_context():
            while not self.stopping.is_set():
                held = HeldConnection(self.outage)
                try:
                    connection = held.get()
                    connection.exec_driver_sql(f"LISTEN {CHANNEL}")
                    driver = connection.connection.driver_connection
                    self.listening.set()
                    self.wake.set()  # for anything written while nobody listened
                    backoff = Backoff()
                    while not self.stopping.is_set():
                        for _notice in driver.notifies(timeout=1.0):
                            self.wake.set()
                    held.close()
                except Exception as error:  # noqa: BLE001 - the claimer's short polls carry on meanwhile
                    self.listening.clear()
                    held.drop()
                    if unavailable(error) or isinstance(error, OperationalError):
                        self.outage.failed(error)
                    else:
                        log.warning("Could not listen for new mail (%s): looking for it every %.1f s instead.",
                                    plain_cause(error), SHORT_POLL_SECONDS)
                    self.stopping.wait(backoff.next())
                finally:
                    self.listening.clear()

    # --- Keeping leases ----------------------------------------------------------------------------

    def _keep_leases(self) -> None:
        """Renew the leases on everything in hand a few times a lease, until the senders have finished."""
        interval = self.lease.total_seconds() / 3
        held = HeldConnection(self.outage)
        wait = interval
        with self.app.app_context():
            try:
                while not self.finished.wait(wait):
                    with self.lock:
                        ids = sorted(self.in_hand)
                    try:
                        renew(held.get(), self.name, ids, self.lease, self.clock.now())
                        wait = interval
                    except Exception as error:
                        held.drop()
                        if unavailable(error):
                            self.outage.failed(error)
                        else:
                            log.exception("leases could not be renewed")
                        wait = min(interval, 1.0)
            finally:
                held.close()

    # --- Sending, in one thread per relay connection ----------------------------------------------

    def _sender(self, handled: list[int]) -> None:
        relay = Relay()
        held = HeldConnection(self.outage)
        with self.app.app_context():
            try:
                while True:
                    try:
                        chunk = self.work.get(timeout=RELAY_IDLE_SECONDS)
                    except queue.Empty:
                        # Quiet for a while: let the relay go rather than find it gone on the next message.
                        relay.close()
                        continue
                    self.room.release()
                    try:
                        if chunk is None:
                            return
                        if not self.stopping.is_set():
                            self._send_chunk(held, relay, chunk, handled)
                    finally:
                        self.work.task_done()
            finally:
                relay.close()
                self._unbind_session()
                held.close()

    def _bound(self, held: HeldConnection) -> Connection:
        """The sender's connection, with this thread's db.session reading on it (bound anew after an outage).

        So nothing the session loads is ever expired by a commit: the release, its attachments and contact
        stay loaded between messages (see emails.kept_release for how long), and no read sits in an open
        transaction.
        """
        connection = held.get()
        session = db.session.registry() if db.session.registry.has() else None
        if session is None or session.bind is not connection:
            self._unbind_session()
            db.session.registry.set(Session(bind=connection, expire_on_commit=False))
        return connection

    def _unbind_session(self) -> None:
        if db.session.registry.has():
            try:
                db.session.registry().close()
            except Exception:  # noqa: BLE001,S110 - its connection is already gone
                pass
            db.session.registry.clear()

    def _wait_for_database(self, held: HeldConnection, error: BaseException, backoff: Backoff) -> bool:
        """Note an outage and wait a while before the next try; False if the worker began stopping."""
        self.outage.failed(error)
        held.drop()
        self._unbind_session()
        return not (self._waited_too_long() or self.stopping.wait(backoff.next()))

    def _done(self, delivery_ids: list[int], handled: list[int] | None = None) -> None:
        with self.lock:
            self.in_hand.difference_update(delivery_ids)
            if handled is not None:
                handled[0] += len(delivery_ids)

    def _send_chunk(self, held: HeldConnection, relay: Relay, chunk: list[int], handled: list[int]) -> None:
        backoff = Backoff()
        while True:
            try:
                self._bound(held)
                loaded = load_claimed(db.session, chunk)
                break
            except Exception as error:
                if not unavailable(error):
                    log.exception("deliveries %s could not be loaded", chunk)
                    self._done(chunk)  # not renewed: their leases run out and they are tried again then
                    return
                if not self._wait_for_database(held, error, backoff):
                    return  # stopping: the chunk is still in hand and is given back
        for delivery_id in chunk:
            if self.stopping.is_set():
                return  # the rest are left in hand: given back when the worker stops
            if delivery_id not in loaded:
                self._done([delivery_id], handled)
                continue
            delivery = loaded[delivery_id][0]  # the rest of the row (the contact) stays loaded while it is built
            try:
                result = self._deliver(held, relay, delivery)
            except Exception:
                log.exception("delivery %s could not be handled", delivery_id)
                self._done([delivery_id])  # not renewed: its lease runs out and it is tried again then
                continue
            if result is None:
                return  # stopping before it went: given back
            if result.values is not None and not self._record(held, delivery, result):
                return  # stopping, with what became of it unrecorded
            self._done([delivery_id], handled)

    def _deliver(self, held: HeldConnection, relay: Relay, delivery: Delivery) -> Handled | None:
        """Send one delivery, waiting out the database if it is away before the message goes; None if stopping."""
        backoff = Backoff()
        while True:
            # The relay's rate is waited for first, so that what is checked next is what holds when it goes.
            if not self.rate.wait(self.stopping):
                return None
            try:
                return deliver(self._bound(held), delivery, self.name, relay, self.clock)
            except Exception as error:
                relay.abandon()  # whatever failed came before DATA: nothing was sent
                if not unavailable(error):
                    raise
                if not self._wait_for_database(held, error, backoff):
                    return None

    def _record(self, held: HeldConnection, delivery: Delivery, result: Handled) -> bool:
        """Write down what became of a delivery, trying until the database takes it; False if the worker
        stopped before it did.

        Until it is written this sender sends nothing more and the worker claims nothing: a message that
        went and was not recorded would go again once its lease ran out.
        """
        assert result.values is not None
        backoff = Backoff()
        while True:
            started = time.monotonic()
            try:
                record(self._bound(held), delivery, **result.values)
                break
            except Exception as error:
                if not unavailable(error):
                    # No wait will mend it: the lease runs out and the delivery is tried again then.
                    log.exception("what became of delivery %s could not be recorded", delivery.id)
                    return True
                with self.lock:
                    self.unrecorded.add(delivery.id)
                self.outage.failed(error)
                held.drop()
                self._unbind_session()
                if self._waited_too_long() or self.stopping.is_set():
                    if time.monotonic() >= self.grace_ends:
                        self._give_up_recording(delivery, result)
                        return False
                    time.sleep(min(backoff.next(), max(0.0, self.grace_ends - time.monotonic())))
                else:
                    self.stopping.wait(backoff.next())
        self.outage.recovered(started)
        with self.lock:
            self.unrecorded.discard(delivery.id)
        if result.values.get("status") == DeliveryStatus.MISSED:
            with self.lock:
                self.missed.add((delivery.kind, delivery.id))
        return True

    def _give_up_recording(self, delivery: Delivery, result: Handled) -> None:
        with self.lock:
            self.in_hand.discard(delivery.id)
        if result.went:
            log.error("Delivery %s was sent, but the database would not record it: it will be sent again once "
                      "its lease runs out.", delivery.id)
        else:
            log.warning("What became of delivery %s could not be recorded: it will be tried again once its lease "
                        "runs out.", delivery.id)
