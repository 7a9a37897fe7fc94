"""Press releases, their attachments and the record of every change to them."""

from collections.abc import Callable, Mapping
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from markupsafe import Markup
from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text, and_, event, inspect, or_
from sqlalchemy.orm import Mapped, mapped_column, relationship

from press import clock
from press.accounts.models import User
from press.database import StoredHTML, UTCDateTime
from press.extensions import db
from press.markdown_text import full_plain_text, linked_html, sanitised_html


# The fields a person edits on the release form: what a version keeps and an approval covers.
EDITABLE_FIELDS = (
    "reference", "headline", "standfirst", "body", "notes_to_editors", "helpline",
    "release_date", "embargo_at", "contact_id", "tags",
)


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
    # Covers the public list: its order, and the state columns its filter reads, so paging
    # public releases never has to visit the table.
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
    # Safeguarding tags (child, court, ...), ids from the checklist file: they decide which questions apply.
    tags: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, onupdate=clock.now)
    # Rendered and sanitised from the Markdown when the release is saved (rendered_fields), so
    # showing a release costs no Markdown work. The summary is the whole plain text of the
    # standfirst, or of the body when there is none; pages cut it to the length they show.
    body_html: Mapped[Markup] = mapped_column(StoredHTML)
    helpline_html: Mapped[Markup] = mapped_column(StoredHTML)
    notes_html: Mapped[Markup] = mapped_column(StoredHTML)
    summary: Mapped[str] = mapped_column(Text)

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


MARKDOWN_FIELDS = ("standfirst", "body", "helpline", "notes_to_editors")


def _summary(values: Mapping[str, Any]) -> str:
    return full_plain_text(values.get("standfirst") or values.get("body") or "")


# Each stored field: the Markdown fields it is made from, and how.
RENDERED: dict[str, tuple[tuple[str, ...], Callable[[Mapping[str, Any]], str]]] = {
    "body_html": (("body",), lambda values: sanitised_html(values.get("body") or "")),
    "helpline_html": (("helpline",), lambda values: sanitised_html(values.get("helpline") or "")),
    "notes_html": (("notes_to_editors",), lambda values: linked_html(values.get("notes_to_editors") or "")),
    "summary": (("standfirst", "body"), _summary),
}


def rendered_fields(values: Mapping[str, Any]) -> dict[str, str]:
    """The stored HTML and summary of a release from its Markdown fields, for rows inserted without the ORM."""
    return {name: render(values) for name, (_sources, render) in RENDERED.items()}


@event.listens_for(Release, "before_insert")
def _render_new_release(_mapper, _connection, release: Release) -> None:
    for name, value in rendered_fields({name: getattr(release, name) for name in MARKDOWN_FIELDS}).items():
        setattr(release, name, value)


@event.listens_for(Release, "before_update")
def _render_changed_release(_mapper, _connection, release: Release) -> None:
    state = inspect(release)
    changed = {name for name in MARKDOWN_FIELDS if state.attrs[name].history.has_changes()}
    if not changed:
        return
    values = {name: getattr(release, name) for name in MARKDOWN_FIELDS}
    for name, (sources, render) in RENDERED.items():
        if changed.intersection(sources):
            setattr(release, name, render(values))


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
