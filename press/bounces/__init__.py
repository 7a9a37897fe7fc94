"""Bounces: reading what comes back to the signed bounce addresses, and what it does to deliveries and contacts."""

from flask import Flask


def init_app(app: Flask) -> None:
    from press.bounces import models, views  # noqa: F401 - the area's tables and its page

    app.register_blueprint(views.bp)
