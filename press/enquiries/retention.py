"""Retention: old enquiries lose the journalist's personal data but keep what the statistics need."""

import calendar
from datetime import datetime

from sqlalchemy import and_, insert, literal, select, update
from sqlalchemy.orm import Session

from press import clock
from press.enquiries.emails import ACKNOWLEDGEMENT
from press.enquiries.models import Enquiry, EnquiryEvent, EnquiryPurge, EventKind
from press.outbox.models import Delivery

ANONYMISED_NAME = "Anonymised"
REMOVED = "[removed under the retention policy]"
# Events whose free text may hold what the journalist said or what we said about them.
TEXT_EVENTS = (EventKind.NOTE, EventKind.RESPONSE, EventKind.CLOSED)
ENQUIRY_EMAILS = (ACKNOWLEDGEMENT.name,)


def months_before(moment: datetime, months: int) -> datetime:
    """The same moment ``months`` calendar months earlier (the 31st becomes the month's last day)."""
    total = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(total, 12)
    month += 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def purge_enquiries(session: Session, older_than_months: int, *, run_by: str) -> EnquiryPurge:
    """Anonymise every enquiry received before the cutoff and not yet anonymised, and record the run.

    Kept: reference, times, type, outlet, release, assignee, status, outcome and coverage link, so
    the dashboard's figures do not change. Removed: the journalist's name, email and phone, what they
    wrote, the interview details, the link to their contact, and the text of notes and responses.
    """
    if older_than_months < 1:
        raise ValueError("Keep enquiries for at least one month.")
    now = clock.now()
    cutoff = months_before(now, older_than_months)
    old = and_(Enquiry.received_at < cutoff, Enquiry.anonymised_at.is_(None))
    ids = select(Enquiry.id).where(old)
    # The timeline entry first, while the condition still picks these enquiries out.
    session.execute(insert(EnquiryEvent).from_select(
        ["enquiry_id", "at", "kind", "text", "details"],
        select(Enquiry.id, literal(now, EnquiryEvent.at.type), literal(EventKind.ANONYMISED.value),
               literal(""), literal({"older_than_months": older_than_months}, EnquiryEvent.details.type))
        .where(old),
    ))
    session.execute(
        update(EnquiryEvent)
        .where(EnquiryEvent.enquiry_id.in_(ids), EnquiryEvent.kind.in_(TEXT_EVENTS), EnquiryEvent.text != "")
        .values(text=REMOVED)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(Delivery)
        .where(Delivery.kind.in_(ENQUIRY_EMAILS), Delivery.created_at < cutoff)
        .values(to_address="anonymised@invalid", smtp_response="")
        .execution_options(synchronize_session=False)
    )
    count = session.execute(
        update(Enquiry)
        .where(old)
        .values(journalist_name=ANONYMISED_NAME, email="", phone="", subject=REMOVED, body=REMOVED,
                interviewee="", proposed_place="", contact_id=None, anonymised_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    purge = EnquiryPurge(run_at=now, older_than_months=older_than_months, cutoff=cutoff, anonymised=count,
                         run_by=run_by)
    session.add(purge)
    session.flush()
    return purge
