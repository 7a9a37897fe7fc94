"""The schema is made by the migrations alone, from an empty database, on SQLite and PostgreSQL."""

from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from press import create_app
from press.extensions import db
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
    (0005), and SQLite's FTS5 table for contacts with the tables FTS5 keeps it in (0012)."""
    if type_ == "table" and name and name.startswith("contacts_search"):
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
