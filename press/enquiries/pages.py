"""What the staff pages of one enquiry share: finding it, the page itself with its timeline and forms, and
the words those pages use for spans of time and for choices refused."""

import re
from datetime import datetime

from flask import make_response, render_template, request
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug import Response
from wtforms import Field
from wtforms.fields.choices import SelectChoice

from press import clock
from press.accounts.models import User
from press.enquiries import conversation, queries, replies
from press.enquiries.forms import AssignForm, CloseForm, NoteForm, ResponseForm, StatusForm
from press.enquiries.models import (
    CHANNEL_LABELS,
    INTERVIEW_FORMATS,
    INTERVIEW_MODES,
    OUTCOME_LABELS,
    STATUS_LABELS,
    Enquiry,
)
from press.enquiries.reply_forms import ReplyForm
from press.extensions import db
from press.forms import ActionForm


def get_enquiry(enquiry_id: int) -> Enquiry:
    # The id converter has already refused numbers past what an id can be.
    return db.get_or_404(Enquiry, enquiry_id)


def acting_user() -> User:
    """The signed-in person as a model object, so services can record who did what."""
    return current_user._get_current_object()


def active_people() -> list[SelectChoice]:
    """Everyone who can take an enquiry: active accounts of any role, by name."""
    return [SelectChoice(user_id, name) for user_id, name in queries.active_people(db.session)]


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
            "status_form": status, "assign_form": assign, "close_form": close, "reply_form": ReplyForm(prefix="reply")}


def enquiry_page(enquiry: Enquiry, status: int = 200, **forms: FlaskForm) -> Response:
    """The enquiry as the journalist sent it, its timeline (emails in and out among it) oldest first, and the
    forms to work it."""
    events = queries.timeline(db.session, enquiry.id)
    now = clock.now()
    page = render_template(
        "enquiries/show.html", enquiry=enquiry, events=events, now=now, deadline_note=deadline_note(enquiry, now),
        tel_uri=tel_uri, formats=INTERVIEW_FORMATS, modes=INTERVIEW_MODES, statuses=STATUS_LABELS,
        outcomes=OUTCOME_LABELS, channels=CHANNEL_LABELS, conversation=conversation.conversation(db.session, enquiry),
        no_reply=replies.why_no_reply(enquiry), button_form=ActionForm(), **(action_forms(enquiry) | forms),
    )
    return make_response(page, status)
