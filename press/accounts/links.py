"""Single-use, short-lived links to set a password: an invitation to a new colleague, or a forgotten-password reset.

The link's secret is an HMAC, under the secret key, of its email's delivery id and random value: it is made again
when the email is built and kept nowhere, so the outbox row holds no secret, and the database keeps only the
link's SHA-256. A copy of the database opens no account.
"""

import base64
import hashlib
import hmac
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from press import clock
from press.accounts.models import AccountLink, LinkPurpose, User
from press.outbox.models import Delivery

# An invitation waits for someone to get round to it; a reset is asked for by the person, who is there now.
LIFETIMES = {LinkPurpose.INVITATION: timedelta(days=3), LinkPurpose.RESET: timedelta(hours=1)}


def hashed(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_for(delivery: Delivery) -> str:
    """The secret of the link the email of this delivery carries: 43 URL-safe characters."""
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, f"account-link:{delivery.id}:{delivery.secret}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def make_link(session: Session, user: User, purpose: LinkPurpose, delivery: Delivery) -> None:
    """Make the link that this (flushed) delivery's email carries for this person; any link they were sent before
    stops working."""
    session.execute(delete(AccountLink).where(AccountLink.user_id == user.id))
    token = token_for(delivery)
    now = clock.now()
    session.add(AccountLink(user_id=user.id, purpose=purpose, token_hash=hashed(token), created_at=now,
                            expires_at=now + LIFETIMES[purpose]))
    session.flush()


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
