"""Staff pages of the FOI and EIR statutory clock: the forms on an enquiry's page, and the admins' page of one-off
non-working days."""

from collections.abc import Callable
from datetime import date
from typing import Any

from flask import Blueprint, abort, flash, make_response, redirect, render_template, url_for
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug import Response

from press.accounts.access import admin_required, staff_required
from press.accounts.models import User
from press.enquiries import foi, foi_services
from press.enquiries.actions import ANONYMISED
from press.enquiries.blueprints import staff as bp
from press.enquiries.foi_forms import ExtensionForm, FlagForm, NonWorkingDayForm, PauseForm, ResumeForm
from press.enquiries.models import LAW_LABELS, Enquiry, NonWorkingDay
from press.enquiries.pages import acting_user, enquiry_page, get_enquiry, plain_choice_errors
from press.enquiries.services import EnquiryError
from press.extensions import db
from press.forms import ActionForm

settings = Blueprint("non_working_days", __name__, url_prefix="/staff/settings/non-working-days")

# Each form's class, its prefix (so its ids never clash with the page's other forms) and the field whose
# refusals it shows.
FORMS: dict[str, tuple[type[FlaskForm], str]] = {
    "flag": (FlagForm, "law"), "pause": (PauseForm, "started_on"), "resume": (ResumeForm, "ended_on"),
    "extend": (ExtensionForm, "days"),
}
CHOICES = {"law": "Choose FOI, EIR, or neither.", "kind": "Choose a clarification or a fees notice."}


class FieldError(EnquiryError):
    """A refusal that belongs next to a field other than the form's usual one."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def foi_forms(enquiry: Enquiry, **given: FlaskForm | None) -> dict[str, FlaskForm]:
    """A fresh form for each part of the clock, or the one just posted with its errors."""
    forms = {name: given[name] if given.get(name) is not None else form_class(prefix=f"foi{name}")
             for name, (form_class, _) in FORMS.items()}
    if given.get("flag") is None:
        forms["flag"].law.data = enquiry.request_law or "none"
    return forms


def foi_panel(enquiry: Enquiry, **given: Any) -> dict[str, Any]:
    """What the page's "Freedom of information" section shows: the clock, its pauses and its forms."""
    pauses = foi_services.pauses_of(db.session, [enquiry.id]).get(enquiry.id, [])
    state = foi_services.state_of(enquiry, pauses, foi_services.non_working_days(db.session))
    extended_by = db.session.get(User, enquiry.foi_extended_by_id) if enquiry.foi_extended_by_id else None
    return {"state": state, "pauses": pauses, "paused": any(p.ended_on is None for p in pauses),
            "forms": foi_forms(enquiry, **{name: form for name, form in given.items() if isinstance(form, FlaskForm)}),
            "law_label": LAW_LABELS.get(enquiry.request_law, ""), "received_on": foi.received_on(enquiry.received_at),
            "extended_by": extended_by, "long_date": foi.long_date}


@bp.context_processor
def panel_helper() -> dict[str, Callable]:
    return {"foi_panel": foi_panel}


@bp.app_template_filter("foi_day")
def foi_day(value: str | None) -> str:
    """A date kept in a timeline entry's details (2027-01-14) as the page says it: 14 January 2027."""
    try:
        return foi.long_date(date.fromisoformat(value or ""))
    except (TypeError, ValueError):
        return str(value or "")


def work(enquiry_id: int, name: str, change: Callable[[Enquiry, Any, User], str]) -> Response:
    """Validate one of the clock's forms, make the change, commit and go back to the section; or show the errors."""
    enquiry = get_enquiry(enquiry_id)
    if enquiry.anonymised_at is not None:
        flash(ANONYMISED, "error")
        return redirect(url_for("enquiries.show", enquiry_id=enquiry.id), 303)
    form_class, field = FORMS[name]
    form = form_class(prefix=f"foi{name}")
    if form.validate_on_submit():
        try:
            message = change(enquiry, form, acting_user())
        except EnquiryError as error:
            db.session.rollback()
            target = form[getattr(error, "field", field)]
            target.errors = [*target.errors, str(error)]
        else:
            db.session.commit()
            flash(message)
            return redirect(url_for("enquiries.show", enquiry_id=enquiry.id, _anchor="foi"), 303)
    for choice, message in CHOICES.items():
        if choice in form:
            plain_choice_errors(form[choice], message)
    return enquiry_page(enquiry, 422, **{f"foi_{name}_form": form})


