"""Fixtures in flaskr's shape: app, client, runner, auth, and factories for users and releases."""

import os
import re
import secrets
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from flask_migrate import upgrade
from sqlalchemy import text

from press import clock, create_app
from press.accounts import services as accounts
from press.extensions import db
from press.releases import services as releases
from tests.bounces import listener, sent  # noqa: F401 - the bounce tests' release sent to two, and listener
from tests.disks import small_disk  # noqa: F401 - fixtures for every test
from tests.imapserver import imap_server, imap_server_factory  # noqa: F401
from tests.mailserver import mail_server, mail_server_factory  # noqa: F401
from tests.pgserver import own_postgres  # noqa: F401
from tests.postfix import postfix_mta  # noqa: F401

PASSWORD = "correct horse battery staple"


def base_config(url: str, tmp_path: Path) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": url,
        "PRESS_UPLOAD_DIR": str(tmp_path / "uploads"),
        "PRESS_IMPORT_DIR": str(tmp_path / "imports"),
        "PRESS_BASE_URL": "http://press.test",
        "PRESS_REF_PREFIX": "NCC",
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        # Tests move the clock by hours and months while signed in; the session limits' own tests turn them on.
        "PRESS_SESSION_IDLE_MINUTES": 0,
        "PRESS_SESSION_MAX_HOURS": 0,
    }


def migrate_to_head(url: str, tmp_path: Path) -> None:
    """Build the schema the only way it is ever built: by running the migrations."""
    app = create_app(base_config(url, tmp_path))
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def postgres_server():
    """The PostgreSQL server to test against, if TEST_DATABASE_URL names one."""
    return os.environ.get("TEST_DATABASE_URL")


def create_postgres_database(server_url: str) -> tuple[str, str]:
    """Make a throwaway database on the server; return its URL and name."""
    name = f"press_test_{secrets.token_hex(4)}"
    admin = server_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(admin)
    return urlunsplit(parts._replace(path=f"/{name}")), name


def drop_postgres_database(server_url: str, name: str) -> None:
    admin = server_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def database_template(tmp_path_factory, postgres_server):
    """A database migrated to head once per run: a SQLite file to copy, or a PostgreSQL database."""
    tmp = tmp_path_factory.mktemp("db")
    if postgres_server:
        url, name = create_postgres_database(postgres_server)
        migrate_to_head(url, tmp)
        yield ("postgresql", url)
        drop_postgres_database(postgres_server, name)
    else:
        path = tmp / "template.db"
        migrate_to_head(f"sqlite:///{path}", tmp)
        yield ("sqlite", str(path))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> str:
    """A SQLite file migrated to head, for the tests marked sqlite when the run is on PostgreSQL."""
    tmp = tmp_path_factory.mktemp("sqlite-db")
    path = tmp / "template.db"
    migrate_to_head(f"sqlite:///{path}", tmp)
    return str(path)


@pytest.fixture
def database_url(request, database_template, tmp_path):
    """A clean database for one test: SQLite for a test marked sqlite, whatever the run is on."""
    kind, where = database_template
    if kind != "sqlite" and request.node.get_closest_marker("sqlite"):
        kind, where = "sqlite", request.getfixturevalue("sqlite_template")
    if kind == "sqlite":
        path = tmp_path / "press.db"
        shutil.copy(where, path)
        return f"sqlite:///{path}"
    return where


@pytest.fixture
def app_config(database_url, tmp_path):
    """Overrides a test module can extend before the app is built."""
    return base_config(database_url, tmp_path)


@pytest.fixture
def app(app_config):
    app = create_app(app_config)
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
            with db.engine.begin() as conn:
                conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def build_app(app_config):
    """Build extra apps on the test's database with some settings changed; their connections close after."""
    built = []

    def build(**overrides):
        extra = create_app(app_config | overrides)
        built.append(extra)
        return extra

    yield build
    for extra in built:
        with extra.app_context():
            db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class FrozenClock:
    """A clock a test can set and move."""

    def __init__(self, start: datetime) -> None:
        self.current = start

    def __call__(self) -> datetime:
        return self.current

    def set(self, moment: datetime) -> None:
        self.current = moment

    def advance(self, **kwargs) -> None:
        self.current += timedelta(**kwargs)


