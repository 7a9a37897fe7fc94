"""The audit trail's page for admins: filter it, page through it newest first, and export it as CSV.

The page only reads: no route here or anywhere else changes or removes an entry.
"""

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Blueprint, Flask, render_template, request
from flask_login import current_user
from sqlalchemy import ColumnElement, literal, select, tuple_
from sqlalchemy.orm import Session, selectinload
from wtforms import StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from press import clock, uktime
from press.accounts.access import roles_required
from press.accounts.models import Role, User
from press.audit import AuditEvent, audit
from press.database import MAX_ID, UTCDateTime
from press.enquiries.log import ChoiceField, day_start, short_moment, uk_time
from press.enquiries.queries import Cursor
from press.extensions import db
from press.forms import BaseForm, DatePartsField, repeat_args
from press.spreadsheets import csv_download, safe_cell

bp = Blueprint("audit", __name__, url_prefix="/staff/audit")
admin_required = roles_required(Role.ADMIN)

PER_PAGE = 50
EXPORT_CHUNK = 1000
NOBODY = "none"
FILTER_NAMES = ("person", "action", "object_kind", "object_id", "date_from", "date_to")
EXPORT_HEADERS = ("When (UK time)", "Person", "Action", "Object", "Object id", "From address", "Details")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


class AuditFilterForm(BaseForm):
    """The audit page's filters, read from the query string: a bad value is explained at its field and left out."""

    person = ChoiceField("Person", default="")
    action = ChoiceField("What was done", default="")
    object_kind = ChoiceField("Kind of object", default="")
    object_id = StringField("Object number", validators=[Optional(), Length(max=12)],
                            description="The number in the object's address, such as 42 in /staff/contacts/42")
    date_from = DatePartsField("From", validators=[Optional()], earliest=2000)
    date_to = DatePartsField("To", validators=[Optional()], earliest=2000)

    def set_choices(self, session: Session) -> None:
        people = session.scalars(select(User).order_by(User.name, User.id))
        self.person.choices = [SelectChoice("", "Anyone"), SelectChoice(NOBODY, "Nobody (a command or the public)")] + [
            SelectChoice(str(person.id), person.name if person.active else f"{person.name} (deactivated)")
            for person in people]
        actions = session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action))
        self.action.choices = [SelectChoice("", "Anything")] + [SelectChoice(name, name) for name in actions]
        kinds = session.scalars(select(AuditEvent.object_kind).distinct().where(AuditEvent.object_kind.is_not(None))
                                .order_by(AuditEvent.object_kind))
        self.object_kind.choices = [SelectChoice("", "Any object")] + [SelectChoice(kind, kind) for kind in kinds]


@dataclass(frozen=True)
class AuditFilters:
    user_id: int | None = None
    nobody: bool = False
    action: str | None = None
    object_kind: str | None = None
    object_id: int | None = None
    since: datetime | None = None
    before: datetime | None = None


def read_filters(form: AuditFilterForm) -> AuditFilters:
    """The filters the form's valid answers ask for; a field with an error is left out."""
    form.validate()

    def valid(name: str):
        return None if form[name].errors else form[name].data

    person = valid("person") or ""
    object_id = (valid("object_id") or "").strip()
    if object_id and not (object_id.isdigit() and 0 < int(object_id) <= MAX_ID):
        form.object_id.errors = ["The object number must be a whole number, like 42."]
        object_id = ""
    start, end = valid("date_from"), valid("date_to")
    if start and end and end < start:
        form.date_to.errors = ["The to date must be the same as or after the from date."]
        end = None
    return AuditFilters(
        user_id=int(person) if person.isdigit() else None, nobody=person == NOBODY, action=valid("action") or None,
        object_kind=valid("object_kind") or None, object_id=int(object_id) if object_id else None,
        since=day_start(start) if start else None, before=day_start(end + timedelta(days=1)) if end else None,
    )


def filter_form() -> tuple[AuditFilterForm, AuditFilters, dict[str, str]]:
    """The filter form from the query string, the filters it asks for, and the arguments that repeat them."""
    form = AuditFilterForm(formdata=request.args, meta={"csrf": False})
    form.set_choices(db.session)
    return form, read_filters(form), repeat_args(form, FILTER_NAMES)


