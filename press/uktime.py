"""UK local time: entering and showing times in Europe/London with GMT or BST named."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


class NonexistentTimeError(ValueError):
    """The wall-clock time is skipped when the clocks go forward."""


class AmbiguousTimeError(ValueError):
    """The wall-clock time happens twice when the clocks go back."""


def is_ambiguous(day: date, at: time) -> bool:
    """Tell whether this London wall-clock time happens twice (the autumn change)."""
    naive = datetime.combine(day, at)
    first = naive.replace(tzinfo=LONDON, fold=0).utcoffset()
    second = naive.replace(tzinfo=LONDON, fold=1).utcoffset()
    return first != second and not is_nonexistent(day, at)


def is_nonexistent(day: date, at: time) -> bool:
    """Tell whether this London wall-clock time is skipped (the spring change)."""
    naive = datetime.combine(day, at)
    round_trip = naive.replace(tzinfo=LONDON).astimezone(UTC).astimezone(LONDON)
    return round_trip.replace(tzinfo=None) != naive


def london_to_utc(day: date, at: time, zone: str | None = None) -> datetime:
    """Turn a London wall-clock time into UTC, refusing times the clocks skip or repeat.

    ``zone`` ("GMT" or "BST") settles a repeated time; without it such a time is refused.
    """
    if is_nonexistent(day, at):
        raise NonexistentTimeError(
            f"{at:%H:%M} does not exist on {format_date(day)}: the clocks go forward an hour "
            "from 01:00 GMT to 02:00 BST. Choose a time before 01:00 or from 02:00."
        )
    naive = datetime.combine(day, at)
    if is_ambiguous(day, at):
        if zone not in ("GMT", "BST"):
            raise AmbiguousTimeError(
                f"{at:%H:%M} happens twice on {format_date(day)} because the clocks go back: "
                "choose BST (the first time) or GMT (the second)."
            )
        fold = 0 if zone == "BST" else 1
        return naive.replace(tzinfo=LONDON, fold=fold).astimezone(UTC)
    local = naive.replace(tzinfo=LONDON)
    if zone in ("GMT", "BST") and local.tzname() != zone:
        raise ValueError(f"{format_date(day)} is in {local.tzname()}, not {zone}.")
    return local.astimezone(UTC)


def to_london(moment: datetime) -> datetime:
    """Give an aware datetime in London time."""
    return moment.astimezone(LONDON)


def format_date(day: date) -> str:
    """Format a date as a British reader expects: Wednesday 4 September 2024."""
    return f"{day:%A} {day.day} {day:%B %Y}"


def format_moment(moment: datetime) -> str:
    """Format a time as 00:01 BST, Wednesday 4 September 2024."""
    local = to_london(moment)
    return f"{local:%H:%M} {local.tzname()}, {format_date(local.date())}"


def financial_year(day: date) -> str:
    """Name the UK financial year (April to March) a date falls in, as 2024/25."""
    start = day.year if day.month >= 4 else day.year - 1
    return f"{start}/{(start + 1) % 100:02d}"
