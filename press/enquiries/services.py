"""Taking in, routing and working media enquiries; every change goes on the enquiry's timeline."""

from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import Connection, bindparam, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, joinedload, make_transient_to_detached

from press import clock, uktime
from press.audit import audit
from press.accounts.models import User
from press.accounts.services import normalise_email
from press.contacts.models import Contact
from press.database import prepared_statements
from press.enquiries.emails import ACKNOWLEDGEMENT, ASSIGNED
from press.enquiries.models import (
    ANSWERED_STATUSES,
    Channel,
    DutyOfficer,
    Enquiry,
    EnquiryCounter,
    EnquiryEvent,
    EnquiryStatus,
    EventKind,
    Outcome,
)
from press.outbox.queue import delivery_values, enqueue_many
from press.releases.models import Release


class EnquiryError(ValueError):
    """An enquiry could not be changed as asked; the message says why, for the person asking."""


def reference_for(year: int, sequence: int) -> str:
    return f"ENQ-{year}-{sequence:04d}"


def _bump_counter(insert) -> Any:
    table = EnquiryCounter.__table__
    return (
        insert(table)
        .values(year=bindparam("year"), last=1)
        .on_conflict_do_update(index_elements=[table.c.year], set_={"last": table.c.last + 1})
        .returning(table.c.last)
    )


# The submission path's statements, built once: building a statement costs more than running it.
BUMP_COUNTER = {"postgresql": _bump_counter(pg_insert), "sqlite": _bump_counter(sqlite_insert)}
DUTY_OFFICER = select(DutyOfficer).options(joinedload(DutyOfficer.user)).order_by(DutyOfficer.id.desc()).limit(1)
DUTY_PERSON = (
    select(User.id, User.name, User.email, User.active)
    .join(DutyOfficer, DutyOfficer.user_id == User.id)
    .order_by(DutyOfficer.id.desc())
    .limit(1)
)
INSERT_EVENTS = insert(EnquiryEvent.__table__)
# The journalist is linked to their contact record, if they have one, by the insert itself.
INSERT_ENQUIRY = (
    insert(Enquiry.__table__)
    .values(contact_id=select(Contact.id).where(Contact.email == bindparam("contact_email")).scalar_subquery())
    .returning(Enquiry.__table__.c.id, Enquiry.__table__.c.contact_id)
)


class Person(NamedTuple):
    """Who an enquiry is routed to: enough to name them on the timeline and email them."""

    id: int
    name: str
    email: str


class ReleaseRoute(NamedTuple):
    """What taking an enquiry needs to know of the release it is about: one cheap row, or read off a Release."""

    id: int
    reference: str
    headline: str
    contact: Person | None  # the named media contact, if their account is active

    @classmethod
    def of(cls, release: Release) -> "ReleaseRoute":
        contact = release.contact
        person = Person(contact.id, contact.name, contact.email) if contact is not None and contact.active else None
        return cls(release.id, release.reference, release.headline, person)


class NewEnquiry(NamedTuple):
    id: int
    values: dict[str, Any]  # the columns as written


def next_sequence(connection: Connection, year: int) -> int:
    """Give out the next number for this year: one atomic upsert, so racing requests never share one."""
    return connection.execute(BUMP_COUNTER[connection.dialect.name], {"year": year}).scalar_one()


def duty_officer(session: Session) -> User | None:
    """The press officer who takes enquiries that are not about a release, if one is set and still active."""
    current = session.scalar(DUTY_OFFICER)
    return current.user if current is not None and current.user.active else None


def set_duty_officer(session: Session, user: User, *, by: User | None) -> DutyOfficer:
    """Make this person the duty press officer from now on; earlier choices stay as history."""
    if not user.active:
        raise EnquiryError(f"{user.name}'s account is not active.")
    duty = DutyOfficer(user=user, set_by=by, set_at=clock.now())
    session.add(duty)
    session.flush()
    audit(session, "duty officer chosen", by, user)
    return duty


def route(connection: Connection, release: ReleaseRoute | None) -> Person | None:
    """Who an enquiry goes to: the release's named media contact, or else the duty press officer."""
    if release is not None and release.contact is not None:
        return release.contact
    duty = connection.execute(DUTY_PERSON).first()
    return Person(duty.id, duty.name, duty.email) if duty is not None and duty.active else None


