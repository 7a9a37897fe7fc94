"""Early access: each journalist's own link to a release before its embargo lifts, who opened it, revoking it."""

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from press import clock
from press.contacts.models import Contact, ContactStatus
from press.distribution.emails import EARLY_ACCESS, RELEASE
from press.distribution.models import AccessView, Distribution
from press.outbox.links import delivery_from_link
from press.outbox.models import Delivery

# Opening an early-access link again within this time is not recorded again: reloads are not new visits.
ACCESS_VIEW_INTERVAL = timedelta(minutes=5)


def delivery_for_access(session: Session, token: str) -> Delivery | None:
    """The delivery an early-access token belongs to, unless forged or revoked, or its journalist left or was erased."""
    delivery = delivery_from_link(session, EARLY_ACCESS, token, RELEASE)
    if delivery is None or delivery.access_revoked_at is not None:
        return None
    contact = session.get(Contact, delivery.contact_id) if delivery.contact_id is not None else None
    if contact is None or contact.status in (ContactStatus.UNSUBSCRIBED, ContactStatus.ERASED):
        return None
    return delivery


def record_access(session: Session, delivery: Delivery, what: str, now: datetime) -> None:
    """Note that a recipient opened their early-access page or a file, at most once per ACCESS_VIEW_INTERVAL."""
    recent = session.scalar(
        select(AccessView.id)
        .where(AccessView.delivery_id == delivery.id, AccessView.what == what,
               AccessView.at > now - ACCESS_VIEW_INTERVAL)
        .limit(1)
    )
    if recent is None:
        session.add(AccessView(delivery_id=delivery.id, at=now, what=what))
        session.flush()


def revoke_access(session: Session, distribution: Distribution, *, contact_id: int | None = None) -> int:
    """Revoke early access for one recipient, or for everyone the distribution went to."""
    condition = [Delivery.distribution_id == distribution.id, Delivery.access_revoked_at.is_(None)]
    if contact_id is not None:
        condition.append(Delivery.contact_id == contact_id)
    result = session.execute(
        update(Delivery).where(*condition).values(access_revoked_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def revoke_recipient(session: Session, delivery: Delivery) -> bool:
    """Revoke one recipient's early-access link; False if it had been revoked already."""
    if delivery.access_revoked_at is not None:
        return False
    delivery.access_revoked_at = clock.now()
    session.flush()
    return True
