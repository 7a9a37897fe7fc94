"""Building the app: config, extensions, blueprints, CLI and error pages."""

import sys
from pathlib import Path
from typing import Any

import click
from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from press.config import load_config
from press.extensions import db, mail

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
    from press.extensions import csrf, limiter, login_manager

    # As in Flask's tutorial: the default SQLite file and uploads live in the instance folder.
    Path(app.instance_path).mkdir(exist_ok=True)

    db.init_app(app)
    init_migrations(app)
    mail.init_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)

    from press import (
        accounts, audit_views, bounces, contacts, database, distribution, enquiries, newsroom, releases, security,
        templating,
    )
    from press.accounts.access import editor_required
    from press.cli import press_cli
    from press.outbox import caught

    app.url_map.converters["int"] = database.IdConverter
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        with app.app_context():
            database.listen_sqlite(db.engine)
    security.init_app(app)
    templating.init_app(app)
    # Each area registers its own blueprints; the order is the order of the staff navigation.
    for area in (accounts, releases, newsroom, contacts, distribution, bounces, enquiries):
        area.init_app(app)
    caught.init_app(app, guard=editor_required)
    audit_views.init_app(app)
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


# The pages the emails link to, as the views route them (tests/test_factory.py checks that they agree): the
# worker's app builds these links without loading the views, their forms and the web's extensions.
EMAIL_LINKS = {
    "newsroom.release": "/releases/<slug>",
    "newsroom.attachment": "/releases/<slug>/files/<int:attachment_id>/<filename>",
    "contacts_public.unsubscribe_page": "/unsubscribe/<token>",
    "contacts_public.confirm": "/get-releases/confirm/<token>",
    "early_access.show": "/early/<token>",
    "distribution.report": "/staff/distributions/<int:distribution_id>",
    "enquiries.show": "/staff/enquiries/<int:enquiry_id>",
    "accounts.set_password": "/staff/password/set/<token>",
}


def create_worker_app(test_config: dict[str, Any] | None = None) -> Flask:
    """The app as the outbox worker needs it: the same settings, the database, mail, the email templates, the
    kinds of email and the links they carry; no views, forms, sign-in or rate limits.

    Each process of `flask press worker --processes N` builds this one, in a fraction of the full app's
    time and memory.
    """
    app = Flask(
        __name__,
        instance_path=str(ROOT / "instance"),
        template_folder=str(ROOT / "templates"),
        static_folder=None,
    )
    load_config(app, test_config)
    db.init_app(app)
    mail.init_app(app)

    from werkzeug.routing import Rule

    from press import database, templating
    # Each area's kinds of email, registered as the modules are imported.
    from press.accounts import emails as _account_emails  # noqa: F401
    from press.accounts import twofactor_emails as _two_factor_emails  # noqa: F401
    from press.contacts import emails as _contact_emails  # noqa: F401
    from press.distribution import emails as _distribution_emails  # noqa: F401
    from press.enquiries import emails as _enquiry_emails  # noqa: F401

    app.url_map.converters["int"] = database.IdConverter
    for endpoint, rule in EMAIL_LINKS.items():
        app.url_map.add(Rule(rule, endpoint=endpoint))
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        with app.app_context():
            database.listen_sqlite(db.engine)
    templating.init_app(app)
    return app