def add_event(session: Session, enquiry: Enquiry, kind: EventKind, by: User | None, text: str = "",
              **details: Any) -> EnquiryEvent:
    """Add one entry to an existing enquiry's timeline, with the caller's next flush."""
    entry = EnquiryEvent(**event_values(enquiry.id, kind, by.id if by else None, text, **details))
    session.add(entry)
    return entry


def take_enquiry(
    session: Session, *, channel: Channel = Channel.WEB, by: User | None = None,
    release: Release | ReleaseRoute | None = None, **fields: Any,
) -> NewEnquiry:
    """Log a new enquiry with the next reference, assign it, and queue its emails in the same transaction.

    A journalist's own web or emailed enquiry gets an acknowledgement; the assignee is told unless they logged it.
    Busy press offices get bursts of these, so the rows are written with a handful of plain statements
    on the session's connection, and no object is loaded or kept.
    """
    # Every submission writes with the same few statements: PostgreSQL may keep their plans.
    with prepared_statements(session.connection()) as connection:
        if isinstance(release, Release):
            release = ReleaseRoute.of(release)
        now = clock.now()
        year = uktime.to_london(now).year
        sequence = next_sequence(connection, year)
        email = normalise_email(fields.pop("email", "") or "")
        assignee = route(connection, release)
        by_id = by.id if by else None
        values = dict(reference=reference_for(year, sequence), year=year, sequence=sequence, channel=channel,
                      received_at=now, updated_at=now, email=email, release_id=release.id if release else None,
                      assignee_id=assignee.id if assignee else None, logged_by_id=by_id, status=EnquiryStatus.NEW,
                      **fields)
        enquiry_id, values["contact_id"] = connection.execute(INSERT_ENQUIRY, values | {"contact_email": email or None}).one()
        # What the journalist sent themselves (the web form, an email) is received; what staff enter is logged.
        first = EventKind.RECEIVED if acknowledged(channel, by) else EventKind.LOGGED
        events = [event_values(enquiry_id, first, by_id if first == EventKind.LOGGED else None, channel=channel)]
        emails = []
        deadline = values["deadline_at"]
        if assignee is not None:
            routed = "release" if release is not None and release.contact == assignee else "duty"
            events.append(event_values(enquiry_id, EventKind.ASSIGNED, by_id, to=assignee.name, to_id=assignee.id,
                                       routed=routed))
            if assignee.id != by_id:
                emails.append(assignee_email(enquiry_id, deadline, assignee.id, assignee.email))
        if acknowledged(channel, by) and email:
            # The journalist's deadline is also ours: an acknowledgement still unsent by then is no use.
            emails.append(delivery_values(kind=ACKNOWLEDGEMENT, to_address=email,
                                          payload={"enquiry_id": enquiry_id},
                                          deadline=max(deadline, now + timedelta(hours=1))))
        connection.execute(INSERT_EVENTS, events)
        enqueue_many(connection, emails)
        return NewEnquiry(enquiry_id, values)


def acknowledged(channel: Channel, by: User | None) -> bool:
    """Whether the journalist is told we have their enquiry: when they sent it themselves, through the web form
    or to the press office mailbox (an email's acknowledgement answers it, so it threads in their mail)."""
    return channel == Channel.WEB or channel == Channel.EMAIL and by is None


def submit_enquiry(session: Session, **arguments: Any) -> Enquiry:
    """take_enquiry, returning the enquiry as an object in the session (without reading it back)."""
    enquiry_id, values = take_enquiry(session, **arguments)
    enquiry = Enquiry(id=enquiry_id, **values)
    make_transient_to_detached(enquiry)
    session.add(enquiry)
    return enquiry


def event_values(enquiry_id: int, kind: EventKind, by_id: int | None, text: str = "", **details: Any) -> dict:
    """The columns of one timeline entry, for add_event or a batch insert."""
    return {"enquiry_id": enquiry_id, "at": clock.now(), "by_id": by_id, "kind": kind, "text": text,
            "details": details}


def assignee_email(enquiry_id: int, deadline_at: datetime, user_id: int, address: str) -> dict[str, Any]:
    """The outbox row that tells a press officer an enquiry is theirs."""
    return delivery_values(kind=ASSIGNED, to_address=address,
                           payload={"enquiry_id": enquiry_id, "user_id": user_id},
                           deadline=max(deadline_at, clock.now() + timedelta(hours=1)))


