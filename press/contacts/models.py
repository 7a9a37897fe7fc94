"""Media contacts, the lists they belong to, and what is kept when one is erased."""

import hashlib
import secrets
from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from press import clock
from press.accounts.models import User
from press.database import UTCDateTime
from press.extensions import db


class ContactStatus(StrEnum):
    ACTIVE = "active"
    UNSUBSCRIBED = "unsubscribed"
    BOUNCED = "bounced"
    ERASED = "erased"


LAWFUL_BASES = {
    "legitimate_interests": "Legitimate interests",
    "consent": "Consent",
    "public_task": "Public task",
    "contract": "Contract",
}


def email_digest(email: str) -> str:
    """A one-way fingerprint of an address, kept after erasure so it is never silently re-added."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


def new_unsubscribe_key() -> str:
    return secrets.token_urlsafe(24)


contact_lists = Table(
    "contact_lists",
    db.metadata,
    Column("contact_id", Integer, ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True),
    Column("list_id", Integer, ForeignKey("media_lists.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_contact_lists_list_id", "list_id", "contact_id"),
)


class MediaList(db.Model):
    __tablename__ = "media_lists"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    # Journalists who ask for releases from the newsroom land in this list.
    for_signups: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    def __repr__(self) -> str:
        return f"<MediaList {self.name}>"


class Contact(db.Model):
    __tablename__ = "contacts"
    __table_args__ = (
        Index("ix_contacts_name", "name", "id"),
        Index("ix_contacts_status_name", "status", "name", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    # Stored lower-case, so the unique constraint compares addresses without regard to case.
    # Null only once the contact is erased.
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    outlet: Mapped[str] = mapped_column(String(200), default="")
    job_title: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(200), default="")
    lawful_basis: Mapped[str] = mapped_column(String(40), default="legitimate_interests")
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    consent_text: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default=ContactStatus.ACTIVE)
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status_reason: Mapped[str] = mapped_column(Text, default="")
    # Temporary bounces, at most a point a day (press.bounces); enough of them, not gone stale, bounce the contact.
    bounce_score: Mapped[int] = mapped_column(default=0, server_default="0")
    bounce_score_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unsubscribe_key: Mapped[str] = mapped_column(String(40), unique=True, default=new_unsubscribe_key)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, onupdate=clock.now)

    lists: Mapped[list[MediaList]] = relationship(secondary=contact_lists, order_by=MediaList.name)

    @property
    def can_be_sent_to(self) -> bool:
        return self.status == ContactStatus.ACTIVE and bool(self.email)

    def __repr__(self) -> str:
        return f"<Contact {self.id} {self.status}>"


class ContactEvent(db.Model):
    """One entry in a contact's history: status changes, edits, imports, exports."""

    __tablename__ = "contact_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    action: Mapped[str] = mapped_column(String(40))
    details: Mapped[dict] = mapped_column(JSON, default=dict)

    user: Mapped[User | None] = relationship()


class Suppression(db.Model):
    """An address that must never be added again without notice: it was erased at its owner's request."""

    __tablename__ = "suppressions"

    id: Mapped[int] = mapped_column(primary_key=True)
    email_digest: Mapped[str] = mapped_column(String(64), unique=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class ContactImport(db.Model):
    """An uploaded contacts file: its column mapping before it runs, its outcome after."""

    __tablename__ = "contact_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    filename: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    mapping: Mapped[list] = mapped_column(JSON, default=list)
    list_names: Mapped[list] = mapped_column(JSON, default=list)
    # The basis the importer chose for holding the new contacts (a LAWFUL_BASES key).
    lawful_basis: Mapped[str | None] = mapped_column(String(40))
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    added: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    skipped: Mapped[int] = mapped_column(default=0)
    rejected: Mapped[int] = mapped_column(default=0)
    report: Mapped[str] = mapped_column(Text, default="")
    # The rejected and merged rows the result page lists: {"rejected": [...], "merged": [...]}.
    outcome_rows: Mapped[dict | None] = mapped_column(JSON)

    user: Mapped[User | None] = relationship()


class Signup(db.Model):
    """A journalist's request to receive releases, waiting for them to confirm by email."""

    __tablename__ = "signups"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(200))
    outlet: Mapped[str] = mapped_column(String(200), default="")
    list_id: Mapped[int] = mapped_column(ForeignKey("media_lists.id", ondelete="CASCADE"))
    consent_text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    media_list: Mapped[MediaList] = relationship()
