"""What can be done to a release: create, edit, finalise, withdraw, attach; each step recorded."""

import re
import unicodedata
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from press import clock, uktime
from press.accounts import people
from press.accounts.models import Role, User
from press.audit import audit
from press.releases import files
from press.releases import approval, versions
from press.releases.models import EDITABLE_FIELDS, Attachment, Release, ReleaseEvent, Status, Withdrawal

REFERENCE_PATTERN = re.compile(r"^[A-Z][A-Z0-9]{0,9} \d{4}/\d{2}-\d{2,}$")


class ReleaseError(ValueError):
    """The change to a release is not allowed, for a reason the user can act on."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def record(session: Session, release: Release, action: str, by: User | None, changes: dict | None = None) -> None:
    """Add an entry to the release's history."""
    session.add(ReleaseEvent(release=release, user=by, action=action, changes=changes or {}, at=clock.now()))
    audit(session, f"release {action}", by, release, **({"fields": sorted(changes)} if changes else {}))


def next_reference(session: Session, prefix: str, day: date) -> str:
    """The next free reference in the financial year of ``day``: PREFIX 2024/25-07."""
    stem = f"{prefix} {uktime.financial_year(day)}-"
    taken = session.scalars(select(Release.reference).where(Release.reference.startswith(stem, autoescape=True)))
    numbers = [int(ref[len(stem):]) for ref in taken if ref[len(stem):].isdigit()]
    return f"{stem}{max(numbers, default=0) + 1:02d}"


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    slug = "-".join(words)[:80].rstrip("-")
    return slug or "release"


def unique_slug(session: Session, headline: str, day: date) -> str:
    """A readable address for the release, unique among all releases."""
    base = f"{day:%Y-%m-%d}-{slugify(headline)}"
    slug, n = base, 1
    while session.scalar(select(Release.id).where(Release.slug == slug)) is not None:
        n += 1
        slug = f"{base}-{n}"
    return slug


def snapshot(release: Release) -> dict[str, Any]:
    return {name: getattr(release, name) for name in EDITABLE_FIELDS}


