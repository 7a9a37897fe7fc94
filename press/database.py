"""Database helpers shared by every area: the UTC column type, SQLite settings, id limits and prepared statements."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import Connection, DateTime, event
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.types import TypeDecorator
from werkzeug.routing import IntegerConverter

# Ids are 32-bit integers on PostgreSQL; a larger number can never be a row, and would be a database error.
MAX_ID = 2**31 - 1
# Runs of a statement after which psycopg prepares it, within prepared_statements().
PREPARE_AFTER = 2


class UTCDateTime(TypeDecorator[datetime]):
    """Store aware datetimes as UTC and always give them back aware, on SQLite too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; pass an aware datetime")
        value = value.astimezone(UTC)
        # SQLite has no time zones: keep the naive UTC wall time so text ordering is time ordering.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def configure_sqlite(dbapi_connection, connection_record) -> None:  # noqa: ARG001
    """Turn on WAL, foreign keys and a busy timeout for every new SQLite connection."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@contextmanager
def prepared_statements(connection: Connection) -> Iterator[Connection]:
    """Let PostgreSQL keep the plans of the statements run in the block, on a connection held throughout it.

    The app plans every PostgreSQL query afresh (see config.py). Paths that run the same few statements,
    each finding rows by key, over and over (the worker's, an enquiry's submission) turn preparing on
    while they hold the connection, and off again before the pool can hand it to anything else. A
    connection keeps what it prepared until a transaction on it is rolled back. SQLite is left alone.
    """
    driver = connection.connection.dbapi_connection
    prepares = hasattr(driver, "prepare_threshold")  # psycopg's
    if prepares:
        driver.prepare_threshold = PREPARE_AFTER
    try:
        yield connection
    finally:
        if prepares:
            driver.prepare_threshold = None


def listen_sqlite(engine: Engine) -> None:
    """Apply configure_sqlite to every connection the engine opens."""
    event.listen(engine, "connect", configure_sqlite)


class IdConverter(IntegerConverter):
    """The <int:...> of every route: numbers past MAX_ID answer 404 before any query runs."""

    def __init__(self, map, *args, **kwargs) -> None:  # noqa: A002 - werkzeug's name
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)
