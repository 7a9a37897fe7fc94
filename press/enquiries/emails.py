"""The two emails an enquiry causes: the journalist's acknowledgement and the assignee's alert."""

from email.message import EmailMessage

from flask import current_app
from sqlalchemy import select

from press import uktime
from press.accounts.models import User
from press.enquiries.inbox_reading import NO_MESSAGE_ID
from press.enquiries.models import Channel, Direction, Enquiry, EnquiryEmail
from press.extensions import db
from press.links import absolute_url
from press.outbox import kinds
from press.outbox.messages import mailbox, templated
from press.outbox.models import Delivery


def _enquiry(delivery: Delivery) -> Enquiry:
    enquiry = db.session.get(Enquiry, delivery.payload["enquiry_id"])
    if enquiry is None:
        raise LookupError("the enquiry no longer exists")
    return enquiry


def acknowledgement(delivery: Delivery) -> EmailMessage:
    """Tell the journalist we have their enquiry, its reference, and what happens next."""
    enquiry = _enquiry(delivery)
    assignee = enquiry.assignee
    if enquiry.channel == Channel.EMAIL:
        return email_acknowledgement(delivery, enquiry, assignee)
    context = {"enquiry": enquiry, "assignee": assignee, "deadline": uktime.format_moment(enquiry.deadline_at)}
    return templated("enquiry_acknowledgement", context, to=delivery.to_address,
                     subject=f"We have your enquiry {enquiry.reference}: {enquiry.subject}",
                     reply_to=mailbox(assignee.name, assignee.email) if assignee is not None else None)


def email_acknowledgement(delivery: Delivery, enquiry: Enquiry, assignee: User | None) -> EmailMessage:
    """The acknowledgement of an emailed enquiry: an answer to the journalist's email, so it threads in their
    mail, with the enquiry's tag in the subject and the press office mailbox to reply to, so their answer
    comes back into the same enquiry."""
    first = db.session.scalar(select(EnquiryEmail).where(EnquiryEmail.enquiry_id == enquiry.id,
                                                         EnquiryEmail.direction == Direction.IN)
                              .order_by(EnquiryEmail.id).limit(1))
    headers = {}
    if first is not None and not first.message_id.endswith(NO_MESSAGE_ID):
        references = [*first.references.split()[-10:], first.message_id]
        headers = {"In-Reply-To": f"<{first.message_id}>", "References": " ".join(f"<{r}>" for r in references)}
    suggested = first.suggested_deadline_at if first is not None else None
    if suggested is not None:
        deadline = f"{uktime.format_moment(suggested)}, as we read your email; a press officer will confirm it"
    else:
        deadline = f"none given, so we aim to reply by {uktime.format_moment(enquiry.deadline_at)}"
    context = {"enquiry": enquiry, "assignee": assignee, "deadline": deadline}
    subject = first.subject if first is not None and first.subject else enquiry.subject
    if not subject.lower().startswith("re:"):
        subject = f"Re: {subject}"
    address = current_app.config["PRESS_ENQUIRY_ADDRESS"]
    reply_to = address or (mailbox(assignee.name, assignee.email) if assignee is not None else None)
    if f"[{enquiry.reference}]" not in subject:
        subject = f"{subject} [{enquiry.reference}]"
    return templated("enquiry_acknowledgement", context, to=delivery.to_address, subject=subject,
                     reply_to=reply_to, headers=headers)


def assigned(delivery: Delivery) -> EmailMessage:
    """Tell a press officer an enquiry is theirs, with the journalist's deadline in the subject."""
    enquiry = _enquiry(delivery)
    user = db.session.get(User, delivery.payload["user_id"])
    deadline = uktime.format_moment(enquiry.deadline_at)
    context = {"enquiry": enquiry, "user": user, "deadline": deadline,
               "enquiry_url": absolute_url("enquiries.show", enquiry_id=enquiry.id)}
    source = enquiry.outlet or enquiry.journalist_name
    return templated("enquiry_assigned", context, to=delivery.to_address,
                     subject=f"Deadline {deadline}: {enquiry.reference} {enquiry.kind_label} from {source}")


ACKNOWLEDGEMENT = kinds.register(kinds.Kind("enquiry-acknowledgement", acknowledgement, payload=("enquiry_id",)))
ASSIGNED = kinds.register(kinds.Kind("enquiry-assigned", assigned, payload=("enquiry_id", "user_id")))
