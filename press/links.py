"""Absolute links for emails, built from PRESS_BASE_URL, with or without a request."""

from urllib.parse import urlsplit

from flask import current_app


def absolute_url(endpoint: str, **values: object) -> str:
    """A full link to one of the app's pages, on the public address the deployment configured."""
    base = urlsplit(current_app.config["PRESS_BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "https")
    return adapter.build(endpoint, values, force_external=True)
