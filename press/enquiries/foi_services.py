"""Flagging an enquiry as an FOI or EIR request and working its statutory clock: pauses, the extension, and
the one-off non-working days; each change goes on the timeline and the audit trail, and keeps foi_due_on right."""

from collections import defaultdict
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from press import clock, uktime
from press.accounts.models import User
from press.audit import audit
from press.enquiries import foi
from press.enquiries.models import (
    LAW_LABELS,
    OPEN_STATUSES,
    PAUSE_LABELS,
    Enquiry,
    EventKind,
    FoiPause,
    NonWorkingDay,
    RequestLaw,
)
from press.enquiries.services import EnquiryError, add_event

NOT_FLAGGED = "Flag the enquiry as an FOI or EIR request first."
ALREADY_PAUSED = "The clock is already paused. Record the answer to that first."


def non_working_days(session: Session) -> frozenset[date]:
    """The one-off days admins have added, read once for a page or a recalculation."""
    return frozenset(session.scalars(select(NonWorkingDay.day)))


def pauses_of(session: Session, enquiry_ids: list[int]) -> dict[int, list[FoiPause]]:
    """The pauses of several enquiries in one query, oldest first, by enquiry id."""
    found: dict[int, list[FoiPause]] = defaultdict(list)
    if enquiry_ids:
        for pause in session.scalars(select(FoiPause).where(FoiPause.enquiry_id.in_(enquiry_ids))
                                     .order_by(FoiPause.started_on, FoiPause.id)):
            found[pause.enquiry_id].append(pause)
    return found


def as_rule(pauses: list[FoiPause]) -> list[foi.Pause]:
    return [foi.Pause(pause.kind, pause.started_on, pause.ended_on) for pause in pauses]


def state_of(enquiry: Enquiry, pauses: list[FoiPause], extra_days: frozenset[date]) -> foi.ClockState | None:
    """The clock of a flagged enquiry, or None for an ordinary one."""
    if not enquiry.request_law:
        return None
    return foi.clock_state(enquiry.request_law, enquiry.received_at, as_rule(pauses), enquiry.foi_extension_days,
                           extra_days)


def states_for(session: Session, enquiries: list[Enquiry]) -> dict[int, foi.ClockState]:
    """The clocks of a page of enquiries, from one read of the pauses and one of the one-off days."""
    flagged = [enquiry for enquiry in enquiries if enquiry.request_law]
    if not flagged:
        return {}
    pauses = pauses_of(session, [enquiry.id for enquiry in flagged])
    extra = non_working_days(session)
    return {enquiry.id: state_of(enquiry, pauses.get(enquiry.id, []), extra) for enquiry in flagged}


def recompute(session: Session, enquiry: Enquiry, extra_days: frozenset[date] | None = None) -> date | None:
    """Work the due date out again and keep it on the enquiry, after anything that can move it."""
    session.flush()
    extra = non_working_days(session) if extra_days is None else extra_days
    state = state_of(enquiry, pauses_of(session, [enquiry.id]).get(enquiry.id, []), extra)
    enquiry.foi_due_on = state.due_on if state is not None else None
    return enquiry.foi_due_on


def today() -> date:
    return uktime.to_london(clock.now()).date()


