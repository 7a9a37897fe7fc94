"""Signed values in links: one Token per purpose, each with a salt of its own, signed with the app's key.

A value read back is the value made, or None for a forged, altered, expired or foreign token alike, so
callers never tell one failure from another to whoever holds the link.
"""

from typing import Any

from flask import current_app
from itsdangerous import BadData, URLSafeSerializer, URLSafeTimedSerializer


class Token:
    """Links for one purpose; ``timed`` ones carry when they were made, so they can be refused when old."""

    def __init__(self, purpose: str, *, timed: bool = False) -> None:
        self.salt = f"press.{purpose}"
        self.timed = timed

    def _serializer(self) -> URLSafeSerializer:
        kind = URLSafeTimedSerializer if self.timed else URLSafeSerializer
        return kind(current_app.config["SECRET_KEY"], salt=self.salt)

    def make(self, value: Any) -> str:
        return self._serializer().dumps(value)

    def read(self, token: str, *, max_age: int | None = None) -> Any | None:
        """The value signed into ``token``, or None; a timed token older than ``max_age`` seconds is None too."""
        try:
            if self.timed:
                return self._serializer().loads(token, max_age=max_age)
            return self._serializer().loads(token)
        except BadData:
            return None
