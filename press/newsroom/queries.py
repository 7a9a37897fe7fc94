"""What the public may see, asked of the database with the clock's current time."""

import re
from datetime import datetime

from sqlalchemy import and_, column, false, func, literal, or_, select, table, tuple_
from sqlalchemy.orm import Session, defer, joinedload

from press.database import UTCDateTime
from press.pagination import OpenPage, paginate_open
from press.releases.models import Attachment, Release

MAX_WORDS = 10
LONG_FIELDS = (
    Release.body, Release.notes_to_editors, Release.helpline, Release.body_html, Release.helpline_html,
    Release.notes_html, Release.withdrawal_reason,
)
# Letters and digits: all a search word is made of once its punctuation is dropped.
WORD_PARTS = re.compile(r"[^\W_]+")
# The FTS5 index of migration 0013 (SQLite only): its rowid is the release's id.
releases_search = table("releases_search", column("rowid"), column("releases_search"))


def fts5_query(q: str) -> str:
    """An FTS5 query in which every word of the search is a quoted prefix phrase, so no input is FTS5 syntax.

    "1,240" becomes the phrase "1 240", and the last part of each word may begin a longer word.
    Empty when the search has no letters or digits.
    """
    phrases = []
    for word in q.split()[:MAX_WORDS]:
        parts = WORD_PARTS.findall(word)
        if parts:
            phrases.append('"' + " ".join(parts) + '"*')
    return " AND ".join(phrases)


def search_condition(session: Session, q: str):
    """Every word of the search must appear in the headline, standfirst or body.

    SQLite looks words up in its FTS5 index, matching whole words and the beginnings of words.
    PostgreSQL matches any part of a word (ILIKE), which its trigram indexes serve.
    """
    if session.get_bind().dialect.name == "sqlite":
        match = fts5_query(q)
        if not match:
            return false()
        return Release.id.in_(select(releases_search.c.rowid).where(releases_search.c.releases_search.match(match)))
    columns = (Release.headline, Release.standfirst, Release.body)
    return and_(
        *(or_(*(column.icontains(word, autoescape=True) for column in columns)) for word in q.split()[:MAX_WORDS])
    )


def listed_releases(session: Session, at: datetime, *, page: int, per_page: int, q: str = "") -> OpenPage | None:
    """One page of public releases, newest first, optionally narrowed by a search; None past the last page."""
    condition = Release.listed_filter(at)
    if q.strip():
        condition = and_(condition, search_condition(session, q))
    # The page is found by id alone, which the public-list index answers without reading a row
    # (however deep the page); then only the rows shown are read.
    ids = select(Release.id).where(condition).order_by(Release.public_from.desc(), Release.id.desc())
    found = paginate_open(session, ids, page=page, per_page=per_page)
    if found is None or not found.items:
        return found
    rows = session.scalars(
        select(Release)
        .where(Release.id.in_(found.items))
        # A list shows the headline and summary: the long texts stay in the database.
        .options(*(defer(field, raiseload=True) for field in LONG_FIELDS))
    )
    by_id = {release.id: release for release in rows}
    return OpenPage([by_id[release_id] for release_id in found.items], found.number, found.has_next)


def count_matches(session: Session, at: datetime, q: str) -> int:
    """How many public releases a search finds: as many rows as it matches, not the whole archive."""
    condition = and_(Release.listed_filter(at), search_condition(session, q))
    return session.scalar(select(func.count()).select_from(Release).where(condition)) or 0


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
    """The newest public releases with what a feed shows: the body's HTML and the summary."""
    unshown = (field for field in LONG_FIELDS if field not in (Release.body_html,))
    return list(
        session.scalars(
            select(Release)
            .where(Release.listed_filter(at))
            .order_by(Release.public_from.desc(), Release.id.desc())
            .limit(limit)
            .options(*(defer(field, raiseload=True) for field in unshown))
        )
    )


def sitemap_entries(session: Session, at: datetime):
    return session.execute(
        select(Release.slug, Release.updated_at, Release.public_from)
        .where(Release.listed_filter(at))
        .order_by(Release.public_from.desc())
    )
