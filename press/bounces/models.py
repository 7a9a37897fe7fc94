"""Every message that reaches the bounce address, once each: what it was and what it did."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from press import clock
from press.database import UTCDateTime
from press.extensions import db


class Outcome(StrEnum):
    PERMANENT = "permanent"        # the address does not take mail: the delivery and the contact are bounced
    TEMPORARY = "temporary"        # delayed or refused for now: scored against the contact
    AUTO_REPLY = "auto-reply"      # an out-of-office or other automatic answer, not a bounce
    NOT_A_FAILURE = "not a failure"  # a report of delivery, or a message that reports nothing
    FORGED = "forged"              # sent to a bounce address we did not sign, or to none of ours
    UNKNOWN_DELIVERY = "unknown delivery"  # signed by us, for a delivery no longer kept


class InboundBounce(db.Model):
    __tablename__ = "inbound_bounces"
    __table_args__ = (Index("ix_inbound_bounces_outcome_received", "outcome", "received_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # SHA-256 of the message's Message-ID (or, without one, of its bytes): the same message counts once.
    message_key: Mapped[str] = mapped_column(String(64), unique=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    # How it came: "smtp" (flask press bounces) or "imap" (flask press fetch-bounces).
    source: Mapped[str] = mapped_column(String(10))
    outcome: Mapped[str] = mapped_column(String(20))
    # Which reading found it: "report" (RFC 3464), "heuristic" (flufl.bounce), or "" for neither.
    reading: Mapped[str] = mapped_column(String(20), default="")
    delivery_id: Mapped[int | None] = mapped_column(ForeignKey("deliveries.id", ondelete="SET NULL"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
