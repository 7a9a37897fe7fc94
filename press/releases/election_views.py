"""Pages of the pre-election period: the admins' periods and names, publishing a release during a period, and an
admin's override; and the helpers the newsroom, the release pages and the send pages call."""

from datetime import datetime
from typing import Any

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug import Response

from press import clock
from press.accounts.access import admin_required, editor_required
from press.extensions import db
from press.forms import ActionForm
from press.releases import elections, services
from press.releases.election_forms import ClearanceForm, NameForm, OverrideForm, PeriodForm
from press.releases.election_models import ElectionName, ElectionPeriod
from press.releases.models import Release, Status

settings = Blueprint("elections", __name__, url_prefix="/staff/settings/election-periods")
bp = Blueprint("release_elections", __name__, url_prefix="/staff/releases")

CLEARANCE_PREFIX = "election"


def field_error(form: Any, error: elections.ElectionError, default: str) -> None:
    target = form[error.field if error.field in form else default]
    target.errors = [*target.errors, str(error)]


# --- Helpers for other pages ----------------------------------------------------------------------------------

@settings.app_template_global("election_notice")
def election_notice() -> ElectionPeriod | None:
    """The period the newsroom is in today, if any: its notice is shown on the public pages."""
    return elections.current_period(db.session)


@settings.app_template_global("election_check")
def election_check(release: Release, send_at: datetime | None = None, sending: bool = False) -> elections.Check:
    """What the periods ask of this release: for sending at ``send_at`` (or now), or else for publishing it."""
    now = clock.now()
    days = elections.sending_days(send_at, now) if sending else elections.publishing_days(release, now)
    return elections.check(db.session, release, days)


@settings.app_template_global("clearance_form")
def clearance_form(given: ClearanceForm | None = None) -> ClearanceForm:
    return given if given is not None else ClearanceForm(prefix=CLEARANCE_PREFIX, formdata=None)


@settings.app_template_global("embargo_periods")
def embargo_periods(embargo_at: datetime | None) -> list[ElectionPeriod]:
    """The periods an embargo time falls in, for the warning next to the embargo field."""
    return elections.periods_on(db.session, {elections.uk_day(embargo_at)}) if embargo_at else []


def needs_clearance(release: Release) -> bool:
    """Whether marking this draft final must go through the pre-election confirmation page."""
    return release.status == Status.DRAFT and bool(elections.periods_on(
        db.session, elections.publishing_days(release, clock.now())))


def send_refusal(release: Release, send_at: datetime | None) -> ClearanceForm | None:
    """Check the send confirmation page's pre-election part: None to go ahead (and the confirmation recorded),
    or the form with the refusal on it."""
    found = election_check(release, send_at, sending=True)
    form = ClearanceForm(prefix=CLEARANCE_PREFIX)
    try:
        elections.require_clearance(found, confirmed=bool(form.code_confirmed.data), doing="be sent")
    except elections.ElectionError as error:
        form.code_confirmed.errors = [str(error)]
        return form
    if found.applies:
        elections.record_clearance(db.session, release, found, doing="send", by=current_user)
    return None


def embargo_flag(release: Release) -> None:
    """Say, once a release is saved, that its embargo falls in a period (it is not refused)."""
    for period in embargo_periods(release.embargo_at):
        flash(f"The embargo falls in the pre-election period for {period.name}: publishing or sending it will ask "
              "you to confirm that it meets the publicity code.")


# --- Publishing during a period --------------------------------------------------------------------------------

def get_release(release_id: int) -> Release:
    return db.get_or_404(Release, release_id)


