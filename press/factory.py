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

    from press import accounts, contacts, database, distribution, enquiries, newsroom, releases, security, templating
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
    for area in (accounts, releases, newsroom, contacts, distribution, enquiries):
        area.init_app(app)
    caught.init_app(app, guard=editor_required)
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
