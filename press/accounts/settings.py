"""The settings page: an admin chooses who must use two-factor sign-in and how long sessions last."""

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from press.accounts import policy, twofactor
from press.accounts.access import admin_required
from press.accounts.forms import SignInSettingsForm
from press.accounts.models import User
from press.accounts.views import bp
from press.extensions import db

ROLE_NAMES = {"admin": "admins", "manager": "managers", "staff": "staff"}


def not_set_up(roles: tuple[str, ...]) -> dict[str, int]:
    """How many active people in each role have not set up two-factor sign-in yet."""
    if not roles:
        return {}
    enabled = twofactor.enabled_user_ids(db.session)
    rows = db.session.execute(select(User.role, User.id).where(User.active.is_(True), User.role.in_(roles)))
    counts = dict.fromkeys(roles, 0)
    for role, user_id in rows:
        counts[role] += user_id not in enabled
    return {role: count for role, count in counts.items() if count}


@bp.route("/settings", methods=["GET", "POST"])
@admin_required
def settings() -> tuple[str, int] | Response:
    rules = policy.current()
    form = SignInSettingsForm(data={"two_factor_roles": list(rules.two_factor_roles),
                                    "idle_minutes": rules.idle_minutes, "max_hours": rules.max_hours})
    if form.validate_on_submit():
        chosen = policy.SignInPolicy(two_factor_roles=policy.ordered_roles(form.two_factor_roles.data),
                                     idle_minutes=form.idle_minutes.data, max_hours=form.max_hours.data)
        changed = policy.save(db.session, chosen, by=current_user)
        db.session.commit()
        flash("The sign-in settings are saved." if changed else "Nothing had changed, so nothing was saved.")
        return redirect(url_for("accounts.settings"))
    status = 422 if form.errors else 200
    waiting = not_set_up(rules.two_factor_roles)
    updated = db.session.scalar(select(func.max(policy.Setting.updated_at)))
    return render_template("accounts/settings.html", form=form, waiting=waiting, role_names=ROLE_NAMES,
                           environment=policy.from_environment(), updated=updated), status
