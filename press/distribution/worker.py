"""The worker: claims due deliveries under a lease and sends them over a few open connections."""

import logging
import os
import queue
import socket
import threading
import time
from datetime import timedelta

from flask import Flask

from press.distribution.outbox import anything_due, claim, expire_overdue, release
from press.distribution.senders import render_and_send
from press.distribution.services import note_missed
from press.distribution.smtp import Relay
from press.extensions import db

log = logging.getLogger(__name__)


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
        self.batch = self.connections * 4
        self.work: queue.Queue[int | None] = queue.Queue(maxsize=self.batch)
        self.stopping = threading.Event()
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
        for thread in threads:
            thread.start()
        try:
            with self.app.app_context():
                expired_at = 0.0
                while not self.stopping.is_set():
                    # Stopping overdue deliveries is a sweep, not per message: once per poll interval.
                    if time.monotonic() - expired_at >= self.poll_seconds:
                        sweep_overdue()
                        expired_at = time.monotonic()
                    ids = claim(db.session, self.name, self.batch, self.lease)
                    for delivery_id in ids:
                        with self.lock:
                            self.in_hand.add(delivery_id)
                        self.work.put(delivery_id)
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
            with self.app.app_context():
                release(db.session, self.name, sorted(self.in_hand))
                db.session.remove()
        return handled[0]

    def _sender(self, handled: list[int]) -> None:
        relay = Relay()
        with self.app.app_context():
            try:
                while True:
                    delivery_id = self.work.get()
                    try:
                        if delivery_id is None:
                            return
                        if self.stopping.is_set():
                            continue  # left in hand: given back when the worker stops
                        if render_and_send(db.session, delivery_id, self.name, relay,
                                           lambda: self.rate.wait(self.stopping)):
                            with self.lock:
                                self.in_hand.discard(delivery_id)
                                handled[0] += 1
                    except Exception:  # noqa: BLE001 - one bad delivery must not stop the others
                        db.session.rollback()
                        log.exception("delivery %s could not be handled", delivery_id)
                    finally:
                        self.work.task_done()
            finally:
                relay.close()
                db.session.remove()
