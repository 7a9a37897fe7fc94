"""Helpers that staff and public pages of every area share."""

from flask import request

from press.database import MAX_ID


def id_arg(name: str) -> int | None:
    """A row id from the query string; anything that cannot be one is ignored."""
    value = request.args.get(name, type=int)
    return value if value is not None and 0 < value <= MAX_ID else None


def id_args(name: str, most: int = 200) -> list[int]:
    """Row ids from a query string parameter given several times, at most ``most`` of them."""
    return [n for n in request.args.getlist(name, type=int) if 0 < n <= MAX_ID][:most]
