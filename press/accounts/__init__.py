"""Staff accounts: signing in and out, roles, and who may see which page."""

from flask import Flask


def init_app(app: Flask) -> None:
    from press.accounts import views

    app.register_blueprint(views.bp)
