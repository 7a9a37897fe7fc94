"""The worker: claims due deliveries under a lease and sends them over a few open connections."""

import logging
import os
import queue
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from flask import Flask
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from press.database import prepared_statements
from press.distribution.leases import claim, give_back, load_claimed, renew
from press.distribution.outbox import anything_due, expire_overdue
from press.distribution.senders import render_and_send
from press.distribution.services import note_missed
from press.distribution.smtp import Relay
from press.extensions import db

log = logging.getLogger(__name__)

# Deliveries a sender takes at a time: loaded for building in one query, then checked and sent one by one.
CHUNK = 4


@contextmanager
def own_connection() -> Iterator[Connection]:
    """A connection held for a thread's life, in autocommit: each statement on it is its own transaction.

    The worker runs the same few statements, each finding rows by key, for every message, so they are
    prepared on its own connections.
    """
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        with prepared_statements(connection):
            yield connection


def sweep_overdue() -> None:
    """Stop deliveries past their stop-sending time, tell the managers of missed distributions, and commit."""
    missed = expire_overdue(db.session)
    if missed:
        note_missed(db.session, missed)
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
        # One chunk waiting per sender: with one more in each sender's hands, at most 2 * CHUNK rows a
        # connection are leased at once. A chunk is claimed only once there is room for it, so none waits
        # outside the queue.
        self.work: queue.Queue[list[int] | None] = queue.Queue()
        self.room = threading.Semaphore(self.connections)
        self.stopping = threading.Event()
        self.finished = threading.Event()
        self.in_hand: set[int] = set()
        self.lock = threading.Lock()

    def stop(self) -> None:
        """Stop claiming; messages being sent are finished, waiting ones are given back."""
        self.stopping.set()

    def run(self, once: bool = False) -> int:
        """Send until stopped (or, with ``once``, until nothing is due); return how many were handled."""
        handled = [0]
        threads = [
            threading.Thread(target=self._sender, args=(handled,), name=f"sender-{n}", daemon=True)
            for n in range(self.connections)
        ]
        keeper = threading.Thread(target=self._keep_leases, name="lease-keeper", daemon=True)
        for thread in [*threads, keeper]:
            thread.start()
        try:
            with self.app.app_context(), own_connection() as connection:
                swept_at = 0.0
                reclaim = True
                while not self.stopping.is_set():
                    # Overdue deliveries and leases that ran out (a worker that died) are looked for once
                    # per poll interval, and whenever there is nothing else to send; not for every claim.
                    if time.monotonic() - swept_at >= self.poll_seconds:
                        sweep_overdue()
                        swept_at, reclaim = time.monotonic(), True
                    if not self.room.acquire(timeout=self.poll_seconds):
                        continue
                    places = 1
                    while places < self.connections and self.room.acquire(blocking=False):
                        places += 1
                    ids = claim(connection, self.name, places * CHUNK, self.lease, expired=reclaim)
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
                        if once and not anything_due(db.session):
                            # One last sweep, so a --once run leaves nothing overdue behind.
                            sweep_overdue()
                            if not anything_due(db.session):
                                break
                        if not once:
                            self.stopping.wait(self.poll_seconds)
        finally:
            for _ in threads:
                self.work.put(None)
            for thread in threads:
                thread.join()
            self.finished.set()
            keeper.join()
            with self.app.app_context(), own_connection() as connection:
                give_back(connection, self.name, sorted(self.in_hand))
                db.session.remove()
        return handled[0]

    def _keep_leases(self) -> None:
        """Renew the leases on everything in hand a few times a lease, until the senders have finished."""
        with self.app.app_context():
            while not self.finished.wait(self.lease.total_seconds() / 3):
                with self.lock:
                    ids = sorted(self.in_hand)
                try:
                    with own_connection() as connection:
                        renew(connection, self.name, ids, self.lease)
                except Exception:  # noqa: BLE001 - the next round tries again, well before the lease runs out
                    log.exception("leases could not be renewed")

    def _sender(self, handled: list[int]) -> None:
        relay = Relay()
        with self.app.app_context(), own_connection() as connection:
            # This thread's db.session reads on the same connection, so nothing it loads is ever expired by a
            # commit: the release, its attachments and contact stay loaded between messages (see
            # emails.kept_release for how long), and no read sits in an open transaction.
            db.session.registry.set(Session(bind=connection, expire_on_commit=False))
            try:
                while True:
                    chunk = self.work.get()
                    self.room.release()
                    try:
                        if chunk is None:
                            return
                        if not self.stopping.is_set():
                            self._send_chunk(connection, relay, chunk, handled)
                    finally:
                        self.work.task_done()
            finally:
                relay.close()
                db.session.remove()

    def _let_lapse(self, ids: list[int]) -> None:
        """Stop renewing rows that went wrong, so their lease runs out and they are tried again then."""
        with self.lock:
            self.in_hand.difference_update(ids)

    def _send_chunk(self, connection: Connection, relay: Relay, chunk: list[int], handled: list[int]) -> None:
        try:
            loaded = load_claimed(db.session, chunk)
        except Exception:  # noqa: BLE001 - a database that is briefly away must not stop the worker
            db.session.rollback()
            log.exception("deliveries %s could not be loaded", chunk)
            self._let_lapse(chunk)
            return
        for delivery_id in chunk:
            if self.stopping.is_set():
                return  # the rest are left in hand: given back when the worker stops
            try:
                done = True
                if delivery_id in loaded:
                    delivery, _contact = loaded[delivery_id]  # holds the contact while its message is built
                    done = render_and_send(connection, delivery, self.name, relay,
                                           lambda: self.rate.wait(self.stopping))
                if done:
                    with self.lock:
                        self.in_hand.discard(delivery_id)
                        handled[0] += 1
            except Exception:  # noqa: BLE001 - one bad delivery must not stop the others
                db.session.rollback()
                log.exception("delivery %s could not be handled", delivery_id)
                self._let_lapse([delivery_id])
