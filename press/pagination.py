"""Numbered pages over a query, for lists that people page through."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

# Further than anyone pages by hand; a larger number would only make the database skip rows.
MAX_PAGE = 100_000


@dataclass(frozen=True)
class Page:
    items: list[Any]
    number: int
    pages: int
    total: int


@dataclass(frozen=True)
class OpenPage:
    """One page of a list whose length is never counted: it knows only whether more follow."""

    items: list[Any]
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1


def paginate(session: Session, query: Select, *, page: int, per_page: int) -> Page:
    """Count the query's rows and fetch one page of them; out-of-range page numbers are clamped."""
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    pages = max(1, -(-total // per_page))
    number = min(max(page, 1), pages)
    items = session.scalars(query.limit(per_page).offset((number - 1) * per_page)).all()
    return Page(list(items), number, pages, total)


def paginate_open(session: Session, query: Select, *, page: int, per_page: int) -> OpenPage | None:
    """Fetch one page and one row more, to know whether a next page exists; None for a page past the end.

    The work depends on the page number, not on how long the list is: nothing counts the rows.
    """
    if not 1 <= page <= MAX_PAGE:
        return None
    rows = list(session.scalars(query.limit(per_page + 1).offset((page - 1) * per_page)))
    if not rows and page > 1:
        return None
    return OpenPage(rows[:per_page], page, len(rows) > per_page)
