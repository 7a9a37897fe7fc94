"""Staff pages for the media contacts list: finding, changing, exporting and erasing contacts."""

import csv
import io
import json
from collections.abc import Iterator
from datetime import time

from flask import (
    Blueprint, Response, current_app, flash, redirect, render_template, request, stream_with_context, url_for,
)
from flask_login import current_user
from sqlalchemy import Select, func, select, tuple_
from sqlalchemy.orm import selectinload
from wtforms.fields.choices import SelectChoice

from press import clock, uktime
from press.accounts.access import editor_required, staff_required
from press.contacts import services
from press.contacts.models import (
    LAWFUL_BASES, Contact, ContactEvent, ContactStatus, MediaList,
)
from press.contacts.staff_forms import (
    ConfirmForm, ContactForm, StatusForm, display_phone,
)
from press.database import MAX_ID
from press.extensions import db
from press.spreadsheets import safe_cell

bp = Blueprint("contacts", __name__, url_prefix="/staff/contacts")
bp.add_app_template_filter(display_phone, "phone")

PER_PAGE = 50
EXPORT_CHUNK = 1000
SHOWN_STATUSES = {"active": "Active", "unsubscribed": "Unsubscribed", "bounced": "Bounced"}
STATUS_CHOICES = {
    ContactStatus.ACTIVE: "Resubscribe: send them releases again",
    ContactStatus.UNSUBSCRIBED: "Unsubscribe them on their behalf",
    ContactStatus.BOUNCED: "Mark as bounced: their address does not take email",
}
CONTACT_FIELDS = ("name", "email", "outlet", "job_title", "phone", "notes", "source", "lawful_basis", "consent_text")
EXPORT_HEADERS = ("Name", "Email", "Outlet", "Job title", "Phone", "Status", "Lists", "Source", "Lawful basis")


def count_rows(query: Select) -> int:
    return db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0


# --- Finding contacts -----------------------------------------------------------------------------------------

def list_filters() -> dict:
    """The search and filters from the query string; a value that makes no sense is ignored, never an error."""
    list_id = request.args.get("list", type=int)
    status = request.args.get("status", "", type=str)
    return {
        "q": request.args.get("q", "", type=str)[:200].strip(),
        "list": list_id if list_id is not None and 0 < list_id <= MAX_ID else None,
        "status": status if status in SHOWN_STATUSES else "",
    }


def filtered_contacts(filters: dict) -> Select:
    return services.search_contacts(filters["q"], filters["list"], filters["status"] or None)


def contacts_after(query: Select, name: str, contact_id: int) -> Select:
    """The query's contacts that come after this one in name order, the same order the pages use."""
    return query.where(tuple_(Contact.name, Contact.id) > tuple_(name, contact_id))


def keyset_page(query: Select, after: int | None) -> tuple[list[Contact], int | None]:
    """One page of contacts in name order, starting after a contact's id; and the id the next page starts after."""
    if after is not None and 0 < after <= MAX_ID:
        name = db.session.scalar(select(Contact.name).where(Contact.id == after))
        if name is not None:
            query = contacts_after(query, name, after)
    query = query.order_by(Contact.name, Contact.id).options(selectinload(Contact.lists)).limit(PER_PAGE + 1)
    contacts = list(db.session.scalars(query))
    if len(contacts) > PER_PAGE:
        return contacts[:PER_PAGE], contacts[PER_PAGE - 1].id
    return contacts, None


def all_lists() -> list[MediaList]:
    return list(db.session.scalars(select(MediaList).order_by(MediaList.name)))


@bp.get("/")
@staff_required
def index():
    filters = list_filters()
    query = filtered_contacts(filters)
    contacts, next_after = keyset_page(query, request.args.get("after", type=int))
    return render_template(
        "contacts/index.html", contacts=contacts, total=count_rows(query), next_after=next_after,
        first_page="after" not in request.args, filters=filters, lists=all_lists(), statuses=SHOWN_STATUSES,
    )


