"""Staff accounts: signing in and out, roles, and who may see which page."""

from flask import Flask


def init_app(app: Flask) -> None:
    from press.accounts import (  # noqa: F401 - routes, kinds of email
        emails, password, sessions, settings, twofactor_views, users, views,
    )

    app.register_blueprint(views.bp)
    app.register_blueprint(twofactor_views.bp)
