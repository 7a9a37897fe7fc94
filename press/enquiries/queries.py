"""The enquiry log's query: filters, free-text search, the two orders, and keyset pages over them; and the
other reads the enquiry pages make.

The page, the CSV export and the benchmark all build their SQL here, so they agree on what a filter means.
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import (
    Boolean, ColumnElement, Connection, DateTime, FunctionElement, Row, Select, String, bindparam, func, literal, or_,
    select, tuple_, type_coerce,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, defer, selectinload

from press.accounts.models import User
from press.database import MAX_ID, UTCDateTime
from press.enquiries.models import OPEN_STATUSES, DutyOfficer, Enquiry, EnquiryEvent, EnquiryStatus
from press.enquiries.services import Person, ReleaseRoute
from press.releases.models import Release, Status

PER_PAGE = 50
# Past this the page says "more than": an exact count of 100,000 rows would cost more than the page itself.
COUNT_UP_TO = 10_000
DUE_SOON = timedelta(hours=2)
MAX_WORDS = 10
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
UNASSIGNED = "none"


@dataclass(frozen=True)
class LogFilters:
    """What the log is narrowed to; every value has already been checked."""

    statuses: tuple[str, ...] = OPEN_STATUSES
    assignee_id: int | None = None
    unassigned: bool = False
    kind: str | None = None
    release_id: int | None = None
    outlet: str = ""
    received_from: datetime | None = None
    received_before: datetime | None = None
    due: str = ""  # "overdue", "soon" or ""
    words: tuple[str, ...] = field(default_factory=tuple)
    sort: str = "deadline"
    foi_only: bool = False  # only enquiries flagged as FOI or EIR requests


@dataclass(frozen=True)
class Cursor:
    """A place in the log: the sort value and id of a row that the next (or previous) page starts beside."""

    value: datetime
    id: int

    def __str__(self) -> str:
        micros = (self.value - EPOCH) // timedelta(microseconds=1)
        return f"{micros}_{self.id}"

    @classmethod
    def parse(cls, text: str | None) -> "Cursor | None":
        """Read a cursor from a link; anything that is not one (edited, truncated, absurd) is None."""
        if not text or len(text) > 40:
            return None
        micros, _, row_id = text.partition("_")
        try:
            value = EPOCH + timedelta(microseconds=int(micros))
            number = int(row_id)
        except (ValueError, OverflowError):
            return None
        if not 0 < number <= MAX_ID or not 1900 <= value.year <= 9000:
            return None
        return cls(value, number)


@dataclass(frozen=True)
class LogPage:
    enquiries: list[Enquiry]
    next: Cursor | None
    previous: Cursor | None


class contains_text(FunctionElement[bool]):  # noqa: N801 - named as SQL functions are
    """Case-blind "contains" that an index can serve: ILIKE on PostgreSQL, where the trigram indexes of
    migration 0008 answer it, and plain LIKE on SQLite, which already ignores ASCII case (its lower()
    folds nothing more) and so scans once rather than lower-casing every row first."""

    type = Boolean()
    inherit_cache = True
    name = "contains_text"
    # Already a true/false test: SQLite must not have "= 1" added after it.
    _is_implicitly_boolean = True


@compiles(contains_text)
def _like(element: contains_text, compiler, **kw) -> str:
    column, pattern = list(element.clauses)
    return f"({compiler.process(column, **kw)} LIKE {compiler.process(pattern, **kw)} ESCAPE '/')"


@compiles(contains_text, "postgresql")
def _ilike(element: contains_text, compiler, **kw) -> str:
    column, pattern = list(element.clauses)
    return f"({compiler.process(column, **kw)} ILIKE {compiler.process(pattern, **kw)} ESCAPE '/')"


def contains(column, text: str) -> contains_text:
    """Match the text anywhere in the column, with %, _ and / taken literally."""
    escaped = text.replace("/", "//").replace("%", "/%").replace("_", "/_")
    return contains_text(column, literal(f"%{escaped}%", String()))


def sort_column(sort: str):
    return Enquiry.received_at if sort == "received" else Enquiry.deadline_at


def conditions(filters: LogFilters, now: datetime) -> list[ColumnElement[bool]]:
    """The WHERE terms for these filters, as a list both the page and its count can use."""
    terms: list[ColumnElement[bool]] = []
    statuses = set(filters.statuses)
    if filters.due:
        # Only an enquiry still waiting on the press office can be late.
        statuses &= set(OPEN_STATUSES)
    if statuses != set(EnquiryStatus):
        # Written into the SQL, in the enum's order, so "open" matches the partial index of migration 0008.
        listed = [str(status) for status in EnquiryStatus if status in statuses]
        terms.append(Enquiry.status.in_(bindparam("statuses", listed, expanding=True, literal_execute=True)))
    if filters.due == "overdue":
        terms.append(Enquiry.deadline_at < now)
    elif filters.due == "soon":
        terms.extend([Enquiry.deadline_at >= now, Enquiry.deadline_at < now + DUE_SOON])
    if filters.unassigned:
        terms.append(Enquiry.assignee_id.is_(None))
    elif filters.assignee_id is not None:
        terms.append(Enquiry.assignee_id == filters.assignee_id)
    if filters.kind:
        terms.append(Enquiry.kind == filters.kind)
    if filters.release_id is not None:
        terms.append(Enquiry.release_id == filters.release_id)
    if filters.outlet:
        terms.append(contains(Enquiry.outlet, filters.outlet))
    if filters.received_from is not None:
        terms.append(Enquiry.received_at >= filters.received_from)
    if filters.received_before is not None:
        terms.append(Enquiry.received_at < filters.received_before)
    if filters.foi_only:
        terms.append(Enquiry.request_law != "")
    for word in filters.words[:MAX_WORDS]:
        terms.append(or_(*(contains(column, word) for column in (
            Enquiry.reference, Enquiry.journalist_name, Enquiry.outlet, Enquiry.subject, Enquiry.body,
        ))))
    return terms


def ordered(query: Select, sort: str, *, backwards: bool = False) -> Select:
    """Deadline soonest first, or received newest first; the id settles ties so every row has one place."""
    column = sort_column(sort)
    ascending = (sort != "received") != backwards
    if ascending:
        return query.order_by(column.asc(), Enquiry.id.asc())
    return query.order_by(column.desc(), Enquiry.id.desc())


def beyond(sort: str, cursor: Cursor, *, backwards: bool = False) -> ColumnElement[bool]:
    """The rows that come after the cursor in the log's order (or before it, going backwards)."""
    column = sort_column(sort)
    key = tuple_(column, Enquiry.id)
    # Typed so SQLite compares the stored UTC text with UTC text, as the column stores it.
    at = tuple_(literal(cursor.value, UTCDateTime()), literal(cursor.id))
    later = (sort != "received") != backwards
    return key > at if later else key < at


