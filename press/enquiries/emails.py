"""The emails an enquiry causes: the journalist's acknowledgement, the assignee's alert, and staff replies."""

from email.message import EmailMessage
from email.utils import parseaddr

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
    # Answers go to the mailbox this enquiry came from, where they are read back into it.
    reply_to = mailbox(f"{current_app.config['PRESS_ORGANISATION']} press office", office_mailbox())
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


def office_mailbox() -> str:
    """The press office's own mailbox, where the journalist's answers should go: PRESS_ENQUIRY_ADDRESS, else
    PRESS_OFFICE_EMAIL, else the sender's address."""
    config = current_app.config
    return config["PRESS_ENQUIRY_ADDRESS"] or config["PRESS_OFFICE_EMAIL"] or parseaddr(config["MAIL_DEFAULT_SENDER"])[1]


def _reply_email(delivery: Delivery) -> EnquiryEmail:
    email = db.session.get(EnquiryEmail, delivery.payload["email_id"])
    if email is None or email.enquiry.anonymised_at is not None:
        raise LookupError("the reply no longer exists")
    return email


def reply(delivery: Delivery) -> EmailMessage:
    """A press officer's reply to the journalist, threaded under their email and tagged with the reference.

    It comes from the press office, and answers go to the office's mailbox, where they are read back into the
    enquiry. The subject began as the journalist's: the message builder keeps any line break out of it.
    """
    email = _reply_email(delivery)
    enquiry = email.enquiry
    organisation = current_app.config["PRESS_ORGANISATION"]
    headers = {}
    if email.in_reply_to:
        headers["In-Reply-To"] = f"<{email.in_reply_to}>"
    if email.references:
        headers["References"] = " ".join(f"<{item}>" for item in email.references.split())
    context = {"email": email, "enquiry": enquiry, "officer": email.by, "paragraphs": paragraphs(email.body)}
    return templated("enquiry_reply", context, to=delivery.to_address, subject=email.subject,
                     reply_to=mailbox(f"{organisation} press office", office_mailbox()), headers=headers)


def paragraphs(text: str) -> list[list[str]]:
    """Plain text as paragraphs of lines, for an HTML part that escapes each line and keeps the breaks."""
    return [block.split("\n") for block in text.split("\n\n") if block.strip()]


REPLY = kinds.register(kinds.Kind("enquiry-reply", reply, payload=("email_id",)))


def answered(delivery: Delivery) -> EmailMessage:
    """Tell the assignee the journalist has written again, with what they wrote: an enquiry they had
    answered or closed is open again and would otherwise sit unseen in the log."""
    enquiry = _enquiry(delivery)
    email = db.session.get(EnquiryEmail, delivery.payload["email_id"])
    if email is None or enquiry.anonymised_at is not None:
        raise LookupError("the email no longer exists")
    user = db.session.get(User, delivery.payload["user_id"])
    deadline = uktime.format_moment(enquiry.deadline_at)
    body = email.body[:1500]
    context = {"enquiry": enquiry, "email": email, "user": user, "deadline": deadline,
               "reopened": delivery.payload["reopened"], "paragraphs": paragraphs(body),
               "enquiry_url": absolute_url("enquiries.show", enquiry_id=enquiry.id)}
    source = enquiry.outlet or enquiry.journalist_name
    return templated("enquiry_answered", context, to=delivery.to_address,
                     subject=f"{enquiry.reference}: {source} wrote again (deadline {deadline})")


ANSWERED = kinds.register(kinds.Kind("enquiry-answered", answered, payload=("enquiry_id", "user_id", "email_id", "reopened")))
