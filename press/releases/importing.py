"""Turning a pasted or uploaded release into the values of the release form, for review."""

from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage

from press import uktime
from press.accounts.models import User
from press.accounts.services import find_user_by_email
from press.releases.models import Release
from press.releases.parsing import ParsedRelease, parse_release_docx, parse_release_text

MAX_UPLOAD_BYTES = 10 * 1024 * 1024


def decode_text(data: bytes) -> str:
    """Read text saved by Windows tools as well as UTF-8 (with or without a byte-order mark)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def parse_bytes(data: bytes, filename: str) -> ParsedRelease:
    """Parse an uploaded file: a .docx by its content, anything else as text."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise ValueError("The file is larger than 10 MB.")
    if data.startswith(b"PK\x03\x04"):
        return parse_release_docx(data)
    if filename.lower().endswith(".docx") or b"\x00" in data[:4096]:
        raise ValueError("That file is not a Word document (.docx) or plain text.")
    return parse_release_text(decode_text(data))


def parse_upload(text: str | None, document: FileStorage | None) -> ParsedRelease:
    """Parse an uploaded file if there is one, otherwise the pasted text."""
    if document is not None and document.filename:
        return parse_bytes(document.read(MAX_UPLOAD_BYTES + 1), document.filename)
    return parse_release_text(text or "")


def match_contact(session: Session, parsed: ParsedRelease) -> User | None:
    """Find the staff member the release names as its media contact, by email then by name."""
    if parsed.contact_email:
        user = find_user_by_email(session, parsed.contact_email)
        if user is not None:
            return user
    if parsed.contact_name:
        return session.scalar(
            select(User).where(func.lower(User.name) == parsed.contact_name.strip().lower(), User.active.is_(True))
        )
    return None


def unknown_contact(session: Session, parsed: ParsedRelease) -> dict[str, str] | None:
    """The media contact a release names when they have no account here, as the form's fields; else None."""
    if not (parsed.contact_name or parsed.contact_email) or match_contact(session, parsed) is not None:
        return None
    return {"named_name": parsed.contact_name or "", "named_job_title": parsed.contact_job_title or "",
            "named_organisation": parsed.contact_organisation or "",
            "named_email": parsed.contact_email or "", "named_phone": parsed.contact_phone or "",
            # The contact block shows the job title: a partner's contact keeps their organisation in it.
            "name": parsed.contact_name or "",
            "job_title": ", ".join(x for x in (parsed.contact_job_title, parsed.contact_organisation) if x),
            "email": parsed.contact_email or "", "phone": parsed.contact_phone or ""}


# A release date further back than this, in a document being imported, is more likely last year's than today's.
LONG_AGO = timedelta(days=30)


def date_warnings(release_date: date, embargo_date: date | None, today: date) -> list[str]:
    """What to say about a release date that looks left over from an older document."""
    said = uktime.format_date
    if embargo_date is not None and release_date > embargo_date:
        return [f"The release date is {said(release_date)}, after the embargo ({said(embargo_date)}): check both."]
    if release_date < today - LONG_AGO:
        against = f"the embargo is {said(embargo_date)}" if embargo_date is not None else f"today is {said(today)}"
        return [f"The release date is {said(release_date)}; {against}. Check the release date."]
    return []


def prefill(
    session: Session, parsed: ParsedRelease, *, default_contact: User | None, today: date
) -> tuple[dict[str, Any], list[str]]:
    """The release form's values for a parsed release, and what the reviewer should check.

    A contact the release names who has no account is replaced by ``default_contact`` only when one is given (the
    command line's explicit --contact); with None, nobody is chosen and the form asks.
    """
    warnings = list(parsed.warnings)
    contact = match_contact(session, parsed)
    if contact is None:
        contact = default_contact
        if (parsed.contact_name or parsed.contact_email) and contact is not None:
            named = ", ".join(x for x in (parsed.contact_name, parsed.contact_email) if x)
            warnings.append(f"The media contact ({named}) has no staff account; {contact.name} is chosen instead.")
    data: dict[str, Any] = {
        "headline": parsed.headline,
        "standfirst": parsed.standfirst,
        "body": parsed.body,
        "notes_to_editors": parsed.notes_to_editors,
        "helpline": parsed.helpline,
        "contact_id": contact.id if contact is not None else None,
        "release_date": parsed.release_date or (parsed.embargo.date() if parsed.embargo else today),
    }
    warnings += date_warnings(data["release_date"], parsed.embargo.date() if parsed.embargo else None, today)
    if parsed.reference:
        taken = session.scalar(select(Release.id).where(Release.reference == parsed.reference))
        if taken is None:
            data["reference"] = parsed.reference
        else:
            warnings.append(f"The reference {parsed.reference} is already in use; a new one will be given.")
    if parsed.embargo is not None:
        data["embargo_date"], data["embargo_time"] = parsed.embargo.date(), parsed.embargo.time()
        if uktime.is_ambiguous(parsed.embargo.date(), parsed.embargo.time()):
            data["embargo_zone"] = None
            warnings.append("The embargo time happens twice as the clocks go back: choose BST or GMT.")
    return data, warnings
