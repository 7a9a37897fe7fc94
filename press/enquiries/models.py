"""Media enquiries, their append-only timeline, and the settings that route them."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text, UniqueConstraint, event, text
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from press import clock
from press.accounts.models import User
from press.contacts.models import Contact
from press.database import UTCDateTime
from press.extensions import db
from press.releases.models import Release


class EnquiryKind(StrEnum):
    INTERVIEW = "interview"
    COMMENT = "comment"
    INFORMATION = "information"
    FILMING = "filming"
    OTHER = "other"


KIND_LABELS = {
    EnquiryKind.INTERVIEW: "Interview request",
    EnquiryKind.COMMENT: "Request for comment or statement",
    EnquiryKind.INFORMATION: "Information or background",
    EnquiryKind.FILMING: "Filming or photography",
    EnquiryKind.OTHER: "Other",
}


class EnquiryStatus(StrEnum):
    NEW = "new"
    IN_PROGRESS = "in_progress"
    RESPONDED = "responded"
    CLOSED = "closed"
    DECLINED = "declined"


STATUS_LABELS = {
    EnquiryStatus.NEW: "New",
    EnquiryStatus.IN_PROGRESS: "In progress",
    EnquiryStatus.RESPONDED: "Responded",
    EnquiryStatus.CLOSED: "Closed",
    EnquiryStatus.DECLINED: "Declined",
}

# Still waiting on the press office: these can be overdue.
OPEN_STATUSES = (EnquiryStatus.NEW, EnquiryStatus.IN_PROGRESS)
# A person in the press office has answered the journalist, one way or another.
ANSWERED_STATUSES = (EnquiryStatus.RESPONDED, EnquiryStatus.CLOSED, EnquiryStatus.DECLINED)


class Outcome(StrEnum):
    STATEMENT = "statement"
    INTERVIEW = "interview"
    BACKGROUND = "background"
    DECLINED = "declined"
    NO_RESPONSE = "no_response"


OUTCOME_LABELS = {
    Outcome.STATEMENT: "Statement issued",
    Outcome.INTERVIEW: "Interview arranged",
    Outcome.BACKGROUND: "Background given",
    Outcome.DECLINED: "Declined",
    Outcome.NO_RESPONSE: "No response needed",
}


class Channel(StrEnum):
    WEB = "web"
    PHONE = "phone"
    EMAIL = "email"


CHANNEL_LABELS = {Channel.WEB: "Web form", Channel.PHONE: "Phone", Channel.EMAIL: "Email"}

INTERVIEW_FORMATS = {"tv": "TV", "radio": "Radio", "print": "Print", "online": "Online"}
INTERVIEW_MODES = {"live": "Live", "recorded": "Recorded"}


class Enquiry(db.Model):
    """One question from a journalist, with its deadline, its owner and where it has got to."""

    __tablename__ = "enquiries"
    __table_args__ = (
        UniqueConstraint("year", "sequence", name="uq_enquiries_year_sequence"),
        # The log's two orders, each with the id as tie-breaker for keyset paging.
        Index("ix_enquiries_received", "received_at", "id"),
        Index("ix_enquiries_deadline", "deadline_at", "id"),
        # "Mine, still open, soonest deadline first" and the overdue counts per person.
        Index("ix_enquiries_assignee_status", "assignee_id", "status", "deadline_at"),
        Index("ix_enquiries_status_deadline", "status", "deadline_at", "id"),
        Index("ix_enquiries_release", "release_id", "received_at"),
        # The log's default page, open enquiries soonest deadline first, read straight off an index (0008).
        Index("ix_enquiries_open_deadline", "deadline_at", "id",
              sqlite_where=text("status IN ('new', 'in_progress')"),
              postgresql_where=text("status IN ('new', 'in_progress')")),
        # The dashboard's median time to first response reads the answered ones in order (0009).
        Index("ix_enquiries_first_response", "first_response_at", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    year: Mapped[int]
    sequence: Mapped[int]
    channel: Mapped[str] = mapped_column(String(10), default=Channel.WEB)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    journalist_name: Mapped[str] = mapped_column(String(200))
    outlet: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    kind: Mapped[str] = mapped_column(String(20))
    release_id: Mapped[int | None] = mapped_column(ForeignKey("releases.id"))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    deadline_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # For interview requests only.
    interviewee: Mapped[str] = mapped_column(String(200), default="")
    interview_format: Mapped[str] = mapped_column(String(20), default="")
    interview_mode: Mapped[str] = mapped_column(String(20), default="")
    proposed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    proposed_place: Mapped[str] = mapped_column(String(300), default="")

    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(20), default=EnquiryStatus.NEW)
    outcome: Mapped[str | None] = mapped_column(String(20))
    coverage_url: Mapped[str] = mapped_column(String(1000), default="")
    # When the press office first answered: the basis of "time to first response" and "before the deadline".
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"), index=True)
    logged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A request under the Freedom of Information Act ("foi") or the Environmental Information Regulations
    # ("eir"), with its statutory clock (press.enquiries.foi); "" for an ordinary media enquiry.
    request_law: Mapped[str] = mapped_column(String(3), default="", server_default="")
    foi_flagged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The public interest (FOI s.10(3)) or complexity (EIR reg. 7) extension: extra working days and why.
    foi_extension_days: Mapped[int] = mapped_column(default=0, server_default="0")
    foi_extension_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    foi_extended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    foi_extended_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The statutory due date as last worked out, kept so the log can filter and sort on it; None while paused.
    foi_due_on: Mapped[date | None] = mapped_column(Date, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, onupdate=clock.now)

    release: Mapped[Release | None] = relationship()
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    logged_by: Mapped[User | None] = relationship(foreign_keys=[logged_by_id])
    contact: Mapped[Contact | None] = relationship()
    events: Mapped[list["EnquiryEvent"]] = relationship(
        back_populates="enquiry", order_by="EnquiryEvent.id", viewonly=True
    )
    emails: Mapped[list["EnquiryEmail"]] = relationship(
        back_populates="enquiry", order_by="EnquiryEmail.id", viewonly=True
    )

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def is_overdue(self, at: datetime | None = None) -> bool:
        return self.is_open and self.deadline_at < (at or clock.now())

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def outcome_label(self) -> str:
        return OUTCOME_LABELS.get(self.outcome, self.outcome or "")

    @property
    def channel_label(self) -> str:
        return CHANNEL_LABELS.get(self.channel, self.channel)

    def __repr__(self) -> str:
        return f"<Enquiry {self.reference} {self.status}>"


class EventKind(StrEnum):
    RECEIVED = "received"
    LOGGED = "logged"
    ASSIGNED = "assigned"
    STATUS = "status"
    NOTE = "note"
    RESPONSE = "response"
    CLOSED = "closed"
    ANONYMISED = "anonymised"
    EMAIL_IN = "email_in"      # an email from the journalist, kept as an EnquiryEmail
    EMAIL_OUT = "email_out"    # a reply from the press office, sent through the outbox
    REOPENED = "reopened"      # a closed enquiry opened again by the journalist's reply
    DEADLINE = "deadline"      # the deadline changed to one read from the journalist's email, staff confirming
    FOI_FLAGGED = "foi_flagged"    # marked as an FOI or EIR request, or no longer one
    FOI_PAUSED = "foi_paused"      # the statutory clock stopped for a clarification or a fees notice
    FOI_RESUMED = "foi_resumed"    # the clarification or the fee came in
    FOI_EXTENDED = "foi_extended"  # the public interest or complexity extension
    FOI_DUE = "foi_due"            # the due date moved because the non-working days changed


class EnquiryEvent(db.Model):
    """One entry in an enquiry's timeline. Written once: never edited or deleted by the app."""

    __tablename__ = "enquiry_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    enquiry_id: Mapped[int] = mapped_column(ForeignKey("enquiries.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict] = mapped_column(JSON, default=dict)

    enquiry: Mapped[Enquiry] = relationship(back_populates="events")
    by: Mapped[User | None] = relationship()


