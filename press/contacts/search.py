"""Finding contacts by any part of a word in their name, outlet or email, from an index on either database.

A word matches when it appears anywhere in one of the three, whatever its case. PostgreSQL answers that
ILIKE '%word%' from the trigram GIN indexes of migration 0005. SQLite has no index for it, so migration 0012
keeps an FTS5 table with the trigram tokenizer, contacts_search, in step with the contacts by triggers:
its MATCH finds the same substrings, case-blind, once they are three characters long. A shorter word
has no trigram to look up and is matched with LIKE, among the contacts the longer words have left.
"""

from sqlalchemy import Boolean, ColumnElement, FunctionElement, String, and_, literal, or_, text
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session

from press.contacts.models import Contact

MAX_WORDS = 10
# The trigram tokenizer indexes runs of three characters; a shorter phrase would match nothing.
SHORTEST_INDEXED = 3


class contains_words(FunctionElement[bool]):  # noqa: N801 - named as SQL functions are
    """Every word found in a contact's name, outlet or email: one FTS5 MATCH on SQLite, where the index
    knows them all at once, and elsewhere the LIKE conditions it is built with, which trigram indexes serve."""

    type = Boolean()
    inherit_cache = True
    name = "contains_words"
    # Already a true/false test: SQLite must not have "= 1" added after it.
    _is_implicitly_boolean = True


@compiles(contains_words)
def _each_word_like(element: contains_words, compiler, **kw) -> str:
    _contact_id, _phrases, each_word = list(element.clauses)
    # In brackets: the words' ORs must not run into the ANDs of the WHERE clause around them.
    return f"({compiler.process(each_word, **kw)})"


@compiles(contains_words, "sqlite")
def _fts_match(element: contains_words, compiler, **kw) -> str:
    contact_id, phrases, _each_word = list(element.clauses)
    return (f"({compiler.process(contact_id, **kw)} IN "
            f"(SELECT rowid FROM contacts_search WHERE contacts_search MATCH {compiler.process(phrases, **kw)}))")


def search_words(q: str) -> list[str]:
    """The words of a search, at most ten; a NUL, which no stored text can hold, separates words."""
    return q.replace("\x00", " ").split()[:MAX_WORDS]


def word_anywhere(word: str) -> ColumnElement[bool]:
    """The word anywhere in the name, outlet or email, without regard to case, with % and _ taken literally."""
    return or_(
        Contact.name.icontains(word, autoescape=True),
        Contact.outlet.icontains(word, autoescape=True),
        Contact.email.icontains(word, autoescape=True),
    )


def fts_phrases(words: list[str]) -> str:
    """An FTS5 query that needs every word, each a quoted string so that no character in it is an operator."""
    return " ".join('"' + word.replace('"', '""') + '"' for word in words)


def matching(q: str) -> list[ColumnElement[bool]]:
    """The WHERE terms for a search: each word must match somewhere in a contact's name, outlet or email."""
    words = search_words(q)
    indexed = [word for word in words if len(word) >= SHORTEST_INDEXED]
    terms: list[ColumnElement[bool]] = []
    if indexed:
        terms.append(contains_words(Contact.id, literal(fts_phrases(indexed), String()),
                                    and_(*(word_anywhere(word) for word in indexed))))
    terms.extend(word_anywhere(word) for word in words if len(word) < SHORTEST_INDEXED)
    return terms


def forget_erased(session: Session) -> None:
    """Rewrite SQLite's search index so that erased names and addresses leave nothing in its pages.

    FTS5 removes a changed row's old words by writing a deletion marker beside them; the words themselves stay
    in the index until its segments are merged. Merging them all now (FTS5's "optimize") drops them at once.
    """
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("INSERT INTO contacts_search(contacts_search) VALUES ('optimize')"))
