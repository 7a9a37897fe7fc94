"""A release's sendings to media lists, and the openings of their early-access links."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
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


class AccessView(db.Model):
    """One opening of a recipient's early-access page before the embargo lifted."""

    __tablename__ = "access_views"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    what: Mapped[str] = mapped_column(String(255), default="page")
