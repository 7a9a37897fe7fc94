"""What the worker reads again before each message, how long it keeps a release, and its leases."""

import threading
from dataclasses import replace
import time
from datetime import timedelta

import pytest
from sqlalchemy import text

from press import clock, create_app
from press.contacts import services as contacts
from press.contacts.models import Contact, MediaList
from press.database import PREPARE_AFTER
from press.distribution import services
from press.outbox import kinds, senders
from press.distribution.models import Distribution
from press.outbox.models import Delivery, DeliveryStatus
from press.outbox.leases import claim, still_held
from press.outbox.worker import Worker, own_connection
from press.extensions import db
from press.releases import services as releases
from press.releases.models import Release


@pytest.fixture
def app_config(app_config, mail_server):
    return app_config | mail_server.app_settings(PRESS_SMTP_CONNECTIONS=1, PRESS_SMTP_TIMEOUT=5)


@pytest.fixture
def mailing(app, make_user, make_release):
    """A final release and a distribution of it to five contacts, all claimed together in one chunk."""
    contact_id = make_user("manager", email="jane.smith@northshire.example", name="Jane Smith")
    release_id = make_release(contact_id=contact_id, headline="Library opens on Monday", final=True)
    with app.app_context():
        media_list = MediaList(name="Local")
        db.session.add(media_list)
        db.session.flush()
        people = [contacts.create_contact(db.session, by=None, email=f"reporter{n}@gazette.example",
                                          name=f"Reporter {n}", lists=[media_list]).id for n in range(5)]
        distribution = services.create_distribution(
            db.session, db.session.get(Release, release_id), list_ids=[media_list.id], contact_ids=[], at=None,
            stop_after=None, request_key="checks", by=None)
        db.session.commit()
        return {"release_id": release_id, "distribution_id": distribution.id, "people": people}


def elsewhere(app, change) -> None:
    """Make a change as another request would: its own thread, session and commit."""
    def run() -> None:
        with app.app_context():
            change(db.session)
            db.session.commit()
    thread = threading.Thread(target=run)
    thread.start()
    thread.join()


def while_building(monkeypatch, app, change, message: int) -> None:
    """Make ``change`` elsewhere while the worker builds its ``message``-th release email (1 for the first)."""
    kind = kinds.KINDS["release"]
    calls = []

    def render(delivery):
        built = kind.render(delivery)
        calls.append(delivery.id)
        if len(calls) == message:
            elsewhere(app, change)
        return built

    monkeypatch.setitem(kinds.KINDS, "release", replace(kind, render=render))


def after_first_message(monkeypatch, app, change) -> None:
    """Make ``change`` elsewhere once the first release email has gone, as the next is built; the rest in hand."""
    while_building(monkeypatch, app, change, message=2)


def statuses(app, distribution_id) -> dict[str, int]:
    with app.app_context():
        return services.status_counts(db.session, distribution_id)


def test_a_contact_who_unsubscribes_mid_batch_is_not_mailed(app, mailing, mail_server, monkeypatch):
    last = mailing["people"][-1]
    after_first_message(monkeypatch, app, lambda session: contacts.unsubscribe(
        session, session.get(Contact, last), how="link"))
    assert Worker(app).run(once=True) == 5
    assert "reporter4@gazette.example" not in mail_server.by_recipient()
    assert len(mail_server.messages) == 4
    assert statuses(app, mailing["distribution_id"]) == {"sent": 4, "suppressed": 1}


def test_a_distribution_cancelled_mid_batch_stops_after_the_message_in_flight(app, mailing, mail_server,
                                                                            monkeypatch):
    after_first_message(monkeypatch, app, lambda session: services.cancel_distribution(
        session, session.get(Distribution, mailing["distribution_id"]), by=None))
    Worker(app).run(once=True)
    assert len(mail_server.messages) == 1, "only the message already built when it was cancelled"
    assert statuses(app, mailing["distribution_id"]) == {"sent": 1, "cancelled": 4}


def test_a_distribution_cancelled_while_a_message_is_built_stops_that_message_too(app, mailing, mail_server,
                                                                                   monkeypatch):
    """Everything that can stop a message is read after it is built and just before DATA."""
    while_building(monkeypatch, app, lambda session: services.cancel_distribution(
        session, session.get(Distribution, mailing["distribution_id"]), by=None), message=1)
    Worker(app).run(once=True)
    assert mail_server.messages == []
    assert statuses(app, mailing["distribution_id"]) == {"cancelled": 5}


def test_a_release_withdrawn_mid_batch_stops_after_the_message_in_flight(app, mailing, mail_server, monkeypatch):
    after_first_message(monkeypatch, app, lambda session: releases.withdraw_release(
        session, session.get(Release, mailing["release_id"]), kind="removed", reason="Error", by=None))
    Worker(app).run(once=True)
    assert len(mail_server.messages) == 1
    assert statuses(app, mailing["distribution_id"]) == {"sent": 1, "cancelled": 4}


