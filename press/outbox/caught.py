"""Pages that show what the local mail catcher caught, as each recipient would see it.

For managers and admins only: the messages hold each journalist's own links (early access, unsubscribe,
signup confirmation), and opening one counts as that journalist's doing. The outbox knows no roles, so
the factory gives init_app the accounts area's check to put in front of every page.
"""

from collections.abc import Callable

from flask import Blueprint, Flask, Response, abort, current_app, render_template

from press.outbox.mailbox import list_messages, message_parts, read_message

# The message's own HTML runs in a sandbox with nothing it can load or run.
HTML_PREVIEW_POLICY = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'"


def catcher_directory() -> str:
    directory = current_app.config["PRESS_MAIL_CATCHER_DIR"]
    if not directory:
        abort(404)
    return directory


def caught_or_404(message_id: str):
    message = read_message(catcher_directory(), message_id)
    if message is None:
        abort(404)
    return message


def index():
    return render_template("outbox/caught_index.html", messages=list_messages(catcher_directory()))


def show(message_id: str):
    message = caught_or_404(message_id)
    text, html, attachments = message_parts(message)
    return render_template("outbox/caught_show.html", message=message, message_id=message_id, text=text,
                           has_html=html is not None, attachments=attachments)


def html(message_id: str):
    _text, body, _attachments = message_parts(caught_or_404(message_id))
    if body is None:
        abort(404)
    response = Response(body, mimetype="text/html")
    response.headers["Content-Security-Policy"] = HTML_PREVIEW_POLICY
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


def init_app(app: Flask, *, guard: Callable[[Callable], Callable]) -> None:
    """Register the caught-mail pages under /staff/mail/, each behind ``guard`` (a view decorator)."""
    bp = Blueprint("caught_mail", __name__, url_prefix="/staff/mail")
    bp.add_url_rule("/", "index", guard(index))
    bp.add_url_rule("/<message_id>", "show", guard(show))
    bp.add_url_rule("/<message_id>/html", "html", guard(html))
    app.register_blueprint(bp)