def describe(value: Any) -> Any:
    """Turn a field value into something the JSON history can hold and a person can read."""
    if isinstance(value, datetime):
        return uktime.format_moment(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def create_release(session: Session, *, by: User | None, prefix: str, **fields: Any) -> Release:
    """Add a draft release, giving it the next reference of its financial year if none is given."""
    reference = (fields.pop("reference", None) or "").strip()
    release = Release(status=Status.DRAFT, **fields)
    # Two people saving at once can pick the same next number or address: the unique
    # constraints catch it, and the loser simply takes the next one.
    for _attempt in range(5):
        release.slug = unique_slug(session, release.headline, release.release_date)
        release.reference = reference or next_reference(session, prefix, release.release_date)
        try:
            with session.begin_nested():
                session.add(release)
                session.flush()
            break
        except IntegrityError as error:
            if reference:
                raise ReleaseError(f"The reference {reference} is already in use.", "reference") from error
    else:
        raise ReleaseError("Could not find a free reference; try again.")
    record(session, release, "created", by, {k: [None, describe(v)] for k, v in snapshot(release).items() if v})
    return release


def update_release(session: Session, release: Release, *, by: User | None, **fields: Any) -> dict[str, list]:
    """Change a release's fields and record exactly which ones changed."""
    if release.status == Status.WITHDRAWN:
        raise ReleaseError("A withdrawn release cannot be edited.")
    now = clock.now()
    if release.is_public(now) and "embargo_at" in fields and fields["embargo_at"] != release.embargo_at:
        raise ReleaseError("This release is already public, so its embargo can no longer change.", "embargo_date")
    before = snapshot(release)
    try:
        # The savepoint starts before anything changes, so a clash rolls back only this edit.
        with session.begin_nested():
            for name, value in fields.items():
                setattr(release, name, value)
            if release.status == Status.FINAL and not release.is_public(now):
                release.public_from = release.embargo_at or now
            session.flush()
    except IntegrityError as error:
        raise ReleaseError(f"The reference {fields.get('reference')} is already in use.", "reference") from error
    changes = {k: [describe(before[k]), describe(v)] for k, v in snapshot(release).items() if before[k] != v}
    if changes:
        record(session, release, "edited", by, changes)
        keep_final_version(session, release, by)
    return changes


def keep_final_version(session: Session, release: Release, by: User | None) -> None:
    """A final release that changes is a new final state, kept as a version like the first.

    Where releases need a second person's approval, a final release not yet public whose new content nobody
    has approved goes back to draft instead: left final, it would become public at its embargo time unapproved.
    """
    if release.status != Status.FINAL:
        return
    if not release.is_public() and approval.refusal(session, release, "marked final") is not None:
        release.status = Status.DRAFT
        release.public_from = None
        session.flush()
        record(session, release, "returned to draft", by)
        return
    versions.keep_version(session, release, "edited while final", by=by)


def add_contact_user(session: Session, *, name: str, email: str, job_title: str = "", phone: str = "", role: str,
                     by: User | None) -> User:
    """Give the person a release names an account, with no password yet, so they can be its media contact."""
    if role not in (Role.MANAGER, Role.STAFF):
        raise ReleaseError("Choose what they may do here.", "role")
    try:
        user = people.new_account(session, email=email, name=name, role=role, job_title=job_title, phone=phone)
    except people.FieldError as error:
        raise ReleaseError(f"{str(error).rstrip('.')}: choose it from the list of existing users instead.",
                           error.field) from error
    audit(session, "account added as a media contact", by, user, email=user.email, role=role)
    return user


def finalise_release(session: Session, release: Release, *, by: User | None) -> None:
    """Mark a draft final: public at its embargo time, or at once when it has none."""
    if release.status != Status.DRAFT:
        raise ReleaseError("Only a draft can be marked final.")
    if (refused := approval.refusal(session, release, "marked final")) is not None:
        raise ReleaseError(refused)
    now = clock.now()
    release.status = Status.FINAL
    release.public_from = release.embargo_at if release.embargo_at and release.embargo_at > now else now
    session.flush()
    record(session, release, "finalised", by, {"public_from": describe(release.public_from)})
    versions.keep_version(session, release, "final", by=by)


def return_to_draft(session: Session, release: Release, *, by: User | None) -> None:
    """Take a final release back to draft, which is only possible before it is public."""
    if release.status != Status.FINAL or release.is_public():
        raise ReleaseError("Only a final release that is not yet public can go back to draft.")
    release.status = Status.DRAFT
    release.public_from = None
    session.flush()
    record(session, release, "returned to draft", by)


def withdraw_release(session: Session, release: Release, *, kind: str, reason: str, by: User | None) -> None:
    """Withdraw a final release with a public reason, keeping or removing its text."""
    if release.status != Status.FINAL:
        raise ReleaseError("Only a final release can be withdrawn.")
    if kind not in set(Withdrawal):
        raise ReleaseError("Choose whether the release is superseded or removed.")
    now = clock.now()
    if not release.is_public(now):
        # It was never public, so it never will be: no notice appears.
        release.public_from = None
    release.status = Status.WITHDRAWN
    release.withdrawal_kind = kind
    release.withdrawal_reason = reason.strip()
    release.withdrawn_at = now
    session.flush()
    record(session, release, "withdrawn", by, {"kind": kind, "reason": release.withdrawal_reason})


def add_attachment(
    session: Session, release: Release, *, directory: str, filename: str, data: bytes, max_bytes: int,
    title: str = "", by: User | None,
) -> Attachment:
    """Check and store a file and attach it to the release."""
    if release.status == Status.WITHDRAWN:
        raise ReleaseError("A withdrawn release cannot take new attachments.")
    stored = files.store(directory, data, max_bytes)
    attachment = Attachment(
        release=release,
        filename=files.clean_filename(filename, stored.content_type),
        title=title.strip(),
        content_type=stored.content_type,
        size=stored.size,
        sha256=stored.sha256,
        stored_name=stored.stored_name,
    )
    session.add(attachment)
    session.flush()
    record(session, release, "attachment added", by, {"filename": attachment.filename, "size": attachment.size})
    keep_final_version(session, release, by)
    return attachment


def remove_attachment(session: Session, attachment: Attachment, *, by: User | None) -> None:
    """Detach a file from its release; the file on disk stays for the record."""
    release = attachment.release
    if release.status == Status.WITHDRAWN:
        raise ReleaseError("A withdrawn release's attachments cannot change.")
    record(session, release, "attachment removed", by, {"filename": attachment.filename})
    session.delete(attachment)
    session.flush()
    keep_final_version(session, release, by)