# --- One contact ----------------------------------------------------------------------------------------------

def contact_form(**kwargs) -> ContactForm:
    form = ContactForm(**kwargs)
    form.lists.choices = [SelectChoice(m.id, m.name) for m in all_lists()]
    return form


def contact_data(contact: Contact) -> dict:
    """The form's starting values for a contact."""
    data = {name: getattr(contact, name) for name in CONTACT_FIELDS}
    data["lists"] = [m.id for m in contact.lists]
    data["consent_date"] = uktime.to_london(contact.consent_at).date() if contact.consent_at else None
    return data


def contact_values(form: ContactForm, contact: Contact | None) -> dict:
    """The contact's fields from the form; a consent date left as it was keeps its original time of day."""
    values = {name: getattr(form, name).data or "" for name in CONTACT_FIELDS}
    values["name"] = " ".join(values["name"].split())
    day = form.consent_date.data
    if contact is not None and contact.consent_at and uktime.to_london(contact.consent_at).date() == day:
        values["consent_at"] = contact.consent_at
    else:
        values["consent_at"] = uktime.london_to_utc(day, time(0, 0)) if day else None
    values["lists"] = list(db.session.scalars(select(MediaList).where(MediaList.id.in_(form.lists.data or []))))
    return values


def show_error(form: ContactForm, error: services.ContactError) -> None:
    """Put a service's refusal next to its field; an erased address also shows the confirmation box."""
    form.was_erased = isinstance(error, services.ErasedAddressError)
    form[error.field or "email"].errors.append(str(error))


def get_contact(contact_id: int) -> Contact:
    return db.get_or_404(Contact, contact_id)


@bp.route("/new", methods=["GET", "POST"])
@editor_required
def new():
    form = contact_form()
    if form.validate_on_submit():
        try:
            contact = services.create_contact(
                db.session, by=current_user, readd_erased=form.readd_erased.data, **contact_values(form, None)
            )
        except services.ContactError as error:
            show_error(form, error)
        else:
            db.session.commit()
            flash(f"{contact.name} added.")
            return redirect(url_for(".show", contact_id=contact.id))
    return render_template("contacts/edit.html", form=form, contact=None)


@bp.route("/<int:contact_id>/edit", methods=["GET", "POST"])
@editor_required
def edit(contact_id: int):
    contact = get_contact(contact_id)
    if contact.status == ContactStatus.ERASED:
        flash("An erased contact cannot be changed.")
        return redirect(url_for(".show", contact_id=contact.id))
    form = contact_form(data=contact_data(contact))
    if form.validate_on_submit():
        try:
            changes = services.update_contact(db.session, contact, by=current_user,
                                              readd_erased=form.readd_erased.data, **contact_values(form, contact))
        except services.ContactError as error:
            show_error(form, error)
        else:
            db.session.commit()
            flash("Changes saved." if changes else "Nothing had changed.")
            return redirect(url_for(".show", contact_id=contact.id))
    return render_template("contacts/edit.html", form=form, contact=contact)


def status_form(contact: Contact) -> StatusForm:
    form = StatusForm()
    form.status.choices = [
        SelectChoice(str(status), label) for status, label in STATUS_CHOICES.items()
        if contact.status not in (status, ContactStatus.ERASED)
    ]
    return form


def contact_page(contact: Contact, form: StatusForm) -> str:
    """A contact's details, consent, status and history, with what a manager can do to them."""
    history = db.session.scalars(
        select(ContactEvent).where(ContactEvent.contact_id == contact.id)
        .options(selectinload(ContactEvent.user)).order_by(ContactEvent.at.desc(), ContactEvent.id.desc())
    )
    unsubscribe_url = None
    # The link is the journalist's own: using it acts as them, so only those who may change a contact see it.
    if current_user.can_edit_releases:
        token = services.unsubscribe_token(contact, current_app.config["SECRET_KEY"])
        unsubscribe_url = current_app.config["PRESS_BASE_URL"].rstrip("/") + url_for(
            "contacts_public.unsubscribe_page", token=token)
    return render_template("contacts/show.html", contact=contact, history=history, form=form,
                           unsubscribe_url=unsubscribe_url, lawful_bases=LAWFUL_BASES)


