"""Two-factor sign-in pages: setting it up, the code asked for after the password, and an admin's reset.

After the password, sign-in does not log the user in: it keeps a signed, short-lived note of who is half
signed in (begin_second_step), and only a good code, or a first code while setting up, finishes it.
"""

import hashlib

from flask import (
    Blueprint, Response, current_app, flash, make_response, redirect, render_template, request, session, url_for,
)
from flask_login import current_user

from press import clock
from press.accounts import queries, signins, twofactor
from press.accounts.access import roles_required, safe_next, staff_required
from press.accounts.models import Role, User
from press.accounts.twofactor_emails import tell_recovery_code_used
from press.accounts.twofactor_forms import CodeForm, EnrolForm
from press.extensions import db, limiter
from press.forms import ActionForm
from press.tokens import Token

bp = Blueprint("two_factor", __name__, url_prefix="/staff")

# Signed here, and timed by press.clock (the app's one clock) rather than the signer's own.
PENDING = Token("two-factor-pending")
PENDING_KEY = "two_factor_pending"
# Long enough to find a phone and set up an app; a half-finished sign-in is worth nothing after it.
PENDING_SECONDS = 10 * 60
WRONG_CODE = "That code is not right, or it has been used already. Type the code your app shows now."


def begin_second_step(user: User, target: str) -> Response:
    """Note who has given the right password, without signing them in, and ask for their code (or set-up)."""
    must_enrol = twofactor.must_enrol(db.session, user)
    marker = PENDING.make({"token": user.session_token, "next": target, "at": clock.now().timestamp()})
    # Nothing of the sign-in is kept until it is finished (its time included).
    db.session.rollback()
    session.clear()
    session[PENDING_KEY] = marker
    return redirect(url_for("two_factor.enrol" if must_enrol else "two_factor.code"))


def pending_value() -> dict | None:
    raw = session.get(PENDING_KEY)
    value = PENDING.read(raw) if isinstance(raw, str) else None
    if not isinstance(value, dict) or not isinstance(value.get("token"), str) or not isinstance(value.get("at"), float):
        return None
    age = clock.now().timestamp() - value["at"]
    return value if 0 <= age <= PENDING_SECONDS else None


def pending_sign_in() -> tuple[User, str] | None:
    """The active user half signed in, and where they were going; None if the note is missing, old or forged."""
    value = pending_value()
    user = queries.signed_in_user(db.session, value["token"]) if value else None
    if user is None:
        return None
    target = value.get("next")
    return user, safe_next(target if isinstance(target, str) else None, url_for("releases.index"))


def finish_sign_in(user: User, method: str = signins.Method.CODE) -> None:
    """Sign in with a fresh session, as the password step would have without two-factor sign-in."""
    signins.begin(db.session, user, method)


def pending_account() -> str:
    value = pending_value()
    return "two-factor:" + hashlib.sha256(value["token"].encode()).hexdigest() if value else ""


def nobody_pending() -> bool:
    return not pending_account()


def address_limit() -> str:
    return current_app.config["PRESS_LOGIN_RATE_LIMIT"]


def account_limit() -> str:
    return current_app.config["PRESS_LOGIN_ACCOUNT_RATE_LIMIT"]


def too_many_codes(limit) -> Response:  # noqa: ARG001 - Flask-Limiter passes the limit it hit
    message = "Too many codes tried. Wait a few minutes, then try again."
    return make_response(render_template("accounts/two_factor_code.html", form=CodeForm(), error=message), 429)


def too_many_setup_codes(limit) -> Response:  # noqa: ARG001
    flash("Too many codes tried. Wait a few minutes, then try again.", "error")
    return make_response(redirect(url_for("two_factor.enrol")), 303)


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit(address_limit, methods=["POST"], on_breach=too_many_codes)
# Guessing one account's codes is limited however many addresses the guesses come from.
@limiter.limit(account_limit, key_func=pending_account, exempt_when=nobody_pending, methods=["POST"],
               on_breach=too_many_codes)
