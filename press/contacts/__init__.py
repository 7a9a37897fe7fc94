"""Media contacts: the list, its lists, imports, and journalists' own signing up and unsubscribing."""

from flask import Flask


def init_app(app: Flask) -> None:
    # The view modules add their routes to the area's blueprints as they are imported.
    from press.contacts import blueprints, emails, import_views, list_views, public, views  # noqa: F401

    app.register_blueprint(blueprints.staff)
    app.register_blueprint(blueprints.public)