@bp.route("/<int:release_id>/publish", methods=["GET", "POST"])
@editor_required
def publish(release_id: int):
    release = get_release(release_id)
    if release.status != Status.DRAFT:
        flash("Only a draft can be marked final.", "error")
        return redirect(url_for("releases.show", release_id=release.id), 303)
    found = election_check(release)
    if not found.applies and request.method == "GET":
        return redirect(url_for("releases.show", release_id=release.id), 303)
    form = ClearanceForm(prefix=CLEARANCE_PREFIX)
    if form.validate_on_submit():
        try:
            elections.require_clearance(found, confirmed=bool(form.code_confirmed.data))
            services.finalise_release(db.session, release, by=current_user)
        except (elections.ElectionError, services.ReleaseError) as error:
            db.session.rollback()
            form.code_confirmed.errors = [str(error)]
        else:
            if found.applies:
                elections.record_clearance(db.session, release, found, doing="publish", by=current_user)
            db.session.commit()
            flash(f"{release.reference} is final.")
            return redirect(url_for("releases.show", release_id=release.id), 303)
    page = render_template("elections/publish.html", release=release, found=found, form=form)
    return make_response(page, 422 if form.errors else 200)


@bp.route("/<int:release_id>/election-override", methods=["GET", "POST"])
@admin_required
def override(release_id: int):
    release = get_release(release_id)
    # The override covers whichever moment matters: publishing it, or sending it now.
    found = election_check(release) if release.status == Status.DRAFT else election_check(release, sending=True)
    form = OverrideForm()
    if form.validate_on_submit():
        try:
            elections.override(db.session, release, found, form.reason.data, by=current_user)
        except elections.ElectionError as error:
            db.session.rollback()
            field_error(form, error, "reason")
        else:
            db.session.commit()
            flash("Override recorded: the release may name them during the pre-election period.")
            return redirect(url_for("releases.show", release_id=release.id, _anchor="pre-election"), 303)
    page = render_template("elections/override.html", release=release, found=found, form=form)
    return make_response(page, 422 if form.errors else 200)


# --- Admins' periods and names --------------------------------------------------------------------------------

def periods_page(form: PeriodForm) -> Response:
    periods = list(db.session.scalars(select(ElectionPeriod).order_by(ElectionPeriod.starts_on.desc(), ElectionPeriod.id.desc())))
    page = render_template("elections/periods.html", form=form, periods=periods, action=ActionForm(),
                           today=elections.uk_day(clock.now()))
    return make_response(page, 422 if form.errors else 200)


@settings.route("/", methods=["GET", "POST"], strict_slashes=False)
@admin_required
def index():
    form = PeriodForm()
    if form.validate_on_submit():
        try:
            period = elections.add_period(db.session, name=form.name.data, starts_on=form.starts_on.data,
                                          ends_on=form.ends_on.data, wards=form.ward_list(), by=current_user)
        except elections.ElectionError as error:
            db.session.rollback()
            field_error(form, error, "name")
        else:
            db.session.commit()
            flash(f"Pre-election period added: {period.name}. Now list the councillors and candidates.")
            return redirect(url_for("elections.period", period_id=period.id), 303)
    return periods_page(form)


@settings.post("/<int:period_id>/remove")
@admin_required
def remove(period_id: int):
    period = db.get_or_404(ElectionPeriod, period_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    name = period.name
    elections.remove_period(db.session, period, by=current_user)
    db.session.commit()
    flash(f"Pre-election period removed: {name}.")
    return redirect(url_for("elections.index"), 303)


@settings.route("/<int:period_id>", methods=["GET", "POST"])
@admin_required
def period(period_id: int):
    entry = db.get_or_404(ElectionPeriod, period_id)
    form = NameForm()
    if form.validate_on_submit():
        try:
            added = elections.add_name(db.session, entry, name=form.name.data, ward=form.ward.data or "",
                                       by=current_user)
        except elections.ElectionError as error:
            db.session.rollback()
            field_error(form, error, "name")
        else:
            db.session.commit()
            flash(f"{added.name} is listed for {entry.name}.")
            return redirect(url_for("elections.period", period_id=entry.id), 303)
    page = render_template("elections/period.html", period=entry, form=form, action=ActionForm())
    return make_response(page, 422 if form.errors else 200)


@settings.post("/<int:period_id>/names/<int:name_id>/remove")
@admin_required
def remove_name(period_id: int, name_id: int):
    entry = db.session.get(ElectionName, name_id)
    if entry is None or entry.period_id != period_id:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    name = entry.name
    elections.remove_name(db.session, entry, by=current_user)
    db.session.commit()
    flash(f"{name} is no longer listed.")
    return redirect(url_for("elections.period", period_id=period_id), 303)
