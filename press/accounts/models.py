"""Staff accounts: who can sign in and what they may do."""

import secrets
from datetime import datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from press import clock
from press.database import UTCDateTime
from press.extensions import db


# No hash werkzeug makes starts so: an account with this has no password that works until one is set.
NO_PASSWORD = "!"


class Role(StrEnum):
    ADMIN = "admin"
    MANAGER = "manager"
    STAFF = "staff"


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    job_title: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    # Each sign-in notes this token, and ends when it changes: changing it signs the user out everywhere.
    session_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_session_token)
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Set for the signed-in user by press.accounts.signins: the key their cookie carries, and its row.
    sign_in_key = None
    current_sign_in = None

    __hash__ = object.__hash__

    def __eq__(self, other: object) -> bool:
        """The same account: the same row, whichever sign-in (if any) each object came with."""
        if not isinstance(other, User):
            return NotImplemented
        return self is other or (self.id is not None and self.id == other.id)

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    def get_id(self) -> str:
        if self.sign_in_key is None:
            raise RuntimeError("Sign in through press.accounts.signins.begin, which makes the key the cookie carries.")
        return self.sign_in_key

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def can_edit_releases(self) -> bool:
        return self.role in (Role.ADMIN, Role.MANAGER)

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"


class LinkPurpose(StrEnum):
    INVITATION = "invitation"
    RESET = "reset"


class AccountLink(db.Model):
    """A single-use link to set a password, sent by email; only a hash of its secret is kept.

    Using it, or sending the same person a newer one, deletes the row, so the old link stops working.
    """

    __tablename__ = "account_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
