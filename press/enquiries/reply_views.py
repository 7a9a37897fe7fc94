"""The conversation on an enquiry's page: replying to the journalist, the deadline their email suggests, and the
files they sent."""

import os
import re

from flask import abort, current_app, flash, redirect, send_file, url_for
from flask_wtf import FlaskForm
from werkzeug import Response

from press.accounts.access import staff_required
from press.accounts.models import User
from press.enquiries import conversation, replies
from press.enquiries.actions import required, work
from press.enquiries.blueprints import staff as bp
from press.enquiries.models import Enquiry, EnquiryEmail
from press.enquiries.pages import acting_user, get_enquiry
from press.enquiries.services import EnquiryError
from press.extensions import db
from press.forms import ActionForm
from press.releases import files

# A stored content type goes into a response header only if it looks like one.
CONTENT_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*", re.IGNORECASE)


@bp.post("/<int:enquiry_id>/reply")
@staff_required
def reply(enquiry_id: int):
    def change(enquiry: Enquiry, form: FlaskForm, me: User) -> str:
        required(form.text.data, "Enter your reply.")
        replies.send_reply(db.session, enquiry, form.text.data, by=me)
        return f"Reply to {enquiry.journalist_name} is in the outbox: the timeline shows when it has gone."

    return work(enquiry_id, "reply_form", "text", change)


def settle(enquiry_id: int, email_id: int, action, done: str) -> Response:
    """Use or dismiss a suggested deadline from one of this enquiry's emails, then go back to the page."""
    enquiry = get_enquiry(enquiry_id)
    email: EnquiryEmail | None = conversation.email_on(db.session, enquiry, email_id)
    if email is None:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        action(db.session, enquiry, email, by=acting_user())
    except EnquiryError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(done)
    return redirect(url_for("enquiries.show", enquiry_id=enquiry_id), 303)


@bp.post("/<int:enquiry_id>/emails/<int:email_id>/use-deadline")
@staff_required
def use_deadline(enquiry_id: int, email_id: int):
    return settle(enquiry_id, email_id, conversation.use_suggested_deadline, "Deadline changed to the one in their email.")


@bp.post("/<int:enquiry_id>/emails/<int:email_id>/dismiss-deadline")
@staff_required
def dismiss_deadline(enquiry_id: int, email_id: int):
    return settle(enquiry_id, email_id, conversation.dismiss_suggested_deadline,
                  "Suggestion dismissed: the deadline is unchanged.")


@bp.get("/<int:enquiry_id>/attachments/<int:attachment_id>")
@staff_required
def email_attachment(enquiry_id: int, attachment_id: int):
    """A file a journalist sent, downloaded rather than shown: it came from outside and is not ours to trust."""
    enquiry = get_enquiry(enquiry_id)
    item = conversation.attachment_on(db.session, enquiry, attachment_id)
    if item is None or os.path.basename(item.stored_name) != item.stored_name:
        abort(404)
    path = files.path_of(current_app.config["PRESS_UPLOAD_DIR"], item.stored_name)
    if not os.path.isfile(path):
        abort(404)
    kind = item.content_type if CONTENT_TYPE.fullmatch(item.content_type or "") else "application/octet-stream"
    name = "".join(ch for ch in item.filename if ch.isprintable()).strip() or "attachment"
    return send_file(path, mimetype=kind, as_attachment=True, download_name=name, max_age=0)
