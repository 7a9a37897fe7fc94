"""The outbox's one table: every email is a row here first, written in the transaction that caused it."""

import secrets
from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from press import clock
from press.database import UTCDateTime
from press.extensions import db


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
    BOUNCED = "bounced"        # sent, then the recipient's server sent back a permanent failure


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
    # The name of the kind of email (press.outbox.kinds), whose renderer builds the message at send time.
    kind: Mapped[str] = mapped_column(String(40))
    # A release email's distribution; the outbox keeps it only to group, report and stop such emails.
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
    # Set when the manager revokes this recipient's early-access link (press.distribution.early).
    access_revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When a bounce came back for it (press.bounces), and what the recipient's server said.
    bounced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    bounce_reason: Mapped[str] = mapped_column(Text, default="", server_default="")

    def __repr__(self) -> str:
        return f"<Delivery {self.id} {self.kind} {self.status}>"
