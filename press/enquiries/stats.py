"""The dashboard's figures: each an aggregate query that gives the same answer on SQLite and PostgreSQL.

Only columns the retention rule keeps are read (received_at, deadline_at, first_response_at, kind, outlet,
assignee, status, outcome), so anonymised enquiries still count.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import ColumnElement, Float, and_, case, cast, extract, func, literal_column, or_, select
from sqlalchemy.orm import Session

from press import uktime
from press.accounts.models import User
from press.enquiries.models import KIND_LABELS, OPEN_STATUSES, Enquiry, Outcome

PERIODS = (4, 12, 26, 52)
DEFAULT_WEEKS = 12
TOP_OUTLETS = 10
NO_OUTLET = "No outlet given"


@dataclass(frozen=True)
class Period:
    """Whole weeks starting Monday 00:00 London time; the last is the current week, running up to now."""

    weeks: int
    mondays: tuple[date, ...]
    # The UTC instant each week starts, then the start of the week after the last.
    boundaries: tuple[datetime, ...]
    now: datetime

    @property
    def start(self) -> datetime:
        return self.boundaries[0]

    @property
    def end(self) -> datetime:
        return self.boundaries[-1]


def week_start(monday: date) -> datetime:
    """Midnight London time at the start of this day, in UTC (midnight always exists: the clocks change at 01:00)."""
    return datetime.combine(monday, time(0), tzinfo=uktime.LONDON).astimezone(UTC)


def period_ending(now: datetime, weeks: int) -> Period:
    """The ``weeks`` weeks up to and including the one ``now`` falls in, as London reckons weeks."""
    today = uktime.to_london(now).date()
    this_monday = today - timedelta(days=today.weekday())
    mondays = tuple(this_monday - timedelta(weeks=weeks - 1 - n) for n in range(weeks))
    boundaries = tuple(week_start(monday) for monday in (*mondays, this_monday + timedelta(weeks=1)))
    return Period(weeks=weeks, mondays=mondays, boundaries=boundaries, now=now)


def received_in(period: Period) -> ColumnElement[bool]:
    return and_(Enquiry.received_at >= period.start, Enquiry.received_at < period.end)


@dataclass(frozen=True)
class Count:
    """One bar: what is counted, and how many."""

    label: str
    value: int


@dataclass(frozen=True)
class DeadlineShare:
    """How many of the enquiries that can be judged were answered by the journalist's deadline."""

    met: int
    judged: int

    @property
    def percent(self) -> int | None:
        return round(100 * self.met / self.judged) if self.judged else None


@dataclass(frozen=True)
class Received:
    """What came in during the period: per week (oldest first), per type, and how much was answered in time."""

    weeks: list[tuple[date, int]]
    kinds: list[Count]
    share: DeadlineShare

    @property
    def total(self) -> int:
        return sum(count for _, count in self.weeks)


def week_number(boundaries: tuple[datetime, ...], first: int, last: int) -> ColumnElement[int]:
    """Which week, first to last, an enquiry was received in: a binary search written as nested CASEs.

    The boundaries are computed in Python, so SQL needs no time zone support; searching takes about six
    comparisons a row instead of one per week.
    """
    if first == last:
        return literal_column(str(int(first)))
    middle = (first + last + 1) // 2
    return case((Enquiry.received_at < boundaries[middle], week_number(boundaries, first, middle - 1)),
                else_=week_number(boundaries, middle, last))


def received(session: Session, period: Period) -> Received:
    """Count the period's enquiries by week and type, and judge their deadlines, in one pass over them.

    The deadline share: of the enquiries received in the period that were answered or whose deadline has
    passed, how many were first answered by the deadline; those closed as needing no response are left out.
    """
    week = week_number(period.boundaries, 0, period.weeks - 1)
    needed = or_(Enquiry.outcome.is_(None), Enquiry.outcome != Outcome.NO_RESPONSE.value)
    judged = and_(needed, or_(Enquiry.first_response_at.is_not(None), Enquiry.deadline_at < period.now))
    met = and_(needed, Enquiry.first_response_at <= Enquiry.deadline_at)
    rows = select(
        week.label("week"), Enquiry.kind.label("kind"),
        case((judged, 1), else_=0).label("judged"), case((met, 1), else_=0).label("met"),
    ).where(received_in(period)).subquery()
    # Grouping by a subquery's columns: PostgreSQL will not match a GROUP BY expression that has parameters.
    query = (select(rows.c.week, rows.c.kind, func.count(), func.sum(rows.c.judged), func.sum(rows.c.met))
             .group_by(rows.c.week, rows.c.kind))
    per_week = [0] * period.weeks
    per_kind: dict[str, int] = {}
    judged_total = met_total = 0
    for n, kind, count, judged_count, met_count in session.execute(query):
        per_week[n] += count
        per_kind[kind] = per_kind.get(kind, 0) + count
        judged_total += int(judged_count)
        met_total += int(met_count)
    kinds = [Count(label, per_kind.pop(kind.value, 0)) for kind, label in KIND_LABELS.items()]
    # A type no longer offered still counts, under its stored name.
    kinds += [Count(kind, value) for kind, value in sorted(per_kind.items())]
    return Received(weeks=list(zip(period.mondays, per_week, strict=True)), kinds=kinds,
                    share=DeadlineShare(met=met_total, judged=judged_total))


