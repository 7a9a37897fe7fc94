"""Staff pages for sending a release: choosing who gets it, previewing the email, sending or scheduling."""

import secrets
from email.message import EmailMessage

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from press import clock, uktime
from press.accounts.access import editor_required, staff_required
from press.contacts.models import Contact
from press.contacts.services import unsubscribe_token
from press.distribution import queries, services, summary
from press.distribution.emails import EARLY_ACCESS, RELEASE_TEST, SAMPLE_ACCESS, embargo_line, release_to
from press.distribution.forms import SendForm
from press.distribution.models import Distribution
from press.extensions import db
from press.outbox.caught import HTML_PREVIEW_POLICY
from press.outbox.mailbox import message_parts
from press.outbox.queue import enqueue
from press.pages import id_arg, id_args
from press.releases import approval, election_views
from press.releases.election_forms import ClearanceForm
from press.releases.models import Release, Status
from press.distribution.blueprints import staff as bp


NOBODY = "Nobody would receive it: choose lists or contacts who can be sent releases."
# Where a service's refusal is shown on the send form.
ERROR_FIELDS = {"stop_after": "stop_time", "at": "send_time"}
PREVIEW_HEADERS = ("From", "To", "Reply-To", "Subject")
# Shown behind a disclosure: what mail servers read, not what a journalist sees.
TECHNICAL_HEADERS = ("Message-ID", "Date", "List-Unsubscribe", "List-Unsubscribe-Post")


def get_release(release_id: int) -> Release:
    return db.get_or_404(Release, release_id)


# --- Sending --------------------------------------------------------------------------------------------------

def send_form(**kwargs) -> SendForm:
    form = SendForm(**kwargs)
    form.lists.choices = [
        SelectChoice(media_list.id, f"{media_list.name} ({n:,} active {'contact' if n == 1 else 'contacts'})")
        for media_list, n in queries.lists_with_active_counts(db.session)
    ]
    return form


def typed_contacts(form: SendForm) -> list[int] | None:
    """The ids of the contacts whose addresses were typed; addresses not in the contacts list are named on the field."""
    addresses = form.addresses()
    if not addresses:
        return []
    found = queries.contact_ids_by_email(db.session, addresses)
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
        local_sender=summary.sender_warning(),
    )


def confirm_page(release: Release, form: SendForm, contact_ids: list[int], *, changed: bool = False,
                 changed_from: int | None = None, election_form: ClearanceForm | None = None) -> str:
    """The check-and-confirm page: the email, the times and the recipients as they stand, and one button to send."""
    list_ids = form.lists.data or []
    found = summary.send_summary(db.session, release, list_ids=list_ids, contact_ids=contact_ids,
                                 list_names=queries.list_names(db.session, list_ids), at=form.send_at,
                                 stop_after=form.stop_at, now=clock.now())
    if found.audience.recipients == 0:
        form.lists.errors.append(NOBODY)
        return send_page(release, form)
    form.expected.data = str(found.audience.recipients)
    return render_template("distribution/confirm.html", release=release, form=form, summary=found,
                           changed=changed, changed_from=changed_from, local_sender=summary.sender_warning(),
                           preview_lists=list_ids, now=clock.now(), election_form=election_form)


def sent_message(distribution: Distribution) -> str:
    who = f"{distribution.recipients:,} {'journalist' if distribution.recipients == 1 else 'journalists'}"
    if distribution.scheduled_at > clock.now():
        return f"Scheduled: it goes to {who} at {uktime.format_moment(distribution.scheduled_at)}."
    return f"Sending to {who} has started."


def send_test(release: Release, form: SendForm) -> str:
    """Queue the release email to the signed-in manager, and show the form again as it was."""
    enqueue(db.session, kind=RELEASE_TEST, to_address=current_user.email, payload={"release_id": release.id})
    db.session.commit()
    flash(f"A test is on its way to {current_user.email}.")
    return send_page(release, form)


def made_with_key(key: str | None) -> Distribution | None:
    return queries.distribution_with_key(db.session, key[:64]) if key else None


def confirmed_count(form: SendForm) -> int | None:
    """The number of recipients the confirmation page showed; None if the page sent back anything else."""
    value = form.expected.data or ""
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 9 else None


