"""Staff pages for writing, checking and publishing releases."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from sqlalchemy import select

from press import clock, uktime
from press.accounts.models import User
from press.accounts.access import editor_required, staff_required
from press.accounts.queries import active_users
from press.extensions import db
from press.forms import ActionForm
from press.pagination import paginate
from press.releases import approval, election_views, files, importing, queries, safeguarding, services
from press.releases.forms import EXISTING, HISTORY_LABELS, AttachmentForm, ImportForm, NamedContactForm, ReleaseForm, WithdrawForm
from press.releases.models import Attachment, Release

bp = Blueprint("releases", __name__, url_prefix="/staff/releases")

FORM_FIELDS = ("reference", "headline", "standfirst", "body", "notes_to_editors", "helpline", "release_date", "contact_id",
               "tags")


def release_form(named: NamedContactForm | None = None, **kwargs) -> ReleaseForm:
    form = ReleaseForm(**kwargs)
    people = active_users(db.session)
    form.tags.choices = [SelectChoice(tag, words) for tag, words in safeguarding.checklist().tags.items()]
    form.contact_id.choices = [
        SelectChoice(u.id, f"{u.name}, {u.job_title}" if u.job_title else u.name) for u in people
    ]
    if named is not None:
        # Nobody is chosen for a release that names someone else: the manager must choose.
        form.contact_id.choices.insert(0, SelectChoice("", "Choose a user"))
        form.contact_id.label.text = "Existing user"
        form.contact_needed = named.choice.data == EXISTING
        form.contact_message = f"Choose the user who is the media contact, or add {named.short_name} as a user."
    return form


def named_contact_form(data: dict | None = None) -> NamedContactForm | None:
    """The question about an imported release's media contact who has no account, when the page carries one."""
    if data is not None:
        form = NamedContactForm(formdata=None, data=data, prefix="named")
    elif request.method == "POST" and "named-named_name" in request.form:
        form = NamedContactForm(prefix="named")
    else:
        return None
    form.offer()
    return form


def form_values(form: ReleaseForm) -> dict:
    values = {name: getattr(form, name).data for name in FORM_FIELDS}
    values["reference"] = (values["reference"] or "").strip().upper()
    for name in ("standfirst", "notes_to_editors", "helpline"):
        values[name] = values[name] or ""
    values["embargo_at"] = form.embargo_at
    values["tags"] = list(values["tags"] or [])
    return values


def get_release(release_id: int) -> Release:
    return db.get_or_404(Release, release_id)


@bp.get("/")
@staff_required
def index():
    now = clock.now()
    show = request.args.get("show", "all")
    q = request.args.get("q", "", type=str)[:200].strip()
    query = queries.staff_listing(show, q, now).order_by(Release.created_at.desc(), Release.id.desc())
    page = paginate(db.session, query, page=request.args.get("page", 1, type=int), per_page=50)
    return render_template("releases/index.html", page=page, show=show, q=q, now=now, filters=queries.STAFF_FILTERS)


@bp.route("/new", methods=["GET", "POST"])
@editor_required
def new():
    named = named_contact_form()
    form = release_form(named, data={"release_date": uktime.to_london(clock.now()).date(),
                                     "contact_id": current_user.id})
    if form.is_submitted() and all([form.validate(), named is None or named.validate()]):
        try:
            values = form_values(form)
            added = None
            if named is not None and named.adding:
                added = services.add_contact_user(
                    db.session, name=named.name.data, email=named.email.data, job_title=named.job_title.data or "",
                    phone=named.phone.data or "", role=named.role.data, by=current_user,
                )
                values["contact_id"] = added.id
            release = services.create_release(
                db.session, by=current_user, prefix=current_app.config["PRESS_REF_PREFIX"], **values
            )
        except services.ReleaseError as error:
            db.session.rollback()
            on_named = named is not None and error.field in ("email", "role")
            (named if on_named else form)[error.field or "reference"].errors.append(str(error))
        else:
            db.session.commit()
            flash(f"Draft {release.reference} saved."
                  + (f" {added.name} is now a user, and cannot sign in until a password is set for them." if added
                     else ""))
            return redirect(url_for(".show", release_id=release.id))
    return render_template("releases/edit.html", form=form, release=None, named=named)


@bp.route("/import", methods=["GET", "POST"])
@editor_required
def import_release():
    form = ImportForm()
    if form.validate_on_submit():
        try:
            parsed = importing.parse_upload(form.text.data, form.document.data)
        except ValueError as error:
            form.document.errors.append(str(error))
        else:
            unknown = importing.unknown_contact(db.session, parsed)
            data, warnings = importing.prefill(
                db.session, parsed, default_contact=None if unknown else current_user,
                today=uktime.to_london(clock.now()).date(),
            )
            named = named_contact_form(unknown) if unknown else None
            prefilled = release_form(named, formdata=None, data=data)
            return render_template("releases/edit.html", form=prefilled, release=None, warnings=warnings,
                                   named=named)
    return render_template("releases/import.html", form=form)