def cursor_of(enquiry: Enquiry, sort: str) -> Cursor:
    return Cursor(enquiry.received_at if sort == "received" else enquiry.deadline_at, enquiry.id)


def count(session: Session, filters: LogFilters, now: datetime, *, up_to: int | None = None) -> int:
    """How many enquiries match the filters; with up_to, counting stops one past it, so it stays quick."""
    if up_to is None:
        return session.scalar(select(func.count()).select_from(Enquiry).where(*conditions(filters, now))) or 0
    matches = select(Enquiry.id).where(*conditions(filters, now)).limit(up_to + 1).subquery()
    return session.scalar(select(func.count()).select_from(matches)) or 0


def page(session: Session, filters: LogFilters, now: datetime, *, after: Cursor | None = None,
         before: Cursor | None = None, per_page: int | None = None) -> LogPage:
    """One page of the log, starting after a cursor (or ending before one), without OFFSET."""
    per_page = per_page or PER_PAGE
    backwards = before is not None and after is None
    query = select(Enquiry).where(*conditions(filters, now)).options(
        defer(Enquiry.body),
        selectinload(Enquiry.release).load_only(Release.id, Release.reference),
        selectinload(Enquiry.assignee).load_only(User.id, User.name),
    )
    if after is not None:
        query = query.where(beyond(filters.sort, after))
    elif before is not None:
        query = query.where(beyond(filters.sort, before, backwards=True))
    query = ordered(query, filters.sort, backwards=backwards).limit(per_page + 1)
    rows = list(session.scalars(query))
    more = len(rows) > per_page
    rows = rows[:per_page]
    if backwards:
        rows.reverse()
        # Going back from a row means there are rows after this page: at least that one.
        previous = cursor_of(rows[0], filters.sort) if more and rows else None
        following = cursor_of(rows[-1], filters.sort) if rows else before
        return LogPage(rows, following, previous)
    following = cursor_of(rows[-1], filters.sort) if more else None
    previous = cursor_of(rows[0], filters.sort) if after is not None and rows else None
    return LogPage(rows, following, previous)


def plain_time(column):
    """A UTC column read as a plain DateTime: naive UTC on SQLite, skipping a Python conversion per cell."""
    return type_coerce(column, DateTime(timezone=True)).label(column.key)