class TimelineEditError(RuntimeError):
    """Something tried to change or delete an entry in an enquiry's timeline."""


@event.listens_for(Session, "before_flush")
def _timeline_is_append_only(session: Session, flush_context, instances) -> None:  # noqa: ARG001
    """Refuse, at the last moment before SQL, any change to a timeline entry already written."""
    for obj in session.deleted:
        if isinstance(obj, EnquiryEvent):
            raise TimelineEditError("Timeline entries cannot be deleted.")
    for obj in session.dirty:
        if isinstance(obj, EnquiryEvent) and session.is_modified(obj):
            raise TimelineEditError("Timeline entries cannot be edited.")


class EnquiryCounter(db.Model):
    """The last sequence number given out in each year; one row per year, bumped atomically."""

    __tablename__ = "enquiry_counters"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(default=0)


class DutyOfficer(db.Model):
    """Who takes enquiries that are not about a release; the latest row is the one in force."""

    __tablename__ = "duty_officers"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    set_by: Mapped[User | None] = relationship(foreign_keys=[set_by_id])


class EnquiryPurge(db.Model):
    """One run of the retention rule: when, how far back, and how many enquiries were anonymised."""

    __tablename__ = "enquiry_purges"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    older_than_months: Mapped[int]
    cutoff: Mapped[datetime] = mapped_column(UTCDateTime)
    anonymised: Mapped[int] = mapped_column(default=0)
    run_by: Mapped[str] = mapped_column(String(200), default="")