def outlet_counts(session: Session, period: Period, total: int) -> list[Count]:
    """The outlets that sent the most enquiries in the period, then one bar for all the others."""
    # "BBC News" and "bbc news " are one outlet; the name shown is one of the spellings used.
    name = func.lower(func.trim(Enquiry.outlet))
    query = (
        select(func.max(Enquiry.outlet), func.count().label("n"))
        .where(received_in(period))
        .group_by(name)
        .order_by(func.count().desc(), name)
        .limit(TOP_OUTLETS)
    )
    top = [Count(outlet.strip() or NO_OUTLET, n) for outlet, n in session.execute(query)]
    others = total - sum(count.value for count in top)
    return top + [Count("All other outlets", others)] if others > 0 else top


def sqlite_response_seconds() -> ColumnElement:
    """Seconds from receiving an enquiry to first answering it, from SQLite's stored text timestamps."""
    return (func.julianday(Enquiry.first_response_at) - func.julianday(Enquiry.received_at)) * 86400.0


@dataclass(frozen=True)
class Median:
    """The median time to first response, and how many answered enquiries it is the middle of."""

    seconds: float | None
    count: int


def median_response(session: Session, period: Period) -> Median:
    """The median time to first response over the enquiries first answered during the period."""
    answered = and_(Enquiry.first_response_at >= period.start, Enquiry.first_response_at < period.end)
    if session.get_bind().dialect.name == "postgresql":
        seconds = cast(extract("epoch", Enquiry.first_response_at - Enquiry.received_at), Float)
        median, count = session.execute(
            select(func.percentile_cont(0.5).within_group(seconds), func.count()).where(answered)
        ).one()
        return Median(None if median is None else float(median), count)
    count = session.scalar(select(func.count()).where(answered)) or 0
    if not count:
        return Median(None, 0)
    # The middle one of an odd count, or the two middle ones of an even count, found by the database's sort.
    seconds = sqlite_response_seconds()
    middle = select(seconds).where(answered).order_by(seconds).limit(2 - count % 2).offset((count - 1) // 2)
    values = [float(value) for value in session.scalars(middle)]
    return Median(sum(values) / len(values), count)


def format_duration(seconds: float) -> str:
    """Write a duration to the nearest minute as people say it: "45 min", "2 h 15 min", "3 h"."""
    minutes = round(seconds / 60)
    if minutes < 1:
        return "under 1 min"
    hours, minutes = divmod(minutes, 60)
    if not hours:
        return f"{minutes} min"
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


@dataclass(frozen=True)
class Workload:
    """One person's open enquiries now, and how many of those are past their deadline."""

    user_id: int | None
    name: str
    open: int
    overdue: int
    # A person who has left still holds their open enquiries until someone reassigns them.
    active: bool = True


def workloads(session: Session, now: datetime) -> list[Workload]:
    """Open and overdue enquiries per assignee at this moment, busiest first, with the unassigned last."""
    overdue = case((Enquiry.deadline_at < now, 1), else_=0)
    query = (
        select(Enquiry.assignee_id, User.name, User.active, func.count(), func.sum(overdue))
        .outerjoin(User, User.id == Enquiry.assignee_id)
        .where(Enquiry.status.in_([status.value for status in OPEN_STATUSES]))
        .group_by(Enquiry.assignee_id, User.name, User.active)
    )
    rows = [Workload(user_id, name or "Unassigned", count, int(late or 0), active is not False)
            for user_id, name, active, count, late in session.execute(query)]
    return sorted(rows, key=lambda row: (row.user_id is None, -row.overdue, -row.open, row.name.casefold()))
