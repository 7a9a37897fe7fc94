"""Staff pages for the media contacts list: finding, changing, exporting and erasing contacts."""

import json
from collections.abc import Iterator
from datetime import time

from flask import (
    Response, current_app, flash, redirect, render_template, request, url_for,
)
from flask_login import current_user
from sqlalchemy import Select
from wtforms.fields.choices import SelectChoice

from press import clock, uktime
from press.audit import audit
from press.accounts.access import editor_required, staff_required
from press.contacts import elsewhere, queries, services
from press.contacts.models import LAWFUL_BASES, Contact, ContactStatus
from press.contacts.staff_forms import (
    ConfirmForm, ContactForm, StatusForm, display_phone,
)
from press.extensions import db
from press.pages import id_arg
from press.spreadsheets import csv_download, safe_cell
from press.contacts.blueprints import staff as bp

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


# --- Finding contacts -----------------------------------------------------------------------------------------

def list_filters() -> dict:
    """The search and filters from the query string; a value that makes no sense is ignored, never an error."""
    status = request.args.get("status", "", type=str)
    return {
        "q": request.args.get("q", "", type=str)[:200].strip(),
        "list": id_arg("list"),
        "status": status if status in SHOWN_STATUSES else "",
    }


def filtered_contacts(filters: dict) -> Select:
    return services.search_contacts(filters["q"], filters["list"], filters["status"] or None)


@bp.get("/")
@staff_required
def index():
    filters = list_filters()
    query = filtered_contacts(filters)
    contacts, next_after = queries.keyset_page(db.session, query, id_arg("after"), PER_PAGE)
    return render_template(
        "contacts/index.html", contacts=contacts, total=queries.count_rows(db.session, query), next_after=next_after,
        first_page="after" not in request.args, filters=filters, lists=queries.media_lists(db.session),
        statuses=SHOWN_STATUSES,
    )


# --- One contact ----------------------------------------------------------------------------------------------

def contact_form(**kwargs) -> ContactForm:
    form = ContactForm(**kwargs)
    form.lists.choices = [SelectChoice(m.id, m.name) for m in queries.media_lists(db.session)]
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
    values["lists"] = queries.lists_by_id(db.session, form.lists.data or [])
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
    history = queries.contact_history(db.session, contact)
    unsubscribe_url = None
    # The link is the journalist's own: using it acts as them, so only those who may change a contact see it.
    if current_user.can_edit_releases:
        token = services.unsubscribe_token(contact)
        unsubscribe_url = current_app.config["PRESS_BASE_URL"].rstrip("/") + url_for(
            "contacts_public.unsubscribe_page", token=token)
    # What other areas keep about them (their enquiries), each area saying how to list its own.
    held_elsewhere = [(holding, holding.listed(db.session, contact)) for holding in elsewhere.holdings()]
    return render_template("contacts/show.html", contact=contact, history=history, form=form,
                           unsubscribe_url=unsubscribe_url, lawful_bases=LAWFUL_BASES, held_elsewhere=held_elsewhere)


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
    audit(db.session, "subject access export", current_user, contact, contact_id=contact.id)
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


def export_chunks(query: Select) -> Iterator[list[list[str]]]:
    """The contacts' rows a chunk at a time in name order, so no export holds every contact at once."""
    contacts = queries.contacts_in_order(db.session, query, EXPORT_CHUNK)
    while contacts:
        yield [export_row(contact) for contact in contacts]
        last = contacts[-1]
        db.session.expunge_all()
        contacts = queries.contacts_in_order(db.session, query, EXPORT_CHUNK, (last.name, last.id))


@bp.get("/export.csv")
@editor_required
def export():
    filters = list_filters()
    query = filtered_contacts(filters)
    rows = queries.count_rows(db.session, query)
    audit(db.session, "contacts exported", current_user, filters=filters, rows=rows)
    # Committed before the response streams: the rows are written after this view has returned.
    db.session.commit()
    filename = f"contacts-{uktime.to_london(clock.now()):%Y-%m-%d}.csv"
    return csv_download(filename, EXPORT_HEADERS, export_chunks(query))
