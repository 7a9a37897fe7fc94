"""Staff pages for one enquiry: reading it, logging a new one, and choosing the duty press officer."""

import re
from datetime import datetime

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug import Response
from wtforms import Field
from wtforms.fields.choices import SelectChoice

from press import clock
from press.accounts.access import editor_required, staff_required
from press.accounts.models import User
from press.enquiries import services
from press.enquiries.forms import (
    NO_RELEASE,
    AssignForm,
    CloseForm,
    DutyOfficerForm,
    NoteForm,
    ResponseForm,
    StaffEnquiryForm,
    StatusForm,
)
from press.enquiries.models import (
    CHANNEL_LABELS,
    INTERVIEW_FORMATS,
    INTERVIEW_MODES,
    OUTCOME_LABELS,
    STATUS_LABELS,
    Channel,
    DutyOfficer,
    Enquiry,
    EnquiryEvent,
)
from press.extensions import db
from press.releases.models import Release, Status

bp = Blueprint("enquiries", __name__, url_prefix="/staff/enquiries")

# Ids are 32-bit on PostgreSQL; anything larger cannot exist and must not reach the database.
MAX_ID = 2**31 - 1
RELEASE_CHOICES = 200
DUTY_HISTORY = 50


def get_enquiry(enquiry_id: int) -> Enquiry:
    if enquiry_id > MAX_ID:
        abort(404)
    return db.get_or_404(Enquiry, enquiry_id)


def acting_user() -> User:
    """The signed-in person as a model object, so services can record who did what."""
    return current_user._get_current_object()


def active_people() -> list[SelectChoice]:
    """Everyone who can take an enquiry: active accounts of any role, by name."""
    people = db.session.execute(select(User.id, User.name).where(User.active.is_(True)).order_by(User.name, User.id))
    return [SelectChoice(user_id, name) for user_id, name in people]


# WTForms' own words when a posted value is not one of the choices; people are told what to do instead.
CHOICE_ERRORS = {"Not a valid choice.", "Invalid Choice: could not coerce."}


def plain_choice_errors(field: Field, message: str) -> None:
    """Replace WTForms' generic complaint about a value outside the choices with one that says what to do."""
    field.errors = list(dict.fromkeys(message if error in CHOICE_ERRORS else error for error in field.errors))


def describe_span(seconds: int) -> str:
    """Say a length of time the way a person would, to the two largest units: "2 days 3 hours"."""
    minutes = seconds // 60
    if minutes < 1:
        return "less than a minute"
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{n} {unit}{'' if n == 1 else 's'}" for n, unit in ((days, "day"), (hours, "hour"), (minutes, "minute"))
             if n]
    return " ".join(parts[:2])


def deadline_note(enquiry: Enquiry, now: datetime) -> str:
    """How long is left or how overdue an open enquiry is; when an answered one was answered against its deadline."""
    if enquiry.is_open:
        seconds = int((enquiry.deadline_at - now).total_seconds())
        return f"{describe_span(seconds)} left" if seconds >= 0 else f"Overdue by {describe_span(-seconds)}"
    if enquiry.first_response_at is None:
        return ""
    seconds = int((enquiry.deadline_at - enquiry.first_response_at).total_seconds())
    side = "before" if seconds >= 0 else "after"
    return f"First answered {describe_span(abs(seconds))} {side} the deadline"


def tel_uri(phone: str) -> str:
    return "tel:" + re.sub(r"[^0-9+]", "", phone)


def action_forms(enquiry: Enquiry) -> dict[str, FlaskForm]:
    """A fresh form for each way of working the enquiry, each with its own prefix so ids never clash."""
    assign = AssignForm(prefix="assign")
    assign.assignee.choices = active_people()
    status = StatusForm(prefix="status")
    close = CloseForm(prefix="close")
    if request.method == "GET":
        assign.assignee.data = enquiry.assignee_id
        status.status.data = enquiry.status
    return {"note_form": NoteForm(prefix="note"), "response_form": ResponseForm(prefix="response"),
            "status_form": status, "assign_form": assign, "close_form": close}


