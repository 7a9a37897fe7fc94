"""Staff accounts: signing in and out, roles, and who may see which page."""

from flask import Flask


def init_app(app: Flask) -> None:
    from press.accounts import emails, password, sessions, twofactor_views, users, views  # noqa: F401 - routes, kinds of email

    app.register_blueprint(views.bp)
    app.register_blueprint(twofactor_views.bp)
