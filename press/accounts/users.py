"""The users page: admins invite colleagues, change their roles, and deactivate or reactivate their accounts."""

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from press.accounts import people, twofactor
from press.accounts.access import admin_required
from press.accounts.forms import InviteForm, RoleForm
from press.accounts.models import User
from press.accounts.services import AccountError
from press.accounts.views import bp
from press.extensions import db
from press.forms import ActionForm


def _user_or_404(user_id: int) -> User:
    return db.get_or_404(User, user_id)


@bp.get("/users/")
@admin_required
def users() -> str:
    return render_template("accounts/users.html", users=people.all_users(db.session), has_password=people.has_password,
                           two_factor_on=twofactor.enabled_user_ids(db.session))


@bp.route("/users/invite", methods=["GET", "POST"])
@admin_required
def invite() -> str | Response:
    form = InviteForm()
    if form.validate_on_submit():
        try:
            user = people.invite_user(db.session, email=form.email.data, name=form.name.data, role=form.role.data,
                                      job_title=form.job_title.data or "", phone=form.phone.data or "",
                                      by=current_user)
        except people.FieldError as error:
            form[error.field].errors = [*form[error.field].errors, str(error)]
        else:
            db.session.commit()
            flash(f"We have emailed {user.name} an invitation to set their password.")
            return redirect(url_for("accounts.users"))
    status = 422 if form.errors else 200
    return render_template("accounts/invite.html", form=form), status


def _user_page(user: User, role_form: RoleForm | None = None, status: int = 200) -> tuple[str, int]:
    role_form = role_form or RoleForm(data={"role": user.role})
    return render_template("accounts/user.html", user=user, role_form=role_form, action_form=ActionForm(),
                           has_password=people.has_password(user),
                           two_factor=twofactor.is_enabled(db.session, user)), status


@bp.get("/users/<int:user_id>")
@admin_required
def user(user_id: int) -> tuple[str, int]:
    return _user_page(_user_or_404(user_id))


@bp.post("/users/<int:user_id>/role")
@admin_required
def change_role(user_id: int) -> tuple[str, int] | Response:
    user = _user_or_404(user_id)
    form = RoleForm()
    if form.validate_on_submit():
        try:
            people.change_role(db.session, user, form.role.data, by=current_user)
        except people.FieldError as error:
            form.role.errors = [str(error)]
        else:
            db.session.commit()
            flash(f"{user.name} is now {user.role}. They sign in again to use it.")
            return redirect(url_for("accounts.user", user_id=user.id))
    return _user_page(user, form, 422)


def _act(user_id: int, change, done: str) -> Response:
    """Run one of the buttons' changes on the account and say how it went on the person's page."""
    user = _user_or_404(user_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        change(db.session, user, by=current_user)
    except AccountError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(done.format(name=user.name))
    return redirect(url_for("accounts.user", user_id=user_id))


@bp.post("/users/<int:user_id>/deactivate")
@admin_required
def deactivate(user_id: int) -> Response:
    return _act(user_id, people.deactivate_user, "{name} can no longer sign in, and has been signed out.")


@bp.post("/users/<int:user_id>/reactivate")
@admin_required
def reactivate(user_id: int) -> Response:
    return _act(user_id, people.reactivate_user, "{name} can sign in again.")


@bp.post("/users/<int:user_id>/invitation")
@admin_required
def send_invitation(user_id: int) -> Response:
    def send(session, user, *, by):
        if not user.active:
            raise AccountError("Reactivate the account before sending an invitation.")
        people.send_invitation(session, user, by=by)

    return _act(user_id, send, "We have emailed {name} a link to set their password.")
