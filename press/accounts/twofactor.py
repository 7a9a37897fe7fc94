"""Two-factor sign-in: a time-based code from an authenticator app (RFC 6238), and single-use recovery codes.

The secret is kept as it must be to check codes; recovery codes are kept only as hashes. Each accepted code
moves the user's last used time step forward in one conditional UPDATE, so a code (or an older one) is
refused the second time even when two requests bring it at once.
"""

import hashlib
import hmac
import secrets
from datetime import datetime

import pyotp
import segno
from flask import current_app
from sqlalchemy import ForeignKey, String, delete, func, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from press import clock
from press.accounts import policy
from press.accounts.models import User
from press.audit import audit
from press.database import UTCDateTime
from press.extensions import db

# Codes from one step before or after the server's are accepted: phones' clocks drift by a few seconds.
DRIFT_STEPS = 1
CODE_DIGITS = 6
RECOVERY_CODES = 10
# 16 characters of base 32 are 80 bits: too many to try offline against the stored hashes.
RECOVERY_CODE_LENGTH = 16
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


class TwoFactor(db.Model):
    """A user's authenticator secret: being set up until ``enabled_at`` is set, then asked for at every sign-in."""

    __tablename__ = "two_factor"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True, autoincrement=False)
    secret: Mapped[str] = mapped_column(String(64))
    enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The time step of the last code accepted; that code and every earlier one are refused from then on.
    last_step: Mapped[int | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


class RecoveryCode(db.Model):
    """One single-use recovery code, as its SHA-256 hash."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)


# --- Who needs it ------------------------------------------------------------------------------------------

def required_roles() -> set[str]:
    """The roles that must sign in with a code, as the settings page (or else PRESS_REQUIRE_2FA_FOR) has them."""
    return set(policy.current().two_factor_roles)


def settings_of(session: Session, user: User) -> TwoFactor | None:
    return session.get(TwoFactor, user.id)


def enabled_user_ids(session: Session) -> set[int]:
    """Who signs in with a code, for the users page."""
    return set(session.scalars(select(TwoFactor.user_id).where(TwoFactor.enabled_at.is_not(None))))


def is_enabled(session: Session, user: User) -> bool:
    found = settings_of(session, user)
    return found is not None and found.enabled_at is not None


def must_enrol(session: Session, user: User) -> bool:
    """Whether the user's role requires two-factor sign-in and they have not set it up yet."""
    return user.role in required_roles() and not is_enabled(session, user)


# --- Codes from the authenticator app -----------------------------------------------------------------------

def start_enrolment(session: Session, user: User) -> TwoFactor:
    """The secret being set up for the user: the one already waiting to be confirmed, or a new one."""
    found = settings_of(session, user)
    if found is None:
        found = TwoFactor(user_id=user.id, secret=pyotp.random_base32(), created_at=clock.now())
        session.add(found)
        session.flush()
    return found


def provisioning_uri(user: User, secret: str) -> str:
    issuer = f"{current_app.config['PRESS_ORGANISATION']} press office"
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=issuer)


def qr_code(user: User, secret: str) -> str:
    """The setup link as a QR code, drawn here as a PNG data URI (the page's policy allows data: images)."""
    return segno.make(provisioning_uri(user, secret), error="m").png_data_uri(scale=5, border=4)


def grouped(secret: str) -> str:
    """The secret in groups of four, easier to type into an app than one long run."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def matching_step(secret: str, code: str, moment: datetime) -> int | None:
    """The time step within the drift window whose code this is, or None."""
    totp = pyotp.TOTP(secret, digits=CODE_DIGITS)
    now_step = totp.timecode(moment)
    for offset in range(-DRIFT_STEPS, DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.at(moment, counter_offset=offset), code):
            return now_step + offset
    return None


def use_code(session: Session, found: TwoFactor, code: str) -> bool:
    """Accept a code once: only if it is current and later than the last one this user's account accepted."""
    step = matching_step(found.secret, code, clock.now())
    if step is None:
        return False
    claimed = session.execute(
        update(TwoFactor)
        .where(TwoFactor.user_id == found.user_id)
        .where((TwoFactor.last_step.is_(None)) | (TwoFactor.last_step < step))
        .values(last_step=step)
        .execution_options(synchronize_session=False)
    )
    session.refresh(found)
    return claimed.rowcount == 1


def confirm_enrolment(session: Session, user: User, code: str) -> list[str] | None:
    """Turn two-factor sign-in on once the first code from the app is right; returns the recovery codes."""
    found = start_enrolment(session, user)
    if found.enabled_at is not None or not use_code(session, found, code):
        return None
    found.enabled_at = clock.now()
    codes = new_recovery_codes(session, user)
    audit(session, "two-factor sign-in turned on", user, user, user_id=user.id)
    return codes


def reset_two_factor(session: Session, user: User, *, by: User) -> None:
    """Turn a user's two-factor sign-in off (a lost phone): they set it up again at their next sign-in if required."""
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    session.execute(delete(TwoFactor).where(TwoFactor.user_id == user.id))
    audit(session, "two-factor sign-in reset", by, user, user_id=user.id, email=user.email)
    session.flush()


# --- Recovery codes -----------------------------------------------------------------------------------------

def normalise_recovery_code(typed: str) -> str:
    return "".join(ch for ch in typed.lower() if ch.isalnum())


def hash_recovery_code(code: str) -> str:
    return hashlib.sha256(f"press.recovery:{normalise_recovery_code(code)}".encode()).hexdigest()


def shown(code: str) -> str:
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def new_recovery_codes(session: Session, user: User) -> list[str]:
    """Make a fresh set of recovery codes, voiding every earlier one; the codes are returned once, never kept."""
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = ["".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_CODE_LENGTH))
             for _ in range(RECOVERY_CODES)]
    now = clock.now()
    session.add_all(RecoveryCode(user_id=user.id, code_hash=hash_recovery_code(code), created_at=now) for code in codes)
    session.flush()
    return [shown(code) for code in codes]


def regenerate_recovery_codes(session: Session, user: User) -> list[str]:
    codes = new_recovery_codes(session, user)
    audit(session, "recovery codes replaced", user, user, user_id=user.id)
    return codes


def use_recovery_code(session: Session, user: User, typed: str) -> bool:
    """Spend one unused recovery code; a used, voided or unknown one is refused."""
    spent = session.execute(
        update(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.code_hash == hash_recovery_code(typed),
               RecoveryCode.used_at.is_(None))
        .values(used_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    return spent.rowcount == 1


def recovery_codes_left(session: Session, user: User) -> int:
    return session.scalar(select(func.count()).select_from(RecoveryCode)
                          .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))) or 0
