"""The rate limits that pages share, read from the settings when a request is checked (never at import)."""

from flask import current_app


def public_limit() -> str:
    """Per address, on every public form and link that writes something."""
    return current_app.config["PRESS_PUBLIC_FORM_RATE_LIMIT"]
