"""Passwords and profiles: a forgotten password, the emailed link that sets one, and a person's own account page."""

from flask import abort, flash, redirect, render_template, session, url_for
from flask_login import current_user, login_required, logout_user
from werkzeug.wrappers import Response

from press.accounts import links, people, signins
from press.accounts.forms import ChangePasswordForm, ForgotPasswordForm, ProfileForm, SetPasswordForm
from press.accounts.models import LinkPurpose, User
from press.accounts.services import AccountError
from press.accounts.views import account_limit, bp, no_account_posted, posted_account
from press.extensions import db, limiter
from press.forms import ActionForm
from press.limits import public_limit


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(public_limit, methods=["POST"])
# However many addresses ask, one account gets only a few emails.
@limiter.limit(account_limit, key_func=posted_account, exempt_when=no_account_posted, methods=["POST"])
def forgot_password() -> str | Response | tuple[str, int]:
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        people.request_reset(db.session, form.email.data)
        db.session.commit()
        # The same answer whether there is an account or not.
        return redirect(url_for("accounts.reset_sent"))
    return render_template("accounts/forgot.html", form=form), 422 if form.errors else 200


@bp.get("/password/sent")
def reset_sent() -> str:
    return render_template("accounts/reset_sent.html")


@bp.route("/password/set/<token>", methods=["GET", "POST"])
@limiter.limit(public_limit, methods=["POST"])
def set_password(token: str) -> str | Response | tuple[str, int]:
    link = links.valid_link(db.session, token)
    if link is None:
        return render_template("accounts/link_invalid.html"), 404
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            people.use_link(db.session, token, form.new_password.data)
        except AccountError as error:
            form.new_password.errors = [str(error)]
        else:
            db.session.commit()
            if current_user.is_authenticated:
                logout_user()
            session.clear()
            flash("Your password is set. Sign in with it now.")
            return redirect(url_for("accounts.login"))
    invited = link.purpose == LinkPurpose.INVITATION
    return render_template("accounts/set_password.html", form=form, invited=invited, token=token,
                           email=db.session.get(User, link.user_id).email), 422 if form.errors else 200


def _account_page(profile: ProfileForm | None = None, password: ChangePasswordForm | None = None,
                  status: int = 200) -> tuple[str, int]:
    return render_template("accounts/account.html", profile=profile or ProfileForm(obj=current_user),
                           password=password or ChangePasswordForm(formdata=None), action_form=ActionForm(),
                           sign_ins=signins.open_sign_ins(db.session, current_user),
                           browser_name=signins.browser_name), status


@bp.get("/account")
@login_required
def account() -> tuple[str, int]:
    return _account_page()


@bp.post("/account/profile")
@login_required
def profile() -> tuple[str, int] | Response:
    form = ProfileForm()
    if form.validate_on_submit():
        people.update_profile(db.session, current_user, name=form.name.data, job_title=form.job_title.data or "",
                              phone=form.phone.data or "")
        db.session.commit()
        flash("Your details are saved.")
        return redirect(url_for("accounts.account"))
    return _account_page(profile=form, status=422)


@bp.post("/account/password")
@login_required
def change_password() -> tuple[str, int] | Response:
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            people.change_own_password(db.session, current_user, form.current_password.data, form.new_password.data)
        except people.FieldError as error:
            form[error.field].errors = [str(error)]
        else:
            # The new session token ends every other session; this one starts afresh with it.
            signins.begin(db.session, current_user._get_current_object(), signins.Method.NEW_PASSWORD)
            db.session.commit()
            flash("Your password is changed. You have been signed out everywhere else.")
            return redirect(url_for("accounts.account"))
    return _account_page(password=form, status=422)


@bp.post("/account/sign-out-everywhere")
@login_required
def sign_out_everywhere() -> Response:
    if ActionForm().validate_on_submit():
        people.sign_out_everywhere(db.session, current_user)
        db.session.commit()
    logout_user()
    session.clear()
    flash("You have signed out everywhere, on this device and every other.")
    return redirect(url_for("accounts.login"))


@bp.post("/account/sign-ins/<int:sign_in_id>/end")
@login_required
def end_sign_in(sign_in_id: int) -> Response:
    """Sign out one of the person's other sessions; only their own can be found."""
    if not ActionForm().validate_on_submit():
        abort(400)
    if not signins.end_other(db.session, current_user, sign_in_id):
        abort(404)
    db.session.commit()
    flash("That session is signed out.")
    return redirect(url_for("accounts.account", _anchor="signed-in"))
