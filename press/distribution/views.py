"""Staff pages for sending a release and following its delivery."""

import csv
import io
import secrets
from collections.abc import Iterator
from email.message import EmailMessage

from flask import (
    Blueprint, Response, abort, current_app, flash, jsonify, redirect, render_template, request, stream_with_context,
    url_for,
)
from flask_login import current_user
from sqlalchemy import Row, Select, and_, func, select
from sqlalchemy.orm import selectinload
from wtforms.fields.choices import SelectChoice

from press import clock, uktime
from press.accounts.access import editor_required, staff_required
from press.contacts.models import Contact, ContactStatus, MediaList, contact_lists
from press.contacts.services import audit, unsubscribe_token
from press.database import MAX_ID
from press.distribution import services
from press.distribution.caught import HTML_PREVIEW_POLICY
from press.distribution.emails import embargo_line, release_message
from press.distribution.forms import SendForm
from press.distribution.messages import mailbox
from press.distribution.models import AccessView, Delivery, DeliveryStatus, Distribution
from press.distribution.outbox import enqueue
from press.extensions import db
from press.spreadsheets import safe_cell
from press.links import absolute_url
from press.mailcatcher import message_parts
from press.pagination import paginate
from press.releases.forms import ActionForm
from press.releases.models import Release, Status

bp = Blueprint("distribution", __name__, url_prefix="/staff")

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
# Where a service's refusal is shown on the send form.
ERROR_FIELDS = {"stop_after": "stop_time", "at": "send_time"}
PREVIEW_HEADERS = ("From", "To", "Reply-To", "Subject", "List-Unsubscribe", "List-Unsubscribe-Post")
CSV_HEADERS = ("Email", "Name", "Outlet", "Status", "Attempts", "Sent at (UK time)", "SMTP code", "Server answer",
               "Message id", "Early-access views")


def id_arg(name: str) -> int | None:
    """A row id from the query string; anything that cannot be one is ignored."""
    value = request.args.get(name, type=int)
    return value if value is not None and 0 < value <= MAX_ID else None


def get_release(release_id: int) -> Release:
    return db.get_or_404(Release, release_id)


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


# --- Sending --------------------------------------------------------------------------------------------------

def send_form(**kwargs) -> SendForm:
    form = SendForm(**kwargs)
    rows = db.session.execute(
        select(MediaList, func.count(Contact.id))
        .outerjoin(contact_lists, contact_lists.c.list_id == MediaList.id)
        .outerjoin(Contact, and_(Contact.id == contact_lists.c.contact_id, Contact.status == ContactStatus.ACTIVE,
                                 Contact.email.is_not(None)))
        .group_by(MediaList.id).order_by(MediaList.name)
    )
    form.lists.choices = [
        SelectChoice(media_list.id, f"{media_list.name} ({n:,} active {'contact' if n == 1 else 'contacts'})")
        for media_list, n in rows
    ]
    return form


def typed_contacts(form: SendForm) -> list[int] | None:
    """The ids of the contacts whose addresses were typed; addresses not in the contacts list are named on the field."""
    addresses = form.addresses()
    if not addresses:
        return []
    found = dict(db.session.execute(select(Contact.email, Contact.id).where(Contact.email.in_(addresses))).all())
    unknown = [address for address in addresses if address not in found]
    if unknown:
        named = ", ".join(unknown[:10]) + (f" and {len(unknown) - 10:,} more" if len(unknown) > 10 else "")
        form.emails.errors.append(f"Not in the contacts list: {named}. Add them as contacts first, or take them out.")
        return None
    return list(found.values())


def send_page(release: Release, form: SendForm, chosen: services.Audience | None = None) -> str:
    now = clock.now()
    return render_template(
        "distribution/send.html", release=release, form=form, chosen=chosen, now=now,
        embargo=embargo_line(release, now), default_stop=(form.send_at or now) + services.DEFAULT_STOP_AFTER,
    )


def sent_message(distribution: Distribution) -> str:
    who = f"{distribution.recipients:,} {'journalist' if distribution.recipients == 1 else 'journalists'}"
    if distribution.scheduled_at > clock.now():
        return f"Scheduled: it goes to {who} at {uktime.format_moment(distribution.scheduled_at)}."
    return f"Sending to {who} has started."


def send_test(release: Release, form: SendForm) -> str:
    """Queue the release email to the signed-in manager, and show the form again as it was."""
    enqueue(db.session, kind="release-test", to_address=current_user.email, payload={"release_id": release.id})
    db.session.commit()
    flash(f"A test is on its way to {current_user.email}.")
    return send_page(release, form)


