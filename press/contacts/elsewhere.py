"""What the areas above contacts keep about a contact: contacts import none of them, so each says here how its
part is exported for a subject access request, erased with the contact, and listed on the contact's page."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy.orm import Session

from press.contacts.models import Contact


class Listed(NamedTuple):
    """One thing shown on the contact's page: its words, where it is, and a line about it."""

    text: str
    url: str
    note: str = ""


@dataclass(frozen=True, eq=False)
class Holding:
    name: str  # its key in the subject access export
    title: str  # its heading on the contact's page
    export: Callable[[Session, Contact], list[dict[str, Any]]]
    # Called while the contact still has their address, before their own record is blanked.
    erase: Callable[[Session, Contact], None]
    listed: Callable[[Session, Contact], list[Listed]]


_holdings: dict[str, Holding] = {}


def register(holding: Holding) -> Holding:
    """Make an area's data about contacts part of their export, their erasure and their page; once per name."""
    existing = _holdings.get(holding.name)
    if existing is not None and existing is not holding:
        raise ValueError(f"something called {holding.name!r} is registered already")
    _holdings[holding.name] = holding
    return holding


def holdings() -> tuple[Holding, ...]:
    return tuple(_holdings.values())