@pytest.fixture
def frozen_clock(monkeypatch):
    """Freeze press.clock at a known time (a Tuesday in September, during BST)."""
    fake = FrozenClock(datetime(2024, 9, 3, 10, 0, tzinfo=UTC))
    monkeypatch.setattr(clock, "source", fake)
    return fake


@pytest.fixture
def make_user(app):
    """Create staff accounts: make_user(role="staff", email=...)."""
    counter = iter(range(1, 10_000))

    def make(role: str = "manager", **overrides):
        n = next(counter)
        values = {
            "email": f"{role}{n}@council.example",
            "name": f"{role.title()} Person {n}",
            "role": role,
            "password": PASSWORD,
            "job_title": "Communications Manager" if role == "manager" else "Press Officer",
            "phone": "07700 900123",
        } | overrides
        with app.app_context():
            user = accounts.create_user(db.session, **values)
            db.session.commit()
            return user.id

    return make


@pytest.fixture
def make_release(app, make_user):
    """Create releases: make_release(headline=..., embargo_at=..., final=True)."""
    contact_cache: dict[str, int] = {}

    def make(final: bool = False, contact_id: int | None = None, **overrides):
        if contact_id is None:
            if "default" not in contact_cache:
                contact_cache["default"] = make_user("manager", email="media.contact@council.example",
                                                     name="Jane Contact")
            contact_id = contact_cache["default"]
        values = {
            "headline": "Council opens new library",
            "standfirst": "",
            "body": "The council has opened a new library.\n\nIt is open every day.",
            "notes_to_editors": "1. Background information.",
            "helpline": "",
            "release_date": clock.now().date(),
            "embargo_at": None,
            "contact_id": contact_id,
        } | overrides
        with app.app_context():
            release = releases.create_release(db.session, by=None, prefix="NCC", **values)
            if final:
                releases.finalise_release(db.session, release, by=None)
            db.session.commit()
            return release.id

    return make


@pytest.fixture
def make_enquiry(app):
    """Log enquiries as a journalist's web form would: make_enquiry(subject=..., release_id=...)."""
    from press.enquiries import services as enquiries
    from press.releases.models import Release

    def make(release_id: int | None = None, **overrides):
        values = {
            "journalist_name": "Sam Reporter",
            "outlet": "Northshire Gazette",
            "email": "sam.reporter@gazette.example",
            "phone": "01632 960001",
            "kind": "comment",
            "subject": "Library opening hours",
            "body": "Can you confirm the opening hours of the new library?",
            "deadline_at": clock.now() + timedelta(hours=6),
        } | overrides
        with app.app_context():
            release = db.session.get(Release, release_id) if release_id else None
            enquiry = enquiries.submit_enquiry(db.session, release=release, **values)
            db.session.commit()
            return enquiry.id

    return make


class AuthActions:
    def __init__(self, client):
        self.client = client

    def login(self, email: str, password: str = PASSWORD, **kwargs):
        return self.client.post("/staff/login", data={"email": email, "password": password}, **kwargs)

    def logout(self):
        return self.client.post("/staff/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def manager(make_user, auth):
    """A signed-in manager; returns their user id."""
    user_id = make_user("manager", email="manager@council.example", name="Mary Manager")
    auth.login("manager@council.example")
    return user_id


def date_shown(name: str, iso: str) -> re.Pattern[str]:
    """What to look for in a page that shows a date (given as 2024-09-04) in a field's Day, Month and Year boxes."""
    year, month, day = iso.split("-")
    return re.compile(".*?".join(
        f'name="{name}-{part}"[^>]*value="{value}"'
        for part, value in (("day", str(int(day))), ("month", str(int(month))), ("year", year))), re.DOTALL)
