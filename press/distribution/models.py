"""The outbox: every email is a row here first, written in the transaction that caused it."""

import secrets
from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from press import clock
from press.database import UTCDateTime
from press.accounts.models import User
from press.extensions import db
from press.releases.models import Release


class Distribution(db.Model):
    """One sending of a release to the chosen lists and contacts, now or at a scheduled time."""

    __tablename__ = "distributions"

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    # The form's one-time key: a double click or a resubmitted form finds the first distribution.
    request_key: Mapped[str] = mapped_column(String(64), unique=True)
    scheduled_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Nothing goes after this; if the worker was down past it the distribution is missed, not sent late.
    stop_after: Mapped[datetime] = mapped_column(UTCDateTime)
    list_names: Mapped[list] = mapped_column(JSON, default=list)
    recipients: Mapped[int] = mapped_column(default=0)
    left_out: Mapped[int] = mapped_column(default=0)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    missed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    release: Mapped[Release] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])

    def __repr__(self) -> str:
        return f"<Distribution {self.id} of release {self.release_id}>"


def new_secret() -> str:
    return secrets.token_hex(16)


class DeliveryStatus(StrEnum):
    QUEUED = "queued"          # waiting for its time (or its next attempt)
    SENDING = "sending"        # claimed by a worker under a lease
    SENT = "sent"              # the relay answered 2xx
    FAILED = "failed"          # permanent failure (5xx), or temporary ones until the deadline passed
    SUPPRESSED = "suppressed"  # the recipient unsubscribed or bounced before it went
    CANCELLED = "cancelled"    # withdrawn before it went
    MISSED = "missed"          # its stop-sending time passed before it was ever tried


class Delivery(db.Model):
    """One email to one recipient, with everything the worker and the delivery report need."""

    __tablename__ = "deliveries"
    __table_args__ = (
        # A double click or two racing requests cannot send a distribution twice to one contact.
        UniqueConstraint("distribution_id", "contact_id", name="uq_deliveries_distribution_contact"),
        Index("ix_deliveries_due", "status", "next_attempt_at"),
        Index("ix_deliveries_lease", "status", "lease_expires_at"),
        Index("ix_deliveries_deadline", "status", "deadline_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Which renderer builds the message at send time ("signup-confirmation", "release", ...).
    kind: Mapped[str] = mapped_column(String(40))
    distribution_id: Mapped[int | None] = mapped_column(ForeignKey("distributions.id"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"), index=True)
    to_address: Mapped[str] = mapped_column(String(254))
    payload: Mapped[dict] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default=DeliveryStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    # Temporary failures are retried until then; after it the delivery is marked failed.
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    leased_by: Mapped[str] = mapped_column(String(80), default="")
    message_id: Mapped[str] = mapped_column(String(255), default="")
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    smtp_code: Mapped[int | None]
    smtp_response: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    # This delivery's own random value: signed into its early-access link and hashed into its Message-ID, so
    # neither follows from the id. Rows written by INSERT ... SELECT get theirs from database.random_hex().
    secret: Mapped[str] = mapped_column(String(32), default=new_secret, server_default="")
    # When it was first claimed: the message's Date on every attempt, so a retry is the same message.
    first_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when the manager revokes this recipient's early-access link.
    access_revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    distribution: Mapped[Distribution | None] = relationship()

    def __repr__(self) -> str:
        return f"<Delivery {self.id} {self.kind} {self.status}>"


class AccessView(db.Model):
    """One opening of a recipient's early-access page before the embargo lifted."""

    __tablename__ = "access_views"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    what: Mapped[str] = mapped_column(String(255), default="page")
