"""Reads of staff accounts that pages in every area share."""

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from press.accounts.models import User


def signed_in_user(session: Session, token: str) -> User | None:
    """The active account whose session token this is, if any."""
    return session.scalar(select(User).where(User.session_token == token, User.active.is_(True)))


def active_users(session: Session) -> Sequence[User]:
    """The accounts that can sign in, by name: the people a release or an enquiry may be given to."""
    return session.scalars(select(User).where(User.active.is_(True)).order_by(User.name)).all()
