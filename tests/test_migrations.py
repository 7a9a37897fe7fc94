"""The schema is made by the migrations alone, from an empty database, on SQLite and PostgreSQL."""

from datetime import UTC, datetime

from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from press import create_app
from press.extensions import db
from press.markdown_text import render_markdown
from press.releases.models import Release
from tests.conftest import base_config, create_postgres_database, drop_postgres_database


def check_upgrade_from_nothing(url: str, tmp_path) -> None:
    app = create_app(base_config(url, tmp_path))
    with app.app_context():
        assert inspect(db.engine).get_table_names() == []
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert {table.name for table in db.metadata.sorted_tables} <= tables
        for table in db.metadata.sorted_tables:
            columns = {c["name"] for c in inspect(db.engine).get_columns(table.name)}
            assert columns == {c.name for c in table.columns}, table.name
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        db.engine.dispose()


def test_sqlite_upgrades_from_nothing(tmp_path):
    check_upgrade_from_nothing(f"sqlite:///{tmp_path / 'empty.db'}", tmp_path)


def test_postgresql_upgrades_from_nothing(tmp_path, postgres_server):
    server = postgres_server or "postgresql://postgres@127.0.0.1:5432/postgres"
    url, name = create_postgres_database(server)
    try:
        check_upgrade_from_nothing(url, tmp_path)
    finally:
        drop_postgres_database(server, name)


def not_search_index(obj, name, type_, reflected, compare_to) -> bool:
    """The search indexes live in the migrations only, not in the models: PostgreSQL's trigram indexes
    (0005), and SQLite's FTS5 tables with the tables FTS5 keeps them in, for contacts (0012) and releases (0013)."""
    if type_ == "table" and name and name.startswith(("contacts_search", "releases_search")):
        return False
    return not (type_ == "index" and name and name.endswith("_trgm"))


def test_models_match_migrations(app):
    """Autogenerate finds nothing to do: every model change came with a migration."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_object": not_search_index})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_postgresql_search_uses_trigram_indexes(tmp_path, postgres_server):
    server = postgres_server or "postgresql://postgres@127.0.0.1:5432/postgres"
    url, name = create_postgres_database(server)
    try:
        app = create_app(base_config(url, tmp_path))
        with app.app_context():
            upgrade()
            names = {index["name"] for index in inspect(db.engine).get_indexes("contacts")}
            assert {"ix_contacts_name_trgm", "ix_contacts_outlet_trgm", "ix_contacts_email_trgm"} <= names
            names = {index["name"] for index in inspect(db.engine).get_indexes("releases")}
            assert {"ix_releases_headline_trgm", "ix_releases_body_trgm"} <= names
            db.engine.dispose()
    finally:
        drop_postgres_database(server, name)


def check_release_rendering_backfill(url: str, tmp_path) -> None:
    """0013 fills the stored HTML of existing releases and indexes them; going back keeps every row."""
    app = create_app(base_config(url, tmp_path) | {"PRESS_RELEASES_PER_PAGE": 5})
    sqlite = url.startswith("sqlite")
    moment = datetime(2024, 9, 3, 9, 0) if sqlite else datetime(2024, 9, 3, 9, 0, tzinfo=UTC)
    with app.app_context():
        upgrade(revision="0012")
        with db.engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO users (id, email, name, role, job_title, phone, password_hash, session_token, active,"
                " created_at) VALUES (1, 'a@council.example', 'A', 'manager', '', '', 'x', 'y', true, :at)"
            ), {"at": moment})
            for n in range(7):
                conn.execute(text(
                    "INSERT INTO releases (id, reference, slug, headline, standfirst, body, notes_to_editors, helpline,"
                    " release_date, status, public_from, contact_id, withdrawal_reason, created_at, updated_at)"
                    " VALUES (:id, :ref, :slug, :headline, '', :body, '1. A *note*.', :helpline, '2024-09-03',"
                    " 'final', :at, 1, '', :at, :at)"
                ), {"id": n + 1, "ref": f"NCC 2024/25-0{n}", "slug": f"story-{n}", "headline": f"Otter story {n}",
                    "body": f"Otters **return** {n}. <script>alert(1)</script>", "helpline": "Ring *us*.", "at": moment})
            conn.execute(text(
                "INSERT INTO attachments (release_id, filename, title, content_type, size, sha256, stored_name,"
                " created_at) VALUES (1, 'a.pdf', '', 'application/pdf', 1, 'x', 'stored-a', :at)"
            ), {"at": moment})
        upgrade()
        release = db.session.get(Release, 1)
        assert release.body_html == render_markdown(release.body) and "<script" not in release.body_html
        assert release.helpline_html == "<p>Ring <em>us</em>.</p>"
        assert release.notes_html == render_markdown("1. A *note*.")
        assert release.summary == "Otters return 0."
        db.session.remove()
        page = app.test_client().get("/?q=otters").data.decode()
        db.session.remove()
        assert "7 releases found" in page and "Otter story 6" in page
        downgrade(revision="0012")
        with db.engine.connect() as conn:
            assert conn.scalar(text("SELECT count(*) FROM releases")) == 7
            assert conn.scalar(text("SELECT count(*) FROM attachments")) == 1, "nothing cascades away"
        assert "body_html" not in {c["name"] for c in inspect(db.engine).get_columns("releases")}
        upgrade()
        db.engine.dispose()


def test_sqlite_backfills_rendered_releases(tmp_path):
    check_release_rendering_backfill(f"sqlite:///{tmp_path / 'backfill.db'}", tmp_path)


def test_postgresql_backfills_rendered_releases(tmp_path, postgres_server):
    server = postgres_server or "postgresql://postgres@127.0.0.1:5432/postgres"
    url, name = create_postgres_database(server)
    try:
        check_release_rendering_backfill(url, tmp_path)
    finally:
        drop_postgres_database(server, name)
