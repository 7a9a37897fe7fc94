"""A database that cannot be reached: every page answers 503 with Retry-After, and the enquiry form loses nothing typed.

The PostgreSQL cases stop (or kill) a server of the test's own; the SQLite ones point the app at a file
that cannot be opened, or hold the write lock from another connection.
"""

import html
import re
import shutil
import sqlite3

import psycopg
import pytest
from sqlalchemy import select

from press import clock, create_app, database
from press.accounts import services as accounts
from press.enquiries.models import Enquiry
from press.extensions import db
from press.releases import services as releases
from tests.conftest import PASSWORD, base_config, date_shown, migrate_to_head

OFFICE = {"PRESS_OFFICE_EMAIL": "press.office@northshire.example", "PRESS_OFFICE_PHONE": "01632 960000"}

# The frozen clock is 11:00 BST on Tuesday 3 September 2024.
ANSWERS = {
    "name": "Priya Okafor-Lindqvist",
    "outlet": "Northshire Evening Courier",
    "email": "priya.okafor@courier.example",
    "phone": "07700 900456",
    "kind": "comment",
    "subject": "Bridge closure on the A6097 & diversions",
    "body": "Can you confirm when the bridge <reopens>?\nWe go to press at 6pm; a statement from the cabinet member.",
    "deadline_date": "2024-09-03",
    "deadline_time": "16:30",
}


def office_setup(app) -> str:
    """A press officer named on a final, public release; returns its reference."""
    with app.app_context():
        contact = accounts.create_user(db.session, email="jane.smith@northshire.example", name="Jane Smith",
                                       role="manager", password=PASSWORD, job_title="Communications Manager")
        release = releases.create_release(
            db.session, by=None, prefix="NCC", headline="Bridge to reopen", standfirst="", body="The bridge reopens.",
            notes_to_editors="", helpline="", release_date=clock.now().date(),
            embargo_at=None, contact_id=contact.id,
        )
        releases.finalise_release(db.session, release, by=None)
        db.session.commit()
        return release.reference


def enquiry_subjects(app) -> list[str]:
    with app.app_context():
        subjects = list(db.session.scalars(select(Enquiry.subject)))
        db.session.remove()
        return subjects


def field_value(page: str, name: str) -> str:
    """The value an input or textarea in the page holds, unescaped."""
    found = re.search(rf'<textarea[^>]*name="{name}"[^>]*>\r?\n?(.*?)</textarea>', page, re.S)
    if found is None:
        tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', page).group(0)
        found = re.search(r'value="([^"]*)"', tag)
    return html.unescape(found.group(1))


def assert_unavailable(response) -> str:
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    assert response.headers["Cache-Control"] == "no-store"
    page = response.data.decode()
    assert "press.office@northshire.example" in page and "01632 960000" in page
    return page


def assert_everything_typed_is_back(page: str, reference: str | None) -> None:
    assert "We could not take your enquiry just now" in page
    for name in ("name", "outlet", "email", "phone", "subject", "body", "deadline_time"):
        assert field_value(page, name) == ANSWERS[name], name
    assert date_shown("deadline_date", ANSWERS["deadline_date"]).search(page), "the date, in its Day, Month and Year boxes"
    assert re.search(r'<input checked id="kind-\d" name="kind"[^>]* value="comment">', page)
    if reference is not None:
        assert re.search(rf'<option selected value="{re.escape(reference)}">', page)


def close(app) -> None:
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def outage_app(own_postgres, tmp_path, frozen_clock):
    migrate_to_head(own_postgres.url, tmp_path)
    app = create_app(base_config(own_postgres.url, tmp_path) | OFFICE)
    yield app
    close(app)


@pytest.mark.parametrize("how", ["stop", "kill"])
def test_postgresql_outage_answers_503_and_keeps_the_enquiry(outage_app, own_postgres, how):
    reference = office_setup(outage_app)
    client = outage_app.test_client()
    assert client.get("/").status_code == 200
    assert client.get("/enquiries/new").status_code == 200

    if how == "kill":
        # The server commits without waiting for its log (synchronous_commit=off): make the release survive.
        with psycopg.connect(own_postgres.url, autocommit=True) as connection:
            connection.execute("CHECKPOINT")
    getattr(own_postgres, how)()
    page = assert_unavailable(client.get("/"))
    assert "Sorry, the service is unavailable" in page
    page = assert_unavailable(client.get(f"/enquiries/new?release={reference}"))
    assert "You cannot send an enquiry online just now" in page
    assert re.search(rf'<option selected value="{re.escape(reference)}">', page)
    page = assert_unavailable(client.post("/enquiries/new", data=ANSWERS | {"release": reference}))
    assert_everything_typed_is_back(page, reference)
    assert assert_unavailable(client.get("/feed.atom"))

    own_postgres.start()
    response = client.post("/enquiries/new", data=ANSWERS | {"release": reference})
    assert response.status_code == 303
    assert enquiry_subjects(outage_app) == [ANSWERS["subject"]]


def test_a_signed_in_press_officer_gets_503_too(outage_app, own_postgres):
    office_setup(outage_app)
    client = outage_app.test_client()
    response = client.post("/staff/login", data={"email": "jane.smith@northshire.example", "password": PASSWORD})
    assert response.status_code == 302
    own_postgres.stop()
    # Loading the signed-in user needs the database: the pages, and their headers, must do without.
    for url in ("/", "/staff/enquiries/", "/enquiries/new"):
        response = client.get(url)
        assert_unavailable(response)
    own_postgres.start()
    assert client.get("/staff/enquiries/").status_code == 200


