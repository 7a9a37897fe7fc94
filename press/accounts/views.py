from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from press.accounts import services
from press.accounts.access import safe_next, staff_required
from press.accounts.forms import LoginForm
from press.accounts.models import User
from press.extensions import db, limiter, login_manager

bp = Blueprint("accounts", __name__, url_prefix="/staff")

login_manager.login_view = "accounts.login"
login_manager.login_message = "Sign in to see that page."
login_manager.session_protection = "strong"


@login_manager.user_loader
def load_user(token: str) -> User | None:
    return db.session.scalar(db.select(User).where(User.session_token == token, User.active.is_(True)))


def login_limit() -> str:
    return current_app.config["PRESS_LOGIN_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(login_limit, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("releases.index"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        user = services.authenticate(db.session, form.email.data, form.password.data)
        if user is not None:
            target = safe_next(request.args.get("next"), url_for("releases.index"))
            # A fresh session on sign-in, so nothing set before it survives (fixation).
            session.clear()
            login_user(user)
            db.session.commit()
            return redirect(target)
        error = "The email address or password is not right."
    return render_template("accounts/login.html", form=form, error=error)


@bp.post("/logout")
@staff_required
def logout():
    logout_user()
    session.clear()
    flash("You have signed out.")
    return redirect(url_for("accounts.login"))
