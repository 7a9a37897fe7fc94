"""Response headers and error pages that every response gets, errors included."""

from flask import Flask, Response, abort, render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from press.extensions import db

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


def handle_http_error(error: HTTPException) -> tuple[str, int] | HTTPException | Response:
    """Show our own page for every error, unhandled exceptions (as 500) included."""
    if error.code is None or error.code < 400:
        return error
    db.session.rollback()
    if error.response is not None:
        # The view already made its own answer (a form kept with a rate-limit message).
        return error.response
    return render_template("errors/error.html", error=error), error.code


def handle_csrf_error(error: CSRFError) -> tuple[str, int]:
    """Explain an expired or missing form token without losing the visitor."""
    db.session.rollback()
    return render_template("errors/csrf.html", error=error), 400


def init_app(app: Flask) -> None:
    """Register the headers and error handlers on the app."""
    app.before_request(refuse_nul_in_address)
    app.after_request(add_security_headers)
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_error)
