"""Early access: each recipient's own link to the release and its files before the embargo lifts."""

from flask import Blueprint, abort, current_app, redirect, render_template, send_file, url_for

from press import clock
from press.distribution.models import AccessView, Delivery
from press.distribution.services import delivery_for_access
from press.extensions import db
from press.releases import files
from press.releases.models import Release, Status

bp = Blueprint("early_access", __name__, url_prefix="/early")


def release_for(token: str) -> tuple[Delivery, Release]:
    """The recipient's delivery and its release; a forged, revoked or withdrawn one is simply not found."""
    delivery = delivery_for_access(db.session, token, current_app.config["SECRET_KEY"])
    if delivery is None:
        abort(404)
    release = delivery.distribution.release
    if release.status != Status.FINAL:
        abort(404)
    return delivery, release


def no_store(response):
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


@bp.get("/<token>")
def show(token: str):
    delivery, release = release_for(token)
    now = clock.now()
    if release.is_public(now):
        return redirect(url_for("newsroom.release", slug=release.slug))
    db.session.add(AccessView(delivery_id=delivery.id, at=now, what="page"))
    db.session.commit()
    page = render_template("newsroom/release.html", release=release, preview=False, early_token=token, now=now)
    return no_store(current_app.make_response(page))


@bp.get("/<token>/files/<int:attachment_id>/<filename>")
def attachment(token: str, attachment_id: int, filename: str):
    delivery, release = release_for(token)
    now = clock.now()
    item = next((a for a in release.attachments if a.id == attachment_id and a.filename == filename), None)
    if item is None:
        abort(404)
    if release.is_public(now):
        return redirect(url_for("newsroom.attachment", slug=release.slug, attachment_id=item.id, filename=item.filename))
    db.session.add(AccessView(delivery_id=delivery.id, at=now, what=item.filename))
    db.session.commit()
    return no_store(send_file(files.path_of(current_app.config["PRESS_UPLOAD_DIR"], item.stored_name),
                              mimetype=item.content_type, download_name=item.filename, as_attachment=True))
