"""Response headers and error pages that every response gets, errors included."""

from flask import Flask, Response, abort, current_app, g, make_response, render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from press import database_errors
from press.database import unavailable
from press.extensions import db

# A database restart or a failover takes seconds to a minute; browsers and crawlers may come back after this.
RETRY_AFTER_SECONDS = 30

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def refuse_nul_in_address() -> None:
    """Answer 400 to an address with a NUL byte: no page has one, and databases refuse it."""
    if "\x00" in request.path or "%00" in request.query_string.decode("latin-1"):
        abort(400)


def add_security_headers(response: Response) -> Response:
    """Set the headers that keep pages out of frames, sniffers and other sites' referrers."""
    headers = response.headers
    # A view may set a stricter policy of its own (a sandboxed email preview); every other page gets ours.
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Frame-Options", "DENY")
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), interest-cohort=()"
    if request.is_secure:
        headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
    # Staff pages can show embargoed text: no browser or proxy may keep a copy.
    if request.path.startswith("/staff") or current_user.is_authenticated:
        headers["Cache-Control"] = "no-store"
        headers.pop("Expires", None)
        headers.pop("Last-Modified", None)
        headers.pop("ETag", None)
    return response


def discard_session() -> None:
    """Roll back the request's work; on a connection that died even the rollback can fail, so drop it then."""
    try:
        db.session.rollback()
    except SQLAlchemyError:
        db.session.invalidate()


def stand_down_database(error: BaseException) -> None:
    """Note the outage, and let the rest of the request, its error page included, run without the database."""
    current_app.logger.warning("Database unavailable on %s [%s]: %s", request.path, request.method,
                               database_errors.why_unavailable(error))
    discard_session()
    if "_login_user" not in g:
        # Flask-Login loads the visitor from the database on first use of current_user (the security
        # headers use it); a visitor not yet loaded is served as anonymous rather than asked for again.
        g._login_user = current_app.login_manager.anonymous_user()


def unavailable_response(body: str) -> Response:
    """A 503 that says when to come back, and that no cache keeps."""
    response = make_response(body, 503)
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response.headers["Cache-Control"] = "no-store"
    return response


def handle_database_error(error: SQLAlchemyError) -> Response:
    """A database that cannot be reached or is overloaded answers 503 on every page; any other error is a fault."""
    if not unavailable(error):
        # A fault in the code or the data: Flask logs it and answers 500, as for any other exception.
        raise error
    stand_down_database(error)
    return unavailable_response(render_template("errors/unavailable.html"))


def handle_http_error(error: HTTPException) -> tuple[str, int] | HTTPException | Response:
    """Show our own page for every error, unhandled exceptions (as 500) included."""
    if error.code is None or error.code < 400:
        return error
    original = getattr(error, "original_exception", None)
    if unavailable(original):
        # The database failed where no handler of ours could catch it (while a page's headers were set).
        stand_down_database(original)
        return unavailable_response(render_template("errors/unavailable.html"))
    discard_session()
    if error.response is not None:
        # The view already made its own answer (a form kept with a rate-limit message).
        return error.response
    return render_template("errors/error.html", error=error), error.code


def handle_csrf_error(error: CSRFError) -> tuple[str, int]:
    """Explain an expired or missing form token without losing the visitor."""
    discard_session()
    return render_template("errors/csrf.html", error=error), 400


def init_app(app: Flask) -> None:
    """Register the headers and error handlers on the app."""
    app.before_request(refuse_nul_in_address)
    app.after_request(add_security_headers)
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(DBAPIError, handle_database_error)
    app.register_error_handler(PoolTimeout, handle_database_error)
    # Flask logs every unhandled exception with its traceback; database errors there are told without values.
    if not any(isinstance(f, database_errors.HideDatabaseValues) for f in app.logger.filters):
        app.logger.addFilter(database_errors.HideDatabaseValues())
