"""The two emails an enquiry causes: the journalist's acknowledgement and the assignee's alert."""

from email.message import EmailMessage

from press import uktime
from press.accounts.models import User
from press.enquiries.models import Enquiry
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
    context = {"enquiry": enquiry, "assignee": assignee, "deadline": uktime.format_moment(enquiry.deadline_at)}
    return templated("enquiry_acknowledgement", context, to=delivery.to_address,
                     subject=f"We have your enquiry {enquiry.reference}: {enquiry.subject}",
                     reply_to=mailbox(assignee.name, assignee.email) if assignee is not None else None)


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
