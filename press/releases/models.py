"""Press releases, their attachments and the record of every change to them."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text, and_, or_
from sqlalchemy.orm import Mapped, mapped_column, relationship

from press import clock
from press.accounts.models import User
from press.database import UTCDateTime
from press.extensions import db


class Status(StrEnum):
    DRAFT = "draft"
    FINAL = "final"
    WITHDRAWN = "withdrawn"


class Withdrawal(StrEnum):
    # The text stays public under a withdrawal banner.
    SUPERSEDED = "superseded"
    # Published in error or for legal reasons: only the notice stays public.
    REMOVED = "removed"


class Release(db.Model):
    __tablename__ = "releases"
    # Covers the public list: its order, and the state columns its filter reads, so counting
    # and paging public releases never has to visit the table.
    __table_args__ = (Index("ix_releases_public", "public_from", "id", "status", "withdrawal_kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    headline: Mapped[str] = mapped_column(String(300))
    standfirst: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    notes_to_editors: Mapped[str] = mapped_column(Text, default="")
    helpline: Mapped[str] = mapped_column(Text, default="")
    release_date: Mapped[date] = mapped_column(Date)
    embargo_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), default=Status.DRAFT)
    # When the public may see it: the embargo time, or the moment it was marked final.
    # Null for drafts and for releases withdrawn before they were ever public.
    public_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    contact_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawal_kind: Mapped[str | None] = mapped_column(String(20))
    withdrawal_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, onupdate=clock.now)

    contact: Mapped[User] = relationship()
    attachments: Mapped[list["Attachment"]] = relationship(
        back_populates="release", order_by="Attachment.id", cascade="all, delete-orphan"
    )

    @classmethod
    def public_filter(cls, at: datetime):
        """The SQL condition for 'the public may see this release (or its notice) now'."""
        return and_(
            cls.status.in_([Status.FINAL, Status.WITHDRAWN]),
            cls.public_from.is_not(None),
            cls.public_from <= at,
        )

    @classmethod
    def listed_filter(cls, at: datetime):
        """Public and with its text still public: what lists, feeds and search may show."""
        return and_(
            cls.public_filter(at),
            or_(cls.withdrawal_kind.is_(None), cls.withdrawal_kind != Withdrawal.REMOVED),
        )

    def is_public(self, at: datetime | None = None) -> bool:
        at = at or clock.now()
        return (
            self.status in (Status.FINAL, Status.WITHDRAWN)
            and self.public_from is not None
            and self.public_from <= at
        )

    @property
    def is_removed(self) -> bool:
        return self.status == Status.WITHDRAWN and self.withdrawal_kind == Withdrawal.REMOVED

    @property
    def is_draft(self) -> bool:
        return self.status == Status.DRAFT

    @property
    def updated(self) -> datetime:
        """When the public version last changed: its publication, or a later edit or withdrawal."""
        return max(self.public_from or self.updated_at, self.updated_at)

    def under_embargo(self, at: datetime | None = None) -> bool:
        at = at or clock.now()
        return self.embargo_at is not None and self.embargo_at > at

    def __repr__(self) -> str:
        return f"<Release {self.reference}>"


class Attachment(db.Model):
    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(255), default="")
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    # Random name on disk, never derived from what the uploader typed.
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    release: Mapped[Release] = relationship(back_populates="attachments")

    @property
    def kind(self) -> str:
        return {
            "application/pdf": "PDF",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word",
            "image/png": "PNG image",
            "image/jpeg": "JPEG image",
            "image/gif": "GIF image",
            "image/webp": "WebP image",
        }.get(self.content_type, "File")


class ReleaseEvent(db.Model):
    """One entry in a release's history: who did what, when, and which fields changed."""

    __tablename__ = "release_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    action: Mapped[str] = mapped_column(String(40))
    # {"field": [old, new], ...} for edits; free details for other actions.
    changes: Mapped[dict] = mapped_column(JSON, default=dict)

    release: Mapped[Release] = relationship()
    user: Mapped[User | None] = relationship()
