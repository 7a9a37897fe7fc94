"""The public newsroom: releases, their downloads, the feed and the sitemap."""

from flask import Blueprint, Response, abort, current_app, render_template, request, send_file
from sqlalchemy import text

from press import clock
from press.contacts.signups import signup_list
from press.extensions import db
from press.newsroom import queries
from press.releases import files

bp = Blueprint("newsroom", __name__)


@bp.get("/")
def index():
    q = request.args.get("q", "", type=str)[:200].strip()
    now = clock.now()
    page = queries.listed_releases(
        db.session, now, page=request.args.get("page", 1, type=int),
        per_page=current_app.config["PRESS_RELEASES_PER_PAGE"], q=q,
    )
    if page is None:
        abort(404)
    found = queries.count_matches(db.session, now, q) if q else None
    # The promise of releases by email is made only while a list takes the sign-ups.
    signups_open = signup_list(db.session) is not None
    return render_template("newsroom/index.html", page=page, q=q, found=found, signups_open=signups_open)


@bp.get("/releases/<slug>")
def release(slug: str):
    now = clock.now()
    item = queries.public_release(db.session, slug, now)
    if item is None:
        abort(404)
    older, newer = (None, None) if item.is_removed else queries.neighbours(db.session, item, now)
    return render_template("newsroom/release.html", release=item, older=older, newer=newer, preview=False, now=now)


@bp.get("/releases/<slug>/files/<int:attachment_id>/<filename>")
def attachment(slug: str, attachment_id: int, filename: str):
    item = queries.public_attachment(db.session, slug, attachment_id, clock.now())
    if item is None or item.filename != filename:
        abort(404)
    return send_file(
        files.path_of(current_app.config["PRESS_UPLOAD_DIR"], item.stored_name),
        mimetype=item.content_type, download_name=item.filename, as_attachment=True,
    )


@bp.get("/feed.atom")
def feed():
    now = clock.now()
    releases = queries.latest_releases(db.session, now, limit=30)
    body = render_template("newsroom/feed.atom.xml", releases=releases, now=now)
    return Response(body, mimetype="application/atom+xml")


@bp.get("/sitemap.xml")
def sitemap():
    entries = queries.sitemap_entries(db.session, clock.now())
    return Response(render_template("newsroom/sitemap.xml", entries=entries), mimetype="application/xml")


@bp.get("/robots.txt")
def robots():
    base = current_app.config["PRESS_BASE_URL"].rstrip("/")
    return Response(f"User-agent: *\nDisallow: /staff/\nSitemap: {base}/sitemap.xml\n", mimetype="text/plain")


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any database failure means unhealthy
        db.session.rollback()
        return {"status": "error", "database": "unreachable"}, 503
    return {"status": "ok", "database": "ok"}
