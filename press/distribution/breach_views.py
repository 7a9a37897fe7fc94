"""The embargo-breach register's pages: the register, recording a breach, one breach, its evidence."""

import mimetypes
import os
from datetime import time

from flask import abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import EmailField, FileField, RadioField, SelectField, StringField, TextAreaField, URLField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, InputRequired, Length, Optional, URL

from press import clock, uktime
from press.accounts.access import editor_required
from press.contacts.services import find_contact_by_email
from press.distribution import breaches
from press.distribution.blueprints import staff as bp
from press.distribution.models import EmbargoBreach, Sanction
from press.extensions import db
from press.forms import ActionForm, BaseForm, ClockTimeField, DatePartsField, needs_zone, uk_moment, zone_field
from press.pages import id_arg
from press.releases import files
from press.releases.models import Release

SANCTION_CHOICES = [
    SelectChoice(Sanction.NONE.value, "None"),
    SelectChoice(Sanction.WARNING.value, "A warning"),
    SelectChoice(Sanction.JOURNALIST.value, "Suspend the journalist from embargoed releases until a date"),
    SelectChoice(Sanction.OUTLET.value, "Suspend everyone at the outlet from embargoed releases until a date"),
]
# The service's names for what it checks, as the form's fields are named.
FIELDS = {"seen_at": "seen_date", "suspended_until": "until_date"}
# The releases offered: those that carried an embargo, the latest first.
RELEASES_OFFERED = 200


class BreachForm(BaseForm):
    release = SelectField("Release", coerce=int, validators=[InputRequired("Choose the release whose embargo was broken.")])
    journalist = EmailField(
        "Journalist's email address (optional)", description="As it is in the contacts list.",
        validators=[Optional(), Email("Enter an email address like name@example.com."), Length(max=254)],
        render_kw={"spellcheck": "false"},
    )
    outlet = StringField("Outlet (optional)", description="Leave it blank to use the journalist's outlet.",
                         validators=[Optional(), Length(max=200)])
    seen_date = DatePartsField("Date it was seen", validators=[Optional()])
    seen_time = ClockTimeField("Time it was seen (UK time)", validators=[Optional()])
    seen_zone = zone_field()
    evidence_url = URLField("Link to the evidence (optional)", description="Where the story appeared early.",
                            validators=[Optional(), URL(message="Enter a web address starting with https://."),
                                        Length(max=2000)])
    evidence_file = FileField("Or a file of the evidence (optional)",
                              description="A screenshot or a PDF: PNG, JPEG, GIF, WebP or PDF.")
    ours = RadioField("Was it our own mistake?", choices=[SelectChoice("no", "No"),
                                                          SelectChoice("yes", "Yes: we sent or published it early")],
                      default="no", validators=[InputRequired("Say whether it was our own mistake.")])
    notes = TextAreaField("Notes (optional)", validators=[Optional(), Length(max=10_000)])
    sanction = RadioField("What follows", choices=SANCTION_CHOICES, default=Sanction.NONE.value,
                          validators=[InputRequired("Choose what follows the breach.")])
    until_date = DatePartsField("Suspended until", description="They get embargoed releases again from this day.",
                                validators=[Optional()])

    def set_releases(self, releases: list[Release]) -> None:
        self.release.choices = [SelectChoice(r.id, f"{r.reference}: {r.headline}") for r in releases]


def offered_releases() -> list[Release]:
    return list(db.session.scalars(select(Release).where(Release.embargo_at.is_not(None))
                                   .order_by(Release.embargo_at.desc(), Release.id.desc()).limit(RELEASES_OFFERED)))


@bp.get("/breaches", endpoint="breaches")
@editor_required
def breach_register():
    return render_template("distribution/breaches.html", breaches=breaches.register(db.session), now=clock.now())


@bp.route("/breaches/new", methods=["GET", "POST"])
@editor_required
def new_breach():
    form = BreachForm(data={"release": id_arg("release")} if request.method == "GET" else None)
    form.set_releases(offered_releases())
    if form.validate_on_submit():
        seen_at = uk_moment(form, "seen", "it was seen", too_far=None)
        if seen_at is None and not (form.seen_date.errors or form.seen_time.errors or form.seen_zone.errors):
            form.seen_date.errors = ["Enter the date and time it was seen."]
        contact = None
        if form.journalist.data:
            contact = find_contact_by_email(db.session, form.journalist.data)
            if contact is None:
                form.journalist.errors = ["There is no contact with that address: add them to the contacts first, "
                                          "or give the outlet only."]
        until = None
        if form.until_date.data is not None:
            until = uktime.london_to_utc(form.until_date.data, time(0, 0))
        sanction = Sanction(form.sanction.data)
        outlet = form.outlet.data or (contact.outlet if contact is not None else "")
        # Everything wrong at once, each at its field; a field already explained keeps its first message.
        for name, message in breaches.problems(contact=contact, outlet=outlet, seen_at=seen_at,
                                               ours=form.ours.data == "yes", sanction=sanction, suspended_until=until):
            field = form[FIELDS.get(name, name)]
            if not field.errors:
                field.errors = [message]
        upload = request.files.get(form.evidence_file.name)
        evidence = (upload.filename or "evidence", upload.read()) if upload and upload.filename else None
        if not form.errors:
            try:
                breach = breaches.record_breach(
                    db.session, release=db.session.get(Release, form.release.data), contact=contact,
                    outlet=form.outlet.data or "", seen_at=seen_at, evidence_url=form.evidence_url.data or "",
                    evidence=evidence, upload_dir=current_app.config["PRESS_UPLOAD_DIR"],
                    max_bytes=current_app.config["PRESS_MAX_ATTACHMENT_BYTES"], ours=form.ours.data == "yes",
                    notes=form.notes.data or "", sanction=sanction, suspended_until=until, by=current_user)
            except breaches.BreachError as error:
                db.session.rollback()
                field = form[FIELDS.get(error.field, error.field)]
                field.errors = [*field.errors, str(error)]
            else:
                db.session.commit()
                flash("The breach is recorded.")
                return redirect(url_for(".breach", breach_id=breach.id))
    status = 422 if form.errors else 200
    return render_template("distribution/breach_new.html", form=form, needs_zone=needs_zone), status


def get_breach(breach_id: int) -> EmbargoBreach:
    return db.get_or_404(EmbargoBreach, breach_id)


@bp.get("/breaches/<int:breach_id>")
@editor_required
def breach(breach_id: int):
    return render_template("distribution/breach.html", breach=get_breach(breach_id), now=clock.now(),
                           action=ActionForm())


@bp.get("/breaches/<int:breach_id>/evidence")
@editor_required
def breach_evidence(breach_id: int):
    found = get_breach(breach_id)
    if not found.evidence_stored_name:
        abort(404)
    path = files.path_of(current_app.config["PRESS_UPLOAD_DIR"], found.evidence_stored_name)
    if not os.path.isfile(path):
        abort(404)
    kind = mimetypes.guess_type(found.evidence_stored_name)[0] or "application/octet-stream"
    return send_file(path, mimetype=kind, as_attachment=True, download_name=found.evidence_filename)


@bp.post("/breaches/<int:breach_id>/lift")
@editor_required
def lift_breach(breach_id: int) -> Response:
    found = get_breach(breach_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    if breaches.lift(db.session, found, by=current_user):
        db.session.commit()
        flash("The suspension is lifted: they get embargoed releases again from now.")
    else:
        flash("That suspension had already ended.")
    return redirect(url_for(".breach", breach_id=found.id))
