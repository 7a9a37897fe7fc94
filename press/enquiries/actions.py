"""Working an enquiry: notes, the response, status, reassignment and closing, each a small form on its page."""

from collections.abc import Callable

from flask import flash, redirect, url_for
from flask_wtf import FlaskForm
from werkzeug import Response

from press.accounts.access import staff_required
from press.accounts.models import User
from press.enquiries import queries, services
from press.enquiries.blueprints import staff as bp
from press.enquiries.models import OUTCOME_LABELS, STATUS_LABELS, EnquiryStatus, Outcome
from press.enquiries.pages import (
    acting_user,
    action_forms,
    enquiry_page,
    get_enquiry,
    plain_choice_errors,
)
from press.extensions import db

ANONYMISED = "This enquiry was anonymised under the retention policy, so nothing more can be added to it."


CHOICES = {"status": "Choose new, in progress or responded. To close the enquiry, choose an outcome below.",
           "assignee": "Choose a person from the list of active accounts.",
           "outcome": "Choose the outcome."}


def work(enquiry_id: int, name: str, field: str, change: Callable[..., str]) -> Response:
    """Validate one of the page's forms, make the change, commit, flash and go back to the page.

    An invalid form, or a change the service refuses, shows the page again with the error next to the field.
    """
    enquiry = get_enquiry(enquiry_id)
    if enquiry.anonymised_at is not None:
        flash(ANONYMISED, "error")
        return redirect(url_for("enquiries.show", enquiry_id=enquiry.id), 303)
    form = action_forms(enquiry)[name]
    if form.validate_on_submit():
        try:
            message = change(enquiry, form, acting_user())
        except services.EnquiryError as error:
            db.session.rollback()
            form[field].errors.append(str(error))
        else:
            db.session.commit()
            flash(message)
            return redirect(url_for("enquiries.show", enquiry_id=enquiry.id, _anchor="timeline"), 303)
    plain_choice_errors(form[field], CHOICES.get(field, "Choose one of the options."))
    return enquiry_page(enquiry, 422, **{name: form})


def required(text: str, message: str) -> None:
    """Refuse text that is only spaces: the timeline would keep an empty entry for ever."""
    if not text.strip():
        raise services.EnquiryError(message)


@bp.post("/<int:enquiry_id>/notes")
@staff_required
def add_note(enquiry_id: int):
    def change(enquiry, form: FlaskForm, me: User) -> str:
        required(form.text.data, "Enter the note.")
        services.add_note(db.session, enquiry, form.text.data, by=me)
        return "Note added."

    return work(enquiry_id, "note_form", "text", change)


@bp.post("/<int:enquiry_id>/response")
@staff_required
def record_response(enquiry_id: int):
    def change(enquiry, form: FlaskForm, me: User) -> str:
        required(form.text.data, "Enter the response.")
        services.record_response(db.session, enquiry, form.text.data, by=me)
        return "Response recorded."

    return work(enquiry_id, "response_form", "text", change)


@bp.post("/<int:enquiry_id>/status")
@staff_required
def change_status(enquiry_id: int):
    def change(enquiry, form: FlaskForm, me: User) -> str:
        status = EnquiryStatus(form.status.data)
        if status == enquiry.status:
            return f"The status was already {STATUS_LABELS[status].lower()}."
        services.change_status(db.session, enquiry, status, by=me)
        return f"Status changed to {STATUS_LABELS[status].lower()}."

    return work(enquiry_id, "status_form", "status", change)


@bp.post("/<int:enquiry_id>/assignee")
@staff_required
def assign(enquiry_id: int):
    def change(enquiry, form: FlaskForm, me: User) -> str:
        person = queries.user_by_id(db.session, form.assignee.data)
        if person is None:
            raise services.EnquiryError("Choose a person from the list.")
        if person.id == enquiry.assignee_id:
            return f"It was already assigned to {person.name}."
        services.assign_enquiry(db.session, enquiry, person, by=me)
        return f"Assigned to {person.name}." + ("" if person.id == me.id else " They have been emailed.")

    return work(enquiry_id, "assign_form", "assignee", change)


@bp.post("/<int:enquiry_id>/close")
@staff_required
def close(enquiry_id: int):
    def change(enquiry, form: FlaskForm, me: User) -> str:
        outcome = Outcome(form.outcome.data)
        services.close_enquiry(db.session, enquiry, outcome, by=me, coverage_url=form.coverage_url.data or "",
                               text=form.text.data or "")
        verb = "Declined" if outcome == Outcome.DECLINED else f"Closed: {OUTCOME_LABELS[outcome].lower()}"
        return f"{verb}."

    return work(enquiry_id, "close_form", "outcome", change)