def made_with_key(key: str | None) -> Distribution | None:
    return db.session.scalar(select(Distribution).where(Distribution.request_key == key[:64])) if key else None


@bp.route("/releases/<int:release_id>/send", methods=["GET", "POST"])
@editor_required
def send(release_id: int):
    release = get_release(release_id)
    if release.status != Status.FINAL:
        flash("Only a final release can be sent to journalists.", "error")
        return redirect(url_for("releases.show", release_id=release.id))
    form = send_form(data={"request_key": secrets.token_urlsafe(24)} if request.method == "GET" else None)
    if form.is_submitted() and form.test.data:
        return send_test(release, form)
    if form.send.data and (made := made_with_key(form.request_key.data)) is not None:
        # The same form sent twice (a double click, or Back and send again): show the first.
        return redirect(url_for(".report", distribution_id=made.id))
    if form.validate_on_submit() and (contact_ids := typed_contacts(form)) is not None:
        if not form.send.data:
            return send_page(release, form, services.audience(db.session, form.lists.data, contact_ids))
        try:
            distribution = services.create_distribution(
                db.session, release, list_ids=form.lists.data, contact_ids=contact_ids, at=form.send_at,
                stop_after=form.stop_at, request_key=form.request_key.data, by=current_user,
            )
        except services.DistributionError as error:
            form[ERROR_FIELDS.get(error.field or "", "lists")].errors.append(str(error))
        else:
            db.session.commit()
            flash(sent_message(distribution))
            return redirect(url_for(".report", distribution_id=distribution.id))
    return send_page(release, form)


# --- Preview --------------------------------------------------------------------------------------------------

def preview_lists() -> list[int]:
    return [n for n in request.args.getlist("list", type=int) if 0 < n <= MAX_ID][:200]


def preview_recipient() -> Contact:
    """The contact named in ?contact=, else the first active one on the ?list= lists, any, or a sample person."""
    if "contact" in request.args:
        contact_id = id_arg("contact")
        contact = db.session.get(Contact, contact_id) if contact_id else None
        if contact is None or not contact.email:
            abort(404)
        return contact
    active = (select(Contact).where(Contact.status == ContactStatus.ACTIVE, Contact.email.is_not(None))
              .order_by(Contact.name, Contact.id).limit(1))
    contact = None
    if lists := preview_lists():
        on_lists = select(contact_lists.c.contact_id).where(contact_lists.c.list_id.in_(lists))
        contact = db.session.scalar(active.where(Contact.id.in_(on_lists)))
    # The sample is never added to the session: it only gives the preview a name and an unsubscribe link.
    return contact or db.session.scalar(active) or Contact(name="Jo Bloggs", email="jo@example.com",
                                                           unsubscribe_key="sample")


def preview_message(release: Release, contact: Contact) -> EmailMessage:
    """The release email exactly as the worker would build it for this contact, with a sample early-access link."""
    secret = current_app.config["SECRET_KEY"]
    now = clock.now()
    access_url = None
    if embargo_line(release, now):
        access_url = absolute_url("early_access.show", token=services.access_token(0, secret))
    return release_message(
        release, to=mailbox(contact.name, contact.email) if contact.name else contact.email,
        unsubscribe=absolute_url("contacts_public.unsubscribe_page", token=unsubscribe_token(contact, secret)),
        access_url=access_url, now=now,
    )


@bp.get("/releases/<int:release_id>/send/preview")
@staff_required
def preview(release_id: int):
    release = get_release(release_id)
    contact = preview_recipient()
    message = preview_message(release, contact)
    text, html, attachments = message_parts(message)
    return render_template(
        "distribution/preview.html", release=release, contact=contact, message=message, text=text,
        has_html=html is not None, attachments=attachments, header_names=PREVIEW_HEADERS, lists=preview_lists(),
    )


@bp.get("/releases/<int:release_id>/send/preview.html")
@staff_required
def preview_html(release_id: int):
    _text, html, _attachments = message_parts(preview_message(get_release(release_id), preview_recipient()))
    response = Response(html or "", mimetype="text/html")
    response.headers["Content-Security-Policy"] = HTML_PREVIEW_POLICY
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


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


@bp.get("/distributions")
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


@bp.get("/distributions/<int:distribution_id>")
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


@bp.get("/distributions/<int:distribution_id>/report.csv")
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
