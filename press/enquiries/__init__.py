"""Media enquiries: the journalists' form, the log staff work them from, and how the office is doing."""

from flask import Flask


def init_app(app: Flask) -> None:
    # The view modules add their routes to the area's blueprints as they are imported.
    from press.enquiries import (  # noqa: F401
        actions, blueprints, contact_data, dashboard, emails, foi_views, log, public, reply_views, views,
    )

    app.register_blueprint(blueprints.staff)
    app.register_blueprint(blueprints.public)
    app.register_blueprint(foi_views.settings)
