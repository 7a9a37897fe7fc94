"""Versions of a release: each final or approved state kept as it was, so it can be read and compared later."""

import difflib
import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from press import clock, uktime
from press.accounts.models import User
from press.database import UTCDateTime
from press.extensions import db
from press.releases.models import EDITABLE_FIELDS, Release


class ReleaseVersion(db.Model):
    """One state of a release as it stood when it was marked final, edited while final, or approved."""

    __tablename__ = "release_versions"
    __table_args__ = (UniqueConstraint("release_id", "number", name="uq_release_versions_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    # The editable fields and the attachments, as text a person can read (see content()).
    content: Mapped[dict] = mapped_column(JSON)
    content_hash: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(40))
    made_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    made_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    made_by: Mapped[User | None] = relationship()


class ReleaseApproval(db.Model):
    """A second person's approval of one exact content of a release, named by the hash of that content."""

    __tablename__ = "release_approvals"
    # The guard against one approval recorded twice by a double click.
    __table_args__ = (UniqueConstraint("release_id", "content_hash", name="uq_release_approvals_content"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("release_versions.id", ondelete="CASCADE"))
    content_hash: Mapped[str] = mapped_column(String(64))
    approved_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    version: Mapped[ReleaseVersion] = relationship()
    approved_by: Mapped[User] = relationship()


def _stored(value: Any) -> Any:
    """Dates and times as ISO text (times in UTC, as stored), everything else as it is."""
    return value.isoformat() if isinstance(value, date) else value


def content(release: Release) -> dict[str, Any]:
    """What the public and journalists would get: the editable fields and the files, in a form JSON keeps."""
    found = {name: _stored(getattr(release, name)) for name in EDITABLE_FIELDS}
    found["attachments"] = [{"filename": item.filename, "title": item.title, "sha256": item.sha256}
                            for item in release.attachments]
    return found


def content_hash(values: dict[str, Any]) -> str:
    """The same text for the same content, whatever order it was built in."""
    return hashlib.sha256(json.dumps(values, sort_keys=True, ensure_ascii=True).encode()).hexdigest()


def current_hash(release: Release) -> str:
    return content_hash(content(release))


def versions_of(session: Session, release_id: int) -> list[ReleaseVersion]:
    return list(session.scalars(select(ReleaseVersion).where(ReleaseVersion.release_id == release_id)
                                .order_by(ReleaseVersion.number)))


def version_of(session: Session, release_id: int, number: int) -> ReleaseVersion | None:
    """A release's version by its number, or None: a version is only ever found through its own release."""
    return session.scalar(select(ReleaseVersion).where(ReleaseVersion.release_id == release_id,
                                                       ReleaseVersion.number == number))


def keep_version(session: Session, release: Release, reason: str, *, by: User | None) -> ReleaseVersion:
    """Keep the release's content as a new version, unless the latest version already holds exactly this content."""
    session.flush()
    session.refresh(release, ["attachments"])
    values = content(release)
    digest = content_hash(values)
    latest = session.scalar(select(ReleaseVersion).where(ReleaseVersion.release_id == release.id)
                            .order_by(ReleaseVersion.number.desc()).limit(1))
    if latest is not None and latest.content_hash == digest:
        return latest
    number = (session.scalar(select(func.max(ReleaseVersion.number)).where(ReleaseVersion.release_id == release.id))
              or 0) + 1
    version = ReleaseVersion(release_id=release.id, number=number, content=values, content_hash=digest, reason=reason,
                             made_at=clock.now(), made_by_id=by.id if by else None)
    session.add(version)
    session.flush()
    return version


def public_changes(session: Session, release: Release, at: datetime) -> list[ReleaseVersion]:
    """The versions made after the release became public: the only ones the public may know of."""
    if not release.is_public(at) or release.is_removed or release.public_from is None:
        return []
    return list(session.scalars(select(ReleaseVersion).where(
        ReleaseVersion.release_id == release.id, ReleaseVersion.made_at > release.public_from,
        ReleaseVersion.made_at <= at).order_by(ReleaseVersion.number)))


# --- Showing and comparing versions ---------------------------------------------------------------------------

@dataclass(frozen=True)
class FieldChange:
    label: str
    # Each line of the comparison: ("same" | "removed" | "added", text).
    lines: list[tuple[str, str]]


def readable(values: dict[str, Any], people: dict[int, str], tag_names: dict[str, str]) -> dict[str, str]:
    """A version's fields as text a person reads: dates in London time, the contact by name, files by name."""
    shown: dict[str, str] = {}
    for name in EDITABLE_FIELDS:
        value = values.get(name)
        if name == "tags":
            continue
        if name == "embargo_at" and value:
            value = uktime.format_moment(datetime.fromisoformat(value))
        elif name == "contact_id" and value is not None:
            value = people.get(value, f"User {value}")
        shown[name] = "" if value is None else str(value)
    shown["tags"] = "\n".join(tag_names.get(tag, tag) for tag in values.get("tags") or [])
    shown["attachments"] = "\n".join(f"{item['title'] or item['filename']} ({item['filename']})"
                                     for item in values.get("attachments") or [])
    return shown


def compare(before: dict[str, str], after: dict[str, str], labels: dict[str, str]) -> list[FieldChange]:
    """The fields that differ between two readable versions, line by line."""
    changes = []
    for name, label in labels.items():
        old, new = before.get(name, ""), after.get(name, "")
        if old == new:
            continue
        kinds = {" ": "same", "-": "removed", "+": "added"}
        lines = [(kinds[line[0]], line[2:]) for line in difflib.ndiff(old.splitlines(), new.splitlines())
                 if line[0] in kinds]
        changes.append(FieldChange(label=label, lines=lines))
    return changes


def contact_names(session: Session, found: list[dict[str, Any]]) -> dict[int, str]:
    """The names of the media contacts these versions name, by user id."""
    ids = {values.get("contact_id") for values in found if isinstance(values.get("contact_id"), int)}
    if not ids:
        return {}
    return {user.id: f"{user.name}, {user.job_title}" if user.job_title else user.name
            for user in session.scalars(select(User).where(User.id.in_(ids)))}
