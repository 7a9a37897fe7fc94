"""The audit trail: who did something that matters for data protection (exports, erasures, imports), and when.

Every area writes to it; it names staff members by their table, so it imports no area.
"""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from press import clock
from press.database import UTCDateTime
from press.extensions import db


class AuditEvent(db.Model):
    """One action in the audit trail, with what it concerned."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now, index=True)
    action: Mapped[str] = mapped_column(String(60))
    details: Mapped[dict] = mapped_column(JSON, default=dict)

    user = relationship("User")


def audit(session: Session, action: str, by: Any, **details: Any) -> None:
    """Record an action in the audit trail; ``by`` is the staff member who did it, or None for a command."""
    session.add(AuditEvent(action=action, user_id=by.id if by is not None else None, details=details,
                           at=clock.now()))
