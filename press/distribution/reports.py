"""Staff pages that follow a distribution: the delivery report, its progress, actions and CSV export."""

import csv
import io
from collections.abc import Iterator

from flask import Blueprint, Response, abort, flash, jsonify, redirect, render_template, request, stream_with_context, url_for
from flask_login import current_user
from sqlalchemy import Row, Select, func, select
from sqlalchemy.orm import selectinload

from press import clock, uktime
from press.accounts.access import editor_required, staff_required
from press.contacts.models import Contact
from press.contacts.services import audit
from press.distribution import services
from press.distribution.models import AccessView, Delivery, DeliveryStatus, Distribution
from press.distribution.views import id_arg
from press.extensions import db
from press.pagination import paginate
from press.releases.forms import ActionForm
from press.spreadsheets import safe_cell

bp = Blueprint("deliveries", __name__, url_prefix="/staff/distributions")

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
}
CSV_HEADERS = ("Email", "Name", "Outlet", "Status", "Attempts", "Sent at (UK time)", "SMTP code", "Server answer",
               "Message id", "Early-access views")


def get_distribution(distribution_id: int) -> Distribution:
    return db.get_or_404(Distribution, distribution_id, options=[selectinload(Distribution.release)])


def all_counts(counts: dict[str, int]) -> dict[str, int]:
    return {str(status): counts.get(status, 0) for status in DeliveryStatus}


def counts_by_distribution(ids: list[int]) -> dict[int, dict[str, int]]:
    """The status counts of several distributions in one query."""
    counts: dict[int, dict[str, int]] = {distribution_id: {} for distribution_id in ids}
    rows = db.session.execute(
        select(Delivery.distribution_id, Delivery.status, func.count())
        .where(Delivery.distribution_id.in_(ids or [-1])).group_by(Delivery.distribution_id, Delivery.status)
    )
    for distribution_id, status, n in rows:
        counts[distribution_id][str(status)] = n
    return counts


@bp.app_template_global()
def release_distributions(release_id: int) -> list[tuple[Distribution, str, dict[str, int]]]:
    """A release's distributions, newest first, each with its state and counts, for the release's staff page."""
    distributions = list(db.session.scalars(
        select(Distribution).where(Distribution.release_id == release_id)
        .order_by(Distribution.created_at.desc(), Distribution.id.desc())
    ))
    counts = counts_by_distribution([d.id for d in distributions])
    now = clock.now()
    return [(d, services.state(d, counts[d.id], now), counts[d.id]) for d in distributions]


# --- Following a distribution ---------------------------------------------------------------------------------

def status_filter() -> str:
    status = request.args.get("status", "", type=str)
    return status if status in STATUS_LABELS else ""


def recipients(distribution_id: int, status: str) -> Select:
    """Each delivery of a distribution with its contact's name and outlet and how often early access was opened."""
    views = select(func.count(AccessView.id)).where(AccessView.delivery_id == Delivery.id).scalar_subquery()
    query = (select(Delivery, Contact.name, Contact.outlet, views)
             .outerjoin(Contact, Contact.id == Delivery.contact_id)
             .where(Delivery.distribution_id == distribution_id))
    return query.where(Delivery.status == status) if status else query


def recipients_after(query: Select, after: int | None, limit: int) -> list[Row]:
    """Up to ``limit`` recipients in delivery order, starting after a delivery's id."""
    if after is not None:
        query = query.where(Delivery.id > after)
    return list(db.session.execute(query.order_by(Delivery.id).limit(limit)))


@bp.get("")
@staff_required
def index():
    release_id = id_arg("release")
    query = (select(Distribution).options(selectinload(Distribution.release), selectinload(Distribution.created_by))
             .order_by(Distribution.created_at.desc(), Distribution.id.desc()))
    if release_id is not None:
        query = query.where(Distribution.release_id == release_id)
    page = paginate(db.session, query, page=request.args.get("page", 1, type=int), per_page=50)
    counts = counts_by_distribution([d.id for d in page.items])
    now = clock.now()
    rows = [(d, services.state(d, counts[d.id], now), all_counts(counts[d.id])) for d in page.items]
    return render_template("distribution/index.html", page=page, rows=rows, release_id=release_id)


@bp.get("/<int:distribution_id>")
@staff_required
def report(distribution_id: int):
    distribution = get_distribution(distribution_id)
    status, after = status_filter(), id_arg("after")
    rows = recipients_after(recipients(distribution.id, status), after, PER_PAGE + 1)
    counts = services.status_counts(db.session, distribution.id)
    return render_template(
        "distribution/report.html", distribution=distribution, release=distribution.release, counts=all_counts(counts),
        total=sum(counts.values()), state=services.state(distribution, counts, clock.now()), rows=rows[:PER_PAGE],
        next_after=rows[PER_PAGE - 1][0].id if len(rows) > PER_PAGE else None, first_page=after is None,
        status=status, labels=STATUS_LABELS, action=ActionForm(), now=clock.now(),
    )


@bp.get("/<int:distribution_id>/progress.json")
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


@bp.post("/<int:distribution_id>/cancel")
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


@bp.post("/<int:distribution_id>/retry")
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


@bp.post("/<int:distribution_id>/revoke-access")
@editor_required
def revoke(distribution_id: int):
    distribution = acted_on(distribution_id)
    revoked = services.revoke_access(db.session, distribution)
    db.session.commit()
    flash(f"Early access revoked: {revoked:,} {'link' if revoked == 1 else 'links'} no longer open the release."
          if revoked else "Early access had already been revoked for everyone.")
    return back_to(distribution)


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


def report_csv(query: Select) -> Iterator[str]:
    """The delivery report as CSV text, a chunk of recipients at a time, so no export holds them all at once."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADERS)
    # The byte-order mark tells Excel the file is UTF-8, so accented names survive.
    yield "\ufeff" + out.getvalue()
    after = None
    while rows := recipients_after(query, after, EXPORT_CHUNK):
        out.seek(0)
        out.truncate()
        writer.writerows(csv_row(row) for row in rows)
        yield out.getvalue()
        after = rows[-1][0].id
        db.session.expunge_all()


@bp.get("/<int:distribution_id>/report.csv")
@editor_required
def export(distribution_id: int):
    distribution = get_distribution(distribution_id)
    status = status_filter()
    audit(db.session, "delivery report exported", current_user, distribution_id=distribution.id, status=status)
    # Committed before the response streams: the rows are written after this view has returned.
    db.session.commit()
    filename = f"distribution-{distribution_id}{'-' + status if status else ''}.csv"
    return Response(stream_with_context(report_csv(recipients(distribution_id, status))), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
