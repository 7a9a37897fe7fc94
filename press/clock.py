"""The one source of the current time, so tests can move it and every page agrees."""

from collections.abc import Callable
from datetime import UTC, datetime


def system_time() -> datetime:
    return datetime.now(UTC)


# Replaced only by tests that need to move time; everything else calls now().
source: Callable[[], datetime] = system_time


def now() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return source()