class Direction(StrEnum):
    IN = "in"
    OUT = "out"


class EnquiryEmail(db.Model):
    """One email in an enquiry's conversation: in from the journalist (read from the press office mailbox) or
    out from the press office (a reply sent through the outbox).

    Message-IDs are kept without their angle brackets. An incoming one is unique, so a message fetched twice
    is handled once; an outgoing one is made when the reply is queued, so the journalist's answer can be
    matched to it by In-Reply-To or References before the worker has even sent it."""

    __tablename__ = "enquiry_emails"

    id: Mapped[int] = mapped_column(primary_key=True)
    enquiry_id: Mapped[int] = mapped_column(ForeignKey("enquiries.id"), index=True)
    direction: Mapped[str] = mapped_column(String(3))
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    in_reply_to: Mapped[str] = mapped_column(String(255), default="")
    references: Mapped[str] = mapped_column(Text, default="")
    from_name: Mapped[str] = mapped_column(String(200), default="")
    from_address: Mapped[str] = mapped_column(String(254), default="")
    to_address: Mapped[str] = mapped_column(String(254), default="")
    subject: Mapped[str] = mapped_column(String(998), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    # When it arrived (in) or was queued (out).
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    # The member of staff who wrote a reply.
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The outbox row that carries a reply, for its delivery status.
    delivery_id: Mapped[int | None] = mapped_column(ForeignKey("deliveries.id", ondelete="SET NULL"))
    # A deadline read from the words of an incoming email ("by 4pm today"), offered to staff to confirm and
    # never set on the enquiry by itself; the words it came from; when staff accepted or dismissed it.
    suggested_deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    suggested_deadline_words: Mapped[str] = mapped_column(String(200), default="")
    suggestion_settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    enquiry: Mapped[Enquiry] = relationship(back_populates="emails")
    by: Mapped[User | None] = relationship()
    attachments: Mapped[list["EnquiryAttachment"]] = relationship(
        back_populates="email", order_by="EnquiryAttachment.id", cascade="all, delete-orphan"
    )

    @property
    def is_incoming(self) -> bool:
        return self.direction == Direction.IN


class EnquiryAttachment(db.Model):
    """A file that came with a journalist's email, checked and capped as release attachments are, kept under a
    random name in the attachments folder."""

    __tablename__ = "enquiry_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    email_id: Mapped[int] = mapped_column(ForeignKey("enquiry_emails.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)

    email: Mapped[EnquiryEmail] = relationship(back_populates="attachments")


class RequestLaw(StrEnum):
    FOI = "foi"
    EIR = "eir"


LAW_LABELS = {RequestLaw.FOI: "FOI", RequestLaw.EIR: "EIR"}
LAW_NAMES = {RequestLaw.FOI: "Freedom of Information Act 2000", RequestLaw.EIR: "Environmental Information Regulations 2004"}


class PauseKind(StrEnum):
    CLARIFICATION = "clarification"
    FEES = "fees"


PAUSE_LABELS = {PauseKind.CLARIFICATION: "Clarification asked for", PauseKind.FEES: "Fees notice sent"}


class FoiPause(db.Model):
    """A time an FOI or EIR request waited on the requester: a clarification asked for, or a fees notice sent,
    from the day it went to the day the answer or the fee came in (None while still waiting)."""

    __tablename__ = "foi_pauses"
    __table_args__ = (
        # One open pause per request at a time, even when two people record one at once.
        Index("uq_foi_pauses_open", "enquiry_id", unique=True, sqlite_where=text("ended_on IS NULL"),
              postgresql_where=text("ended_on IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enquiry_id: Mapped[int] = mapped_column(ForeignKey("enquiries.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    started_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    by: Mapped[User | None] = relationship()

    @property
    def kind_label(self) -> str:
        return PAUSE_LABELS.get(self.kind, self.kind)


class NonWorkingDay(db.Model):
    """A one-off day that is not a working day for the statutory clock, added by an admin: a bank holiday
    proclaimed for a jubilee, a coronation or a state funeral before the holidays library knows of it."""

    __tablename__ = "non_working_days"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    name: Mapped[str] = mapped_column(String(200))
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    added_by: Mapped[User | None] = relationship()