def test_a_correction_made_while_sending_reaches_the_next_message(app, mailing, mail_server, monkeypatch):
    after_first_message(monkeypatch, app, lambda session: releases.update_release(
        session, session.get(Release, mailing["release_id"]), by=None, headline="Library opens on Tuesday"))
    Worker(app).run(once=True)
    subjects = [received.message["Subject"] for received in sorted(mail_server.messages,
                                                                  key=lambda m: m.message["To"])]
    assert subjects[0] == "Library opens on Monday", "the message already being built keeps what it had"
    assert subjects[1:] == ["Library opens on Tuesday"] * 4


def test_a_correction_made_while_a_message_is_built_reaches_that_message(app, mailing, mail_server, monkeypatch):
    """The check before DATA sees the release has a newer version, so the message is built again."""
    while_building(monkeypatch, app, lambda session: releases.update_release(
        session, session.get(Release, mailing["release_id"]), by=None, headline="Library opens on Tuesday"),
        message=1)
    Worker(app).run(once=True)
    assert [received.message["Subject"] for received in mail_server.messages] == ["Library opens on Tuesday"] * 5


def test_leases_are_renewed_while_a_slow_rate_works_through_them(app, mailing, mail_server, build_app):
    # One message a second against a one-second lease: without renewal the later ones would fall due again.
    slow = build_app(PRESS_SEND_RATE_PER_MINUTE=60, PRESS_LEASE_SECONDS=1)
    first = Worker(slow, name="first")
    thread = threading.Thread(target=first.run, kwargs={"once": True})
    thread.start()
    try:
        mail_server.wait_for(2, timeout=10)
        time.sleep(0.5)
        assert Worker(app, name="second").run(once=True) == 0, "nothing the first worker holds has fallen due"
    finally:
        thread.join(timeout=30)
    assert not thread.is_alive()
    assert mail_server.by_recipient() == {f"reporter{n}@gazette.example": 1 for n in range(5)}
    with app.app_context():
        rows = db.session.scalars(db.select(Delivery)).all()
        assert {(d.status, d.attempts, d.leased_by) for d in rows} == {(DeliveryStatus.SENT, 1, "first")}


def test_poll_interval_comes_from_the_environment(monkeypatch, app_config):
    monkeypatch.setenv("PRESS_WORKER_POLL_SECONDS", "0.5")
    app = create_app({k: v for k, v in app_config.items() if k != "PRESS_WORKER_POLL_SECONDS"})
    assert app.config["PRESS_WORKER_POLL_SECONDS"] == 0.5
    assert Worker(app).poll_seconds == 0.5
    with app.app_context():
        db.engine.dispose()


def test_a_delivery_whose_handling_fails_is_tried_again_once_its_lease_runs_out(app, frozen_clock, mailing,
                                                                                mail_server, monkeypatch):
    real = senders.still_held
    calls = []

    def flaky(connection, delivery_id, worker, now):
        calls.append(delivery_id)
        if len(calls) == 1:
            raise RuntimeError("something unforeseen went wrong")
        return real(connection, delivery_id, worker, now)

    monkeypatch.setattr(senders, "still_held", flaky)
    Worker(app).run(once=True)
    assert len(mail_server.messages) == 4
    assert statuses(app, mailing["distribution_id"]) == {"sent": 4, "sending": 1}, "not renewed, not given back"
    frozen_clock.advance(seconds=app.config["PRESS_LEASE_SECONDS"] + 1)
    Worker(app).run(once=True)
    assert mail_server.by_recipient() == {f"reporter{n}@gazette.example": 1 for n in range(5)}
    with app.app_context():
        retried = db.session.get(Delivery, calls[0])
        assert (retried.status, retried.attempts) == (DeliveryStatus.SENT, 2)


def test_the_workers_own_connections_commit_each_statement_and_prepare_on_postgresql(app, mailing):
    """Its statements are prepared on PostgreSQL; the pool gets each connection back planning afresh."""
    with app.app_context():
        with own_connection() as connection:
            driver = connection.connection.dbapi_connection
            now = clock.now()
            claimed = claim(connection, "checker", 5, timedelta(minutes=5), now)
            for delivery_id in claimed * 2:
                assert still_held(connection, delivery_id, "checker", now) is not None
            if connection.dialect.name == "postgresql":
                assert driver.prepare_threshold == PREPARE_AFTER
                prepared = connection.execute(text("SELECT statement FROM pg_prepared_statements")).scalars().all()
                assert any("FROM deliveries" in statement for statement in prepared), prepared
            # Each statement committed as it ran: another connection sees the claim at once.
            assert statuses(app, mailing["distribution_id"]) == {"sending": 5}
        if db.engine.dialect.name == "postgresql":
            assert driver.prepare_threshold is None, "back in the pool, its queries are planned afresh"
        db.session.remove()
