"""The enquiry log: filtering, searching and paging every enquiry, and exporting it."""

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta

from flask import render_template, request
from flask_login import current_user
from wtforms import SearchField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional, ValidationError

from press import clock, uktime
from press.accounts.access import editor_required, staff_required
from press.accounts.models import User
from press.accounts.queries import active_users
from press.audit import audit
from press.enquiries import foi_services, queries, services
from press.enquiries.blueprints import staff as bp
from press.enquiries.models import (
    CHANNEL_LABELS,
    INTERVIEW_FORMATS,
    INTERVIEW_MODES,
    KIND_LABELS,
    OPEN_STATUSES,
    OUTCOME_LABELS,
    STATUS_LABELS,
    EnquiryStatus,
)
from press.enquiries.queries import Cursor, LogFilters
from press.extensions import db
from press.forms import BaseForm, DatePartsField, repeat_args
from press.spreadsheets import FORMULA_START, csv_download, safe_cell

EXPORT_CHUNK = 1000
EXPORT_HEADERS = (
    "Reference", "Received (UK time)", "Channel", "Journalist", "Outlet", "Email", "Phone", "Type", "Release",
    "Subject", "Enquiry", "Deadline (UK time)", "Interviewee", "Interview format", "Live or recorded",
    "Proposed interview time (UK time)", "Proposed place", "Assigned to", "Status", "Outcome",
    "First response (UK time)", "Closed (UK time)", "Coverage link",
)
# The filters a link or an export carries over; the cursor is added separately.
FILTER_NAMES = ("status", "assignee", "kind", "release", "outlet", "received_from", "received_to", "due", "q", "sort",
                "foi")


class ChoiceField(SelectField):
    """A select whose unknown values get a message a person can act on."""

    def pre_validate(self, form) -> None:
        if self.data not in {choice.value for choice in self.iter_choices()}:
            raise ValidationError(f"That is not one of the choices for “{self.label.text}”, so it was left out.")


def status_choices() -> list[SelectChoice]:
    return [SelectChoice("open", "Open (new or in progress)"), SelectChoice("any", "Any status")] + [
        SelectChoice(str(value), label) for value, label in STATUS_LABELS.items()
    ]


class LogFilterForm(BaseForm):
    """The log's filters, read from the query string: a bad value is explained and left out, never an error page."""

    status = ChoiceField("Status", choices=status_choices(), default="open")
    assignee = ChoiceField("Assigned to", default="")
    kind = ChoiceField("Type", default="", choices=[SelectChoice("", "Any type")] + [
        SelectChoice(str(value), label) for value, label in KIND_LABELS.items()])
    release = StringField("Release reference", validators=[Optional(), Length(max=40)],
                          description="For example NCC 2024/25-01")
    outlet = StringField("Outlet contains", validators=[Optional(), Length(max=200)])
    received_from = DatePartsField("Received from", validators=[Optional()], earliest=2000)
    received_to = DatePartsField("Received to", validators=[Optional()], earliest=2000)
    due = ChoiceField("Deadline", default="", choices=[
        SelectChoice("", "Any deadline"), SelectChoice("overdue", "Overdue"),
        SelectChoice("soon", "Due in the next 2 hours")])
    q = SearchField("Search", validators=[Optional(), Length(max=200)],
                    description="Reference, journalist, outlet, subject or the enquiry itself")
    foi = ChoiceField("FOI and EIR", default="", choices=[
        SelectChoice("", "All enquiries"), SelectChoice("only", "FOI/EIR requests only")])
    sort = ChoiceField("Order", default="deadline", choices=[
        SelectChoice("deadline", "Deadline, soonest first"), SelectChoice("received", "Received, newest first")])

    def set_people(self, people: list[User]) -> None:
        self.assignee.choices = [SelectChoice("", "Anyone"), SelectChoice("me", "Me"),
                                 SelectChoice(queries.UNASSIGNED, "Nobody (unassigned)")] + [
            SelectChoice(str(person.id), person.name) for person in people]


def day_start(day: date) -> datetime:
    """Midnight at the start of a UK day, in UTC (midnight is never skipped or repeated in the UK)."""
    return uktime.london_to_utc(day, time(0, 0))


def release_id_for(form: LogFilterForm) -> int | None:
    reference = " ".join((form.release.data or "").split())
    if not reference or form.release.errors:
        return None
    found = queries.release_id_by_reference(db.session, reference)
    if found is None:
        form.release.errors = [f"No release has the reference {reference}. Check it, or leave the box empty."]
    return found


def read_filters(form: LogFilterForm) -> LogFilters:
    """The filters the form's valid answers ask for; a field with an error is left out."""
    form.validate()

    def valid(name: str):
        return None if form[name].errors else form[name].data

    status = valid("status") or "open"
    statuses = (OPEN_STATUSES if status == "open" else tuple(EnquiryStatus) if status == "any" else (status,))
    assignee = valid("assignee") or ""
    start, end = valid("received_from"), valid("received_to")
    if start and end and end < start:
        form.received_to.errors = ["The received to date must be the same as or after the received from date."]
        end = None
    return LogFilters(
        statuses=statuses,
        assignee_id=current_user.id if assignee == "me" else int(assignee) if assignee.isdigit() else None,
        unassigned=assignee == queries.UNASSIGNED,
        kind=valid("kind") or None,
        release_id=release_id_for(form),
        outlet=(valid("outlet") or "").strip(),
        received_from=day_start(start) if start else None,
        received_before=day_start(end + timedelta(days=1)) if end else None,
        due=valid("due") or "",
        words=tuple((valid("q") or "").split()[: queries.MAX_WORDS]),
        sort=valid("sort") or "deadline",
        foi_only=valid("foi") == "only",
    )


