"""Press releases: writing, importing, attaching files, finalising and withdrawing them."""

from flask import Flask


def init_app(app: Flask) -> None:
    from press.releases import views

    app.register_blueprint(views.bp)
