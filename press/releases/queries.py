"""Reads the staff release pages make."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session, selectinload

from press.releases.models import Attachment, Release, ReleaseEvent, Status

STAFF_FILTERS = {
    "all": "All",
    "draft": "Drafts",
    "embargoed": "Under embargo",
    "public": "Public",
    "withdrawn": "Withdrawn",
}


def staff_listing(show: str, q: str, at: datetime) -> Select:
    """The staff list of releases, narrowed to one state and by words in the reference or headline."""
    query = select(Release).options(selectinload(Release.contact))
    if show == "draft":
        query = query.where(Release.status == Status.DRAFT)
    elif show == "embargoed":
        query = query.where(Release.status == Status.FINAL, Release.public_from > at)
    elif show == "public":
        query = query.where(Release.status == Status.FINAL, Release.public_from <= at)
    elif show == "withdrawn":
        query = query.where(Release.status == Status.WITHDRAWN)
    for word in q.split()[:10]:
        query = query.where(or_(Release.reference.icontains(word, autoescape=True),
                                Release.headline.icontains(word, autoescape=True)))
    return query


def release_history(session: Session, release_id: int) -> Sequence[ReleaseEvent]:
    """A release's history, newest first."""
    return session.scalars(
        select(ReleaseEvent)
        .where(ReleaseEvent.release_id == release_id)
        .order_by(ReleaseEvent.at.desc(), ReleaseEvent.id.desc())
    ).all()


def release_attachment(session: Session, release_id: int, attachment_id: int) -> Attachment | None:
    """One of a release's attachments, found only through the release it belongs to."""
    return session.scalar(select(Attachment).where(Attachment.id == attachment_id, Attachment.release_id == release_id))