def due_message(due) -> str:
    return f"It is now due {foi.long_date(due)}." if due else "The clock is still paused."


@bp.post("/<int:enquiry_id>/foi/flag")
@staff_required
def foi_flag(enquiry_id: int):
    def change(enquiry: Enquiry, form: FlagForm, me: User) -> str:
        return foi_services.flag_request(db.session, enquiry, form.chosen_law, by=me)

    return work(enquiry_id, "flag", change)


@bp.post("/<int:enquiry_id>/foi/pauses")
@staff_required
def foi_pause(enquiry_id: int):
    def change(enquiry: Enquiry, form: PauseForm, me: User) -> str:
        foi_services.start_pause(db.session, enquiry, form.kind.data, form.started_on.data, form.note.data or "", by=me)
        return f"The clock is paused from {foi.long_date(form.started_on.data)}."

    return work(enquiry_id, "pause", change)


@bp.post("/<int:enquiry_id>/foi/pauses/end")
@staff_required
def foi_resume(enquiry_id: int):
    def change(enquiry: Enquiry, form: ResumeForm, me: User) -> str:
        due = foi_services.end_pause(db.session, enquiry, form.ended_on.data, by=me)
        return f"The clock started again. {due_message(due)}"

    return work(enquiry_id, "resume", change)


@bp.post("/<int:enquiry_id>/foi/extension")
@staff_required
def foi_extend(enquiry_id: int):
    def change(enquiry: Enquiry, form: ExtensionForm, me: User) -> str:
        if not form.reason.data.strip():
            raise FieldError("Enter the reason for the extension.", "reason")
        due = foi_services.extend(db.session, enquiry, form.days.data, form.reason.data, by=me)
        return f"Extension recorded. {due_message(due)}"

    return work(enquiry_id, "extend", change)


# --- One-off non-working days (admins) ------------------------------------------------------------------------

def days_page(form: NonWorkingDayForm, status: int = 200) -> Response:
    days = list(db.session.scalars(select(NonWorkingDay).order_by(NonWorkingDay.day.desc())))
    return make_response(render_template("enquiries/non_working_days.html", form=form, days=days, action=ActionForm(),
                                         long_date=foi.long_date), status)


@settings.route("/", methods=["GET", "POST"], strict_slashes=False)
@admin_required
def index():
    form = NonWorkingDayForm()
    if form.validate_on_submit():
        try:
            if not form.name.data.strip():
                raise FieldError("Enter a name for the day.", "name")
            entry, moved = foi_services.add_non_working_day(db.session, form.day.data, form.name.data, by=acting_user())
        except EnquiryError as error:
            db.session.rollback()
            target = form[getattr(error, "field", "day")]
            target.errors = [*target.errors, str(error)]
        else:
            db.session.commit()
            flash(f"{foi.long_date(entry.day)} ({entry.name}) is now a non-working day. " + moved_message(moved))
            return redirect(url_for("non_working_days.index"), 303)
    return days_page(form, 422 if form.errors else 200)


def moved_message(moved: int) -> str:
    if not moved:
        return "No open FOI or EIR request's due date moved."
    return f"{moved} open FOI or EIR request{'s' if moved != 1 else ''} had {'their' if moved != 1 else 'its'} due date moved."


@settings.post("/<int:day_id>/remove")
@admin_required
def remove(day_id: int):
    entry = db.get_or_404(NonWorkingDay, day_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    shown, name = foi.long_date(entry.day), entry.name
    moved = foi_services.remove_non_working_day(db.session, entry, by=acting_user())
    db.session.commit()
    flash(f"{shown} ({name}) is no longer a non-working day. " + moved_message(moved))
    return redirect(url_for("non_working_days.index"), 303)