def filter_form() -> tuple[LogFilterForm, LogFilters, dict[str, str]]:
    """The filter form from the query string, the filters it asks for, and the arguments that repeat them."""
    form = LogFilterForm(formdata=request.args, meta={"csrf": False})
    form.set_people(active_users(db.session))
    return form, read_filters(form), repeat_args(form, FILTER_NAMES)


def short_moment(moment: datetime | None) -> str:
    """A time short enough for a table cell: 16:30 BST, Tue 3 Sep 2024."""
    if moment is None:
        return ""
    local = uktime.to_london(moment)
    return f"{local:%H:%M} {local.tzname()}, {local:%a} {local.day} {local:%b %Y}"


@bp.get("/")
@staff_required
def index():
    form, filters, args = filter_form()
    now = clock.now()
    after, before = Cursor.parse(request.args.get("after")), Cursor.parse(request.args.get("before"))
    log_page = queries.page(db.session, filters, now, after=after, before=before)
    total: int | None = None
    if after is None and before is None and log_page.next is None:
        total = len(log_page.enquiries)  # All of them are on this page: no need to count again.
    elif not (filters.words or filters.outlet):
        # Searches go uncounted: on SQLite, counting a rare word's matches means reading every enquiry.
        total = queries.count(db.session, filters, now, up_to=queries.COUNT_UP_TO)
    return render_template(
        "enquiries/log.html", form=form, page=log_page, args=args, now=now, due_soon=now + queries.DUE_SOON,
        total=total, count_up_to=queries.COUNT_UP_TO, per_page=queries.PER_PAGE, duty=services.duty_officer(db.session),
        short_moment=short_moment, foi_states=foi_services.states_for(db.session, log_page.enquiries),
        wider_args=(args | {"status": "any"}) if filters.statuses == OPEN_STATUSES else None,
    )


# --- Export ---------------------------------------------------------------------------------------------------

def uk_time(moment: datetime | None) -> str:
    """A time for a spreadsheet cell: 2024-09-03 16:30 BST."""
    if moment is None:
        return ""
    local = uktime.to_london(moment if moment.tzinfo else moment.replace(tzinfo=UTC))
    # isoformat is several times quicker than strftime, and an export formats half a million of these.
    return f"{local.isoformat(' ', 'minutes')[:16]} {local.tzname()}"


# safe_cell changes only a cell that starts with one of these (spaces included, as it looks past them).
RISKY_START = frozenset("".join(FORMULA_START) + " ")


def cell(value: str) -> str:
    """safe_cell, asked only about the cells it could change: a big export has two million cells."""
    return safe_cell(value) if value and value[0] in RISKY_START else value


def csv_row(row: tuple) -> list[str]:
    """One enquiry as CSV cells; every cell a person could have typed goes through safe_cell."""
    (reference, received, channel, name, outlet, email, phone, kind, release, subject, body, deadline, interviewee,
     interview_format, interview_mode, proposed, place, assignee, status, outcome, first_response, closed,
     coverage) = row
    # Times are written here as digits first (2024-09-03 ...), so they cannot start a formula.
    return [
        cell(reference), uk_time(received), cell(CHANNEL_LABELS.get(channel, channel)), cell(name), cell(outlet),
        cell(email), cell(phone), cell(KIND_LABELS.get(kind, kind)), cell(release or ""), cell(subject), cell(body),
        uk_time(deadline), cell(interviewee), cell(INTERVIEW_FORMATS.get(interview_format, interview_format)),
        cell(INTERVIEW_MODES.get(interview_mode, interview_mode)), uk_time(proposed), cell(place),
        cell(assignee or ""), cell(STATUS_LABELS.get(status, status)), cell(OUTCOME_LABELS.get(outcome, outcome or "")),
        uk_time(first_response), uk_time(closed), cell(coverage),
    ]


def export_chunks(filters: LogFilters, now: datetime) -> Iterator[list[list[str]]]:
    """The matching enquiries' rows, a chunk at a time, so no export holds them all at once."""
    # Plain rows from the connection: the ORM would only add work for 100,000 rows nobody edits.
    for rows in queries.export_rows(db.session.connection(), filters, now, per_chunk=EXPORT_CHUNK):
        yield [csv_row(row) for row in rows]


@bp.get("/export.csv")
@editor_required
def export():
    form, filters, args = filter_form()
    now = clock.now()
    audit(db.session, "enquiries exported", current_user, filters=args, rows=queries.count(db.session, filters, now))
    # Committed before the response streams: the rows are written after this view has returned.
    db.session.commit()
    filename = f"enquiries-{uktime.to_london(now):%Y-%m-%d}.csv"
    return csv_download(filename, EXPORT_HEADERS, export_chunks(filters, now))
