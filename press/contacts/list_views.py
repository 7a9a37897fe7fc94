"""Staff pages for media lists."""

from flask import Blueprint, flash, redirect, render_template, url_for
from sqlalchemy import func, select

from press.accounts.access import editor_required, staff_required
from press.contacts import services
from press.contacts.models import MediaList, contact_lists
from press.contacts.staff_forms import MediaListForm
from press.extensions import db

bp = Blueprint("contact_lists", __name__, url_prefix="/staff/contacts/lists")


def save(form: MediaListForm, media_list: MediaList | None) -> MediaList | None:
    """Save the list from the form, or put the reason it cannot be saved on the form's field."""
    try:
        return services.save_list(db.session, media_list, name=form.name.data, description=form.description.data or "",
                                  for_signups=form.for_signups.data)
    except services.ContactError as error:
        form[error.field or "name"].errors.append(str(error))
        return None


@bp.get("")
@staff_required
def index():
    rows = db.session.execute(
        select(MediaList, func.count(contact_lists.c.contact_id))
        .outerjoin(contact_lists, contact_lists.c.list_id == MediaList.id)
        .group_by(MediaList.id).order_by(MediaList.name)
    ).all()
    return render_template("contacts/lists.html", rows=rows)


@bp.route("/new", methods=["GET", "POST"])
@editor_required
def new():
    form = MediaListForm()
    if form.validate_on_submit() and (media_list := save(form, None)) is not None:
        db.session.commit()
        flash(f"List {media_list.name} added.")
        return redirect(url_for(".index"))
    return render_template("contacts/list_edit.html", form=form, media_list=None)


@bp.route("/<int:list_id>/edit", methods=["GET", "POST"])
@editor_required
def edit(list_id: int):
    media_list = db.get_or_404(MediaList, list_id)
    form = MediaListForm(obj=media_list)
    if form.validate_on_submit() and save(form, media_list) is not None:
        db.session.commit()
        flash(f"List {media_list.name} saved.")
        return redirect(url_for(".index"))
    return render_template("contacts/list_edit.html", form=form, media_list=media_list)
