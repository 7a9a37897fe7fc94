"""The public newsroom: releases once their embargo lifts, their files, the feed and the sitemap."""

from flask import Flask


def init_app(app: Flask) -> None:
    from press.newsroom import views

    app.register_blueprint(views.bp)
