"""The outbox worker as it runs in production: separate processes, killed, stopped and run side by side.

Each test starts `flask press worker` processes with the environment a deployment gives them, against
a real SMTP server on loopback, and checks from the server's side what every recipient received.
"""

import collections
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import func, insert, select

from press import clock, create_app
from press.accounts import services as accounts
from press.contacts.models import Contact, ContactStatus, MediaList, contact_lists, new_unsubscribe_key
from press.outbox.models import Delivery, DeliveryStatus
from press.distribution.services import create_distribution
from press.extensions import db
from press.releases import services as releases
from tests.conftest import PASSWORD, base_config, create_postgres_database, drop_postgres_database
from tests.mailserver import MailServer

ROOT = Path(__file__).resolve().parent.parent
SECRET_KEY = "test-secret-key"
LOCAL_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
CONNECTIONS = 2
LEASE_SECONDS = 3
# From press/outbox/worker.py: a worker claims chunks of CHUNK (4) rows only when its queue has room
# for them, and the queue holds one chunk per connection. With the queue full and each sender holding a
# chunk, at most 4C + 4C rows are leased to one worker at any moment.
MOST_LEASED = 8 * CONNECTIONS
# A row is marked sent in the commit that follows the relay's 250, so a worker killed between the two
# leaves at most one sent-but-unrecorded message per connection: those, and only those, go twice.
MOST_DOUBLED = CONNECTIONS


@dataclass
class Mailing:
    """A distribution of a final release to everyone on one list, committed and waiting to go."""

    distribution_id: int
    addresses: list[str]


def make_mailing(app: Flask, recipients: int) -> Mailing:
    """A final release, `recipients` contacts bulk-inserted onto one list, and a distribution to it."""
    addresses = [f"reporter{n:05d}@news{n % 7}.example" for n in range(recipients)]
    with app.app_context():
        contact = accounts.create_user(db.session, email="media.contact@council.example", name="Jane Contact",
                                       role="manager", password=PASSWORD, job_title="Communications Manager",
                                       phone="07700 900123")
        release = releases.create_release(
            db.session, by=None, prefix="NCC", headline="Council opens new library in Eastgate",
            standfirst="The library is open every day.", body="The council has opened a new library.\n\n" * 20,
            notes_to_editors="1. Background information.", helpline="", release_date=clock.now().date(),
            embargo_at=None, contact_id=contact.id,
        )
        releases.finalise_release(db.session, release, by=None)
        media_list = MediaList(name="Everyone")
        db.session.add(media_list)
        db.session.flush()
        now = clock.now()
        db.session.execute(insert(Contact.__table__), [
            {"name": f"Reporter {n}", "email": address, "outlet": f"News {n % 7}", "status": ContactStatus.ACTIVE,
             "unsubscribe_key": new_unsubscribe_key(), "created_at": now, "updated_at": now}
            for n, address in enumerate(addresses)
        ])
        contact_ids = db.session.scalars(select(Contact.id)).all()
        db.session.execute(insert(contact_lists), [{"contact_id": i, "list_id": media_list.id} for i in contact_ids])
        distribution = create_distribution(db.session, release, list_ids=[media_list.id], contact_ids=[], at=None,
                                           stop_after=None, request_key=f"processes-{recipients}", by=None)
        db.session.commit()
        assert distribution.recipients == recipients, "the distribution records how many deliveries it wrote"
        return Mailing(distribution.id, addresses)


def statuses(app: Flask) -> collections.Counter[str]:
    with app.app_context():
        rows = db.session.execute(select(Delivery.status, func.count()).group_by(Delivery.status)).all()
        db.session.remove()
        return collections.Counter({str(status): n for status, n in rows})


def rows(app: Flask) -> list[Delivery]:
    with app.app_context():
        found = db.session.scalars(select(Delivery).order_by(Delivery.id)).all()
        db.session.expunge_all()
        db.session.remove()
        return list(found)