@pytest.mark.parametrize("how", ["stop", "kill"])
def test_a_connection_lost_inside_a_transaction_is_rolled_back_quietly(outage_app, own_postgres, how):
    """The server goes away between two statements of one request: 503, and the pool recovers after."""
    from sqlalchemy import text

    @outage_app.post("/halfway")
    def halfway():
        db.session.execute(text("CREATE TEMPORARY TABLE scratch (n integer)"))
        getattr(own_postgres, how)()
        db.session.execute(text("INSERT INTO scratch VALUES (1)"))
        return "written"

    client = outage_app.test_client()
    assert_unavailable(client.post("/halfway"))
    own_postgres.start()
    assert client.get("/").status_code == 200


@pytest.fixture
def unopenable_app(tmp_path, frozen_clock):
    """An app whose SQLite file is in a folder that does not exist."""
    app = create_app(base_config(f"sqlite:///{tmp_path / 'gone' / 'press.db'}", tmp_path) | OFFICE)
    yield app
    close(app)


def test_sqlite_that_cannot_be_opened_answers_503_and_keeps_the_enquiry(unopenable_app):
    client = unopenable_app.test_client()
    assert_unavailable(client.get("/"))
    page = assert_unavailable(client.post("/enquiries/new", data=ANSWERS | {"release": "NCC 2024/25-07"}))
    # The release list could not be read: the release chosen is kept by its reference.
    assert_everything_typed_is_back(page, "NCC 2024/25-07")


def test_stale_form_token_while_the_database_is_down_keeps_the_enquiry(tmp_path, frozen_clock):
    app = create_app(base_config(f"sqlite:///{tmp_path / 'gone' / 'press.db'}", tmp_path) | OFFICE
                     | {"WTF_CSRF_ENABLED": True})
    try:
        page = assert_unavailable(app.test_client().post("/enquiries/new", data=ANSWERS))
        assert_everything_typed_is_back(page, None)
    finally:
        close(app)


@pytest.fixture
def quick_to_give_up(monkeypatch):
    """SQLite waits 15 seconds for a lock; these tests wait a fifth of a second."""
    configure = database.configure_sqlite

    def configure_quickly(dbapi_connection, connection_record):
        configure(dbapi_connection, connection_record)
        dbapi_connection.execute("PRAGMA busy_timeout=200")

    monkeypatch.setattr(database, "configure_sqlite", configure_quickly)


@pytest.fixture
def sqlite_url(database_template, tmp_path) -> str:
    """A SQLite database of this test's own, whichever database the suite runs on: the lock is SQLite's."""
    path = tmp_path / "locked.db"
    kind, where = database_template
    if kind == "sqlite":
        shutil.copy(where, path)
    else:
        migrate_to_head(f"sqlite:///{path}", tmp_path)
    return f"sqlite:///{path}"


def hold_write_lock(url: str) -> sqlite3.Connection:
    holder = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    return holder


@pytest.mark.parametrize("csrf", [False, True])
def test_locked_sqlite_answers_503_and_the_same_form_is_taken_once_it_is_free(
        sqlite_url, tmp_path, frozen_clock, quick_to_give_up, csrf):
    database_url = sqlite_url
    app = create_app(base_config(database_url, tmp_path) | OFFICE | {"WTF_CSRF_ENABLED": csrf})
    try:
        reference = office_setup(app)
        client = app.test_client()
        page = client.get(f"/enquiries/new?release={reference}").data.decode()
        answers = ANSWERS | {"release": reference}
        if csrf:
            answers["csrf_token"] = field_value(page, "csrf_token")
        holder = hold_write_lock(database_url)
        try:
            page = assert_unavailable(client.post("/enquiries/new", data=answers))
            assert_everything_typed_is_back(page, reference)
        finally:
            holder.rollback()
            holder.close()
        assert enquiry_subjects(app) == []
        # What the 503 page holds is exactly what the journalist sends again.
        held = [name for name in ANSWERS if name not in ("kind", "deadline_date")]
        held += [f"deadline_date-{part}" for part in ("day", "month", "year")]  # the date's three boxes
        again = {name: field_value(page, name) for name in held} | {"kind": "comment", "release": reference}
        if csrf:
            again["csrf_token"] = field_value(page, "csrf_token")
        response = client.post("/enquiries/new", data=again)
        assert response.status_code == 303
        assert enquiry_subjects(app) == [ANSWERS["subject"]]
    finally:
        close(app)


def test_programming_errors_are_still_500(build_app):
    """A statement that is wrong is a fault to fix, not an outage: no 503, no Retry-After."""
    from sqlalchemy import text

    app = build_app(PROPAGATE_EXCEPTIONS=False)

    @app.get("/wrong")
    def wrong():
        db.session.execute(text("SELECT * FROM no_such_table"))

    response = app.test_client().get("/wrong")
    assert response.status_code == 500 and "Retry-After" not in response.headers


def test_unavailable_page_without_a_phone_falls_back_to_the_sender(tmp_path):
    app = create_app(base_config(f"sqlite:///{tmp_path / 'gone' / 'press.db'}", tmp_path)
                     | {"MAIL_DEFAULT_SENDER": "Northshire Press Office <newsdesk@northshire.example>"})
    try:
        response = app.test_client().get("/")
        assert response.status_code == 503
        page = response.data.decode()
        assert 'href="mailto:newsdesk@northshire.example"' in page and "tel:" not in page
    finally:
        close(app)


def test_office_contacts_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("PRESS_OFFICE_EMAIL", "media@northshire.example")
    monkeypatch.setenv("PRESS_OFFICE_PHONE", "01632 960111")
    app = create_app(base_config(f"sqlite:///{tmp_path / 'x.db'}", tmp_path))
    try:
        assert app.config["PRESS_OFFICE_EMAIL"] == "media@northshire.example"
        assert app.config["PRESS_OFFICE_PHONE"] == "01632 960111"
    finally:
        close(app)

