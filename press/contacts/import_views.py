"""Staff pages for importing contacts: upload, check the column mapping, import, download the report."""

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from press.accounts.access import editor_required
from press.accounts.models import Role
from press.audit import audit
from press.contacts import csvimport, importing, queries
from press.contacts.blueprints import staff as bp
from press.contacts.models import LAWFUL_BASES, ContactImport
from press.contacts.staff_forms import ImportUploadForm, mapping_form
from press.extensions import db

ENCODINGS = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 (with a byte-order mark)",
             "cp1252": "Windows-1252 (Western European)", "utf-16": "UTF-16"}
SEPARATORS = {",": "commas", ";": "semicolons", "\t": "tabs"}


def import_dir() -> str:
    return current_app.config["PRESS_IMPORT_DIR"]


def get_import(import_id: int) -> ContactImport:
    """An import, for the person who uploaded it or an admin; anyone else is told it does not exist."""
    contact_import = db.get_or_404(ContactImport, import_id)
    if contact_import.user_id != current_user.id and current_user.role != Role.ADMIN:
        abort(404)
    return contact_import


@bp.route("/import", methods=["GET", "POST"])
@editor_required
def import_upload():
    form = ImportUploadForm()
    existing = {m.id: m.name for m in queries.media_lists(db.session)}
    form.lists.choices = [SelectChoice(list_id, name) for list_id, name in existing.items()]
    if form.validate_on_submit():
        upload = form.document.data
        try:
            contact_import, _table = importing.store_upload(
                db.session, upload.read(), filename=upload.filename or "", by=current_user, directory=import_dir())
        except csvimport.ImportFileError as error:
            form.document.errors.append(str(error))
        else:
            contact_import.list_names = form.list_names(existing)
            contact_import.lawful_basis = form.lawful_basis.data
            db.session.commit()
            return redirect(url_for(".import_preview", import_id=contact_import.id))
    # A browser never shows a chosen file again, so a page sent back with errors says to choose it once more.
    chosen = request.files.get(form.document.name)
    return render_template("contacts/import.html", form=form, chosen_file=chosen.filename if chosen else "")


def preview_of(contact_import: ContactImport, table: csvimport.CsvTable,
               mapping: list[str | None]) -> importing.ImportPreview | None:
    """What the import would do under this mapping, or None when the mapping cannot be used yet."""
    try:
        return importing.preview_import(db.session, table, mapping, list_names=contact_import.list_names)
    except (csvimport.ImportFileError, ValueError):
        return None


@bp.route("/import/<int:import_id>", methods=["GET", "POST"])
@editor_required
def import_preview(import_id: int):
    contact_import = get_import(import_id)
    if contact_import.finished_at is not None:
        return redirect(url_for(".import_done", import_id=import_id))
    try:
        table = importing.stored_table(contact_import, import_dir())
    except (OSError, csvimport.ImportFileError):
        flash("The uploaded file is no longer available: upload it again.", "error")
        return redirect(url_for(".import_upload"))
    form = mapping_form(table.headers, contact_import.mapping)
    mapping = contact_import.mapping
    if form.is_submitted() and "check" in request.form:
        # Show what the chosen columns would do, and import nothing.
        if form.validate():
            mapping = form.mapping()
    elif form.validate_on_submit():
        if not importing.claim(db.session, contact_import):
            return redirect(url_for(".import_done", import_id=import_id))
        try:
            importing.run_import(db.session, contact_import, table, mapping=form.mapping(),
                                 list_names=contact_import.list_names, by=current_user)
        except csvimport.ImportFileError as error:
            db.session.rollback()
            form.form_errors.append(str(error))
        else:
            db.session.commit()
            return redirect(url_for(".import_done", import_id=import_id))
    elif form.is_submitted():
        mapping = form.mapping()
    return render_template("contacts/import_preview.html", form=form, contact_import=contact_import, table=table,
                           preview=preview_of(contact_import, table, mapping),
                           lawful_basis=LAWFUL_BASES.get(contact_import.lawful_basis or "", ""),
                           encoding=ENCODINGS.get(table.encoding, table.encoding),
                           separator=SEPARATORS.get(table.delimiter, table.delimiter))


@bp.get("/import/<int:import_id>/done")
@editor_required
def import_done(import_id: int):
    contact_import = get_import(import_id)
    if contact_import.finished_at is None:
        return redirect(url_for(".import_preview", import_id=import_id))
    return render_template("contacts/import_done.html", contact_import=contact_import,
                           rows=contact_import.outcome_rows or {},
                           lawful_basis=LAWFUL_BASES.get(contact_import.lawful_basis or "", ""))


@bp.get("/import/<int:import_id>/report.csv")
@editor_required
def import_report(import_id: int):
    contact_import = get_import(import_id)
    if contact_import.finished_at is None:
        abort(404)
    audit(db.session, "import report exported", current_user, contact_import)
    db.session.commit()
    # Excel reads the byte-order mark as "this is UTF-8".
    return Response(contact_import.report.encode("utf-8-sig"), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="import-{import_id}-report.csv"'})
