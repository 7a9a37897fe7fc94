"""The safeguarding checklist page of a tagged release: every question answered for the version as it is now."""

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from wtforms import RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from press.accounts.access import editor_required
from press.extensions import db
from press.forms import BaseForm
from press.releases import safeguarding
from press.releases.views import bp, get_release

YES_NO = [SelectChoice("yes", "Yes"), SelectChoice("no", "No")]


def field_name(item: safeguarding.Item) -> str:
    return "item_" + item.id.replace("-", "_")


def checklist_form(items: list[safeguarding.Item], given: dict[str, safeguarding.ChecklistAnswer]) -> BaseForm:
    """A form with one question per item, each showing its legal source, filled with the answers kept so far."""

    class ChecklistForm(BaseForm):
        pass

    for item in items:
        hint = f"Source: {item.source}" if item.source else None
        if item.answer == "yes/no":
            checks = [InputRequired("Answer yes or no.")] if item.required else [Optional()]
            setattr(ChecklistForm, field_name(item), RadioField(item.question, choices=YES_NO, description=hint,
                                                                validators=checks))
        else:
            checks = [InputRequired("Enter an answer.")] if item.required else [Optional()]
            setattr(ChecklistForm, field_name(item), TextAreaField(item.question, description=hint,
                                                                   validators=[*checks, Length(max=2000)]))
    data = {field_name(item): given[item.id].answer for item in items if item.id in given}
    return ChecklistForm(data=data)


@bp.route("/<int:release_id>/checklist", methods=["GET", "POST"])
@editor_required
def checklist(release_id: int):
    release = get_release(release_id)
    items = safeguarding.checklist().items_for(release.tags)
    given = safeguarding.answers(db.session, release)
    form = checklist_form(items, given)
    if items and release.status != "withdrawn" and form.validate_on_submit():
        safeguarding.save_answers(db.session, release, {item.id: form[field_name(item)].data for item in items},
                                  by=current_user)
        db.session.commit()
        flash("The safeguarding checklist is saved for this version.")
        return redirect(url_for(".approve", release_id=release.id))
    page = render_template("releases/checklist.html", release=release, form=form, items=items, given=given,
                           names={item.id: field_name(item) for item in items},
                           tag_names=safeguarding.checklist().tags)
    return page, 422 if form.errors else 200
