"""Pre-election periods, the councillors and candidates a release must not name during one, and the overrides
admins record when a release has to name one of them all the same."""

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from press import clock
from press.accounts.models import User
from press.database import UTCDateTime
from press.extensions import db


class ElectionPeriod(db.Model):
    """The weeks before an election when council publicity is restricted, from one UK date to another, inclusive."""

    __tablename__ = "election_periods"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    starts_on: Mapped[date] = mapped_column(Date, index=True)
    ends_on: Mapped[date] = mapped_column(Date)
    whole_area: Mapped[bool] = mapped_column(Boolean, default=True)
    # One ward a line, when the election is not of the whole area.
    wards: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    created_by: Mapped[User | None] = relationship()
    names: Mapped[list["ElectionName"]] = relationship(
        back_populates="period", order_by="ElectionName.name", cascade="all, delete-orphan", passive_deletes=True,
    )

    @property
    def ward_list(self) -> list[str]:
        return [line.strip() for line in self.wards.splitlines() if line.strip()]

    def covers(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on


class ElectionName(db.Model):
    """A councillor or candidate whose name a release may not carry during the period without an admin's override."""

    __tablename__ = "election_names"
    __table_args__ = (UniqueConstraint("period_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("election_periods.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    ward: Mapped[str] = mapped_column(String(200), default="")
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    period: Mapped[ElectionPeriod] = relationship(back_populates="names")
    added_by: Mapped[User | None] = relationship()


class ElectionOverride(db.Model):
    """An admin's decision that a release may go out during a period although it names these listed people."""

    __tablename__ = "election_overrides"

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id", ondelete="CASCADE"), index=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("election_periods.id", ondelete="CASCADE"), index=True)
    # The names as the list had them when the override was made: a name added later blocks again.
    names: Mapped[list] = mapped_column(JSON, default=list)
    reason: Mapped[str] = mapped_column(Text)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    period: Mapped[ElectionPeriod] = relationship()
    by: Mapped[User | None] = relationship()
