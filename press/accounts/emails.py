"""The emails an account gets: an invitation to set a password, and a link to reset a forgotten one."""

from email.message import EmailMessage

from press.accounts.links import LIFETIMES, token_for
from press.accounts.models import LinkPurpose, User
from press.extensions import db
from press.links import absolute_url
from press.outbox import kinds
from press.outbox.messages import templated
from press.outbox.models import Delivery


def _user(delivery: Delivery) -> User:
    user = db.session.get(User, delivery.payload["user_id"])
    if user is None:
        raise LookupError("the account no longer exists")
    return user


def _context(delivery: Delivery, purpose: LinkPurpose) -> dict:
    hours = int(LIFETIMES[purpose].total_seconds() // 3600)
    return {"user": _user(delivery), "link": absolute_url("accounts.set_password", token=token_for(delivery)),
            "valid_for": f"{hours} hour{'s' if hours != 1 else ''}" if hours < 48 else f"{hours // 24} days"}


def invitation(delivery: Delivery) -> EmailMessage:
    """Ask a new colleague to set a password for the account an admin made for them."""
    context = _context(delivery, LinkPurpose.INVITATION) | {"invited_by": delivery.payload["invited_by"]}
    return templated("account_invitation", context, to=delivery.to_address,
                     subject="You have been invited to the press office")


def reset(delivery: Delivery) -> EmailMessage:
    """Send the link someone asked for to choose a new password."""
    return templated("account_reset", _context(delivery, LinkPurpose.RESET), to=delivery.to_address,
                     subject="Reset your press office password")


INVITATION = kinds.register(kinds.Kind("account-invitation", invitation, payload=("user_id", "invited_by")))
RESET = kinds.register(kinds.Kind("account-reset", reset, payload=("user_id",)))
