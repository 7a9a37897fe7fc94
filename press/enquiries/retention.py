"""Retention: old enquiries lose the journalist's personal data but keep what the statistics need."""

import calendar
import contextlib
import os
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, Select, and_, case, delete, insert, literal, select, update
from sqlalchemy.orm import Session

from press import clock
from press.enquiries.emails import ACKNOWLEDGEMENT
from press.enquiries.models import (
    Enquiry,
    EnquiryAttachment,
    EnquiryEmail,
    EnquiryEvent,
    EnquiryPurge,
    EventKind,
    FoiPause,
)
from press.outbox.models import Delivery, DeliveryStatus

ANONYMISED_NAME = "Anonymised"
REMOVED = "[removed under the retention policy]"
# Events whose free text may hold what the journalist said or what we said about them.
TEXT_EVENTS = (EventKind.NOTE, EventKind.RESPONSE, EventKind.CLOSED, EventKind.FOI_PAUSED, EventKind.FOI_EXTENDED)
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
    wrote, the interview details, the link to their contact, the text of notes and responses, and the
    emails exchanged with them (addresses, subjects, text and the files they sent).
    """
    if older_than_months < 1:
        raise ValueError("Keep enquiries for at least one month.")
    now = clock.now()
    cutoff = months_before(now, older_than_months)
    session.execute(
        update(Delivery)
        .where(Delivery.kind.in_(ENQUIRY_EMAILS), Delivery.created_at < cutoff)
        .values(to_address="anonymised@invalid", smtp_response="")
        .execution_options(synchronize_session=False)
    )
    count = anonymise(session, Enquiry.received_at < cutoff, now=now, older_than_months=older_than_months)
    purge = EnquiryPurge(run_at=now, older_than_months=older_than_months, cutoff=cutoff, anonymised=count,
                         run_by=run_by)
    session.add(purge)
    session.flush()
    return purge


def anonymise(session: Session, which: ColumnElement[bool], *, now: datetime, removed: str = REMOVED,
              **details: Any) -> int:
    """Anonymise the enquiries ``which`` picks out (those not done already), as the retention rule does, and
    say how many; what was written becomes ``removed``, and ``details`` go on each one's timeline entry.
    Erasing a contact uses it for their enquiries.
    """
    old = and_(which, Enquiry.anonymised_at.is_(None))
    ids = select(Enquiry.id).where(old)
    # The timeline entry first, while the condition still picks these enquiries out.
    session.execute(insert(EnquiryEvent).from_select(
        ["enquiry_id", "at", "kind", "text", "details"],
        select(Enquiry.id, literal(now, EnquiryEvent.at.type), literal(EventKind.ANONYMISED.value),
               literal(""), literal(details, EnquiryEvent.details.type))
        .where(old),
    ))
    session.execute(
        update(EnquiryEvent)
        .where(EnquiryEvent.enquiry_id.in_(ids), EnquiryEvent.kind.in_(TEXT_EVENTS), EnquiryEvent.text != "")
        .values(text=removed)
        .execution_options(synchronize_session=False)
    )
    forget_emails(session, ids, removed)
    # What was asked for, or why the extension, can say who asked and about whom.
    session.execute(update(FoiPause).where(FoiPause.enquiry_id.in_(ids), FoiPause.note != "").values(note=removed)
                    .execution_options(synchronize_session=False))
    count = session.execute(
        update(Enquiry)
        .where(old)
        .values(journalist_name=ANONYMISED_NAME, email="", phone="", subject=removed, body=removed,
                interviewee="", proposed_place="", contact_id=None, anonymised_at=now,
                foi_extension_reason=case((Enquiry.foi_extension_reason != "", literal(removed)), else_=literal("")))
        .execution_options(synchronize_session=False)
    ).rowcount
    session.flush()
    return count


def forget_emails(session: Session, enquiry_ids: Select, removed: str = REMOVED) -> None:
    """Blank the conversation of these enquiries: who wrote, to whom, what was said, and the files sent.

    The rows stay, so the timeline still shows an email came or went and when. A reply not yet sent is
    cancelled. The files are removed from disk at once: should the transaction then fail, their rows point at
    nothing, and the download says so with a 404 rather than keeping what was asked to go.
    """
    emails = select(EnquiryEmail.id).where(EnquiryEmail.enquiry_id.in_(enquiry_ids))
    stored = list(session.scalars(select(EnquiryAttachment.stored_name).where(EnquiryAttachment.email_id.in_(emails))))
    session.execute(delete(EnquiryAttachment).where(EnquiryAttachment.email_id.in_(emails))
                    .execution_options(synchronize_session=False))
    replies = select(EnquiryEmail.delivery_id).where(EnquiryEmail.enquiry_id.in_(enquiry_ids),
                                                     EnquiryEmail.delivery_id.is_not(None))
    session.execute(
        update(Delivery).where(Delivery.id.in_(replies), Delivery.status == DeliveryStatus.QUEUED)
        .values(status=DeliveryStatus.CANCELLED).execution_options(synchronize_session=False)
    )
    session.execute(
        update(Delivery).where(Delivery.id.in_(replies))
        .values(to_address="anonymised@invalid", smtp_response="", bounce_reason="")
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(EnquiryEmail).where(EnquiryEmail.enquiry_id.in_(enquiry_ids))
        .values(from_name="", from_address="", to_address="", subject=removed, body=removed, in_reply_to="",
                references="", suggested_deadline_words="")
        .execution_options(synchronize_session=False)
    )
    directory = current_app.config["PRESS_UPLOAD_DIR"]
    for name in stored:
        if os.path.basename(name) == name:
            with contextlib.suppress(FileNotFoundError):
                os.remove(os.path.join(directory, name))
