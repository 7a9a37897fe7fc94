"""The emails about a journalist's own place on the media list, and what the worker reads for every mailing.

The signup confirmation is a kind of its own; the suppression check (an unsubscribed or bounced contact
gets no mailing) and the contact loaded with each delivery are registered here for every kind.
"""

from email.message import EmailMessage

from flask import current_app
from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from press.contacts.models import Contact, ContactStatus, Signup
from press.links import absolute_url
from press.outbox import kinds
from press.outbox.links import delivery_from_link, delivery_link
from press.outbox.messages import templated
from press.outbox.models import Delivery
from press.tokens import Token
from press.extensions import db

# The confirmation link names the confirmation email's own delivery, so it cannot be made from a signup's id.
CONFIRMATION = Token("signup", timed=True)


def signup_confirmation(delivery: Delivery) -> EmailMessage:
    """The email that asks a journalist to confirm they want releases."""
    signup = db.session.scalar(select(Signup).where(Signup.id == delivery.payload["signup_id"]))
    if signup is None:
        raise LookupError("the signup no longer exists")
    config = current_app.config
    context = {
        "signup": signup,
        "confirm_url": absolute_url("contacts_public.confirm", token=confirmation_token(delivery)),
        "days": config["PRESS_SIGNUP_CONFIRM_DAYS"],
    }
    return templated("signup_confirmation", context, to=delivery.to_address,
                     subject=f"Confirm you want press releases from {config['PRESS_ORGANISATION']}")


SIGNUP_CONFIRMATION = kinds.register(kinds.Kind("signup-confirmation", signup_confirmation, payload=("signup_id",)))


def confirmation_token(delivery: Delivery) -> str:
    """The token of a confirmation email's link: that email's delivery and its random value, signed."""
    return delivery_link(CONFIRMATION, delivery)


def signup_for_token(session: Session, token: str, max_age_days: int) -> Signup | None:
    """The signup a confirmation link belongs to, if the link is genuine and not too old."""
    delivery = delivery_from_link(session, CONFIRMATION, token, SIGNUP_CONFIRMATION, max_age=max_age_days * 86400)
    if delivery is None:
        return None
    signup_id = delivery.payload.get("signup_id")
    return session.get(Signup, signup_id) if type(signup_id) is int else None


def suppressed(held: Row) -> bool:
    """Whether the recipient, as the database has them at the moment of sending, no longer wants mailings."""
    if held.contact_id is None:
        return False
    # Contact.can_be_sent_to, read from the row just fetched rather than a loaded object.
    return held.contact_status != ContactStatus.ACTIVE or not held.contact_email


kinds.register_suppression(kinds.Suppression(
    kinds.Reads((Contact.status.label("contact_status"), Contact.email.label("contact_email")),
                ((Contact, Contact.id == Delivery.contact_id),)),
    suppressed,
))
# A mailing's To line carries the contact's name: loaded with the chunk, not once a message.
kinds.register_loaded(kinds.Loaded(Contact, Contact.id == Delivery.contact_id))
