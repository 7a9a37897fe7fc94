"""The worker when the database refuses writes, and when the relay hangs up before answering.

A write refused at the driver stands for a full disk on either database (a real full disk on SQLite is in
test_worker_faults.py): the worker must stop sending on a connection whose outcome it could not record,
claim nothing, and carry on once writes are taken again; at most one message per connection goes twice.
"""

import collections
import sqlite3
import threading
from dataclasses import replace
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import psycopg
import pytest
from sqlalchemy import create_engine, event, func, select

from press import clock
from press.accounts.models import User
from press.contacts import services as contacts
from press.contacts.models import MediaList
from press.distribution import services
from press.outbox import kinds
from press.outbox.leases import DatabaseClock
from press.distribution.models import Distribution
from press.outbox.models import Delivery, DeliveryStatus
from press.outbox.worker import Worker
from press.extensions import db
from press.releases.models import Release

CONNECTIONS = 2


@pytest.fixture
def app_config(app_config, mail_server):
    return app_config | mail_server.app_settings(PRESS_SMTP_CONNECTIONS=CONNECTIONS, PRESS_SMTP_TIMEOUT=5,
                                                 PRESS_WORKER_POLL_SECONDS=0.2)


def mailing(app, make_user, make_release, recipients: int) -> dict:
    """A final release sent by a manager to `recipients` contacts on one list, waiting to go."""
    manager_id = make_user("manager", email="jane.smith@northshire.example", name="Jane Smith")
    release_id = make_release(contact_id=manager_id, headline="Library opens on Monday", final=True)
    with app.app_context():
        media_list = MediaList(name="Local")
        db.session.add(media_list)
        db.session.flush()
        for n in range(recipients):
            contacts.create_contact(db.session, by=None, email=f"reporter{n}@gazette.example", name=f"Reporter {n}",
                                    lists=[media_list])
        distribution = services.create_distribution(
            db.session, db.session.get(Release, release_id), list_ids=[media_list.id], contact_ids=[], at=None,
            stop_after=None, request_key="faults", by=db.session.get(User, manager_id))
        db.session.commit()
        return {"distribution_id": distribution.id, "manager_id": manager_id,
                "addresses": [f"reporter{n}@gazette.example" for n in range(recipients)]}


def statuses(app) -> collections.Counter:
    with app.app_context():
        rows = db.session.execute(select(Delivery.status, func.count()).group_by(Delivery.status)).all()
        db.session.remove()
        return collections.Counter({str(status): n for status, n in rows})


class RefusedWrites:
    """Makes the app's database refuse every write, as a full disk does, until told to take them again."""

    def __init__(self, app) -> None:
        self.app = app
        self.on = threading.Event()
        self.refused = 0
        with app.app_context():
            self.engine = db.engine
            self.dialect = db.engine.dialect.name
        event.listen(self.engine, "before_cursor_execute", self._check)

    def _check(self, connection, cursor, statement, parameters, context, executemany) -> None:
        if self.on.is_set() and statement.lstrip().split(None, 1)[0].upper() in ("UPDATE", "INSERT", "DELETE"):
            self.refused += 1
            if self.dialect == "sqlite":
                raise sqlite3.OperationalError("database or disk is full")
            raise psycopg.errors.DiskFull("could not extend file: No space left on device")

    def remove(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._check)


@pytest.fixture
def refused_writes(app) -> Iterator[RefusedWrites]:
    fault = RefusedWrites(app)
    yield fault
    fault.remove()


@contextmanager
def running(worker: Worker, once: bool = False) -> Iterator[threading.Thread]:
    thread = threading.Thread(target=worker.run, kwargs={"once": once}, daemon=True)
    thread.start()
    try:
        yield thread
    finally:
        worker.stop()
        thread.join(timeout=60)
        assert not thread.is_alive(), "the worker stopped"


def settle(mail_server, seconds: float = 1.0) -> int:
    """Wait until no message has arrived for `seconds`; how many arrived in all."""
    count = len(mail_server.messages)
    while True:
        time.sleep(seconds)
        if len(mail_server.messages) == count:
            return count
        count = len(mail_server.messages)


def test_refused_writes_stop_the_sending_until_the_database_takes_them_again(
        app, make_user, make_release, mail_server, refused_writes, caplog):
    sent = mailing(app, make_user, make_release, 60)
    mail_server.accept_delay = 0.02
    worker = Worker(app)
    with running(worker) as thread:
        mail_server.wait_for(10, timeout=30)
        refused_writes.on.set()
        arrived = settle(mail_server)
        recorded = statuses(app)[DeliveryStatus.SENT]
        assert arrived - recorded <= CONNECTIONS, "one message at most per connection went without its record"
        assert thread.is_alive(), "the worker waits for the database"
        assert arrived < 60
        time.sleep(1.0)
        assert len(mail_server.messages) == arrived, "nothing more is sent while the outcome cannot be written"
        refused_writes.on.clear()
        mail_server.wait_for(60, timeout=60)
        deadline = time.monotonic() + 20
        while statuses(app) != {DeliveryStatus.SENT: 60} and time.monotonic() < deadline:
            time.sleep(0.1)
    assert refused_writes.refused > 0
    assert mail_server.by_recipient() == {address: 1 for address in sent["addresses"]}, "nobody got two"
    assert statuses(app) == {DeliveryStatus.SENT: 60}
    with app.app_context():
        assert {d.attempts for d in db.session.scalars(select(Delivery))} == {1}
    unavailable = [r for r in caplog.records if "database is unavailable" in r.getMessage()]
    assert len(unavailable) == 1, "the outage is told once, not once a try"
    assert any("database is back" in r.getMessage() for r in caplog.records)
    assert not any(r.exc_info for r in caplog.records if r.name.startswith("press")), "no traceback"


