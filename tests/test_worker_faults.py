"""`flask press worker` through faults, as it runs in production: a full disk, a database that restarts or is
killed, a worker paused past its lease, a host whose clock is wrong, a supervisor that dies.

Each test runs real worker processes against a real SMTP server on loopback and counts, from the server's
side, what every recipient received.
"""

import os
import signal
import subprocess
import time
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import select, update

from press import clock, create_app
from press.distribution.models import Distribution
from press.outbox.models import Delivery, DeliveryStatus
from press.extensions import db
from tests.conftest import base_config, migrate_to_head
from tests.mailserver import MailServer
from tests.test_worker_processes import CONNECTIONS, handled, make_mailing, rows, statuses, workers

MOST_DOUBLED = CONNECTIONS  # one message per connection, as after SIGKILL


def wait_until(condition, timeout: float, what: str, interval: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout} s for {what}")
        time.sleep(interval)


def doubled(received: dict[str, int]) -> list[str]:
    return [address for address, count in received.items() if count > 1]


def exit_code(process: subprocess.Popen, timeout: float = 60) -> int:
    try:
        return process.wait(timeout)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the worker did not exit within {timeout} s")


@pytest.fixture
def pg_app(own_postgres, tmp_path):
    """An app on this test's own PostgreSQL server, migrated to head."""
    app = create_app(base_config(own_postgres.url, tmp_path))
    with app.app_context():
        upgrade()
        db.session.remove()
    yield app
    dispose(app)


def dispose(app: Flask) -> None:
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


# --- A full disk ---------------------------------------------------------------------------------


@pytest.fixture
def app_on_small_disk(small_disk, tmp_path):
    url = f"sqlite:///{small_disk.path / 'press.db'}"
    migrate_to_head(url, tmp_path)
    app = create_app(base_config(url, tmp_path))
    yield app, url
    dispose(app)


def test_a_full_disk_stops_the_sending_until_there_is_room_and_doubles_nothing(app_on_small_disk, small_disk,
                                                                               tmp_path):
    app, url = app_on_small_disk
    mailing = make_mailing(app, 1500)
    dispose(app)  # the last connection closes, so the write-ahead log starts empty and has to grow
    small_disk.fill(leave=48 * 1024)
    with MailServer(accept_delay=0.005) as server, workers(tmp_path, url, server) as started:
        worker = started.start(PRESS_LEASE_SECONDS=30, PRESS_WORKER_POLL_SECONDS=0.5)
        wait_until(lambda: "database is unavailable" in started.output(worker), 60, "the disk to fill")
        time.sleep(3)
        arrived = len(server.messages)
        assert worker.poll() is None, f"the worker waits for room:\n{started.output(worker)}"
        assert arrived < 1500
        time.sleep(2)
        assert len(server.messages) == arrived, "nothing more is sent while outcomes cannot be written"
        small_disk.free()
        server.wait_for(1500, timeout=120)
        wait_until(lambda: statuses(app) == {DeliveryStatus.SENT: 1500}, 60, "every outcome to be recorded")
        worker.send_signal(signal.SIGTERM)
        assert exit_code(worker) == 0
        output = started.output(worker)
        assert server.by_recipient() == {address: 1 for address in mailing.addresses}, "nobody got two"
    assert "database or disk is full" in output
    assert output.count("The database is unavailable") == 1, output
    assert "The database is back" in output
    assert "Traceback" not in output


def test_a_once_run_on_a_full_disk_gives_up_and_doubles_at_most_one_message_per_connection(
        app_on_small_disk, small_disk, tmp_path):
    app, url = app_on_small_disk
    mailing = make_mailing(app, 1500)
    dispose(app)
    small_disk.fill(leave=48 * 1024)
    with MailServer(accept_delay=0.005) as server, workers(tmp_path, url, server) as started:
        once = started.start("--once", PRESS_LEASE_SECONDS=5, PRESS_WORKER_POLL_SECONDS=0.5)
        assert exit_code(once) == 1, "it says it gave up"
        output = started.output(once)
        assert "database was unavailable for too long" in output
        assert "Traceback" not in output
        sent_before = server.by_recipient()
        assert len(sent_before) < 1500
        small_disk.free()
        time.sleep(5.5)  # the leases of what it sent and could not record run out
        again = started.start("--once", PRESS_LEASE_SECONDS=5)
        assert exit_code(again) == 0, started.output(again)
        received = server.by_recipient()
    assert set(received) == set(mailing.addresses), "everyone gets it"
    assert len(doubled(received)) <= MOST_DOUBLED
    assert set(doubled(received)) <= set(sent_before)
    assert statuses(app) == {DeliveryStatus.SENT: 1500}


