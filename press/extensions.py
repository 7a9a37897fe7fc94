"""Extension objects, created without an app and bound in create_app().

The database and mail are all the worker needs. The web's own extensions (CSRF, sign-in, rate limits)
are made the first time something asks for them, so a worker process never imports them.
"""

import logging
import os
from typing import Any
from urllib.parse import urlsplit

from flask import current_app, has_app_context
from flask_mail import Mail
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Named constraints keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
mail = Mail()


def make_login_manager() -> Any:
    import flask_login
    from flask import request, session

    class LoginManager(flask_login.LoginManager):
        """Flask-Login's, with session protection kept for sessions that can sign someone in.

        "Strong" protection empties a session whose browser no longer matches the one that signed in. An
        anonymous visitor's session holds only a form token: there is nothing to guard, and emptying it
        anyway rewrote their cookie on every staff page they opened.
        """

        def _session_protection_failed(self) -> bool:
            remember = current_app.config.get("REMEMBER_COOKIE_NAME", flask_login.COOKIE_NAME)
            if "_user_id" not in session and remember not in request.cookies:
                return False
            return super()._session_protection_failed()

    return LoginManager()


class LimiterLog(logging.LoggerAdapter):
    """Flask-Limiter's logger, with its two notes about its storage put in plain words in the app's log.

    Flask-Limiter notes when its storage (Redis) cannot be reached and it counts in memory instead, and,
    at an info level no default log shows, when the storage answers again. Each process makes each note
    once an outage, so both go out as warnings naming the storage and the process; other notes pass on.
    """

    FELL_BACK = "Rate limit storage unreachable - falling back to in-memory storage"
    RECOVERED = "Rate limit storage recovered"

    def log(self, level: int, msg: object, *args: Any, **kwargs: Any) -> None:
        if msg not in (self.FELL_BACK, self.RECOVERED) or not has_app_context():
            super().log(level, msg, *args, **kwargs)
        elif msg == self.FELL_BACK:
            current_app.logger.warning(
                "Rate limits: %s cannot be reached, so process %d counts requests in its own memory "
                "(each process keeps the limits on its own) until it is back.", storage_address(), os.getpid())
        else:
            current_app.logger.warning(
                "Rate limits: %s is back, and process %d counts requests there again.", storage_address(), os.getpid())


def storage_address() -> str:
    """The rate-limit storage's scheme and host, without any password in its URI."""
    parts = urlsplit(current_app.config["RATELIMIT_STORAGE_URI"])
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2] or parts.path}"


def make_limiter() -> Any:
    from flask_limiter import Limiter
    from flask_limiter.util import get_remote_address

    limiter = Limiter(key_func=get_remote_address)
    limiter.logger = LimiterLog(limiter.logger)
    return limiter


def make_csrf() -> Any:
    from flask_wtf import CSRFProtect

    return CSRFProtect()


LAZY = {"csrf": make_csrf, "limiter": make_limiter, "login_manager": make_login_manager}


def __getattr__(name: str) -> Any:
    """csrf, limiter and login_manager: made once, on first use (see the module's docstring)."""
    if name not in LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    made = globals()[name] = LAZY[name]()
    return made
