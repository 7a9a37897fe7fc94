"""Database errors told without the data they carried: why the database is unavailable, what to say and what to log.

A statement's error can carry personal data three ways: SQLAlchemy's message lists the bound parameters
(the engine hides them, see config.py), PostgreSQL's DETAIL and CONTEXT lines quote the values
("Key (email)=(...) already exists"), and some primary messages quote them too ('invalid input syntax for
type integer: "..."'). So nothing here repeats a driver's message: only its class, its SQLSTATE or SQLite
result code, the constraint named, and SQLAlchemy's statement text, which holds placeholders, not values.
"""

import logging
import sqlite3
import traceback

from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from press.database import unavailable

# In words, what SQLite's primary result codes for "not now" mean (press.database.unavailable says which).
SQLITE_REASONS = {
    5: "database is locked",  # SQLITE_BUSY, after the busy timeout
    6: "database table is locked",  # SQLITE_LOCKED
    7: "out of memory",  # SQLITE_NOMEM
    8: "the database file cannot be written",  # SQLITE_READONLY
    10: "disk I/O error",  # SQLITE_IOERR
    13: "database or disk is full",  # SQLITE_FULL
    14: "unable to open database file",  # SQLITE_CANTOPEN
    15: "database locking protocol failed",  # SQLITE_PROTOCOL
}

# The same for PostgreSQL's SQLSTATEs, whole codes first, then their classes.
POSTGRES_REASONS = {
    "53100": "the database server's disk is full",
    "57014": "the statement took too long",
    "08": "the connection to the database server failed",
    "40": "the work clashed with other work at the same time",
    "53": "the database server is out of disk space, memory or connections",
    "57": "the database server is shutting down or restarting",
    "58": "the database server could not read or write its files",
}


def why_unavailable(error: BaseException | None) -> str | None:
    """In a few words, why the database cannot do the work just now; None when the error is a fault to fix."""
    if error is None or not unavailable(error):
        return None
    if isinstance(error, PoolTimeout):
        return "every database connection is busy"
    original = error.orig if isinstance(error, DBAPIError) else None
    code = getattr(original, "sqlite_errorcode", None)
    if code is not None and code & 0xFF in SQLITE_REASONS:
        return SQLITE_REASONS[code & 0xFF]
    sqlstate = getattr(original, "sqlstate", None)
    if sqlstate:
        return POSTGRES_REASONS.get(sqlstate) or POSTGRES_REASONS.get(sqlstate[:2]) or "the database refused the work"
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return "the connection to the database was lost"
    # psycopg gives no SQLSTATE when there was no server to answer: refused or timed out.
    return "the database server cannot be reached"


def plain_cause(error: BaseException) -> str:
    """What went wrong in words fit for a person: the reason the database is unavailable, or the error's class."""
    reason = why_unavailable(error)
    if reason is not None:
        return reason
    original = getattr(error, "orig", None)
    return type(original if isinstance(original, BaseException) else error).__name__


def describe(error: BaseException) -> str:
    """A database error as a log may show it: its class and codes, and a statement's text, never its values."""
    kind = f"{type(error).__module__}.{type(error).__qualname__}"
    if isinstance(error, StatementError):
        original = error.orig
        parts = [f"({type(original).__module__}.{type(original).__qualname__})", *_codes(original)]
        statement = f"\n[SQL: {error.statement}]" if error.statement else ""
        return f"{kind}: {' '.join(parts)}{statement}"
    return f"{kind}: {' '.join(_codes(error))}".rstrip(": ")


def _from_driver(error: BaseException) -> bool:
    return isinstance(error, sqlite3.Error) or type(error).__module__.split(".")[0] == "psycopg"


def _codes(original: BaseException | None) -> list[str]:
    """The codes a driver's error has that name what failed, never the values involved."""
    codes = []
    if getattr(original, "sqlite_errorname", None):
        codes.append(original.sqlite_errorname)
    if getattr(original, "sqlstate", None):
        codes.append(f"SQLSTATE {original.sqlstate}")
    diag = getattr(original, "diag", None)
    if diag is not None and getattr(diag, "constraint_name", None):
        codes.append(f"constraint {diag.constraint_name}")
    sqlite_reason = SQLITE_REASONS.get((getattr(original, "sqlite_errorcode", None) or 0) & 0xFF)
    if sqlite_reason:
        codes.append(f"({sqlite_reason})")
    return codes


def _chain(error: BaseException) -> list[BaseException]:
    """The error and those that led to it, latest first, as Python prints them."""
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and all(current is not seen for seen in chain):
        chain.append(current)
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    return chain


def _tells_values(error: BaseException) -> bool:
    return isinstance(error, StatementError) or _from_driver(error)


def safe_traceback(error: BaseException) -> str:
    """The traceback of an error and the ones that led to it, as Python prints them, database errors by describe()."""
    chain = _chain(error)
    parts = []
    for number in range(len(chain) - 1, -1, -1):
        link = chain[number]
        if link.__traceback__ is not None:
            parts.append("Traceback (most recent call last):\n")
            parts.extend(traceback.format_tb(link.__traceback__))
        if _tells_values(link):
            parts.append(describe(link) + "\n")
        else:
            parts.extend(traceback.format_exception_only(type(link), link))
        if number:
            later = chain[number - 1]
            parts.append("\nThe above exception was the direct cause of the following exception:\n\n"
                         if later.__cause__ is link else
                         "\nDuring handling of the above exception, another exception occurred:\n\n")
    return "".join(parts).rstrip("\n")


class HideDatabaseValues(logging.Filter):
    """Log database errors by describe(), so no handler or formatter ever sees the values they carried."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if error is not None and any(_tells_values(link) for link in _chain(error)):
            record.exc_text = safe_traceback(error)
            record.exc_info = None
        return True
