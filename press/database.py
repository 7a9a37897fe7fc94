"""Database helpers for every area: UTC times, random values, SQLite settings, ids, outages, prepared statements."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from markupsafe import Markup
from sqlalchemy import Connection, DateTime, String, Text, event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
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


class StoredHTML(TypeDecorator[Markup]):
    """HTML the app sanitised before storing it, given back as Markup so templates show it unescaped."""

    impl = Text()
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else str(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> Markup | None:
        return None if value is None else Markup(value)


class random_hex(FunctionElement):  # noqa: N801 - named as SQL functions are
    """32 random hex digits made by the database, for rows written many at a time by INSERT ... SELECT."""

    type = String()
    inherit_cache = True


@compiles(random_hex, "sqlite")
def _random_hex_sqlite(_element, _compiler, **_kw) -> str:
    # SQLite's randomness comes from a ChaCha20 generator seeded by the operating system.
    return "lower(hex(randomblob(16)))"


@compiles(random_hex, "postgresql")
def _random_hex_postgresql(_element, _compiler, **_kw) -> str:
    # gen_random_uuid() (core since PostgreSQL 13) draws from the server's strong random source.
    return "replace(CAST(gen_random_uuid() AS TEXT), '-', '')"


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


# SQLite's answers that mean "not now" (a full disk, a lock held too long, a file that cannot be read or
# written) rather than a fault in the statement; the rest (no such table, a constraint) are not passing.
SQLITE_PASSING = ("SQLITE_FULL", "SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_IOERR", "SQLITE_CANTOPEN",
                  "SQLITE_PROTOCOL", "SQLITE_NOMEM", "SQLITE_READONLY")
# PostgreSQL's SQLSTATE classes of the same kind: connection lost (08), out of resources such as disk (53),
# shut down or starting up (57), serialisation and deadlock (40), and I/O errors (58).
POSTGRES_PASSING = ("08", "53", "57", "40", "58")


def unavailable(error: BaseException) -> bool:
    """Whether a database error means the database is away or refusing writes for now, so waiting and trying
    again will do; False for errors that no wait will mend (a missing table, a refused login, a bug)."""
    if isinstance(error, sa_exc.TimeoutError):
        return True  # no connection free in the pool in time
    if not isinstance(error, sa_exc.DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    original = error.orig
    sqlite_name = getattr(original, "sqlite_errorname", None)
    if sqlite_name is not None:
        return sqlite_name.startswith(SQLITE_PASSING)
    sqlstate = getattr(original, "sqlstate", None)
    if sqlstate:
        return sqlstate.startswith(POSTGRES_PASSING)
    # psycopg gives no SQLSTATE when it could not reach the server at all.
    return isinstance(error, (sa_exc.OperationalError, sa_exc.InterfaceError))


def listen_sqlite(engine: Engine) -> None:
    """Apply configure_sqlite to every connection the engine opens."""
    event.listen(engine, "connect", configure_sqlite)


class IdConverter(IntegerConverter):
    """The <int:...> of every route: numbers past MAX_ID answer 404 before any query runs."""

    def __init__(self, map, *args, **kwargs) -> None:  # noqa: A002 - werkzeug's name
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)
