"""Extension objects, created without an app and bound in create_app()."""

import flask_login
from flask import current_app, request, session
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_mail import Mail
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
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
csrf = CSRFProtect()


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


login_manager = LoginManager()
limiter = Limiter(key_func=get_remote_address)
