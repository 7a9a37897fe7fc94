"""The emails about a journalist's own place on the media list."""

from email.message import EmailMessage

from flask import current_app, render_template
from sqlalchemy import select

from press.contacts.models import Signup
from press.contacts.signups import confirmation_token
from press.distribution.messages import build_message
from press.distribution.models import Delivery
from press.extensions import db
from press.links import absolute_url


def signup_confirmation(delivery: Delivery) -> EmailMessage:
    """The email that asks a journalist to confirm they want releases."""
    signup = db.session.scalar(select(Signup).where(Signup.id == delivery.payload["signup_id"]))
    if signup is None:
        raise LookupError("the signup no longer exists")
    config = current_app.config
    context = {
        "signup": signup,
        "organisation": config["PRESS_ORGANISATION"],
        "confirm_url": absolute_url("contacts_public.confirm",
                                    token=confirmation_token(delivery, config["SECRET_KEY"])),
        "days": config["PRESS_SIGNUP_CONFIRM_DAYS"],
    }
    return build_message(
        subject=f"Confirm you want press releases from {config['PRESS_ORGANISATION']}",
        sender=config["MAIL_DEFAULT_SENDER"],
        to=delivery.to_address,
        text=render_template("emails/signup_confirmation.txt", **context),
        html=render_template("emails/signup_confirmation.html", **context),
    )
