"""What the manager checks before a release goes: the email as it will go, when, and exactly who gets it."""

from dataclasses import dataclass
from datetime import datetime
from email.utils import parseaddr

from flask import current_app
from sqlalchemy.orm import Session

from press import uktime
from press.contacts.models import Contact
from press.distribution import services
from press.distribution.blueprints import staff as bp
from press.distribution.emails import files_attached, release_subject
from press.releases.models import Attachment, Release

# The confirmation page names this many recipients at most, and offers to preview as each of them.
NAMED_RECIPIENTS = 500


@bp.app_template_filter("uk_day_time")
def uk_day_time(moment: datetime) -> str:
    """A moment with its day written out and GMT or BST named, for a person checking it: Thursday 3 December 2026,
    10:00 GMT."""
    local = uktime.to_london(moment)
    return f"{uktime.format_date(local.date())}, {local:%H:%M} {local.tzname()}"


def local_sender(sender: str) -> str | None:
    """The From address when it is on localhost or a local-only name, which journalists' mail servers refuse."""
    address = parseaddr(sender)[1]
    _name, at, domain = address.rpartition("@")
    domain = domain.lower().rstrip(".") if at else ""
    # No domain, or one with no dot (a machine's own name), is as local as localhost.
    if "." not in domain or domain.endswith((".localhost", ".local")):
        return address or sender
    return None


@dataclass(frozen=True)
class SendSummary:
    """Everything the confirmation page shows, worked out the way the worker will do it."""

    subject: str
    goes_at: datetime | None  # None: now, as soon as it is confirmed
    stop_after: datetime
    embargo_lifted_by_then: bool
    attachments: list[Attachment]
    attached: bool
    list_names: list[str]
    audience: services.Audience
    named: list[Contact]

    @property
    def scheduled(self) -> bool:
        return self.goes_at is not None


def send_summary(
    session: Session, release: Release, *, list_ids: list[int], contact_ids: list[int], list_names: list[str],
    at: datetime | None, stop_after: datetime | None, now: datetime,
) -> SendSummary:
    """The summary of a send before it is queued: the subject as the email builder writes it at the time it goes."""
    goes = max(at or now, now)
    embargoed = goes if release.under_embargo(goes) else None
    return SendSummary(
        subject=release_subject(release, goes), goes_at=at, stop_after=stop_after or goes + services.DEFAULT_STOP_AFTER,
        embargo_lifted_by_then=release.embargo_at is not None and now < release.embargo_at <= goes,
        attachments=list(release.attachments), attached=files_attached(release), list_names=list_names,
        audience=services.audience(session, list_ids, contact_ids, embargoed),
        named=services.recipient_rows(session, list_ids, contact_ids, NAMED_RECIPIENTS, embargoed),
    )


def sender_warning() -> str | None:
    """The From address to warn about on the send pages, if it is one journalists' servers will likely refuse."""
    return local_sender(current_app.config["MAIL_DEFAULT_SENDER"])