# --- The database restarts or is killed -----------------------------------------------------------


@pytest.mark.parametrize("fault", ["restart", "kill"])
def test_the_worker_outlives_a_postgresql_restart(pg_app, own_postgres, tmp_path, fault):
    app = pg_app
    mailing = make_mailing(app, 2000)
    dispose(app)
    with MailServer(accept_delay=0.004) as server, workers(tmp_path, own_postgres.url, server) as started:
        # A lease of five minutes: what the worker held when the database went must not wait it out.
        worker = started.start(PRESS_LEASE_SECONDS=300, PRESS_WORKER_POLL_SECONDS=0.5)
        server.wait_for(300, timeout=60)
        if fault == "restart":
            own_postgres.stop()
        else:
            own_postgres.kill()
        time.sleep(5)
        assert worker.poll() is None, f"the worker is still running:\n{started.output(worker)}"
        arrived_while_down = len(server.messages)
        own_postgres.start()
        server.wait_for(2000, timeout=90)
        wait_until(lambda: statuses(app) == {DeliveryStatus.SENT: 2000}, 60, "every outcome to be recorded")
        worker.send_signal(signal.SIGTERM)
        assert exit_code(worker) == 0
        output = started.output(worker)
        received = server.by_recipient()
    assert arrived_while_down < 2000
    assert set(received) == set(mailing.addresses)
    assert len(doubled(received)) <= MOST_DOUBLED
    assert output.count("The database is unavailable") == 1, output
    assert "The database is back" in output
    assert "Traceback" not in output
    assert {d.attempts for d in rows(app)} <= {1, 2}


def test_a_worker_started_while_the_database_is_down_waits_for_it(pg_app, own_postgres, tmp_path):
    app = pg_app
    mailing = make_mailing(app, 20)
    dispose(app)
    own_postgres.stop()
    with MailServer() as server, workers(tmp_path, own_postgres.url, server) as started:
        worker = started.start(PRESS_WORKER_POLL_SECONDS=0.5)
        # Until the worker has said so it may not have reached the database yet: a fixed wait let a slow
        # start-up on a busy machine find the database already back.
        wait_until(lambda: "The database is unavailable" in started.output(worker) or worker.poll() is not None,
                   60, "the worker to find the database down")
        assert worker.poll() is None, started.output(worker)
        own_postgres.start()
        server.wait_for(20, timeout=60)
        worker.send_signal(signal.SIGTERM)
        assert exit_code(worker) == 0
        output = started.output(worker)
        assert server.by_recipient() == {address: 1 for address in mailing.addresses}
    assert output.count("The database is unavailable") == 1
    assert "Traceback" not in output


def test_a_database_that_cannot_be_used_as_set_up_ends_the_worker_with_one_line(tmp_path):
    url = f"sqlite:///{tmp_path / 'never-migrated.db'}"
    with MailServer() as server, workers(tmp_path, url, server) as started:
        worker = started.start("--once")
        assert exit_code(worker) == 1
        output = started.output(worker)
    assert "Error: The worker cannot use the database" in output
    assert "Traceback" not in output


# --- A worker paused past its lease ---------------------------------------------------------------