def conditions(filters: AuditFilters) -> list[ColumnElement[bool]]:
    terms: list[ColumnElement[bool]] = []
    if filters.nobody:
        terms.append(AuditEvent.user_id.is_(None))
    elif filters.user_id is not None:
        terms.append(AuditEvent.user_id == filters.user_id)
    if filters.action:
        terms.append(AuditEvent.action == filters.action)
    if filters.object_kind:
        terms.append(AuditEvent.object_kind == filters.object_kind)
    if filters.object_id is not None:
        terms.append(AuditEvent.object_id == filters.object_id)
    if filters.since is not None:
        terms.append(AuditEvent.at >= filters.since)
    if filters.before is not None:
        terms.append(AuditEvent.at < filters.before)
    return terms


def keyset(cursor: Cursor) -> ColumnElement:
    # Typed so SQLite compares the stored UTC text with UTC text, as the column stores it.
    return tuple_(literal(cursor.value, UTCDateTime()), literal(cursor.id))


@dataclass(frozen=True)
class AuditPage:
    events: list[AuditEvent]
    next: Cursor | None
    previous: Cursor | None


def page(session: Session, filters: AuditFilters, *, after: Cursor | None = None, before: Cursor | None = None,
         per_page: int = PER_PAGE) -> AuditPage:
    """One page of entries, newest first, starting after a cursor (or ending before one), without OFFSET."""
    key = tuple_(AuditEvent.at, AuditEvent.id)
    query = select(AuditEvent).where(*conditions(filters)).options(selectinload(AuditEvent.user))
    backwards = before is not None and after is None
    if after is not None:
        query = query.where(key < keyset(after))
    elif before is not None:
        query = query.where(key > keyset(before))
    order = (AuditEvent.at.asc(), AuditEvent.id.asc()) if backwards else (AuditEvent.at.desc(), AuditEvent.id.desc())
    rows = list(session.scalars(query.order_by(*order).limit(per_page + 1)))
    more, rows = len(rows) > per_page, rows[:per_page]
    if backwards:
        rows.reverse()
        return AuditPage(rows, Cursor(rows[-1].at, rows[-1].id) if rows else before,
                         Cursor(rows[0].at, rows[0].id) if more and rows else None)
    return AuditPage(rows, Cursor(rows[-1].at, rows[-1].id) if more else None,
                     Cursor(rows[0].at, rows[0].id) if after is not None and rows else None)


def describe(details: dict) -> str:
    """An entry's details in one line: a person reads it, a spreadsheet keeps it as text."""
    return json.dumps(details, ensure_ascii=False, sort_keys=True, default=str) if details else ""


@bp.get("/")
@admin_required
def index():
    form, filters, args = filter_form()
    audit_page = page(db.session, filters, after=Cursor.parse(request.args.get("after")),
                      before=Cursor.parse(request.args.get("before")))
    return render_template("audit/index.html", form=form, page=audit_page, args=args, short_moment=short_moment,
                           describe=describe)


def csv_row(event: AuditEvent) -> list[str]:
    person = event.user.name if event.user else "Nobody (a command or the public)"
    return [uk_time(event.at), safe_cell(person), safe_cell(event.action), safe_cell(event.object_kind or ""),
            str(event.object_id or ""), safe_cell(event.remote_addr or ""), safe_cell(describe(event.details))]


def export_chunks(filters: AuditFilters) -> Iterator[list[list[str]]]:
    """The matching entries newest first, a chunk at a time, so no export holds them all at once."""
    after = None
    while True:
        chunk = page(db.session, filters, after=after, per_page=EXPORT_CHUNK)
        yield [csv_row(event) for event in chunk.events]
        if chunk.next is None:
            return
        after = chunk.next
        db.session.expunge_all()


@bp.get("/export.csv")
@admin_required
def export():
    _form, filters, args = filter_form()
    audit(db.session, "audit trail exported", current_user, filters=args)
    # Committed before the response streams: the rows are written after this view has returned.
    db.session.commit()
    return csv_download(f"audit-{uktime.to_london(clock.now()):%Y-%m-%d}.csv", EXPORT_HEADERS, export_chunks(filters))