def enquiry_page(enquiry: Enquiry, status: int = 200, **forms: FlaskForm) -> Response:
    """The enquiry as the journalist sent it, its timeline oldest first, and the forms to work it."""
    events = db.session.scalars(
        select(EnquiryEvent).where(EnquiryEvent.enquiry_id == enquiry.id)
        .options(selectinload(EnquiryEvent.by)).order_by(EnquiryEvent.id)
    ).all()
    now = clock.now()
    page = render_template(
        "enquiries/show.html", enquiry=enquiry, events=events, now=now, deadline_note=deadline_note(enquiry, now),
        tel_uri=tel_uri, formats=INTERVIEW_FORMATS, modes=INTERVIEW_MODES, statuses=STATUS_LABELS,
        outcomes=OUTCOME_LABELS, channels=CHANNEL_LABELS, **(action_forms(enquiry) | forms),
    )
    return make_response(page, status)


@bp.get("/<int:enquiry_id>")
@staff_required
def show(enquiry_id: int):
    return enquiry_page(get_enquiry(enquiry_id))


# --- Logging an enquiry that came by phone or email ------------------------------------------------------------

def staff_release(reference: str) -> Release | None:
    """A final release by reference, embargoed or not: staff may log enquiries about either."""
    if not reference or len(reference) > 40:
        return None
    return db.session.scalar(select(Release).where(Release.reference == reference, Release.status == Status.FINAL))


def staff_enquiry_form() -> StaffEnquiryForm:
    form = StaffEnquiryForm()
    now = clock.now()
    recent = db.session.scalars(
        select(Release).where(Release.status == Status.FINAL)
        .order_by(Release.created_at.desc(), Release.id.desc()).limit(RELEASE_CHOICES)
    ).all()
    chosen = staff_release((form.release.data if request.method == "POST" else request.args.get("release")) or "")
    if chosen is not None and chosen not in recent:
        recent.insert(0, chosen)
    form.set_releases([
        (r.reference, f"{r.headline} ({r.reference}{', embargoed' if r.under_embargo(now) else ''})") for r in recent
    ])
    if request.method == "GET":
        form.release.data = chosen.reference if chosen is not None else NO_RELEASE
    return form


@bp.route("/new", methods=["GET", "POST"])
@staff_required
def new():
    form = staff_enquiry_form()
    if request.method == "GET":
        return render_template("enquiries/new_staff.html", form=form)
    valid = form.validate()
    plain_choice_errors(form.channel, "Choose how the enquiry came in: phone or email.")
    release = staff_release(form.release.data or "")
    if form.release.data and release is None:
        form.release.errors = ["Choose a press release from the list, or none."]
        valid = False
    if not valid:
        return make_response(render_template("enquiries/new_staff.html", form=form), 422)
    enquiry = services.submit_enquiry(db.session, channel=Channel(form.channel.data), by=acting_user(),
                                      release=release, **form.enquiry_fields())
    db.session.commit()
    flash(f"Enquiry logged with reference {enquiry.reference}.")
    return redirect(url_for(".show", enquiry_id=enquiry.id), 303)


# --- The duty press officer ------------------------------------------------------------------------------------

@bp.route("/duty-officer", methods=["GET", "POST"])
@editor_required
def duty_officer():
    form = DutyOfficerForm()
    form.user.choices = active_people()
    current = services.duty_officer(db.session)
    if request.method == "GET" and current is not None:
        form.user.data = current.id
    if form.validate_on_submit():
        chosen = db.session.get(User, form.user.data)
        try:
            services.set_duty_officer(db.session, chosen, by=acting_user())
        except services.EnquiryError as error:
            form.user.errors.append(str(error))
        else:
            db.session.commit()
            flash(f"{chosen.name} is now the duty press officer.")
            return redirect(url_for(".duty_officer"), 303)
    plain_choice_errors(form.user, "Choose a person from the list of active accounts.")
    history = db.session.scalars(
        select(DutyOfficer).options(selectinload(DutyOfficer.user), selectinload(DutyOfficer.set_by))
        .order_by(DutyOfficer.id.desc()).limit(DUTY_HISTORY)
    ).all()
    page = render_template("enquiries/duty_officer.html", form=form, current=current, history=history)
    return make_response(page, 422 if form.errors else 200)
