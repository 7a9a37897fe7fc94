"""Staff pages for a release's versions, comparing them, and a second person's approval."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import BooleanField, HiddenField

from press import clock
from press.accounts.access import admin_required, editor_required, staff_required
from press.extensions import db
from press.forms import BaseForm
from press.releases import approval, safeguarding, versions
from press.releases.forms import HISTORY_LABELS
from press.releases.models import Release
from press.releases.views import bp, get_release

# The fields in the order the release form asks for them, named as it names them.
LABELS = {name: HISTORY_LABELS[name] for name in ("reference", "headline", "release_date", "embargo_at", "standfirst",
                                                  "body", "notes_to_editors", "helpline", "contact_id")}
LABELS["tags"] = "Safeguarding tags"
LABELS["attachments"] = "Attachments"


class ApproveForm(BaseForm):
    # The content the approver was shown: an approval covers that and nothing else.
    content_hash = HiddenField()


class ApprovalSettingForm(BaseForm):
    required = BooleanField("Releases need a second manager or admin to approve them before they are marked final "
                            "or sent")


def tag_names() -> dict[str, str]:
    return safeguarding.checklist().tags


def get_version(release: Release, number: int) -> versions.ReleaseVersion:
    found = versions.version_of(db.session, release.id, number)
    if found is None:
        abort(404)
    return found


@bp.get("/<int:release_id>/versions")
@staff_required
def versions_page(release_id: int):
    release = get_release(release_id)
    return render_template("releases/versions.html", release=release,
                           versions=versions.versions_of(db.session, release.id),
                           approvals=approval.approvals(db.session, release.id),
                           required=approval.required(db.session), current=versions.current_hash(release))


@bp.get("/<int:release_id>/versions/<int:number>")
@staff_required
def version(release_id: int, number: int):
    release = get_release(release_id)
    found = get_version(release, number)
    later = versions.version_of(db.session, release.id, number + 1)
    shown = versions.readable(found.content, versions.contact_names(db.session, [found.content]), tag_names())
    return render_template("releases/version.html", release=release, version=found, shown=shown, labels=LABELS,
                           later=later, answers=safeguarding.answers_for_version(db.session, release.id,
                                                                                 found.content_hash))


@bp.get("/<int:release_id>/versions/<int:number>/changes")
@staff_required
def version_changes(release_id: int, number: int):
    release = get_release(release_id)
    before = get_version(release, number)
    after = get_version(release, number + 1)
    people = versions.contact_names(db.session, [before.content, after.content])
    changes = versions.compare(versions.readable(before.content, people, tag_names()),
                               versions.readable(after.content, people, tag_names()), LABELS)
    return render_template("releases/changes.html", release=release, before=before, after=after, changes=changes)


def last_approved_changes(release: Release) -> tuple[versions.ReleaseVersion | None, list[versions.FieldChange]]:
    """The latest approved version and what differs from it now: what the approver has to read again."""
    found = approval.approvals(db.session, release.id)
    if not found:
        return None, []
    earlier = found[-1].version
    now = versions.content(release)
    people = versions.contact_names(db.session, [earlier.content, now])
    return earlier, versions.compare(versions.readable(earlier.content, people, tag_names()),
                                     versions.readable(now, people, tag_names()), LABELS)


@bp.route("/<int:release_id>/approve", methods=["GET", "POST"])
@editor_required
def approve(release_id: int):
    release = get_release(release_id)
    form = ApproveForm()
    if form.validate_on_submit():
        try:
            given = approval.approve(db.session, release, seen_hash=form.content_hash.data or "", by=current_user)
        except approval.ApprovalError as error:
            db.session.rollback()
            flash(str(error), "error")
            return redirect(url_for(".approve", release_id=release.id))
        db.session.commit()
        flash(f"Version {given.version.number} of {release.reference} is approved.")
        return redirect(url_for(".show", release_id=release.id))
    form.content_hash.data = versions.current_hash(release)
    earlier, changes = last_approved_changes(release)
    return render_template("releases/approve.html", release=release, preview=True, approving=True, now=clock.now(),
                           form=form, refusal=approval.why_not(db.session, release, current_user),
                           earlier=earlier, changes=changes,
                           items=safeguarding.checklist().items_for(release.tags),
                           answers=safeguarding.answers(db.session, release))


@bp.route("/approval-setting", methods=["GET", "POST"])
@admin_required
def approval_setting():
    # Only the page shown takes the saved value: an unticked box posts nothing, and means "not required".
    form = ApprovalSettingForm(data={"required": approval.required(db.session)} if request.method == "GET" else None)
    if form.validate_on_submit():
        changed = approval.save_required(db.session, bool(form.required.data), by=current_user)
        db.session.commit()
        flash("The approval setting is saved." if changed else "Nothing had changed, so nothing was saved.")
        return redirect(url_for(".approval_setting"))
    return render_template("releases/approval_setting.html", form=form)