@bp.route("/releases/<int:release_id>/send", methods=["GET", "POST"])
@editor_required
def send(release_id: int):
    release = get_release(release_id)
    if release.status != Status.FINAL:
        flash("Only a final release can be sent to journalists.", "error")
        return redirect(url_for("releases.show", release_id=release.id))
    if (refused := approval.refusal(db.session, release, "sent")) is not None:
        flash(refused, "error")
        return redirect(url_for("releases.show", release_id=release.id))
    form = send_form(data={"request_key": secrets.token_urlsafe(24)} if request.method == "GET" else None)
    if form.is_submitted() and form.test.data:
        return send_test(release, form)
    if form.is_submitted() and form.change.data:
        # Back from the confirmation page to the form, with every choice as it was.
        return send_page(release, form)
    if (form.send.data or form.confirm.data) and (made := made_with_key(form.request_key.data)) is not None:
        # The same form sent twice (a double click, or Back and send again): show the first.
        return redirect(url_for("distribution.report", distribution_id=made.id))
    if form.validate_on_submit() and (contact_ids := typed_contacts(form)) is not None:
        if not (form.send.data or form.confirm.data):
            return send_page(release, form, services.audience(db.session, form.lists.data, contact_ids,
                                                              services.embargoed_at(release, form.send_at)))
        if not form.confirm.data:
            return confirm_page(release, form, contact_ids)
        if (refused := election_views.send_refusal(release, form.send_at)) is not None:
            return confirm_page(release, form, contact_ids, election_form=refused), 422
        return send_confirmed(release, form, contact_ids)
    return send_page(release, form)


def send_confirmed(release: Release, form: SendForm, contact_ids: list[int]):
    """Queue the distribution the manager confirmed, unless the number of recipients has changed since."""
    expected = confirmed_count(form)
    try:
        if expected is None:
            raise services.AudienceChangedError(services.audience(
                db.session, form.lists.data, contact_ids, services.embargoed_at(release, form.send_at)).recipients)
        distribution = services.create_distribution(
            db.session, release, list_ids=form.lists.data, contact_ids=contact_ids, at=form.send_at,
            stop_after=form.stop_at, request_key=form.request_key.data, by=current_user, expected=expected,
        )
    except services.AudienceChangedError:
        db.session.rollback()
        return confirm_page(release, form, contact_ids, changed=True, changed_from=expected)
    except services.DistributionError as error:
        db.session.rollback()
        form[ERROR_FIELDS.get(error.field or "", "lists")].errors.append(str(error))
        return send_page(release, form)
    db.session.commit()
    flash(sent_message(distribution))
    return redirect(url_for("distribution.report", distribution_id=distribution.id))


# --- Preview --------------------------------------------------------------------------------------------------

def preview_lists() -> list[int]:
    return id_args("list")


def preview_recipient() -> Contact:
    """The contact named in ?contact=, else the first active one on the ?list= lists, any, or a sample person."""
    if "contact" in request.args:
        contact_id = id_arg("contact")
        contact = queries.contact_by_id(db.session, contact_id) if contact_id else None
        if contact is None or not contact.email:
            abort(404)
        return contact
    contact = None
    if lists := preview_lists():
        contact = queries.first_active_contact(db.session, lists)
    return contact or queries.first_active_contact(db.session) or sample_journalist()


def sample_journalist() -> Contact:
    """A made-up journalist, never added to the session: a name for the preview and an unsubscribe link for nobody."""
    return Contact(name="Jo Bloggs", email="jo@example.com", unsubscribe_key="sample")


def preview_message(release: Release, contact: Contact) -> EmailMessage:
    """The release email exactly as the worker would build it for this contact, with a sample early-access link."""
    # The journalist's own unsubscribe link acts as them: the staff role sees an example that works for nobody.
    unsubscribe = unsubscribe_token(contact if current_user.can_edit_releases else sample_journalist())
    return release_to(release, contact.name, contact.email, access=EARLY_ACCESS.make(SAMPLE_ACCESS),
                      unsubscribe=unsubscribe, now=clock.now())


@bp.get("/releases/<int:release_id>/send/preview")
@staff_required
def preview(release_id: int):
    release = get_release(release_id)
    contact = preview_recipient()
    message = preview_message(release, contact)
    text, html, attachments = message_parts(message)
    return render_template(
        "distribution/preview.html", release=release, contact=contact, message=message, text=text,
        has_html=html is not None, attachments=attachments, header_names=PREVIEW_HEADERS,
        technical_names=TECHNICAL_HEADERS, lists=preview_lists(),
    )


@bp.get("/releases/<int:release_id>/send/preview.html")
@staff_required
def preview_html(release_id: int):
    _text, html, _attachments = message_parts(preview_message(get_release(release_id), preview_recipient()))
    response = Response(html or "", mimetype="text/html")
    response.headers["Content-Security-Policy"] = HTML_PREVIEW_POLICY
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response
