"""The email a recovery code's use causes: the account's owner hears of it, in case it was not them."""

from email.message import EmailMessage

from sqlalchemy.orm import Session

from press import uktime
from press.accounts.models import User
from press.extensions import db
from press.outbox import kinds
from press.outbox.messages import templated
from press.outbox.models import Delivery
from press.outbox.queue import enqueue


def recovery_code_used(delivery: Delivery) -> EmailMessage:
    """Tell the user a recovery code signed in to their account, when, and how many codes are left."""
    user = db.session.get(User, delivery.payload["user_id"])
    if user is None:
        raise LookupError("the user no longer exists")
    context = {"user": user, "when": uktime.format_moment(delivery.created_at), "left": delivery.payload["left"]}
    return templated("two_factor_recovery_used", context, to=delivery.to_address,
                     subject="A recovery code was used to sign in to your press office account")


RECOVERY_CODE_USED = kinds.register(kinds.Kind("two-factor-recovery-used", recovery_code_used,
                                               payload=("user_id", "left")))


def tell_recovery_code_used(session: Session, user: User, left: int) -> None:
    """Queue the email in the sign-in's own transaction."""
    enqueue(session, kind=RECOVERY_CODE_USED, to_address=user.email, payload={"user_id": user.id, "left": left})
