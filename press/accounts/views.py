import hashlib

from flask import (
    Blueprint, Response, current_app, flash, make_response, redirect, render_template, request, session, url_for,
)
from flask_login import current_user, logout_user

from press.accounts import services, signins, twofactor
from press.accounts.access import safe_next, staff_required
from press.accounts.forms import LoginForm
from press.accounts.models import User
from press.accounts.twofactor_views import begin_second_step
from press.extensions import db, limiter, login_manager

bp = Blueprint("accounts", __name__, url_prefix="/staff")

login_manager.login_view = "accounts.login"
login_manager.login_message = "Sign in to see that page."
login_manager.session_protection = "strong"


@login_manager.user_loader
def load_user(key: str) -> User | None:
    return signins.load(db.session, key)


def login_limit() -> str:
    return current_app.config["PRESS_LOGIN_RATE_LIMIT"]


def account_limit() -> str:
    return current_app.config["PRESS_LOGIN_ACCOUNT_RATE_LIMIT"]


def posted_account() -> str:
    """The account a sign-in attempt is for, wherever it comes from: its address as sign-in compares it, hashed."""
    email = services.normalise_email(request.form.get("email", ""))
    return "account:" + hashlib.sha256(email.encode()).hexdigest() if email else ""


def no_account_posted() -> bool:
    return not posted_account()


def limited(message: str) -> Response:
    """The sign-in form again with the email address typed and why it was not tried, rather than a bare error page."""
    return make_response(render_template("accounts/login.html", form=LoginForm(), error=message), 429)


def too_many_from_address(limit) -> Response:  # noqa: ARG001 - Flask-Limiter passes the limit it hit
    return limited("Too many attempts to sign in from your network. Wait a few minutes, then try again.")


def too_many_for_account(limit) -> Response:  # noqa: ARG001
    return limited("Too many attempts to sign in to this account. Wait a few minutes, then try again.")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(login_limit, methods=["POST"], on_breach=too_many_from_address)
# Guessing one account's password is limited however many addresses the guesses come from.
@limiter.limit(account_limit, key_func=posted_account, exempt_when=no_account_posted, methods=["POST"],
               on_breach=too_many_for_account)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("releases.index"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        user = services.authenticate(db.session, form.email.data, form.password.data)
        if user is not None:
            target = safe_next(request.args.get("next"), url_for("releases.index"))
            if twofactor.is_enabled(db.session, user) or twofactor.must_enrol(db.session, user):
                return begin_second_step(user, target)
            signins.begin(db.session, user, signins.Method.PASSWORD)
            db.session.commit()
            return redirect(target)
        error = "The email address or password is not right."
    return render_template("accounts/login.html", form=form, error=error)


@bp.post("/logout")
@staff_required
def logout():
    signins.end(db.session, current_user)
    db.session.commit()
    logout_user()
    session.clear()
    flash("You have signed out.")
    return redirect(url_for("accounts.login"))


@bp.get("/")
def start():
    """The staff area's own address: a signed-in person's start page, or the sign-in page."""
    if current_user.is_authenticated:
        return redirect(url_for("releases.index"))
    return redirect(url_for("accounts.login"))
