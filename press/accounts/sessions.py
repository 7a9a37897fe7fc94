"""How long a signed-in session lasts: it ends after a spell of no use, and in any case some hours after sign-in."""

from flask import Flask, flash, request, session
from flask_login import current_user, logout_user, user_logged_in

from press import clock
from press.accounts import policy, signins
from press.accounts.views import bp
from press.extensions import db

# The session's own clock, in seconds since the epoch: when it signed in, and when it was last used.
SIGNED_IN_AT = "signed_in_at"
SEEN_AT = "seen_at"
# Noting each use rewrites the cookie, so a use within this many seconds of the last one noted is not noted.
SEEN_GRANULARITY = 30


@user_logged_in.connect
def start_the_clock(sender: Flask, **_: object) -> None:  # noqa: ARG001 - blinker passes the app
    now = clock.now().timestamp()
    session[SIGNED_IN_AT] = now
    session[SEEN_AT] = now


def expired(now: float) -> str | None:
    """Why the session in the cookie has run out, or None while it has not; a limit set to 0 is no limit."""
    rules = policy.current()
    idle, longest = rules.idle_minutes, rules.max_hours
    if not idle and not longest:
        return None
    started, seen = session.get(SIGNED_IN_AT), session.get(SEEN_AT)
    if not isinstance(started, int | float) or not isinstance(seen, int | float):
        return "Sign in again to carry on."
    if longest and now - started > longest * 3600:
        return f"You were signed out because you signed in more than {longest} hours ago."
    if idle and now - seen > idle * 60:
        return f"You were signed out because the page had not been used for {idle} minutes."
    return None


@bp.before_app_request
def end_stale_sessions() -> None:
    """Sign out a session that has gone unused too long or lived too long; note the use of any other."""
    if "_user_id" not in session or request.endpoint == "static":
        return
    now = clock.now().timestamp()
    why = expired(now)
    if why is not None:
        if current_user.is_authenticated:
            signins.clear_ended(db.session, current_user, clock.now())
            db.session.commit()
        logout_user()
        session.clear()
        flash(why)
    elif now - session.get(SEEN_AT, 0) >= SEEN_GRANULARITY:
        session[SEEN_AT] = now
        if current_user.is_authenticated:
            signins.note_use(db.session, current_user)
            db.session.commit()
