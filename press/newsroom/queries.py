"""What the public may see, asked of the database with the clock's current time."""

from datetime import datetime

from sqlalchemy import and_, literal, or_, select, tuple_
from sqlalchemy.orm import Session, joinedload

from press.database import UTCDateTime
from press.pagination import Page, paginate
from press.releases.models import Attachment, Release


def search_condition(q: str):
    """Every word of the query must appear in the headline, standfirst or body."""
    columns = (Release.headline, Release.standfirst, Release.body)
    return and_(
        *(or_(*(column.icontains(word, autoescape=True) for column in columns)) for word in q.split()[:10])
    )


def listed_releases(session: Session, at: datetime, *, page: int, per_page: int, q: str = "") -> Page:
    """One page of public releases, newest first, optionally narrowed by a search."""
    condition = Release.listed_filter(at)
    if q.strip():
        condition = and_(condition, search_condition(q))
    query = select(Release).where(condition).order_by(Release.public_from.desc(), Release.id.desc())
    return paginate(session, query, page=page, per_page=per_page)


def public_release(session: Session, slug: str, at: datetime) -> Release | None:
    """The release at this address if the public may see it now (its notice, if removed)."""
    return session.scalar(
        select(Release).options(joinedload(Release.contact)).where(Release.slug == slug, Release.public_filter(at))
    )


def neighbours(session: Session, release: Release, at: datetime) -> tuple[Release | None, Release | None]:
    """The listed releases just older and just newer than this one."""
    # Compared as a pair, so the database can seek in the (public_from, id) index.
    position = tuple_(Release.public_from, Release.id)
    here = tuple_(literal(release.public_from, UTCDateTime()), literal(release.id))
    listed = Release.listed_filter(at)
    older = session.scalar(
        select(Release).where(listed, position < here).order_by(Release.public_from.desc(), Release.id.desc()).limit(1)
    )
    newer = session.scalar(
        select(Release).where(listed, position > here).order_by(Release.public_from.asc(), Release.id.asc()).limit(1)
    )
    return older, newer


def public_attachment(session: Session, slug: str, attachment_id: int, at: datetime) -> Attachment | None:
    """An attachment the public may download now: its release is public and not removed."""
    return session.scalar(
        select(Attachment)
        .join(Release)
        .where(Attachment.id == attachment_id, Release.slug == slug, Release.listed_filter(at))
    )


def latest_releases(session: Session, at: datetime, limit: int) -> list[Release]:
    return list(
        session.scalars(
            select(Release).where(Release.listed_filter(at)).order_by(Release.public_from.desc(), Release.id.desc()).limit(limit)
        )
    )


def sitemap_entries(session: Session, at: datetime):
    return session.execute(
        select(Release.slug, Release.updated_at, Release.public_from)
        .where(Release.listed_filter(at))
        .order_by(Release.public_from.desc())
    )