@bp.get("/<int:contact_id>")
@staff_required
def show(contact_id: int):
    contact = get_contact(contact_id)
    return contact_page(contact, status_form(contact))


@bp.post("/<int:contact_id>/status")
@editor_required
def change_status(contact_id: int):
    contact = get_contact(contact_id)
    form = status_form(contact)
    if form.validate_on_submit():
        try:
            services.set_status(db.session, contact, ContactStatus(form.status.data), reason=form.reason.data or "",
                                by=current_user)
        except services.ContactError as error:
            (form.reason if error.field == "reason" else form.status).errors.append(str(error))
        else:
            db.session.commit()
            flash(f"{contact.name or 'The contact'} is now {SHOWN_STATUSES[contact.status].lower()}.")
            return redirect(url_for(".show", contact_id=contact.id))
    return contact_page(contact, form), 400


@bp.get("/<int:contact_id>/data.json")
@editor_required
def subject_access(contact_id: int):
    contact = get_contact(contact_id)
    data = services.subject_access(db.session, contact)
    services.audit(db.session, "subject access export", current_user, contact_id=contact.id)
    services.record(db.session, contact, "data exported", current_user)
    db.session.commit()
    return Response(
        json.dumps(data, indent=2, ensure_ascii=False, default=str), mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="contact-{contact.id}.json"'},
    )


@bp.route("/<int:contact_id>/erase", methods=["GET", "POST"])
@editor_required
def erase(contact_id: int):
    contact = get_contact(contact_id)
    if contact.status == ContactStatus.ERASED:
        return redirect(url_for(".show", contact_id=contact.id))
    form = ConfirmForm()
    if form.validate_on_submit():
        services.erase_contact(db.session, contact, by=current_user)
        db.session.commit()
        flash("The contact was erased. Their address will not be added again without someone saying they asked.")
        return redirect(url_for(".index"))
    return render_template("contacts/erase.html", form=form, contact=contact)


# --- Export ---------------------------------------------------------------------------------------------------

def export_row(contact: Contact) -> list[str]:
    values = [contact.name, contact.email or "", contact.outlet, contact.job_title, display_phone(contact.phone),
              contact.status, "; ".join(m.name for m in contact.lists), contact.source, contact.lawful_basis]
    return [safe_cell(str(value)) for value in values]


def export_csv(query: Select) -> Iterator[str]:
    """The contacts as CSV text, a chunk at a time in name order, so no export holds every contact at once."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_HEADERS)
    # The byte-order mark tells Excel the file is UTF-8, so accented names survive.
    yield "\ufeff" + out.getvalue()
    chunk_query = query.order_by(Contact.name, Contact.id).options(selectinload(Contact.lists)).limit(EXPORT_CHUNK)
    contacts = list(db.session.scalars(chunk_query))
    while contacts:
        out.seek(0)
        out.truncate()
        writer.writerows(export_row(contact) for contact in contacts)
        yield out.getvalue()
        last = contacts[-1]
        db.session.expunge_all()
        contacts = list(db.session.scalars(contacts_after(chunk_query, last.name, last.id)))


@bp.get("/export.csv")
@editor_required
def export():
    filters = list_filters()
    query = filtered_contacts(filters)
    rows = count_rows(query)
    services.audit(db.session, "contacts exported", current_user, filters=filters, rows=rows)
    # Committed before the response streams: the rows are written after this view has returned.
    db.session.commit()
    filename = f"contacts-{uktime.to_london(clock.now()):%Y-%m-%d}.csv"
    return Response(stream_with_context(export_csv(query)), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
