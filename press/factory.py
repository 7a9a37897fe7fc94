"""Building the app: config, extensions, blueprints, CLI and error pages."""

import sys
from pathlib import Path
from typing import Any

import click
from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from press.config import load_config
from press.extensions import csrf, db, limiter, login_manager, mail

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the press office app: config, extensions, blueprints, CLI and error pages."""
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    load_config(app, test_config)
    # As in Flask's tutorial: the default SQLite file and uploads live in the instance folder.
    Path(app.instance_path).mkdir(exist_ok=True)

    db.init_app(app)
    init_migrations(app)
    mail.init_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)

    from press import database, security, templating
    from press.accounts import views as accounts
    from press.contacts import public as contacts_public
    from press.contacts import import_views as contact_imports
    from press.contacts import list_views as contact_lists
    from press.contacts import views as contacts
    from press.distribution import caught as caught_mail
    from press.distribution import early as early_access
    from press.distribution import reports as deliveries
    from press.distribution import views as distribution
    from press.enquiries import actions as enquiry_actions
    from press.enquiries import dashboard as enquiry_dashboard
    from press.enquiries import log as enquiry_log
    from press.enquiries import public as enquiries_public
    from press.enquiries import views as enquiries
    from press.newsroom import views as newsroom
    from press.releases import views as releases
    from press.cli import press_cli

    app.url_map.converters["int"] = database.IdConverter
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        with app.app_context():
            database.listen_sqlite(db.engine)
    security.init_app(app)
    templating.init_app(app)
    app.register_blueprint(accounts.bp)
    app.register_blueprint(releases.bp)
    app.register_blueprint(newsroom.bp)
    app.register_blueprint(contacts.bp)
    app.register_blueprint(contact_lists.bp)
    app.register_blueprint(contact_imports.bp)
    app.register_blueprint(contacts_public.bp)
    app.register_blueprint(caught_mail.bp)
    app.register_blueprint(early_access.bp)
    app.register_blueprint(distribution.bp)
    app.register_blueprint(deliveries.bp)
    app.register_blueprint(enquiries_public.bp)
    app.register_blueprint(enquiry_log.bp)
    app.register_blueprint(enquiry_dashboard.bp)
    app.register_blueprint(enquiries.bp)
    app.register_blueprint(enquiry_actions.bp)
    app.cli.add_command(press_cli)

    proxies = app.config["PRESS_TRUSTED_PROXIES"]
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    return app


def init_migrations(app: Flask) -> None:
    """Set up Flask-Migrate, for `flask db ...` and flask_migrate.upgrade(), where they can be used.

    Flask-Migrate brings Alembic, about 9 MB in every process that loads it, so it is set up only when
    the flask command builds the app (for `flask db`) or where flask_migrate is already imported (tests
    and benchmarks that call upgrade()). Web and worker processes never load it.
    """
    if click.get_current_context(silent=True) is not None or "flask_migrate" in sys.modules:
        from flask_migrate import Migrate

        Migrate(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
