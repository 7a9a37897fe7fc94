"""Press releases: writing, importing, attaching files, finalising and withdrawing them."""

from flask import Flask


def init_app(app: Flask) -> None:
    from press.extensions import db
    from press.releases import approval_views as _approval_views  # noqa: F401 - its routes join views.bp
    from press.releases import checklist_views as _checklist_views  # noqa: F401 - so do these
    from press.releases import election_views, versions, views

    app.register_blueprint(views.bp)
    app.register_blueprint(election_views.bp)
    app.register_blueprint(election_views.settings)
    # The public page lists the changes made since the release became public, and nothing from before.
    app.add_template_global(lambda release, at: versions.public_changes(db.session, release, at), "public_changes")
