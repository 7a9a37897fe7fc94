"""The two emails an enquiry causes: the journalist's acknowledgement and the assignee's alert."""

from email.message import EmailMessage

from flask import current_app, render_template

from press import uktime
from press.accounts.models import User
from press.distribution.messages import build_message, mailbox
from press.distribution.models import Delivery
from press.enquiries.models import Enquiry
from press.extensions import db
from press.links import absolute_url


def _enquiry(delivery: Delivery) -> Enquiry:
    enquiry = db.session.get(Enquiry, delivery.payload["enquiry_id"])
    if enquiry is None:
        raise LookupError("the enquiry no longer exists")
    return enquiry


def acknowledgement(delivery: Delivery) -> EmailMessage:
    """Tell the journalist we have their enquiry, its reference, and what happens next."""
    enquiry = _enquiry(delivery)
    config = current_app.config
    assignee = enquiry.assignee
    context = {"enquiry": enquiry, "organisation": config["PRESS_ORGANISATION"], "assignee": assignee,
               "deadline": uktime.format_moment(enquiry.deadline_at)}
    return build_message(
        subject=f"We have your enquiry {enquiry.reference}: {enquiry.subject}",
        sender=config["MAIL_DEFAULT_SENDER"],
        to=delivery.to_address,
        reply_to=mailbox(assignee.name, assignee.email) if assignee is not None else None,
        text=render_template("emails/enquiry_acknowledgement.txt", **context),
        html=render_template("emails/enquiry_acknowledgement.html", **context),
    )


def assigned(delivery: Delivery) -> EmailMessage:
    """Tell a press officer an enquiry is theirs, with the journalist's deadline in the subject."""
    enquiry = _enquiry(delivery)
    user = db.session.get(User, delivery.payload["user_id"])
    config = current_app.config
    deadline = uktime.format_moment(enquiry.deadline_at)
    context = {"enquiry": enquiry, "user": user, "deadline": deadline,
               "organisation": config["PRESS_ORGANISATION"],
               "enquiry_url": absolute_url("enquiries.show", enquiry_id=enquiry.id)}
    return build_message(
        subject=f"Deadline {deadline}: {enquiry.reference} {enquiry.kind_label} from {enquiry.outlet or enquiry.journalist_name}",
        sender=config["MAIL_DEFAULT_SENDER"],
        to=delivery.to_address,
        text=render_template("emails/enquiry_assigned.txt", **context),
        html=render_template("emails/enquiry_assigned.html", **context),
    )