def code():
    pending = pending_sign_in()
    if pending is None:
        flash("Sign in again: that sign-in took too long or has ended.", "error")
        return redirect(url_for("accounts.login"))
    user, target = pending
    settings = twofactor.settings_of(db.session, user)
    if settings is None or settings.enabled_at is None:
        return redirect(url_for("two_factor.enrol"))
    form = CodeForm()
    if form.validate_on_submit():
        if form.recovery:
            accepted = twofactor.use_recovery_code(db.session, user, form.code.data)
            if accepted:
                tell_recovery_code_used(db.session, user, twofactor.recovery_codes_left(db.session, user))
        else:
            accepted = twofactor.use_code(db.session, settings, form.code.data)
        if accepted:
            finish_sign_in(user, signins.Method.RECOVERY_CODE if form.recovery else signins.Method.CODE)
            db.session.commit()
            return redirect(target)
        form.code.errors.append(WRONG_CODE)
    return render_template("accounts/two_factor_code.html", form=form, error=None)


# What someone who must set up two-factor sign-in can still open before they have.
BEFORE_SETUP = {"two_factor.enrol", "accounts.logout", "static"}


@bp.before_app_request
def set_up_first() -> Response | None:
    """Send a signed-in user whose role now requires two-factor sign-in to set it up before any staff page."""
    if request.endpoint in BEFORE_SETUP or not request.path.startswith("/staff/"):
        return None
    if current_user.is_authenticated and twofactor.must_enrol(db.session, current_user):
        flash("Your organisation now asks you to sign in with a code as well as your password. Set it up to go on.")
        return redirect(url_for("two_factor.enrol"))
    return None


def enrolling() -> tuple[User, str | None] | None:
    """Who is setting up: the signed-in user, or one half signed in whose role requires it first."""
    if current_user.is_authenticated:
        return current_user, None
    pending = pending_sign_in()
    if pending is not None and twofactor.must_enrol(db.session, pending[0]):
        return pending
    return None


@bp.route("/account/two-factor", methods=["GET", "POST"])
@limiter.limit(address_limit, methods=["POST"], on_breach=too_many_setup_codes)
def enrol():
    who = enrolling()
    if who is None:
        if pending_sign_in() is not None:
            return redirect(url_for("two_factor.code"))
        return redirect(url_for("accounts.login", next=request.path))
    user, target = who
    if twofactor.is_enabled(db.session, user):
        return render_template("accounts/two_factor_on.html", form=ActionForm(),
                               left=twofactor.recovery_codes_left(db.session, user))
    settings = twofactor.start_enrolment(db.session, user)
    form = EnrolForm()
    if form.validate_on_submit():
        codes = twofactor.confirm_enrolment(db.session, user, form.code.data)
        if codes is not None:
            if target is not None:
                finish_sign_in(user)
            else:
                # Signing in now takes more than the password: a cookie copied before it no longer works.
                signins.renew(db.session, user)
            db.session.commit()
            # Shown in this answer only, never kept or put in a cookie: the page says to write them down now.
            return render_template("accounts/two_factor_recovery_codes.html", codes=codes,
                                   target=target or url_for("two_factor.enrol"), first=True)
        form.code.errors.append("That code is not right. Check that the time on your phone is right, then type "
                                "the code the app shows now.")
    db.session.commit()
    return render_template("accounts/two_factor_enrol.html", form=form, qr_code=twofactor.qr_code(user, settings.secret),
                           secret=twofactor.grouped(settings.secret), required=target is not None)


@bp.post("/account/two-factor/recovery-codes")
@staff_required
def new_recovery_codes():
    form = ActionForm()
    if not form.validate_on_submit() or not twofactor.is_enabled(db.session, current_user):
        return redirect(url_for("two_factor.enrol"))
    codes = twofactor.regenerate_recovery_codes(db.session, current_user)
    db.session.commit()
    return render_template("accounts/two_factor_recovery_codes.html", codes=codes, target=url_for("two_factor.enrol"),
                           first=False)


@bp.post("/users/<int:user_id>/reset-two-factor")
@roles_required(Role.ADMIN)
def reset(user_id: int):
    user = db.get_or_404(User, user_id)
    if ActionForm().validate_on_submit():
        twofactor.reset_two_factor(db.session, user, by=current_user)
        db.session.commit()
        flash(f"Two-factor sign-in is reset for {user.name}. They set it up again when they next sign in.")
    return redirect(safe_next(request.form.get("next"), url_for("accounts.users")))
