"""A worker that has been idle: relay connections closed meanwhile, and mail queued after a quiet spell."""

import threading
import time

import pytest

from press.extensions import db
from press.outbox.models import DeliveryStatus
from press.outbox.worker import Worker
from tests.test_outbox import NOTE, deliveries, note_kinds, queue  # noqa: F401 - note_kinds is a fixture

# Mail queued to an idle worker goes within this long of its commit.
PROMPT_SECONDS = 2.0


@pytest.fixture
def app_config(app_config, mail_server):
    # A long poll: only the worker's wake-up on new mail can make it prompt.
    return app_config | mail_server.app_settings(PRESS_SMTP_TIMEOUT=2, PRESS_SMTP_CONNECTIONS=2,
                                                 PRESS_WORKER_POLL_SECONDS=30)


@pytest.fixture
def running_worker(app):
    worker = Worker(app)
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    yield worker
    worker.stop()
    thread.join(20)
    assert not thread.is_alive()


def queued_and_arrived(app, mail_server, *addresses: str) -> float:
    """Queue a message to each address, and how long after the commit the last one arrived."""
    before = len(mail_server.messages)
    started = time.monotonic()
    queue(app, *addresses, kind=NOTE)
    mail_server.wait_for(before + len(addresses), timeout=15)
    return time.monotonic() - started


def wait_until(condition, timeout: float = 10) -> None:
    ends = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < ends, "timed out"
        time.sleep(0.05)


@pytest.mark.parametrize("reply", [None, "421 4.4.2 Idle for too long"], ids=["silent", "421"])
def test_connections_the_relay_closed_while_idle_are_reopened_without_a_failed_attempt(
        app, mail_server, running_worker, reply):
    mail_server.close_idle(after=0.5, reply=reply)
    queued_and_arrived(app, mail_server, "first@gazette.example", "second@radio.example")
    opened = mail_server.connections
    wait_until(lambda: mail_server.idle_closed >= opened)
    time.sleep(0.3)

    took = queued_and_arrived(app, mail_server, "third@gazette.example", "fourth@radio.example")

    assert took < PROMPT_SECONDS
    wait_until(lambda: all(d.status != DeliveryStatus.SENDING for d in deliveries(app).values()))
    rows = deliveries(app)
    for address in ("third@gazette.example", "fourth@radio.example"):
        assert rows[address].status == DeliveryStatus.SENT
        assert rows[address].attempts == 1, rows[address].smtp_response
    assert mail_server.by_recipient()["third@gazette.example"] == 1


def test_mail_queued_to_an_idle_worker_goes_at_once(app, mail_server, running_worker):
    queued_and_arrived(app, mail_server, "warm@gazette.example")
    with app.app_context():
        postgresql = db.engine.dialect.name == "postgresql"
    # PostgreSQL tells the worker of new mail (migration 0015); SQLite is polled every SHORT_POLL_SECONDS.
    assert running_worker.listening.is_set() == postgresql
    for n in range(3):
        time.sleep(0.7)  # idle: the worker has found nothing and is waiting
        assert queued_and_arrived(app, mail_server, f"reader{n}@gazette.example") < PROMPT_SECONDS


def test_a_sender_lets_its_relay_connection_go_when_there_is_nothing_to_send(app, mail_server, monkeypatch):
    monkeypatch.setattr("press.outbox.worker.RELAY_IDLE_SECONDS", 0.3)
    mail_server.close_idle(after=5, reply="421 4.4.2 Idle for too long")
    worker = Worker(app)
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    try:
        queued_and_arrived(app, mail_server, "first@gazette.example")
        time.sleep(1.0)
        assert queued_and_arrived(app, mail_server, "second@gazette.example") < PROMPT_SECONDS
    finally:
        worker.stop()
        thread.join(20)
    assert mail_server.connections == 2, "a fresh connection for the message after the quiet spell"
    assert mail_server.idle_closed == 0, "the worker closed its idle connection before the relay had to"
    assert deliveries(app)["second@gazette.example"].attempts == 1
