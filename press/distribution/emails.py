"""The release as an email: embargo stamped from the release's one field, built for one recipient."""

import time
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import parseaddr
from functools import lru_cache
from urllib.parse import quote

from flask import current_app, render_template
from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from press import clock, uktime
from press.contacts.models import Contact
from press.contacts.services import unsubscribe_token
from press.distribution.leases import RELEASE_VERSION
from press.distribution.messages import build_message, mailbox
from press.distribution.models import Delivery, Distribution
from press.distribution.services import access_token
from press.extensions import db
from press.links import absolute_url
from press.releases import files
from press.releases.models import Release, Status

# A worker's session keeps the release it is sending between messages; it is reloaded at once when the
# release changed (an edit, an attachment), and at least this often for anything the version does not show.
RELEASE_CACHE_SECONDS = 30.0


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
    release = kept_release(db.session, delivery.distribution_id)
    contact = db.session.get(Contact, delivery.contact_id)
    secret = current_app.config["SECRET_KEY"]
    now = clock.now()
    access_url = None
    if embargo_line(release, now):
        access_url = absolute_url("early_access.show", token=access_token(delivery.id, delivery.secret, secret))
    return release_message(
        release, to=mailbox(contact.name, delivery.to_address) if contact.name else delivery.to_address,
        unsubscribe=absolute_url("contacts_public.unsubscribe_page", token=unsubscribe_token(contact, secret)),
        access_url=access_url, now=now,
    )


def release_test(delivery: Delivery) -> EmailMessage:
    """A test of the release email, to the manager who asked for it; its links are the real ones."""
    release = db.session.get(Release, delivery.payload["release_id"], populate_existing=True)
    return release_message(release, to=delivery.to_address, unsubscribe=None, access_url=None, now=clock.now(),
                           subject_prefix="[TEST] ")


def distribution_missed(delivery: Delivery) -> EmailMessage:
    """Tell the manager that a scheduled distribution was not sent because its time to stop had passed."""
    distribution = db.session.get(Distribution, delivery.payload["distribution_id"], populate_existing=True)
    config = current_app.config
    context = {"distribution": distribution, "release": distribution.release,
               "report_url": absolute_url("deliveries.report", distribution_id=distribution.id)}
    return build_message(
        subject=f"Not sent: {distribution.release.reference} {distribution.release.headline}",
        sender=config["MAIL_DEFAULT_SENDER"], to=delivery.to_address,
        text=render_template("emails/distribution_missed.txt", **context),
    )


def unwanted(held: Row, delivery: Delivery) -> str | None:  # noqa: ARG001 - the kind's check takes both
    """Why a release email must not go now: its distribution was cancelled or the release withdrawn.

    Read from the worker's last read of its claim before DATA (leases.still_held), so no query of its own.
    """
    if held.distribution_id is None or held.cancelled_at is not None:
        return "Cancelled before it was sent."
    if held.release_status != Status.FINAL:
        return "Not sent: the release was withdrawn."
    return None


def current(held: Row, delivery: Delivery) -> bool:
    """Whether the message was built from the release as the database has it now (else it is built again).

    Every change to a release updates it or adds to its history, so these three columns name its version.
    """
    entry = _kept(db.session).get(delivery.distribution_id)
    if entry is not None and entry.version == (held.release_id, held.release_updated_at, held.release_change):
        return True
    if entry is not None:
        entry.loaded_at = float("-inf")  # reloaded at once
    return False


@dataclass
class KeptRelease:
    """A distribution's release as one session keeps it between messages, with the version it was loaded at."""

    release: Release
    version: tuple
    loaded_at: float


def _kept(session: Session) -> dict[int, KeptRelease]:
    return session.info.setdefault("kept_releases", {})


def kept_release(session: Session, distribution_id: int) -> Release:
    """The release a distribution sends, loaded with its attachments and contact and then kept a while.

    It is loaded again once the worker finds its version moved on (current()), and at least every
    RELEASE_CACHE_SECONDS for what the version does not show, such as the media contact's details.
    """
    kept = _kept(session)
    entry = kept.get(distribution_id)
    if entry is not None and time.monotonic() - entry.loaded_at < RELEASE_CACHE_SECONDS:
        return entry.release
    if entry is not None:
        # The release, its attachments and its media contact all come from the database again.
        session.expire_all()
    release_id = session.scalar(select(Distribution.release_id).where(Distribution.id == distribution_id))
    # The version is read first: an edit made between the two reads shows as a newer version, not an older.
    version = tuple(session.execute(RELEASE_VERSION, {"release_id": release_id}).one())
    release = session.get(Release, release_id)
    _ = list(release.attachments), release.contact.name
    kept[distribution_id] = KeptRelease(release, version, time.monotonic())
    return release
