"""Creating staff accounts and checking their passwords."""

from functools import cache

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from press import clock
from press.accounts.models import Role, User, new_session_token

MIN_PASSWORD_LENGTH = 12


@cache
def dummy_hash() -> str:
    """A fixed hash to check against when the email is unknown, so both paths take the same time.

    Made on first use, not at import: scrypt needs 32 MB for a moment, and the worker processes, which
    import this module but never sign anyone in, should not carry that peak.
    """
    return generate_password_hash("not a real password", method="scrypt")


class AccountError(ValueError):
    """An account could not be created or changed as asked."""


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(session: Session, email: str) -> User | None:
    """Look a user up by email, ignoring case."""
    return session.scalar(select(User).where(func.lower(User.email) == normalise_email(email)))


def create_user(
    session: Session,
    *,
    email: str,
    name: str,
    role: str,
    password: str,
    job_title: str = "",
    phone: str = "",
) -> User:
    """Add a staff account with a hashed password."""
    if role not in set(Role):
        raise AccountError(f"Role must be one of: {', '.join(Role)}.")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"The password must be at least {MIN_PASSWORD_LENGTH} characters.")
    if find_user_by_email(session, email) is not None:
        raise AccountError(f"There is already an account for {normalise_email(email)}.")
    user = User(
        email=normalise_email(email),
        name=name.strip(),
        role=role,
        job_title=job_title.strip(),
        phone=phone.strip(),
        password_hash=generate_password_hash(password, method="scrypt"),
    )
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, email: str, password: str) -> User | None:
    """Return the active user with this email and password, or None."""
    user = find_user_by_email(session, email)
    if user is None or not user.active:
        check_password_hash(dummy_hash(), password)
        return None
    if not check_password_hash(user.password_hash, password):
        return None
    user.last_login_at = clock.now()
    return user


def set_password(session: Session, user: User, password: str) -> None:
    """Change a password and end every session the user had."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"The password must be at least {MIN_PASSWORD_LENGTH} characters.")
    user.password_hash = generate_password_hash(password, method="scrypt")
    user.session_token = new_session_token()
    session.flush()
