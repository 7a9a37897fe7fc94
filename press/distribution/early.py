"""Early access: each recipient's own link to the release and its files before the embargo lifts."""

from flask import abort, current_app, redirect, render_template, send_file, url_for

from press import clock
from press.distribution import queries
from press.distribution.access import delivery_for_access, record_access
from press.extensions import db, limiter
from press.limits import public_limit
from press.outbox.models import Delivery
from press.releases import files
from press.releases.models import Release, Status
from press.distribution.blueprints import public as bp



# Per address, over the page and its files together, like every other public link.
limiter.shared_limit(public_limit, scope="early-access")(bp)


def release_for(token: str) -> tuple[Delivery, Release]:
    """The recipient's delivery and its release; a link that does not or no longer works is simply not found."""
    delivery = delivery_for_access(db.session, token)
    if delivery is None:
        abort(404)
    release = queries.release_of_distribution(db.session, delivery.distribution_id)
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
    record_access(db.session, delivery, "page", now)
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
    record_access(db.session, delivery, item.filename, now)
    db.session.commit()
    return no_store(send_file(files.path_of(current_app.config["PRESS_UPLOAD_DIR"], item.stored_name),
                              mimetype=item.content_type, download_name=item.filename, as_attachment=True))