class Workers:
    """Starts `flask press worker` processes and makes sure none outlives the test."""

    def __init__(self, directory: Path, database_url: str, server: MailServer) -> None:
        self.directory = directory
        self.database_url = database_url
        self.server = server
        self.started: list[tuple[subprocess.Popen, Path]] = []

    def start(self, *args: str, prefix: tuple[str, ...] = (), **settings: int | str) -> subprocess.Popen:
        """Start one worker (under `prefix`, such as faketime, if given); its output goes to a file, read with
        output()."""
        env = dict(os.environ)
        env.update({
            "FLASK_APP": "app.py",
            "DATABASE_URL": self.database_url,
            "SECRET_KEY": SECRET_KEY,
            "MAIL_SERVER": self.server.host,
            "MAIL_PORT": str(self.server.port),
            "MAIL_DEFAULT_SENDER": "Northshire Press Office <press@northshire.example>",
            "PRESS_BASE_URL": "http://press.test",
            "PRESS_UPLOAD_DIR": str(self.directory / "uploads"),
            "PRESS_SMTP_TIMEOUT": "10",
            "PRESS_SMTP_CONNECTIONS": str(CONNECTIONS),
            "PRESS_SEND_RATE_PER_MINUTE": "0",
            "PRESS_LEASE_SECONDS": str(LEASE_SECONDS),
        })
        env.update({name: str(value) for name, value in settings.items()})
        log = self.directory / f"worker-{len(self.started)}.log"
        with log.open("wb") as output:
            command = [*prefix, sys.executable, "-m", "flask", "press", "worker", *args]
            process = subprocess.Popen(command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=output,
                                       stderr=subprocess.STDOUT)
        self.started.append((process, log))
        return process

    def output(self, process: subprocess.Popen) -> str:
        [log] = [log for started, log in self.started if started is process]
        return log.read_text(errors="replace")

    def finish(self, process: subprocess.Popen, timeout: float = 60) -> str:
        """Wait for a worker to exit 0 and give back what it printed."""
        try:
            code = process.wait(timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the worker did not exit within {timeout} s:\n{self.output(process)}")
        assert code == 0, f"the worker exited {code}:\n{self.output(process)}"
        return self.output(process)

    def kill_all(self) -> None:
        for process, _log in self.started:
            if process.poll() is None:
                process.kill()
            process.wait()


@contextmanager
def workers(directory: Path, database_url: str, server: MailServer) -> Iterator[Workers]:
    running = Workers(directory, database_url, server)
    try:
        yield running
    finally:
        running.kill_all()


def handled(output: str) -> int:
    """The count the worker prints as it exits: "N deliveries handled"."""
    for line in output.splitlines():
        if line.endswith(" deliveries handled"):
            return int(line.split()[0])
    raise AssertionError(f"the worker did not say what it handled:\n{output}")


def wait_until_expired(app: Flask) -> None:
    """Sleep until every lease still held has run out, by the database's own record of them."""
    with app.app_context():
        latest = db.session.scalar(select(func.max(Delivery.lease_expires_at))
                                   .where(Delivery.status == DeliveryStatus.SENDING))
        db.session.remove()
    if latest is not None:
        time.sleep(max(0.0, (latest - clock.now()).total_seconds()) + 0.2)


def test_a_killed_worker_loses_nothing_and_doubles_only_what_was_in_flight(app, database_url, tmp_path):
    mailing = make_mailing(app, 2000)
    with MailServer(accept_delay=0.002) as server, workers(tmp_path, database_url, server) as started:
        first = started.start()
        server.wait_for(500, timeout=60)
        os.kill(first.pid, signal.SIGKILL)
        assert first.wait(10) == -signal.SIGKILL
        arrived_before = server.by_recipient()

        left_leased = {d.id: d for d in rows(app) if d.status == DeliveryStatus.SENDING}
        assert 0 < len(left_leased) <= MOST_LEASED, "a killed worker leaves only its claimed rows leased"
        wait_until_expired(app)
        assert handled(started.finish(started.start("--once"))) > 0

        received = server.by_recipient()
        assert set(received) == set(mailing.addresses), "everyone gets the release, the killed worker's share too"
        doubled = {address for address, count in received.items() if count > 1}
        assert len(doubled) <= MOST_DOUBLED
        assert max(received.values()) <= 2
        # Only a message that had reached the relay when the worker died can go again.
        assert doubled <= {address for address, count in arrived_before.items() if count}
        assert doubled <= {d.to_address for d in left_leased.values()}
        assert len(server.refused) == 0

    after = rows(app)
    assert {d.status for d in after} == {DeliveryStatus.SENT}
    assert len(after) == 2000
    for delivery in after:
        assert delivery.attempts == (2 if delivery.id in left_leased else 1)


def test_sigterm_finishes_what_is_in_flight_and_gives_the_rest_back(app, database_url, tmp_path):
    mailing = make_mailing(app, 300)
    with MailServer() as server, workers(tmp_path, database_url, server) as started:
        slow = started.start(PRESS_SEND_RATE_PER_MINUTE=600)
        server.wait_for(20, timeout=60)
        slow.send_signal(signal.SIGTERM)
        stopping = time.monotonic()
        output = started.finish(slow, timeout=10)
        assert time.monotonic() - stopping < 5, "a stopping worker does not wait for its rate-limit slots"

        counts = statuses(app)
        assert DeliveryStatus.SENDING not in counts, "nothing is left leased"
        assert set(counts) <= {DeliveryStatus.SENT, DeliveryStatus.QUEUED}
        assert counts[DeliveryStatus.SENT] == len(server.messages) == handled(output) >= 20
        assert counts[DeliveryStatus.QUEUED] > 0, "the rate limit kept most of the list waiting"
        for delivery in rows(app):
            if delivery.status == DeliveryStatus.QUEUED:
                assert delivery.attempts == 0 and delivery.lease_expires_at is None
                assert delivery.next_attempt_at <= clock.now(), "given back to go at once, not after a backoff"

        rest = handled(started.finish(started.start("--once")))
        assert rest == counts[DeliveryStatus.QUEUED]
        assert server.by_recipient() == {address: 1 for address in mailing.addresses}
        assert len(server.refused) == 0

    assert statuses(app) == {DeliveryStatus.SENT: 300}


@pytest.fixture
def postgres_app(postgres_server, tmp_path):
    """An app on a throwaway PostgreSQL database, migrated to head, dropped at the end."""
    server = postgres_server or LOCAL_POSTGRES
    url, name = create_postgres_database(server)
    built = create_app(base_config(url, tmp_path))
    try:
        with built.app_context():
            upgrade()
            db.session.remove()
        yield built
    finally:
        with built.app_context():
            db.session.remove()
            db.engine.dispose()
        drop_postgres_database(server, name)


def test_workers_side_by_side_on_postgresql_never_send_twice(postgres_app, tmp_path):
    mailing = make_mailing(postgres_app, 3000)
    url = postgres_app.config["SQLALCHEMY_DATABASE_URI"]
    with MailServer(accept_delay=0.002) as server, workers(tmp_path, url, server) as started:
        side_by_side = [started.start("--once") for _ in range(2)]
        counts = [handled(started.finish(process, timeout=120)) for process in side_by_side]
        assert server.by_recipient() == {address: 1 for address in mailing.addresses}
        assert len(server.refused) == 0

    after = rows(postgres_app)
    assert {d.status for d in after} == {DeliveryStatus.SENT}
    assert all(d.attempts == 1 for d in after), "no row was claimed twice"
    # The lease records which worker sent each row; every worker took a share.
    by_worker = collections.Counter(d.leased_by for d in after)
    assert by_worker == {f"{socket.gethostname()}:{process.pid}": count
                         for process, count in zip(side_by_side, counts, strict=True)}
    assert all(count > 0 for count in counts), f"every worker took a share: {counts}"
