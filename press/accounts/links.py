"""Single-use, short-lived links to set a password: an invitation to a new colleague, or a forgotten-password reset.

The link carries a random secret; the database keeps only its SHA-256, so a copy of the table opens no account.
"""

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from press import clock
from press.accounts.models import AccountLink, LinkPurpose, User

# An invitation waits for someone to get round to it; a reset is asked for by the person, who is there now.
LIFETIMES = {LinkPurpose.INVITATION: timedelta(days=3), LinkPurpose.RESET: timedelta(hours=1)}


def hashed(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def make_link(session: Session, user: User, purpose: LinkPurpose) -> str:
    """A new link's secret for this person; any link they were sent before stops working."""
    session.execute(delete(AccountLink).where(AccountLink.user_id == user.id))
    token = secrets.token_urlsafe(32)
    now = clock.now()
    session.add(AccountLink(user_id=user.id, purpose=purpose, token_hash=hashed(token), created_at=now,
                            expires_at=now + LIFETIMES[purpose]))
    session.flush()
    return token


def valid_link(session: Session, token: str) -> AccountLink | None:
    """The unexpired link with this secret, for an account that can still sign in, or None whatever was wrong."""
    if not token or len(token) > 200:
        return None
    link = session.scalar(select(AccountLink).where(AccountLink.token_hash == hashed(token)))
    if link is None or link.expires_at <= clock.now():
        return None
    user = session.get(User, link.user_id)
    if user is None or not user.active:
        return None
    return link


def spend_links(session: Session, user: User) -> None:
    """Forget every link this person holds: one was used, or their password changed some other way."""
    session.execute(delete(AccountLink).where(AccountLink.user_id == user.id))
