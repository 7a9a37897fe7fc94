"""The release as an email, and the kinds of email a distribution sends: to each journalist, a test to the
manager, and word to the manager that a scheduled one was missed.

The embargo is stamped from the release's one field; each journalist's email carries their own
early-access and unsubscribe links.
"""

from datetime import datetime
from email.message import EmailMessage
from email.utils import parseaddr
from functools import lru_cache
from urllib.parse import quote

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from press import clock, uktime
from press.contacts.models import Contact
from press.contacts.services import unsubscribe_token
from press.distribution import freshness
from press.distribution.models import Distribution
from press.extensions import db
from press.links import absolute_url
from press.outbox import kinds
from press.outbox.links import delivery_link
from press.outbox.messages import mailbox, templated
from press.outbox.models import Delivery
from press.outbox.queue import enqueue
from press.releases import files
from press.releases.models import Release
from press.tokens import Token

# A journalist's own link to the release before the embargo lifts: their delivery and its random value.
EARLY_ACCESS = Token("early-access")
# What the preview shows instead: no delivery has id 0, so it opens nothing.
SAMPLE_ACCESS = [0, ""]


def embargo_line(release: Release, now: datetime) -> str | None:
    """The embargo wording, while the embargo is still ahead; None once it has passed."""
    if release.embargo_at is None or release.embargo_at <= now:
        return None
    return f"EMBARGOED UNTIL {uktime.format_moment(release.embargo_at)}"


def release_subject(release: Release, now: datetime) -> str:
    line = embargo_line(release, now)
    return f"{line}: {release.headline}" if line else release.headline


def files_attached(release: Release) -> bool:
    """Whether the release's files go attached to the email (up to the size limit) or as links to them."""
    return sum(a.size for a in release.attachments) <= current_app.config["PRESS_EMAIL_ATTACHMENT_LIMIT"]


@lru_cache(maxsize=64)
def _file_bytes(path: str, size: int) -> bytes:  # noqa: ARG001 - in the key: a replaced file is read again
    with open(path, "rb") as handle:
        return handle.read()


def release_message(
    release: Release, *, to: str, unsubscribe: str | None, access_url: str | None, now: datetime,
    subject_prefix: str = "",
) -> EmailMessage:
    """The email of a release to one recipient: text and HTML, attachments up to the limit and links above it."""
    config = current_app.config
    attach = files_attached(release)
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
    }
    headers = {}
    if unsubscribe:
        sender_address = parseaddr(config["MAIL_DEFAULT_SENDER"])[1]
        headers["List-Unsubscribe"] = (f"<{unsubscribe}>, "
                                       f"<mailto:{sender_address}?subject={quote('unsubscribe ' + unsubscribe)}>")
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message = templated("release", context, subject=subject_prefix + release_subject(release, now), to=to,
                        reply_to=mailbox(release.contact.name, release.contact.email), headers=headers)
    if attach:
        for item in release.attachments:
            maintype, subtype = item.content_type.split("/")
            data = _file_bytes(files.path_of(config["PRESS_UPLOAD_DIR"], item.stored_name), item.size)
            message.add_attachment(data, maintype=maintype, subtype=subtype, filename=item.filename)
    return message


def access_token(delivery: Delivery) -> str:
    """A journalist's own early-access token: their delivery and its random value, signed."""
    return delivery_link(EARLY_ACCESS, delivery)


def release_to(release: Release, name: str, address: str, *, access: str, unsubscribe: str,
               now: datetime) -> EmailMessage:
    """The release email as one journalist gets it: their name in To, their own early-access link while the
    embargo holds, and their own unsubscribe link; the worker and the preview page both build it here."""
    access_url = absolute_url("early_access.show", token=access) if embargo_line(release, now) else None
    return release_message(
        release, to=mailbox(name, address) if name else address, access_url=access_url, now=now,
        unsubscribe=absolute_url("contacts_public.unsubscribe_page", token=unsubscribe),
    )


def release_for_recipient(delivery: Delivery) -> EmailMessage:
    """The release email for the contact this delivery goes to, with their own links."""
    release = freshness.kept_release(db.session, delivery.distribution_id)
    contact = db.session.get(Contact, delivery.contact_id)
    return release_to(release, contact.name, delivery.to_address, access=access_token(delivery),
                      unsubscribe=unsubscribe_token(contact), now=clock.now())


def release_test(delivery: Delivery) -> EmailMessage:
    """A test of the release email, to the manager who asked for it; its links are the real ones."""
    release = db.session.get(Release, delivery.payload["release_id"], populate_existing=True)
    return release_message(release, to=delivery.to_address, unsubscribe=None, access_url=None, now=clock.now(),
                           subject_prefix="[TEST] ")


def distribution_missed(delivery: Delivery) -> EmailMessage:
    """Tell the manager that a scheduled distribution was not sent because its time to stop had passed."""
    distribution = db.session.get(Distribution, delivery.payload["distribution_id"], populate_existing=True)
    context = {"distribution": distribution, "release": distribution.release,
               "report_url": absolute_url("distribution.report", distribution_id=distribution.id)}
    return templated("distribution_missed", context, html=False, to=delivery.to_address,
                     subject=f"Not sent: {distribution.release.reference} {distribution.release.headline}")


def tell_managers_of_missed(session: Session, delivery_ids: list[int]) -> None:
    """Mark the distributions of these missed deliveries missed, and tell the manager who sent each."""
    distribution_ids = set(session.scalars(
        select(Delivery.distribution_id).where(Delivery.id.in_(delivery_ids), Delivery.distribution_id.is_not(None))
    ))
    now = clock.now()
    for distribution in session.scalars(
        select(Distribution).where(Distribution.id.in_(distribution_ids), Distribution.missed_at.is_(None))
    ):
        distribution.missed_at = now
        if distribution.created_by is not None:
            enqueue(session, kind=DISTRIBUTION_MISSED, to_address=distribution.created_by.email,
                    payload={"distribution_id": distribution.id})


RELEASE = kinds.register(kinds.Kind(
    "release", release_for_recipient, suppressible=True, unwanted=freshness.unwanted, current=freshness.current,
    missed=tell_managers_of_missed, reads=freshness.READS,
))
RELEASE_TEST = kinds.register(kinds.Kind("release-test", release_test, payload=("release_id",)))
DISTRIBUTION_MISSED = kinds.register(kinds.Kind("distribution-missed", distribution_missed,
                                                payload=("distribution_id",)))


def embargo_lifted(delivery: Delivery) -> EmailMessage:
    """Tell a journalist who had a release under embargo that the embargo was lifted early."""
    release = db.session.get(Release, delivery.payload["release_id"], populate_existing=True)
    context = {"release": release, "lifted_at": release.embargo_at,
               "release_url": absolute_url("newsroom.release", slug=release.slug)}
    return templated("embargo_lifted", context, html=False, to=delivery.to_address,
                     subject=f"Embargo lifted: {release.reference} {release.headline}")


# A notice, not a mailing: it goes to those who had the release, unless they have unsubscribed or bounced since.
EMBARGO_LIFTED = kinds.register(kinds.Kind("embargo-lifted", embargo_lifted, payload=("release_id",),
                                           suppressible=True))
