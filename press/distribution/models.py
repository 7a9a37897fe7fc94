"""A release's sendings to media lists, the openings of their early-access links, and embargo breaches."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from press import clock
from press.database import UTCDateTime
from press.accounts.models import User
from press.contacts.models import Contact
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
    # Also left out, under embargo: suspended for an embargo breach (press.distribution.breaches).
    suspended: Mapped[int] = mapped_column(default=0, server_default="0")
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    missed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # One tier of a send in tiers (press.distribution.tiers): its place, how many there are, and its name.
    tier_number: Mapped[int | None] = mapped_column()
    tier_count: Mapped[int | None] = mapped_column()
    tier_name: Mapped[str] = mapped_column(String(100), default="", server_default="")

    release: Mapped[Release] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])

    def __repr__(self) -> str:
        return f"<Distribution {self.id} of release {self.release_id}>"


class AccessView(db.Model):
    """One opening of a recipient's early-access page before the embargo lifted."""

    __tablename__ = "access_views"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    what: Mapped[str] = mapped_column(String(255), default="page")


class Sanction(StrEnum):
    NONE = "none"
    WARNING = "warning"
    JOURNALIST = "journalist"  # the journalist is suspended from embargoed releases until a date
    OUTLET = "outlet"          # everyone at the outlet is


def outlet_key(outlet: str) -> str:
    """An outlet's name as suspensions compare it (as the database does: lower(trim(outlet)))."""
    return outlet.strip().lower()


class EmbargoBreach(db.Model):
    """An embargo broken: which release, by whom or which outlet, when it was seen, the evidence, and what followed."""

    __tablename__ = "embargo_breaches"
    __table_args__ = (Index("ix_embargo_breaches_sanction_until", "sanction", "suspended_until"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"), index=True)
    outlet: Mapped[str] = mapped_column(String(200), default="")
    outlet_key: Mapped[str] = mapped_column(String(200), default="", index=True)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    evidence_url: Mapped[str] = mapped_column(String(2000), default="")
    evidence_filename: Mapped[str] = mapped_column(String(255), default="")
    evidence_stored_name: Mapped[str] = mapped_column(String(80), default="")
    # The office's own mistake (sent too early, the wrong time in the email): no sanction can follow.
    ours: Mapped[bool] = mapped_column(default=False)
    notes: Mapped[str] = mapped_column(Text, default="")
    sanction: Mapped[str] = mapped_column(String(20), default=Sanction.NONE)
    # A suspension holds until this moment (the start of the chosen day, UK time).
    suspended_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    release: Mapped[Release] = relationship()
    contact: Mapped[Contact | None] = relationship()
    recorded_by: Mapped[User | None] = relationship(foreign_keys=[recorded_by_id])

    def suspends(self, at: datetime) -> bool:
        return (self.sanction in (Sanction.JOURNALIST, Sanction.OUTLET) and self.lifted_at is None
                and self.suspended_until is not None and self.suspended_until > at)
