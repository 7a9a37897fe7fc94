"""The organisation's sign-in rules, which an admin sets on the settings page: which roles must sign in with a
code as well as a password, and how long a signed-in session lasts.

The environment gives each rule its starting value (PRESS_REQUIRE_2FA_FOR, PRESS_SESSION_IDLE_MINUTES,
PRESS_SESSION_MAX_HOURS); a value saved on the page takes its place from the next request on, in every process.
"""

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from flask import current_app, g, has_request_context
from sqlalchemy import JSON, ForeignKey, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from press import clock
from press.audit import audit
from press.database import UTCDateTime
from press.extensions import db

ROLES_IN_ORDER = ("admin", "manager", "staff")


class Setting(db.Model):
    """One rule an admin has set, by name, with who set it last and when."""

    __tablename__ = "settings"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


@dataclass(frozen=True)
class SignInPolicy:
    # Roles whose members must set up and use two-factor sign-in.
    two_factor_roles: tuple[str, ...]
    # A session ends after this many minutes unused, and this many hours after signing in (0: no limit).
    idle_minutes: int
    max_hours: int


def ordered_roles(names: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """The roles named, each once, admin first; a name that is no role is dropped."""
    named = {role.strip().lower() for role in names}
    return tuple(role for role in ROLES_IN_ORDER if role in named)


def from_environment() -> SignInPolicy:
    config = current_app.config
    return SignInPolicy(two_factor_roles=ordered_roles(config["PRESS_REQUIRE_2FA_FOR"].split(",")),
                        idle_minutes=config["PRESS_SESSION_IDLE_MINUTES"], max_hours=config["PRESS_SESSION_MAX_HOURS"])


def _checked(name: str, value: Any) -> Any:
    """A stored value in the shape its rule takes, or None if it is not one (it is then left out)."""
    if name == "two_factor_roles":
        ok = isinstance(value, list) and all(isinstance(role, str) for role in value)
        return ordered_roles(value) if ok else None
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def load(session: Session) -> SignInPolicy:
    """The rules in force: the environment's, with what an admin has saved in their place."""
    policy = from_environment()
    names = [field.name for field in fields(SignInPolicy)]
    saved = {setting.name: _checked(setting.name, setting.value)
             for setting in session.scalars(select(Setting).where(Setting.name.in_(names)))}
    return SignInPolicy(**{name: saved[name] if saved.get(name) is not None else getattr(policy, name)
                           for name in names})


def current() -> SignInPolicy:
    """The rules in force for this request, read once per request."""
    if not has_request_context():
        return load(db.session)
    if "sign_in_policy" not in g:
        g.sign_in_policy = load(db.session)
    return g.sign_in_policy


def save(session: Session, policy: SignInPolicy, *, by: Any) -> dict[str, tuple[Any, Any]]:
    """Keep the rules an admin has chosen; what changed is audited, as (before, after) by rule name."""
    before = load(session)
    changed = {}
    for field in fields(SignInPolicy):
        old, new = getattr(before, field.name), getattr(policy, field.name)
        if old == new:
            continue
        changed[field.name] = (old, new)
        stored = list(new) if isinstance(new, tuple) else new
        setting = session.get(Setting, field.name)
        if setting is None:
            session.add(Setting(name=field.name, value=stored, updated_at=clock.now(), updated_by_id=by.id))
        else:
            setting.value, setting.updated_at, setting.updated_by_id = stored, clock.now(), by.id
    if changed:
        audit(session, "sign-in settings changed", by, **{name: {"from": _shown(old), "to": _shown(new)}
                                                           for name, (old, new) in changed.items()})
    if has_request_context():
        g.pop("sign_in_policy", None)
    return changed


def _shown(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value