EXPORT_COLUMNS = (
    Enquiry.reference, plain_time(Enquiry.received_at), Enquiry.channel, Enquiry.journalist_name, Enquiry.outlet,
    Enquiry.email, Enquiry.phone, Enquiry.kind, Release.reference.label("release_reference"), Enquiry.subject,
    Enquiry.body, plain_time(Enquiry.deadline_at), Enquiry.interviewee, Enquiry.interview_format,
    Enquiry.interview_mode, plain_time(Enquiry.proposed_at), Enquiry.proposed_place, User.name.label("assignee_name"),
    Enquiry.status, Enquiry.outcome, plain_time(Enquiry.first_response_at), plain_time(Enquiry.closed_at),
    Enquiry.coverage_url,
)


def export_query(filters: LogFilters, now: datetime) -> Select:
    """Every matching enquiry as plain rows with its release reference and assignee's name, in the log's order."""
    query = (
        select(*EXPORT_COLUMNS)
        .select_from(Enquiry)
        .outerjoin(Release, Enquiry.release_id == Release.id)
        .outerjoin(User, Enquiry.assignee_id == User.id)
        .where(*conditions(filters, now))
    )
    return ordered(query, filters.sort)


def export_rows(connection: Connection, filters: LogFilters, now: datetime, *,
                per_chunk: int) -> Iterator[Sequence[Row]]:
    """The export's rows from the connection, per_chunk at a time, fetched as they are read."""
    return connection.execute(export_query(filters, now).execution_options(yield_per=per_chunk)).partitions()


# --- Pages' reads -----------------------------------------------------------------------------------------------

def enquiry_by_id(session: Session, enquiry_id: int) -> Enquiry | None:
    """The enquiry with this id, if there is one."""
    return session.get(Enquiry, enquiry_id)


def timeline(session: Session, enquiry_id: int) -> list[EnquiryEvent]:
    """An enquiry's events oldest first, each with the person who did it."""
    return list(session.scalars(
        select(EnquiryEvent).where(EnquiryEvent.enquiry_id == enquiry_id)
        .options(selectinload(EnquiryEvent.by)).order_by(EnquiryEvent.id)
    ))


def user_by_id(session: Session, user_id: int) -> User | None:
    """The account with this id, if there is one."""
    return session.get(User, user_id)


def active_people(session: Session) -> list[Row[tuple[int, str]]]:
    """The id and name of every active account, of any role, by name."""
    return list(session.execute(select(User.id, User.name).where(User.active.is_(True)).order_by(User.name, User.id)))


def duty_officer_history(session: Session, limit: int) -> list[DutyOfficer]:
    """The latest duty press officer choices, newest first, with who was chosen and who chose them."""
    return list(session.scalars(
        select(DutyOfficer).options(selectinload(DutyOfficer.user), selectinload(DutyOfficer.set_by))
        .order_by(DutyOfficer.id.desc()).limit(limit)
    ))


def release_id_by_reference(session: Session, reference: str) -> int | None:
    """The id of the release with this reference, whatever its case."""
    return session.scalar(select(Release.id).where(func.lower(Release.reference) == reference.lower()).limit(1))


def final_release(session: Session, reference: str) -> Release | None:
    """The final release with this reference, embargoed or not."""
    return session.scalar(select(Release).where(Release.reference == reference, Release.status == Status.FINAL))


def recent_final_releases(session: Session, limit: int) -> list[Release]:
    """The newest final releases, embargoed or not, newest first."""
    return list(session.scalars(
        select(Release).where(Release.status == Status.FINAL)
        .order_by(Release.created_at.desc(), Release.id.desc()).limit(limit)
    ))


# Built once: the public-visibility condition is costly to build and this runs on every submission.
PUBLIC_RELEASE = (
    select(Release.id, Release.reference, Release.headline, User.id, User.name, User.email, User.active)
    .outerjoin(User, User.id == Release.contact_id)
    .where(Release.reference == bindparam("reference"), Release.listed_filter(bindparam("now", type_=UTCDateTime)))
)


def public_release(connection: Connection, reference: str, now: datetime) -> ReleaseRoute | None:
    """The release with this reference if the public may see it at this time, with its active media contact."""
    row = connection.execute(PUBLIC_RELEASE, {"reference": reference, "now": now}).first()
    if row is None:
        return None
    release_id, reference, headline, user_id, name, email, active = row
    return ReleaseRoute(release_id, reference, headline, Person(user_id, name, email) if active else None)


def recent_public_releases(session: Session, now: datetime, limit: int) -> list[Row[tuple[str, str]]]:
    """The reference and headline of the newest releases the public may see at this time, newest first."""
    return list(session.execute(
        select(Release.reference, Release.headline)
        .where(Release.listed_filter(now))
        .order_by(Release.public_from.desc(), Release.id.desc())
        .limit(limit)
    ))
