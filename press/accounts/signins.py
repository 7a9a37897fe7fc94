"""Each time someone signs in, a row of its own: the cookie carries a random key that only this row's hash
matches, so signing out ends that cookie for good, wherever a copy of it is, and a person can see and end the
sessions they have on other devices.

A row also holds the account's session token as it was at sign-in. Changing the token (a new password, a new
role, deactivation, "sign out everywhere") ends every row made before it without touching them.
"""

import hashlib
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import StrEnum

from flask import request, session as cookie
from flask_login import login_user
from sqlalchemy import ForeignKey, String, delete, or_, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from press import clock
from press.accounts import policy
from press.accounts.models import User
from press.audit import ADDRESS_LENGTH, audit, remote_address
from press.database import UTCDateTime
from press.extensions import db

# Noting each use is a write, so a use within this long of the last one noted is not noted.
SEEN_EVERY = timedelta(minutes=1)
AGENT_LENGTH = 300


class Method(StrEnum):
    """How a sign-in was made, in the words the account page and the audit trail show."""

    PASSWORD = "password"
    CODE = "password and code"
    RECOVERY_CODE = "password and recovery code"
    NEW_PASSWORD = "new password"


class SignIn(db.Model):
    __tablename__ = "sign_ins"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The account's session token when this sign-in began; once the token changes, the sign-in is over.
    generation: Mapped[str] = mapped_column(String(64))
    method: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    remote_addr: Mapped[str | None] = mapped_column(String(ADDRESS_LENGTH))
    user_agent: Mapped[str] = mapped_column(String(AGENT_LENGTH), default="")


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _limits_passed(sign_in: SignIn, now: datetime) -> bool:
    """Whether the settings' idle time or longest session has run out for this sign-in."""
    rules = policy.current()
    if rules.max_hours and now - sign_in.created_at > timedelta(hours=rules.max_hours):
        return True
    return bool(rules.idle_minutes) and now - sign_in.seen_at > timedelta(minutes=rules.idle_minutes) + SEEN_EVERY


def begin(session: Session, user: User, method: str) -> None:
    """Sign the user in with a fresh cookie and a new row; rows of theirs that are over are cleared away."""
    now = clock.now()
    clear_ended(session, user, now)
    key = secrets.token_urlsafe(32)
    sign_in = SignIn(user_id=user.id, key_hash=digest(key), generation=user.session_token, method=method,
                     created_at=now, seen_at=now, remote_addr=remote_address(),
                     user_agent=(request.user_agent.string or "")[:AGENT_LENGTH])
    session.add(sign_in)
    session.flush()
    user.sign_in_key, user.current_sign_in = key, sign_in
    # Nothing set before signing in survives it (fixation), and the new cookie names only the new row.
    cookie.clear()
    login_user(user)
    user.last_login_at = now
    audit(session, "signed in", user, user, user_id=user.id, method=method)


def clear_ended(session: Session, user: User, now: datetime) -> None:
    """Delete the user's sign-ins that can no longer let anyone in."""
    rules = policy.current()
    over = [SignIn.generation != user.session_token]
    if rules.max_hours:
        over.append(SignIn.created_at < now - timedelta(hours=rules.max_hours))
    if rules.idle_minutes:
        over.append(SignIn.seen_at < now - timedelta(minutes=rules.idle_minutes) - SEEN_EVERY)
    session.execute(delete(SignIn).where(SignIn.user_id == user.id, or_(*over)))


def renew(session: Session, user: User) -> None:
    """Give this sign-in a new key, so a cookie copied before a change of privilege stops working."""
    sign_in = getattr(user, "current_sign_in", None)
    if sign_in is None:
        return
    key = secrets.token_urlsafe(32)
    sign_in.key_hash = digest(key)
    sign_in.generation = user.session_token
    session.flush()
    user.sign_in_key = key
    cookie["_user_id"] = key


def load(session: Session, key: str) -> User | None:
    """The active user this cookie's key signs in, while the sign-in is neither ended nor past its limits."""
    found = session.execute(
        select(SignIn, User).join(User, User.id == SignIn.user_id)
        .where(SignIn.key_hash == digest(key), User.active.is_(True), SignIn.generation == User.session_token)
    ).first()
    if found is None:
        return None
    sign_in, user = found
    if _limits_passed(sign_in, clock.now()):
        return None
    user.sign_in_key, user.current_sign_in = key, sign_in
    return user


def note_use(session: Session, user: User) -> None:
    """Note that the sign-in is in use, at most once a minute; the caller commits."""
    sign_in = getattr(user, "current_sign_in", None)
    now = clock.now()
    if sign_in is not None and now - sign_in.seen_at >= SEEN_EVERY:
        session.execute(update(SignIn).where(SignIn.id == sign_in.id).values(seen_at=now))
        sign_in.seen_at = now


def end(session: Session, user: User) -> None:
    """Sign out this sign-in only."""
    sign_in = getattr(user, "current_sign_in", None)
    if sign_in is not None:
        session.execute(delete(SignIn).where(SignIn.id == sign_in.id))
        audit(session, "signed out", user, user, user_id=user.id)


def open_sign_ins(session: Session, user: User) -> Sequence[SignIn]:
    """The user's sign-ins that still let someone in, the latest used first."""
    now = clock.now()
    rows = session.scalars(
        select(SignIn).where(SignIn.user_id == user.id, SignIn.generation == user.session_token)
        .order_by(SignIn.seen_at.desc(), SignIn.id.desc())
    ).all()
    return [row for row in rows if not _limits_passed(row, now)]


def end_other(session: Session, user: User, sign_in_id: int) -> bool:
    """End one of the user's other sign-ins; False if they have none with that id."""
    current = getattr(user, "current_sign_in", None)
    if current is not None and current.id == sign_in_id:
        return False
    ended = session.execute(delete(SignIn).where(SignIn.id == sign_in_id, SignIn.user_id == user.id)).rowcount
    if ended:
        audit(session, "signed out elsewhere", user, user, user_id=user.id, sign_in_id=sign_in_id)
    return bool(ended)


def browser_name(agent: str) -> str:
    """A browser and system a person would recognise, from its User-Agent header, or "Unknown browser"."""
    browsers = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"),
                ("Chromium/", "Chromium"), ("Safari/", "Safari"))
    systems = (("iPhone", "iPhone"), ("iPad", "iPad"), ("Android", "Android"), ("Windows", "Windows"),
               ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"), ("Linux", "Linux"))
    browser = next((name for marker, name in browsers if marker in agent), None)
    system = next((name for marker, name in systems if marker in agent), None)
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or "Unknown browser"