def release_page(release: Release, attachment_form: AttachmentForm) -> str:
    """The staff view of one release: its state, actions, attachments and history."""
    history = queries.release_history(db.session, release.id)
    # The history keeps the contact's id; a person reads their name.
    ids = {v for event in history for v in (event.changes.get("contact_id") or ()) if isinstance(v, int)}
    people = {user.id: user.name for user in db.session.scalars(select(User).where(User.id.in_(ids)))} if ids else {}
    return render_template(
        "releases/show.html", release=release, history=history, action=ActionForm(), labels=HISTORY_LABELS,
        people=people, tag_names=safeguarding.checklist().tags, approval_required=approval.required(db.session),
        approved=approval.approval_of(db.session, release),
        attachment_form=attachment_form, now=clock.now(),
    )


@bp.get("/<int:release_id>")
@staff_required
def show(release_id: int):
    return release_page(get_release(release_id), AttachmentForm())


@bp.get("/<int:release_id>/preview")
@staff_required
def preview(release_id: int):
    release = get_release(release_id)
    return render_template("newsroom/release.html", release=release, preview=True, now=clock.now())


@bp.route("/<int:release_id>/edit", methods=["GET", "POST"])
@editor_required
def edit(release_id: int):
    release = get_release(release_id)
    if release.status == "withdrawn":
        flash("A withdrawn release cannot be edited.")
        return redirect(url_for(".show", release_id=release.id))
    form = release_form(obj=release)
    if request.method == "GET" and release.embargo_at:
        local = uktime.to_london(release.embargo_at)
        form.embargo_date.data, form.embargo_time.data = local.date(), local.time().replace(tzinfo=None)
        form.embargo_zone.data = local.tzname()
    if form.validate_on_submit():
        values = form_values(form)
        values["reference"] = values["reference"] or release.reference
        try:
            changes = services.update_release(db.session, release, by=current_user, **values)
        except services.ReleaseError as error:
            form[error.field or "reference"].errors.append(str(error))
        else:
            db.session.commit()
            flash("Changes saved." if changes else "Nothing had changed.")
            if "embargo_at" in changes:
                election_views.embargo_flag(release)
            return redirect(url_for(".show", release_id=release.id))
    return render_template("releases/edit.html", form=form, release=release)


def run_action(release_id: int, action, message: str):
    """Apply a one-button change to a release, then go back to it."""
    release = get_release(release_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        action(db.session, release, by=current_user)
    except services.ReleaseError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(message.format(release=release))
    return redirect(url_for(".show", release_id=release.id))


@bp.post("/<int:release_id>/finalise")
@editor_required
def finalise(release_id: int):
    if election_views.needs_clearance(get_release(release_id)):
        # During a pre-election period, marking final asks for the publicity code confirmation first.
        return redirect(url_for("release_elections.publish", release_id=release_id), 303)
    return run_action(release_id, services.finalise_release, "{release.reference} is final.")


@bp.post("/<int:release_id>/draft")
@editor_required
def back_to_draft(release_id: int):
    return run_action(release_id, services.return_to_draft, "{release.reference} is a draft again.")


@bp.route("/<int:release_id>/withdraw", methods=["GET", "POST"])
@editor_required
def withdraw(release_id: int):
    release = get_release(release_id)
    form = WithdrawForm()
    if form.validate_on_submit():
        try:
            services.withdraw_release(db.session, release, kind=form.kind.data, reason=form.reason.data, by=current_user)
        except services.ReleaseError as error:
            form.kind.errors.append(str(error))
        else:
            db.session.commit()
            flash(f"{release.reference} has been withdrawn.")
            return redirect(url_for(".show", release_id=release.id))
    return render_template("releases/withdraw.html", form=form, release=release)


@bp.post("/<int:release_id>/attachments")
@editor_required
def attach(release_id: int):
    release = get_release(release_id)
    form = AttachmentForm()
    if form.validate_on_submit():
        try:
            services.add_attachment(
                db.session, release, directory=current_app.config["PRESS_UPLOAD_DIR"],
                filename=form.document.data.filename or "", data=form.document.data.read(),
                max_bytes=current_app.config["PRESS_MAX_ATTACHMENT_BYTES"], title=form.title.data or "", by=current_user,
            )
        except (files.AttachmentError, services.ReleaseError) as error:
            form.document.errors.append(str(error))
        else:
            db.session.commit()
            flash("File attached.")
            return redirect(url_for(".show", release_id=release.id, _anchor="attachments"))
    return release_page(release, form), 400


def get_attachment(release_id: int, attachment_id: int) -> Attachment:
    attachment = queries.release_attachment(db.session, release_id, attachment_id)
    if attachment is None:
        abort(404)
    return attachment


@bp.post("/<int:release_id>/attachments/<int:attachment_id>/delete")
@editor_required
def detach(release_id: int, attachment_id: int):
    attachment = get_attachment(release_id, attachment_id)
    return run_action(
        release_id, lambda session, release, by: services.remove_attachment(session, attachment, by=by),
        "Attachment removed.",
    )


@bp.get("/<int:release_id>/attachments/<int:attachment_id>")
@staff_required
def attachment(release_id: int, attachment_id: int):
    item = get_attachment(release_id, attachment_id)
    return send_file(
        files.path_of(current_app.config["PRESS_UPLOAD_DIR"], item.stored_name),
        mimetype=item.content_type, as_attachment=True, download_name=item.filename, max_age=0,
    )