def notify_assignee(session: Session, enquiry: Enquiry, assignee: User) -> None:
    enqueue_many(session, [assignee_email(enquiry.id, enquiry.deadline_at, assignee.id, assignee.email)])


def assign_enquiry(session: Session, enquiry: Enquiry, to: User, *, by: User) -> None:
    """Give the enquiry to another press officer, tell them, and record who did it."""
    if not to.active:
        raise EnquiryError(f"{to.name}'s account is not active.")
    if enquiry.assignee_id == to.id:
        return
    previous = enquiry.assignee
    enquiry.assignee = to
    add_event(session, enquiry, EventKind.ASSIGNED, by, to=to.name, to_id=to.id,
              previous=previous.name if previous else None)
    audit(session, "enquiry assigned", by, enquiry, to_id=to.id, previous_id=previous.id if previous else None)
    if to != by:
        notify_assignee(session, enquiry, to)
    session.flush()


def _mark_answered(enquiry: Enquiry, at: datetime) -> None:
    if enquiry.first_response_at is None:
        enquiry.first_response_at = at


def change_status(session: Session, enquiry: Enquiry, status: EnquiryStatus, *, by: User) -> None:
    """Move the enquiry on (or back); closing goes through close_enquiry, which needs an outcome."""
    if status in (EnquiryStatus.CLOSED, EnquiryStatus.DECLINED):
        raise EnquiryError("Choose an outcome to close or decline an enquiry.")
    if status == enquiry.status:
        return
    previous = enquiry.status
    now = clock.now()
    enquiry.status = status
    if status == EnquiryStatus.RESPONDED:
        _mark_answered(enquiry, now)
    if previous in (EnquiryStatus.CLOSED, EnquiryStatus.DECLINED):
        enquiry.closed_at = None
        enquiry.outcome = None
    add_event(session, enquiry, EventKind.STATUS, by, previous=previous, to=status)
    audit(session, "enquiry status changed", by, enquiry, **{"from": str(previous), "to": str(status)})
    session.flush()


def add_note(session: Session, enquiry: Enquiry, text: str, *, by: User) -> EnquiryEvent:
    """Add an internal note; the journalist never sees it."""
    entry = add_event(session, enquiry, EventKind.NOTE, by, text=text.strip())
    audit(session, "enquiry note added", by, enquiry)
    session.flush()
    return entry


def record_response(session: Session, enquiry: Enquiry, text: str, *, by: User) -> EnquiryEvent:
    """Record what the press office told the journalist, and mark the enquiry responded."""
    entry = add_event(session, enquiry, EventKind.RESPONSE, by, text=text.strip())
    audit(session, "enquiry response recorded", by, enquiry)
    _mark_answered(enquiry, clock.now())
    if enquiry.status not in ANSWERED_STATUSES:
        previous = enquiry.status
        enquiry.status = EnquiryStatus.RESPONDED
        add_event(session, enquiry, EventKind.STATUS, by, previous=previous, to=EnquiryStatus.RESPONDED)
    session.flush()
    return entry


def close_enquiry(session: Session, enquiry: Enquiry, outcome: Outcome, *, by: User, coverage_url: str = "",
                  text: str = "") -> None:
    """Close the enquiry with its outcome (declining is a close), and the coverage it led to if any."""
    if enquiry.status in (EnquiryStatus.CLOSED, EnquiryStatus.DECLINED):
        raise EnquiryError(f"{enquiry.reference} is already {enquiry.status_label.lower()}.")
    now = clock.now()
    previous = enquiry.status
    enquiry.status = EnquiryStatus.DECLINED if outcome == Outcome.DECLINED else EnquiryStatus.CLOSED
    enquiry.outcome = outcome
    enquiry.closed_at = now
    enquiry.coverage_url = coverage_url.strip()
    if outcome != Outcome.NO_RESPONSE:
        _mark_answered(enquiry, now)
    add_event(session, enquiry, EventKind.CLOSED, by, text=text.strip(), previous=previous, to=enquiry.status,
              outcome=outcome, coverage_url=enquiry.coverage_url)
    audit(session, "enquiry closed", by, enquiry, outcome=str(outcome), to=str(enquiry.status))
    session.flush()
