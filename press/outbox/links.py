"""Links in an email that name their own delivery: its id and its random value, signed.

The random value (Delivery.secret) means such a link cannot be made from the id, even by someone who has
the secret key; links of an older form, an id alone, find nothing.
"""

import hmac

from sqlalchemy.orm import Session

from press.database import MAX_ID
from press.outbox.kinds import Kind
from press.outbox.models import Delivery
from press.tokens import Token


def delivery_link(token: Token, delivery: Delivery) -> str:
    return token.make([delivery.id, delivery.secret])


def delivery_from_link(session: Session, token: Token, text: str, kind: Kind, *,
                       max_age: int | None = None) -> Delivery | None:
    """The delivery of this kind a link names, if it is genuine, not too old and carries that delivery's value."""
    value = token.read(text, max_age=max_age)
    if not (isinstance(value, list) and len(value) == 2 and type(value[0]) is int and isinstance(value[1], str)):
        return None
    delivery_id, secret = value
    if not 0 < delivery_id <= MAX_ID:
        return None
    delivery = session.get(Delivery, delivery_id)
    if (delivery is None or delivery.kind != kind.name or not delivery.secret
            or not hmac.compare_digest(delivery.secret.encode(), secret.encode())):
        return None
    return delivery
