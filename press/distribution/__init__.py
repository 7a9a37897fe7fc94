"""Sending releases to media lists: choosing who, previewing, scheduling, reports, and early access."""

from flask import Flask


def init_app(app: Flask) -> None:
    # The view modules add their routes to the area's blueprints as they are imported.
    from press.distribution import (  # noqa: F401
        blueprints, breach_views, early, emails, lifting, reports, tiers, views,
    )

    app.register_blueprint(blueprints.staff)
    app.register_blueprint(blueprints.public)
