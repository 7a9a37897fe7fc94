"""The release as an email: embargo stamped from the release's one field, built for one recipient."""

from datetime import datetime
from email.message import EmailMessage
from email.utils import parseaddr
from functools import lru_cache
from urllib.parse import quote

from flask import current_app, render_template
from sqlalchemy.orm import Session

from press import clock, uktime
from press.contacts.models import Contact
from press.contacts.services import unsubscribe_token
from press.distribution.messages import build_message, mailbox
from press.distribution.models import Delivery, Distribution
from press.distribution.services import access_token
from press.extensions import db
from press.links import absolute_url
from press.releases import files
from press.releases.models import Release, Status


def embargo_line(release: Release, now: datetime) -> str | None:
    """The embargo wording, while the embargo is still ahead; None once it has passed."""
    if release.embargo_at is None or release.embargo_at <= now:
        return None
    return f"EMBARGOED UNTIL {uktime.format_moment(release.embargo_at)}"


def release_subject(release: Release, now: datetime) -> str:
    line = embargo_line(release, now)
    return f"{line}: {release.headline}" if line else release.headline


@lru_cache(maxsize=64)
def _file_bytes(path: str, size: int) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


def release_message(
    release: Release, *, to: str, unsubscribe: str | None, access_url: str | None, now: datetime,
    subject_prefix: str = "",
) -> EmailMessage:
    """The email of a release to one recipient: text and HTML, attachments up to the limit and links above it."""
    config = current_app.config
    attach = sum(a.size for a in release.attachments) <= config["PRESS_EMAIL_ATTACHMENT_LIMIT"]
    public_url = absolute_url("newsroom.release", slug=release.slug)
    embargo = embargo_line(release, now)
    links = []
    for item in release.attachments:
        if embargo and access_url:
            links.append((item, f"{access_url}/files/{item.id}/{item.filename}"))
        else:
            links.append((item, absolute_url("newsroom.attachment", slug=release.slug, attachment_id=item.id,
                                             filename=item.filename)))
    context = {
        "release": release, "embargo": embargo, "access_url": access_url, "public_url": public_url,
        "unsubscribe_url": unsubscribe, "attached": attach, "links": links,
        "organisation": config["PRESS_ORGANISATION"],
    }
    headers = {}
    if unsubscribe:
        sender_address = parseaddr(config["MAIL_DEFAULT_SENDER"])[1]
        headers["List-Unsubscribe"] = (f"<{unsubscribe}>, "
                                       f"<mailto:{sender_address}?subject={quote('unsubscribe ' + unsubscribe)}>")
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message = build_message(
        subject=subject_prefix + release_subject(release, now),
        sender=config["MAIL_DEFAULT_SENDER"],
        to=to,
        reply_to=mailbox(release.contact.name, release.contact.email),
        text=render_template("emails/release.txt", **context),
        html=render_template("emails/release.html", **context),
        headers=headers,
    )
    if attach:
        for item in release.attachments:
            maintype, subtype = item.content_type.split("/")
            data = _file_bytes(files.path_of(config["PRESS_UPLOAD_DIR"], item.stored_name), item.size)
            message.add_attachment(data, maintype=maintype, subtype=subtype, filename=item.filename)
    return message


def release_for_recipient(delivery: Delivery) -> EmailMessage:
    """The release email for the contact this delivery goes to, with their own links."""
    distribution = db.session.get(Distribution, delivery.distribution_id)
    contact = db.session.get(Contact, delivery.contact_id)
    secret = current_app.config["SECRET_KEY"]
    now = clock.now()
    release = distribution.release
    access_url = None
    if embargo_line(release, now):
        access_url = absolute_url("early_access.show", token=access_token(delivery.id, secret))
    return release_message(
        release, to=mailbox(contact.name, delivery.to_address) if contact.name else delivery.to_address,
        unsubscribe=absolute_url("contacts_public.unsubscribe_page", token=unsubscribe_token(contact, secret)),
        access_url=access_url, now=now,
    )


def release_test(delivery: Delivery) -> EmailMessage:
    """A test of the release email, to the manager who asked for it; its links are the real ones."""
    release = db.session.get(Release, delivery.payload["release_id"])
    return release_message(release, to=delivery.to_address, unsubscribe=None, access_url=None, now=clock.now(),
                           subject_prefix="[TEST] ")


def distribution_missed(delivery: Delivery) -> EmailMessage:
    """Tell the manager that a scheduled distribution was not sent because its time to stop had passed."""
    distribution = db.session.get(Distribution, delivery.payload["distribution_id"])
    config = current_app.config
    context = {"distribution": distribution, "release": distribution.release,
               "report_url": absolute_url("deliveries.report", distribution_id=distribution.id)}
    return build_message(
        subject=f"Not sent: {distribution.release.reference} {distribution.release.headline}",
        sender=config["MAIL_DEFAULT_SENDER"], to=delivery.to_address,
        text=render_template("emails/distribution_missed.txt", **context),
    )


def unwanted(session: Session, delivery: Delivery) -> str | None:
    """Why a release email must not go now: its distribution was cancelled or the release withdrawn."""
    distribution = session.get(Distribution, delivery.distribution_id, populate_existing=True)
    if distribution is None or distribution.cancelled_at is not None:
        return "Cancelled before it was sent."
    if distribution.release.status != Status.FINAL:
        return "Not sent: the release was withdrawn."
    return None
