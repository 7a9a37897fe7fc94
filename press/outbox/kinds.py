"""Kinds of email. The outbox knows no area: each area's emails.py declares its kinds and registers them.

A kind says how to build its message, which keys its payload carries, whether a recipient's suppression
stops it, and optionally whether the message is still wanted, whether what it was built from is still
current, and what to do when deliveries of it are missed. Services enqueue by the kind object, never by
a bare string; the row keeps the kind's name.

Just before DATA the worker reads the claim again in one statement (leases.still_held). A kind that needs
something read there contributes columns and the joins that reach them (Reads), rather than a query of
its own; so does the suppression check, which the contacts area registers, and whatever an area wants
loaded with each chunk of deliveries (Loaded: the contact, whose name goes in the To line).
"""

from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from sqlalchemy import ColumnElement, Row
from sqlalchemy.orm import Session

from press.outbox.models import Delivery


@dataclass(frozen=True, eq=False)
class Reads:
    """Columns to read with the claim just before DATA, and the outer joins from deliveries that reach them."""

    columns: tuple[ColumnElement[Any], ...]
    joins: tuple[tuple[Any, ColumnElement[bool]], ...] = ()


@dataclass(frozen=True, eq=False)
class Kind:
    name: str
    render: Callable[[Delivery], EmailMessage]
    payload: tuple[str, ...] = ()  # the keys of the payload, no more and no fewer
    # Mailings stop for anyone who unsubscribed or bounced; replies to a person's own request do not.
    suppressible: bool = False
    # Why the message is no longer wanted at all (its distribution was cancelled), or None.
    unwanted: Callable[[Row, Delivery], str | None] | None = None
    # Whether what the message was built from is still current; if not it is built again before DATA.
    current: Callable[[Row, Delivery], bool] | None = None
    # Told the ids of deliveries of this kind whose stop-sending time passed before they were ever tried.
    missed: Callable[[Session, list[int]], None] | None = None
    reads: Reads | None = None

    def payload_of(self, **values: Any) -> dict[str, Any]:
        """The payload of a delivery of this kind; the keys must be the kind's own."""
        if set(values) != set(self.payload):
            raise ValueError(f"a {self.name} email's payload has {sorted(self.payload)}, not {sorted(values)}")
        return values


@dataclass(frozen=True, eq=False)
class Suppression:
    """How to tell, from the read just before DATA, that a recipient no longer wants mailings."""

    reads: Reads
    suppressed: Callable[[Row], bool]


@dataclass(frozen=True, eq=False)
class Loaded:
    """Something an area's messages are built from, loaded with each chunk of deliveries in the same query."""

    entity: Any
    onclause: ColumnElement[bool]


KINDS: dict[str, Kind] = {}
_suppression: list[Suppression] = []
_loaded: list[Loaded] = []


def register(kind: Kind) -> Kind:
    """Make a kind known to the worker; a name is registered once."""
    existing = KINDS.get(kind.name)
    if existing is not None and existing is not kind:
        raise ValueError(f"a kind of email called {kind.name!r} is registered already")
    KINDS[kind.name] = kind
    return kind


def register_suppression(suppression: Suppression) -> Suppression:
    """Say how suppression is read; there is one way, for every suppressible kind."""
    _suppression[:] = [suppression]
    return suppression


def register_loaded(loaded: Loaded) -> Loaded:
    """Have the worker load this, outer-joined, with every chunk of deliveries it is about to build."""
    if all(loaded is not seen for seen in _loaded):
        _loaded.append(loaded)
    return loaded


def named(name: str) -> Kind | None:
    return KINDS.get(name)


def suppression() -> Suppression | None:
    return _suppression[0] if _suppression else None


def all_reads() -> tuple[Reads, ...]:
    """What the read before DATA must include for every kind registered, each contribution once."""
    found: list[Reads] = []
    for reads in [s.reads for s in _suppression] + [kind.reads for kind in KINDS.values() if kind.reads]:
        if all(reads is not seen for seen in found):
            found.append(reads)
    return tuple(found)


def all_loaded() -> tuple[Loaded, ...]:
    return tuple(_loaded)
