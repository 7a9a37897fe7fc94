"""Media enquiries: the journalists' form, the log staff work them from, and how the office is doing."""

from flask import Flask


def init_app(app: Flask) -> None:
    # The view modules add their routes to the area's blueprints as they are imported.
    from press.enquiries import actions, blueprints, dashboard, emails, log, public, views  # noqa: F401

    app.register_blueprint(blueprints.staff)
    app.register_blueprint(blueprints.public)
