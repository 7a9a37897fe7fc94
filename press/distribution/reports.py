"""Staff pages that follow a distribution: the delivery report, its progress, actions and CSV export."""

from collections.abc import Iterator

from flask import (
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import Row, Select
from sqlalchemy.orm import selectinload

from press import clock, uktime
from press.accounts.access import editor_required, staff_required
from press.audit import audit
from press.distribution import access, queries, services, wording
from press.distribution.blueprints import staff as bp
from press.distribution.models import Distribution
from press.extensions import db
from press.forms import ActionForm
from press.outbox.models import Delivery, DeliveryStatus
from press.pages import id_arg
from press.pagination import paginate
from press.spreadsheets import csv_download, safe_cell

PER_PAGE = 100
EXPORT_CHUNK = 1000
STATUS_LABELS = {
    DeliveryStatus.QUEUED: "Waiting to go",
    DeliveryStatus.SENDING: "Being sent",
    DeliveryStatus.SENT: "Sent",
    DeliveryStatus.FAILED: "Failed",
    DeliveryStatus.SUPPRESSED: "Not sent: unsubscribed or bounced",
    DeliveryStatus.CANCELLED: "Cancelled",
    DeliveryStatus.MISSED: "Missed: the time to stop sending had passed",
    DeliveryStatus.BOUNCED: "Bounced: the address does not take mail",
}
CSV_HEADERS = ("Email", "Name", "Outlet", "Status", "Attempts", "Sent at (UK time)", "SMTP code", "Server answer",
               "Message id", "Early-access views")


def get_distribution(distribution_id: int) -> Distribution:
    return db.get_or_404(Distribution, distribution_id, options=[selectinload(Distribution.release)])


def all_counts(counts: dict[str, int]) -> dict[str, int]:
    return {str(status): counts.get(status, 0) for status in DeliveryStatus}


@bp.app_template_global()
def release_distributions(release_id: int) -> list[tuple[Distribution, str, dict[str, int]]]:
    """A release's distributions, newest first, each with its state and counts, for the release's staff page."""
    distributions = queries.distributions_of_release(db.session, release_id)
    counts = queries.counts_by_distribution(db.session, [d.id for d in distributions])
    now = clock.now()
    return [(d, services.state(d, counts[d.id], now), counts[d.id]) for d in distributions]


# --- Following a distribution ---------------------------------------------------------------------------------

def status_filter() -> str:
    status = request.args.get("status", "", type=str)
    return status if status in STATUS_LABELS else ""


@bp.get("/distributions")
@staff_required
def index():
    release_id = id_arg("release")
    page = paginate(db.session, queries.distribution_listing(release_id),
                    page=request.args.get("page", 1, type=int), per_page=50)
    counts = queries.counts_by_distribution(db.session, [d.id for d in page.items])
    now = clock.now()
    rows = [(d, services.state(d, counts[d.id], now), all_counts(counts[d.id])) for d in page.items]
    return render_template("distribution/index.html", page=page, rows=rows, release_id=release_id)


@bp.get("/distributions/<int:distribution_id>")
@staff_required
def report(distribution_id: int):
    distribution = get_distribution(distribution_id)
    status, after = status_filter(), id_arg("after")
    rows = queries.recipients_after(db.session, queries.recipients(distribution.id, status), after, PER_PAGE + 1)
    counts = services.status_counts(db.session, distribution.id)
    shown = rows[:PER_PAGE]
    return render_template(
        "distribution/report.html", distribution=distribution, release=distribution.release, counts=all_counts(counts),
        total=sum(counts.values()), state=services.state(distribution, counts, clock.now()), rows=shown,
        views=queries.access_views(db.session, [row[0].id for row in shown]),
        next_after=rows[PER_PAGE - 1][0].id if len(rows) > PER_PAGE else None, first_page=after is None,
        status=status, labels=STATUS_LABELS, action=ActionForm(), now=clock.now(),
        outcome=wording.delivery_outcome, server_answer=wording.server_answer,
    )


@bp.get("/distributions/<int:distribution_id>/progress.json")
@staff_required
def progress(distribution_id: int):
    distribution = get_distribution(distribution_id)
    counts = services.status_counts(db.session, distribution.id)
    return jsonify(state=services.state(distribution, counts, clock.now()), counts=all_counts(counts),
                   total=sum(counts.values()))


def acted_on(distribution_id: int) -> Distribution:
    """The distribution a button was pressed for; a post without the form's token is refused."""
    distribution = get_distribution(distribution_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    return distribution


def back_to(distribution: Distribution) -> Response:
    return redirect(url_for(".report", distribution_id=distribution.id))


@bp.post("/distributions/<int:distribution_id>/cancel")
@editor_required
def cancel(distribution_id: int):
    distribution = acted_on(distribution_id)
    counts = services.status_counts(db.session, distribution.id)
    if services.state(distribution, counts, clock.now()) not in ("scheduled", "sending"):
        flash("Nothing was cancelled: nothing is waiting to be sent.", "error")
        return back_to(distribution)
    stopped = services.cancel_distribution(db.session, distribution, by=current_user)
    db.session.commit()
    flash(f"Cancelled: the {stopped:,} {'email' if stopped == 1 else 'emails'} not yet sent will not be sent.")
    return back_to(distribution)


@bp.post("/distributions/<int:distribution_id>/retry")
@editor_required
def retry(distribution_id: int):
    distribution = acted_on(distribution_id)
    try:
        again = services.retry_failed(db.session, distribution, by=current_user)
    except services.DistributionError as error:
        flash(str(error), "error")
        return back_to(distribution)
    if not again:
        # Nothing had failed: leave the stop-sending time as it was.
        db.session.rollback()
        flash("Nothing had failed, so nothing was sent again.", "error")
        return back_to(distribution)
    db.session.commit()
    flash(f"{again:,} {'email' if again == 1 else 'emails'} will be tried again in the next hour.")
    return back_to(distribution)


@bp.post("/distributions/<int:distribution_id>/revoke-access")
@editor_required
def revoke(distribution_id: int):
    distribution = acted_on(distribution_id)
    revoked = access.revoke_access(db.session, distribution)
    audit(db.session, "early access revoked", current_user, distribution, links=revoked)
    db.session.commit()
    flash(f"Early access revoked: {revoked:,} {'link' if revoked == 1 else 'links'} no longer open the release."
          if revoked else "Early access had already been revoked for everyone.")
    return back_to(distribution)


@bp.post("/distributions/<int:distribution_id>/recipients/<int:delivery_id>/revoke-access")
@editor_required
def revoke_recipient(distribution_id: int, delivery_id: int):
    """Revoke one journalist's early-access link, leaving everyone else's working."""
    distribution = acted_on(distribution_id)
    delivery = db.session.get(Delivery, delivery_id)
    if delivery is None or delivery.distribution_id != distribution.id:
        abort(404)
    who = delivery.to_address or "the recipient"
    if access.revoke_recipient(db.session, delivery):
        audit(db.session, "early access revoked", current_user, distribution, links=1, delivery_id=delivery.id,
              contact_id=delivery.contact_id)
        db.session.commit()
        flash(f"Early access revoked for {who}: their link no longer opens the release.")
    else:
        flash(f"Early access had already been revoked for {who}.")
    return redirect(url_for(".report", distribution_id=distribution.id, _anchor=f"recipient-{delivery.id}"))


# --- Export ---------------------------------------------------------------------------------------------------

def csv_row(row: Row) -> list[str]:
    delivery, name, outlet, views = row
    sent = uktime.to_london(delivery.sent_at) if delivery.sent_at else None
    values = [
        delivery.to_address, name or "", outlet or "", delivery.status, delivery.attempts,
        f"{sent:%Y-%m-%d %H:%M:%S} {sent.tzname()}" if sent else "",
        "" if delivery.smtp_code is None else delivery.smtp_code, delivery.smtp_response, delivery.message_id, views,
    ]
    return [safe_cell(str(value)) for value in values]


def report_chunks(query: Select) -> Iterator[list[list[str]]]:
    """The delivery report's rows, a chunk of recipients at a time, so no export holds them all at once."""
    after = None
    while rows := queries.recipients_after(db.session, query, after, EXPORT_CHUNK):
        yield [csv_row(row) for row in rows]
        after = rows[-1][0].id
        db.session.expunge_all()


@bp.get("/distributions/<int:distribution_id>/report.csv")
@editor_required
def export(distribution_id: int):
    distribution = get_distribution(distribution_id)
    status = status_filter()
    audit(db.session, "delivery report exported", current_user, distribution, distribution_id=distribution.id, status=status)
    # Committed before the response streams: the rows are written after this view has returned.
    db.session.commit()
    filename = f"distribution-{distribution_id}{'-' + status if status else ''}.csv"
    return csv_download(filename, CSV_HEADERS, report_chunks(queries.recipients(distribution_id, status)))