def _shown(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


def flag_request(session: Session, enquiry: Enquiry, law: str, *, by: User) -> str:
    """Mark the enquiry as a request under FOI or the EIR ("" for neither) and say what changed."""
    if law == enquiry.request_law:
        return "Nothing changed: it was already " + (f"an {LAW_LABELS[law]} request." if law else "not an FOI or EIR request.")
    previous = enquiry.request_law
    enquiry.request_law = law
    enquiry.foi_flagged_at = clock.now() if law else None
    due = recompute(session, enquiry)
    add_event(session, enquiry, EventKind.FOI_FLAGGED, by, law=law, previous=previous, due_on=_shown(due))
    audit(session, "enquiry flagged as FOI/EIR" if law else "enquiry FOI/EIR flag removed", by, enquiry,
          law=law, previous=previous)
    if not law:
        return "It is no longer marked as an FOI or EIR request."
    return f"Marked as an {LAW_LABELS[RequestLaw(law)]} request." + (f" Due {foi.long_date(due)}." if due else "")


def open_pause(session: Session, enquiry: Enquiry) -> FoiPause | None:
    return session.scalar(select(FoiPause).where(FoiPause.enquiry_id == enquiry.id, FoiPause.ended_on.is_(None))
                          .order_by(FoiPause.id.desc()).limit(1))


def start_pause(session: Session, enquiry: Enquiry, kind: str, started_on: date, note: str, *, by: User) -> FoiPause:
    """Stop the clock from the day a clarification request or a fees notice went to the requester."""
    if not enquiry.request_law:
        raise EnquiryError(NOT_FLAGGED)
    if open_pause(session, enquiry) is not None:
        raise EnquiryError(ALREADY_PAUSED)
    received = foi.received_on(enquiry.received_at)
    if started_on < received:
        raise EnquiryError(f"The date sent cannot be before the request came in, on {foi.long_date(received)}.")
    if started_on > today():
        raise EnquiryError("The date sent cannot be in the future.")
    latest = session.scalar(select(FoiPause.ended_on).where(FoiPause.enquiry_id == enquiry.id)
                            .order_by(FoiPause.ended_on.desc()).limit(1))
    if latest is not None and started_on < latest:
        raise EnquiryError(f"The date sent cannot be before the last pause ended, on {foi.long_date(latest)}.")
    pause = FoiPause(enquiry_id=enquiry.id, kind=kind, started_on=started_on, note=note.strip(), by_id=by.id,
                     at=clock.now())
    try:
        with session.begin_nested():
            session.add(pause)
            session.flush()
    except IntegrityError:
        raise EnquiryError(ALREADY_PAUSED) from None
    recompute(session, enquiry)
    add_event(session, enquiry, EventKind.FOI_PAUSED, by, text=pause.note, pause=kind,
              started_on=started_on.isoformat())
    audit(session, "FOI clock paused", by, enquiry, pause=kind, started_on=started_on.isoformat())
    return pause


def end_pause(session: Session, enquiry: Enquiry, ended_on: date, *, by: User) -> date | None:
    """Start the clock again from the day the clarification or the fee came in, and give the new due date."""
    pause = open_pause(session, enquiry)
    if pause is None:
        raise EnquiryError("The clock is not paused.")
    if ended_on < pause.started_on:
        raise EnquiryError(f"The date answered cannot be before the date sent, {foi.long_date(pause.started_on)}.")
    if ended_on > today():
        raise EnquiryError("The date answered cannot be in the future.")
    pause.ended_on = ended_on
    due = recompute(session, enquiry)
    add_event(session, enquiry, EventKind.FOI_RESUMED, by, pause=pause.kind, ended_on=ended_on.isoformat(),
              due_on=_shown(due))
    audit(session, "FOI clock restarted", by, enquiry, pause=pause.kind, ended_on=ended_on.isoformat())
    return due


def extend(session: Session, enquiry: Enquiry, days: int, reason: str, *, by: User) -> date | None:
    """Record the extension (its working days replace any recorded before) and give the new due date."""
    if not enquiry.request_law:
        raise EnquiryError(NOT_FLAGGED)
    if not 1 <= days <= foi.MOST_EXTRA_DAYS:
        raise EnquiryError(f"Enter a number of working days from 1 to {foi.MOST_EXTRA_DAYS}.")
    previous = enquiry.foi_extension_days
    enquiry.foi_extension_days = days
    enquiry.foi_extension_reason = reason.strip()
    enquiry.foi_extended_at = clock.now()
    enquiry.foi_extended_by_id = by.id
    due = recompute(session, enquiry)
    add_event(session, enquiry, EventKind.FOI_EXTENDED, by, text=enquiry.foi_extension_reason, days=days,
              previous=previous, due_on=_shown(due))
    audit(session, "FOI deadline extended", by, enquiry, days=days, previous=previous, due_on=_shown(due))
    return due


# --- One-off non-working days -----------------------------------------------------------------------------------

def recompute_open_requests(session: Session, *, by: User, reason: str) -> int:
    """Work out again the due date of every open FOI or EIR request; a date that moves goes on its timeline."""
    session.flush()
    extra = non_working_days(session)
    enquiries = list(session.scalars(select(Enquiry).where(Enquiry.request_law != "",
                                                           Enquiry.status.in_([str(s) for s in OPEN_STATUSES]))))
    pauses = pauses_of(session, [enquiry.id for enquiry in enquiries])
    moved = 0
    for enquiry in enquiries:
        state = state_of(enquiry, pauses.get(enquiry.id, []), extra)
        due = state.due_on if state is not None else None
        if due != enquiry.foi_due_on:
            add_event(session, enquiry, EventKind.FOI_DUE, by, previous=_shown(enquiry.foi_due_on), due_on=_shown(due),
                      reason=reason)
            enquiry.foi_due_on = due
            moved += 1
    return moved


def add_non_working_day(session: Session, day: date, name: str, *, by: User) -> tuple[NonWorkingDay, int]:
    """Add a one-off non-working day and move the due dates it affects; refuses a day already added."""
    entry = NonWorkingDay(day=day, name=" ".join(name.split()), added_by_id=by.id, added_at=clock.now())
    try:
        with session.begin_nested():
            session.add(entry)
            session.flush()
    except IntegrityError:
        raise EnquiryError(f"{foi.long_date(day)} is already a one-off non-working day.") from None
    moved = recompute_open_requests(session, by=by, reason=f"{entry.name} added as a non-working day")
    audit(session, "non-working day added", by, entry, day=day.isoformat(), name=entry.name, moved=moved)
    return entry, moved


def remove_non_working_day(session: Session, entry: NonWorkingDay, *, by: User) -> int:
    """Take a one-off day away again and move the due dates back."""
    day, name = entry.day, entry.name
    session.delete(entry)
    moved = recompute_open_requests(session, by=by, reason=f"{name} removed from the non-working days")
    audit(session, "non-working day removed", by, entry, day=day.isoformat(), name=name, moved=moved)
    return moved


def pause_label(kind: str) -> str:
    return PAUSE_LABELS.get(kind, kind)