def test_a_worker_paused_past_its_lease_does_not_send_what_another_has_sent(app, database_url, tmp_path):
    mailing = make_mailing(app, 1)
    [address] = mailing.addresses
    with MailServer() as server, workers(tmp_path, database_url, server) as started:
        # The relay takes its time over RCPT TO, and the worker is stopped (SIGSTOP) meanwhile: a VM freeze.
        server.stall(10, at="rcpt")
        paused = started.start(PRESS_SMTP_CONNECTIONS=1, PRESS_LEASE_SECONDS=2, PRESS_WORKER_POLL_SECONDS=0.5)
        server.wait_until_paused("rcpt", timeout=30)
        os.kill(paused.pid, signal.SIGSTOP)
        try:
            server.stall(0)
            time.sleep(3)  # its lease runs out
            other = started.start("--once", PRESS_SMTP_CONNECTIONS=1, PRESS_LEASE_SECONDS=2)
            assert handled(started.finish(other)) == 1
            assert server.by_recipient() == {address: 1}
        finally:
            os.kill(paused.pid, signal.SIGCONT)
        wait_until(lambda: server.paused_at("rcpt") == 0, 15, "the relay to answer the paused worker")
        time.sleep(1)
        paused.send_signal(signal.SIGTERM)
        assert exit_code(paused) == 0
        assert server.by_recipient() == {address: 1}, "the resumed worker found its claim gone before DATA"
    [delivery] = rows(app)
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SENT, 2)


# --- A host whose clock is wrong -----------------------------------------------------------------

FAKETIME = ("faketime", "-f")


def skewed(offset: str) -> tuple[str, ...]:
    """Run a command with this host's clock moved by `offset` (libfaketime; "+1h", "-1h")."""
    return (*FAKETIME, offset)


def test_a_host_whose_clock_runs_ahead_leaves_other_workers_leases_alone(pg_app, own_postgres, tmp_path):
    app = pg_app
    mailing = make_mailing(app, 16)  # all of it leased at once by a worker with two connections
    dispose(app)
    with MailServer() as server, workers(tmp_path, own_postgres.url, server) as started:
        slow = started.start(PRESS_SEND_RATE_PER_MINUTE=60, PRESS_LEASE_SECONDS=30)
        server.wait_for(1, timeout=30)
        ahead = started.start("--once", prefix=skewed("+1h"), PRESS_LEASE_SECONDS=30,
                              FAKETIME_DONT_FAKE_MONOTONIC=1)
        assert handled(started.finish(ahead)) == 0, "an hour ahead, it still sees the leases as live"
        slow.send_signal(signal.SIGTERM)
        assert exit_code(slow) == 0
        rest = started.start("--once")
        started.finish(rest)
        received = server.by_recipient()
    assert received == {address: 1 for address in mailing.addresses}
    assert {d.attempts for d in rows(app)} == {1}


def test_a_host_whose_clock_runs_behind_does_not_send_past_the_stop_time(pg_app, own_postgres, tmp_path):
    app = pg_app
    mailing = make_mailing(app, 3)
    passed = clock.now().replace(microsecond=0) - timedelta(minutes=10)
    with app.app_context():
        # Due two hours ago (so due by the skewed host's clock too), to stop ten minutes ago.
        db.session.execute(update(Delivery).values(deadline_at=passed, next_attempt_at=passed - timedelta(hours=2)))
        db.session.execute(update(Distribution).values(stop_after=passed))
        db.session.commit()
    dispose(app)
    with MailServer() as server, workers(tmp_path, own_postgres.url, server) as started:
        behind = started.start("--once", prefix=skewed("-1h"), FAKETIME_DONT_FAKE_MONOTONIC=1)
        started.finish(behind)
        assert server.messages == [], "an hour behind, it still knows the time to stop has passed"
    assert statuses(app) == {DeliveryStatus.MISSED: 3}
    with app.app_context():
        assert db.session.scalar(select(Distribution.missed_at)) is not None
    assert len(mailing.addresses) == 3


# --- The supervisor dies -------------------------------------------------------------------------


def state(pid: int) -> str | None:
    """The process's state letter from /proc (Z for a zombie), or None once it is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return None


def test_worker_processes_stop_cleanly_when_their_supervisor_is_killed(app, database_url, tmp_path):
    make_mailing(app, 5)
    with MailServer() as server, workers(tmp_path, database_url, server) as started:
        supervisor = started.start("--processes", "2", PRESS_WORKER_POLL_SECONDS=0.5)
        server.wait_for(5, timeout=60)
        children = subprocess.run(["pgrep", "-P", str(supervisor.pid)], capture_output=True, text=True).stdout.split()
        assert len(children) == 2
        supervisor.kill()
        supervisor.wait(10)
        wait_until(lambda: all(state(int(pid)) in (None, "Z") for pid in children), 30, "the children to exit")
        output = started.output(supervisor)
    assert "Traceback" not in output and "BrokenPipeError" not in output, output