def test_a_worker_stopped_while_writes_are_refused_doubles_at_most_one_message_per_connection(
        app, make_user, make_release, mail_server, refused_writes, frozen_clock):
    sent = mailing(app, make_user, make_release, 60)
    mail_server.accept_delay = 0.02
    with running(Worker(app)):
        mail_server.wait_for(10, timeout=30)
        refused_writes.on.set()
        settle(mail_server)
    # Stopped while the disk was full: what it sent and could not record is left to its lease.
    arrived_before = mail_server.by_recipient()
    assert len(arrived_before) < 60
    refused_writes.on.clear()
    frozen_clock.advance(seconds=app.config["PRESS_LEASE_SECONDS"] + 1)
    Worker(app).run(once=True)
    received = mail_server.by_recipient()
    assert set(received) == set(sent["addresses"]), "everyone gets it"
    doubled = [address for address, count in received.items() if count > 1]
    assert len(doubled) <= CONNECTIONS
    assert max(received.values()) <= 2
    assert set(doubled) <= set(arrived_before)
    assert statuses(app) == {DeliveryStatus.SENT: 60}


def test_a_once_run_gives_up_after_a_lease_of_refused_writes(app, make_user, make_release, mail_server,
                                                             refused_writes):
    mailing(app, make_user, make_release, 5)
    refused_writes.on.set()
    app.config["PRESS_LEASE_SECONDS"] = 2
    worker = Worker(app)
    started = time.monotonic()
    worker.run(once=True)
    assert worker.gave_up
    assert 2 <= time.monotonic() - started < 20
    assert mail_server.messages == [], "the claim itself was refused: nothing was sent"


def test_a_retry_after_a_hang_up_before_the_answer_is_the_same_message(app, mail_server, make_user, make_release,
                                                                      frozen_clock):
    mailing(app, make_user, make_release, 1)
    mail_server.hang_up_after_data(0)
    assert Worker(app).run(once=True) == 1
    with app.app_context():
        [delivery] = db.session.scalars(select(Delivery)).all()
        assert (delivery.status, delivery.attempts) == (DeliveryStatus.QUEUED, 1), "to be tried again"
        first_attempt = delivery.first_attempt_at
        db.session.remove()
    frozen_clock.advance(minutes=5)
    Worker(app).run(once=True)
    first, second = mail_server.messages
    assert first.message["Message-ID"] == second.message["Message-ID"]
    assert first.message["Date"] == second.message["Date"]
    with app.app_context():
        [delivery] = db.session.scalars(select(Delivery)).all()
        assert (delivery.status, delivery.attempts) == (DeliveryStatus.SENT, 2)
        assert delivery.message_id == first.message["Message-ID"]
        assert delivery.first_attempt_at == first_attempt
    # The Message-ID names the delivery but gives nothing of its secret away.
    assert delivery.secret not in first.message["Message-ID"]


def test_message_ids_differ_between_deliveries(app, mail_server, make_user, make_release):
    mailing(app, make_user, make_release, 5)
    Worker(app).run(once=True)
    assert len({received.message["Message-ID"] for received in mail_server.messages}) == 5


def test_deliveries_found_past_their_time_by_a_sender_are_told_to_the_manager(
        app, make_user, make_release, mail_server, frozen_clock, monkeypatch):
    sent = mailing(app, make_user, make_release, 4)
    kind = kinds.KINDS["release"]

    def slow_render(delivery):
        # The first message takes so long that the stop-sending time passes while the rest are in hand.
        frozen_clock.advance(hours=2)
        return kind.render(delivery)

    monkeypatch.setitem(kinds.KINDS, "release", replace(kind, render=slow_render))
    app.config["PRESS_SMTP_CONNECTIONS"] = 1
    Worker(app).run(once=True)
    assert statuses(app)[DeliveryStatus.MISSED] == 3
    with app.app_context():
        distribution = db.session.get(Distribution, sent["distribution_id"])
        assert distribution.missed_at is not None
        manager = db.session.get(User, sent["manager_id"])
        told = [m for m in mail_server.messages if m.rcpt_tos == [manager.email]]
    assert len(told) == 1 and told[0].message["Subject"].startswith("Not sent:")


def measured(own_postgres) -> DatabaseClock:
    """A DatabaseClock that has measured this test's own PostgreSQL server."""
    engine = create_engine(own_postgres.url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.connect() as connection:
            database = DatabaseClock()
            database.measure(connection)
            return database
    finally:
        engine.dispose()


def test_a_host_whose_clock_is_wrong_takes_the_database_servers_time(own_postgres, monkeypatch):
    """The offset is measured against a PostgreSQL server; this host's clock is made to run an hour ahead."""
    real = clock.system_time
    monkeypatch.setattr(clock, "system_time", lambda: real() + timedelta(hours=1))
    monkeypatch.setattr(clock, "source", clock.system_time)
    database = measured(own_postgres)
    assert abs((database.now() - real()).total_seconds()) < 1
    assert abs((clock.now() - real()).total_seconds() - 3600) < 1


def test_a_small_difference_between_the_clocks_is_taken_as_none(own_postgres):
    assert measured(own_postgres).offset == timedelta(0)
