"""Staff pages for media lists."""

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from press.accounts.access import editor_required, staff_required
from press.contacts import queries, services
from press.contacts.blueprints import staff as bp
from press.contacts.models import MediaList
from press.contacts.staff_forms import MediaListForm
from press.extensions import db


def save(form: MediaListForm, media_list: MediaList | None) -> MediaList | None:
    """Save the list from the form, or put the reason it cannot be saved on the form's field."""
    try:
        return services.save_list(db.session, media_list, name=form.name.data, description=form.description.data or "",
                                  for_signups=form.for_signups.data, by=current_user)
    except services.ContactError as error:
        form[error.field or "name"].errors.append(str(error))
        return None


@bp.get("/lists")
@staff_required
def lists():
    return render_template("contacts/lists.html", rows=queries.lists_with_counts(db.session))


@bp.route("/lists/new", methods=["GET", "POST"])
@editor_required
def list_new():
    form = MediaListForm()
    if form.validate_on_submit() and (media_list := save(form, None)) is not None:
        db.session.commit()
        flash(f"List {media_list.name} added.")
        return redirect(url_for(".lists"))
    return render_template("contacts/list_edit.html", form=form, media_list=None)


@bp.route("/lists/<int:list_id>/edit", methods=["GET", "POST"])
@editor_required
def list_edit(list_id: int):
    media_list = db.get_or_404(MediaList, list_id)
    form = MediaListForm(obj=media_list)
    if form.validate_on_submit() and save(form, media_list) is not None:
        db.session.commit()
        flash(f"List {media_list.name} saved.")
        return redirect(url_for(".lists"))
    return render_template("contacts/list_edit.html", form=form, media_list=media_list)
