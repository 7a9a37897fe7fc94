"""The audit trail: who changed what, to which object, when and from which address.

Every area writes to it; it names staff members by their table, so it imports no area. Entries are only
ever added: nothing in the app changes or removes one, and this module offers no way to.
"""

import re
from datetime import datetime
from typing import Any

from flask import has_request_context, request
from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship
from werkzeug.local import LocalProxy

from press import clock
from press.database import UTCDateTime
from press.extensions import db

ADDRESS_LENGTH = 45  # The longest IPv6 address written out, IPv4-mapped: ffff:ffff:...:255.255.255.255


class AuditEvent(db.Model):
    """One action in the audit trail, with the object it concerned and where the request came from."""

    __tablename__ = "audit_events"
    __table_args__ = (
        # Newest first, a page at a time: the keyset is (at, id).
        Index("ix_audit_events_at_id", "at", "id"),
        Index("ix_audit_events_user_at_id", "user_id", "at", "id"),
        Index("ix_audit_events_object_at_id", "object_kind", "object_id", "at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    action: Mapped[str] = mapped_column(String(60))
    object_kind: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[int | None] = mapped_column(Integer)
    remote_addr: Mapped[str | None] = mapped_column(String(ADDRESS_LENGTH))
    details: Mapped[dict] = mapped_column(JSON, default=dict)

    user = relationship("User")


def object_kind(subject: Any) -> str:
    """The plain name of an object's kind: MediaList is "media list", Enquiry is "enquiry"."""
    return re.sub(r"(?<!^)(?=[A-Z])", " ", type(subject).__name__).lower()


def remote_address() -> str | None:
    """The address the request came from, as Flask-Limiter keys it (ProxyFix has already read any proxies)."""
    if not has_request_context():
        return None
    return (request.remote_addr or "")[:ADDRESS_LENGTH] or None


def audit(session: Session, action: str, by: Any, subject: Any = None, **details: Any) -> None:
    """Record an action in the audit trail.

    ``by`` is the staff member who did it, or None for a command or a member of the public; ``subject`` is
    the object it was done to (a contact, a release, a distribution ...), already flushed so it has an id.
    """
    if isinstance(subject, LocalProxy):
        # current_user as the subject: its kind is the user it stands for, not "local proxy".
        subject = subject._get_current_object()
    session.add(AuditEvent(
        action=action, user_id=by.id if by is not None else None, details=details, at=clock.now(),
        object_kind=object_kind(subject) if subject is not None else None,
        object_id=subject.id if subject is not None else None, remote_addr=remote_address(),
    ))
