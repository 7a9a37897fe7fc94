"""`flask press fetch-enquiries`: journalists' emails to the press office mailbox become enquiries.

Each message is read (inbox_reading), then filed: an answer in an enquiry's conversation, when its
In-Reply-To or References name an email of that enquiry, or its subject carries the enquiry's tag, and the
journalist of that enquiry sent it; otherwise a new enquiry, taken and routed as a web enquiry is and
acknowledged through the outbox. A sender other than the enquiry's own journalist never reaches its
conversation: a forged reference only starts a new enquiry. Each batch is committed, then moved to the done
folder; a message handled before (by its Message-ID) is only moved, one that cannot be read stays put.
"""

import hmac
import re
from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import Row, func, insert, select
from sqlalchemy.orm import Session

from press import clock, imap
from press.accounts.models import User
from press.accounts.services import normalise_email
from press.contacts.models import Contact
from press.distribution.models import Distribution
from press.enquiries import deadlines
from press.enquiries.emails import ANSWERED
from press.enquiries.inbox_reading import Incoming, read
from press.enquiries.models import (
    ANSWERED_STATUSES,
    Channel,
    Direction,
    Enquiry,
    EnquiryAttachment,
    EnquiryEmail,
    EnquiryEvent,
    EnquiryKind,
    EnquiryStatus,
    EventKind,
)
from press.enquiries.services import Person, ReleaseRoute, add_event, event_values, take_enquiry
from press.outbox.messages import address_domain, delivery_message_id
from press.outbox.models import Delivery
from press.outbox.queue import delivery_values, enqueue_many
from press.releases import files
from press.releases.models import Release, Status

NEW, REPLY, SEEN = "new enquiry", "reply", "seen before"
SKIPPED = ("auto-reply", "bounce", "mailing list", "no sender", "from the press office")
TAG = re.compile(r"\[(ENQ-\d{4}-\d{4,})\]", re.IGNORECASE)
# A release's reference as its emails and pages print it: PREFIX 2024/25-07.
RELEASE_REFERENCE = re.compile(r"\b([A-Z][A-Z0-9]{0,9})\s?(\d{4}/\d{2}-\d{2,})\b", re.IGNORECASE)
# The Message-ID press.outbox gives a delivery: its id, then a digest of its secret.
DELIVERY_ID = re.compile(r"^(\d{1,18})\.([0-9a-f]{24})@(.+)$")
KIND_WORDS = ((EnquiryKind.INTERVIEW, r"\binterview"), (EnquiryKind.FILMING, r"\bfilm|\bcamera|\bphotograph"),
              (EnquiryKind.COMMENT, r"\bstatement\b|\bcomment\b"))
MAX_THREAD_IDS = 50
SUBJECT_LENGTH, BODY_LENGTH, NAME_LENGTH = 300, 20_000, 200


class Fetched(imap.Fetched):
    def summary(self, done_folder: str) -> str:
        handled = sum(self.outcomes.values())
        if not handled and not self.left:
            return "No new messages in the enquiry mailbox."
        taken = [(self.outcomes[name], name) for name in (NEW, REPLY, SEEN) if self.outcomes[name]]
        skipped = [(count, name) for name, count in sorted(self.outcomes.items()) if name in SKIPPED]
        parts = [f"{count} {plural(name, count)}" for count, name in taken]
        if skipped:
            reasons = ", ".join(f"{count} {name}" for count, name in skipped)
            parts.append(f"{sum(count for count, _ in skipped)} skipped ({reasons})")
        return (f"{handled} {plural('message', handled)} read: {', '.join(parts)}; "
                f"{self.moved} moved to {done_folder}.{self.left_text()}")


def plural(name: str, count: int) -> str:
    if count == 1 or name == SEEN:
        return name
    return {"new enquiry": "new enquiries", "reply": "replies"}.get(name, name + "s")


def settings(app: Flask) -> dict[str, Any]:
    return imap.settings(app.config, "ENQUIRY", "press office mailbox")


def fetch(app: Flask) -> tuple[Fetched, str]:
    """Read every message in the enquiry folder once, then move it aside; what was read, and where it went."""
    options = settings(app)
    fetched = Fetched()
    fetched.moved = imap.read_folder(options, lambda messages: take(app, messages, fetched))
    return fetched, options["done_folder"]


def take(app: Flask, messages: list[tuple[int, bytes]], fetched: Fetched) -> list[int]:
    """File a batch in one transaction; the uids to move once it is committed."""
    return imap.file_batch(app, messages, fetched, lambda session, raw: file_message(session, raw, app.config),
                           seen=SEEN, what="Enquiry mailbox")


def own_addresses(config: dict[str, Any]) -> set[str]:
    """The press office's own addresses: mail from them is our own coming back, never an enquiry."""
    named = (config.get("PRESS_ENQUIRY_ADDRESS"), config.get("PRESS_OFFICE_EMAIL"), config.get("MAIL_DEFAULT_SENDER"))
    return {normalise_email(re.sub(r"^.*<|>.*$", "", value)) for value in named if value}


def file_message(session: Session, raw: bytes, config: dict[str, Any]) -> str:
    """File one message from the mailbox and say what became of it; the caller commits."""
    incoming = read(raw)
    if session.scalar(select(EnquiryEmail.id).where(EnquiryEmail.message_id == incoming.message_id)):
        return SEEN
    if incoming.skip:
        return incoming.skip
    if not incoming.from_address or "@" not in incoming.from_address or len(incoming.from_address) > 254:
        return "no sender"
    if incoming.from_address in own_addresses(config):
        return "from the press office"
    now = clock.now()
    enquiry, forged = conversation_of(session, incoming)
    if enquiry is not None:
        reply_to_enquiry(session, enquiry, incoming, now, config)
        return REPLY
    new_enquiry(session, incoming, now, config, forged=forged)
    return NEW


def conversation_of(session: Session, incoming: Incoming) -> tuple[Enquiry | None, bool]:
    """The enquiry this email answers, if its own journalist sent it; and whether it named another's."""
    sender = normalise_email(incoming.from_address)
    ids = incoming.thread_ids[:MAX_THREAD_IDS]
    named: list[Enquiry] = []
    if ids:
        rows = session.execute(select(EnquiryEmail.message_id, Enquiry).join(Enquiry)
                               .where(EnquiryEmail.message_id.in_(ids), Enquiry.anonymised_at.is_(None))).all()
        found = dict(rows)
        named = [found[message_id] for message_id in ids if message_id in found]
    tag = TAG.search(incoming.subject)
    if tag:
        tagged = session.scalar(select(Enquiry).where(Enquiry.reference == tag[1].upper(),
                                                      Enquiry.anonymised_at.is_(None)))
        if tagged is not None:
            named.append(tagged)
    mine = next((enquiry for enquiry in named if enquiry.email and enquiry.email == sender), None)
    return mine, mine is None and bool(named)


def reply_to_enquiry(session: Session, enquiry: Enquiry, incoming: Incoming, now: datetime,
                     config: dict[str, Any]) -> int:
    """Add the journalist's email to the enquiry's conversation, opening the enquiry again if it was answered."""
    email_id = keep_email(session, enquiry.id, incoming, now, config)
    previous_status = enquiry.status
    if enquiry.status in ANSWERED_STATUSES:
        previous = enquiry.status
        enquiry.status = EnquiryStatus.IN_PROGRESS
        enquiry.closed_at = None
        enquiry.outcome = None
        add_event(session, enquiry, EventKind.REOPENED, None, previous=previous, to=EnquiryStatus.IN_PROGRESS,
                  email_id=email_id)
    assignee = enquiry.assignee
    if assignee is not None and assignee.active:
        # The journalist's deadline is also the alert's: one still unsent by then is no use.
        enqueue_many(session.connection(), [delivery_values(
            kind=ANSWERED, to_address=assignee.email,
            payload={"enquiry_id": enquiry.id, "user_id": assignee.id, "email_id": email_id,
                     "reopened": enquiry.status != previous_status},
            deadline=max(enquiry.deadline_at, now + timedelta(hours=1)))])
    session.flush()
    return email_id


def new_enquiry(session: Session, incoming: Incoming, now: datetime, config: dict[str, Any], *,
                forged: bool = False) -> int:
    """Take the email as a new enquiry, routed and acknowledged as a web enquiry is; its id."""
    email = normalise_email(incoming.from_address)
    outlet = session.scalar(select(Contact.outlet).where(Contact.email == email)) or ""
    subject = incoming.subject[:SUBJECT_LENGTH] or "(no subject)"
    taken = take_enquiry(
        session, channel=Channel.EMAIL, release=release_of(session, incoming, config),
        journalist_name=(incoming.from_name or email.partition("@")[0])[:NAME_LENGTH], outlet=outlet[:NAME_LENGTH],
        email=email, kind=kind_of(incoming), subject=subject,
        body=incoming.text[:BODY_LENGTH] or "(The email had no text.)",
        deadline_at=deadlines.next_working_day_end(now),
    )
    # Staff may want to know that it claimed to answer someone else's conversation.
    keep_email(session, taken.id, incoming, now, config, **({"unmatched_thread": True} if forged else {}))
    return taken.id


INSERT_EMAIL = insert(EnquiryEmail.__table__).returning(EnquiryEmail.__table__.c.id)
INSERT_ATTACHMENTS = insert(EnquiryAttachment.__table__)
INSERT_EVENT = insert(EnquiryEvent.__table__)


def keep_email(session: Session, enquiry_id: int, incoming: Incoming, now: datetime, config: dict[str, Any],
               **details: Any) -> int:
    """Write the email, its files and its suggested deadline into the enquiry's conversation and timeline;
    the email's id. Busy mornings bring hundreds of these, so the rows go in with plain statements."""
    suggestion = deadlines.suggest(f"{incoming.subject}\n{incoming.text}", now)
    email_id = session.execute(INSERT_EMAIL, dict(
        enquiry_id=enquiry_id, direction=Direction.IN, message_id=incoming.message_id,
        in_reply_to=incoming.in_reply_to, references=" ".join(incoming.references)[:10_000],
        from_name=incoming.from_name[:200], from_address=incoming.from_address[:254],
        to_address=incoming.to_address[:254], subject=incoming.subject[:998], body=incoming.text, at=now,
        by_id=None, delivery_id=None, suggested_deadline_at=suggestion[0] if suggestion else None,
        suggested_deadline_words=suggestion[1] if suggestion else "", suggestion_settled_at=None,
    )).scalar_one()
    kept, refused = attach(incoming, config)
    if kept:
        session.execute(INSERT_ATTACHMENTS, [row | {"email_id": email_id} for row in kept])
    if refused:
        details["refused"] = refused
    text = "; ".join(f"{item['filename']} was not kept: {item['reason']}" for item in refused)
    session.execute(INSERT_EVENT, [event_values(enquiry_id, EventKind.EMAIL_IN, None, text, email_id=email_id,
                                                attachments=len(kept), **details)])
    return email_id


def attach(incoming: Incoming, config: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """Store each file that came with the email as release attachments are stored: the rows of those kept, and
    what was refused, and why."""
    kept, refused = [], []
    for item in incoming.attachments:
        try:
            stored = files.store(config["PRESS_UPLOAD_DIR"], item.data, int(config["PRESS_MAX_ATTACHMENT_BYTES"]))
        except files.AttachmentError as error:
            refused.append({"filename": item.filename, "reason": str(error)})
            continue
        kept.append({"filename": files.clean_filename(item.filename, stored.content_type),
                     "content_type": stored.content_type, "size": stored.size, "sha256": stored.sha256,
                     "stored_name": stored.stored_name})
    return kept, refused


def kind_of(incoming: Incoming) -> str:
    """The kind of enquiry the words ask for; "other" unless they plainly say."""
    words = f"{incoming.subject}\n{incoming.text[:2000]}"
    return next((kind for kind, pattern in KIND_WORDS if re.search(pattern, words, re.IGNORECASE)), EnquiryKind.OTHER)


RELEASE_ROUTES = (
    select(Release.id, Release.reference, Release.headline, User.id, User.name, User.email, User.active)
    .join(User, User.id == Release.contact_id)
    .where(Release.status != Status.DRAFT)
)


def release_of(session: Session, incoming: Incoming, config: dict[str, Any]) -> ReleaseRoute | None:
    """The release the email is about: one whose reference it quotes, or else one whose email it answers."""
    quoted = [f"{prefix.upper()} {rest}" for prefix, rest in
              RELEASE_REFERENCE.findall(f"{incoming.subject}\n{incoming.text[:BODY_LENGTH]}")]
    if quoted:
        rows = session.execute(RELEASE_ROUTES.where(func.upper(Release.reference).in_(quoted[:20])))
        routes = {row.reference.upper(): row for row in rows}
        row = next((routes[reference] for reference in quoted if reference in routes), None)
        if row is not None:
            return route_of(row)
    release_id = answered_release(session, incoming, config)
    if release_id is None:
        return None
    row = session.execute(RELEASE_ROUTES.where(Release.id == release_id)).first()
    return route_of(row) if row is not None else None


def route_of(row: Row) -> ReleaseRoute:
    release_id, reference, headline, user_id, name, email, active = row
    return ReleaseRoute(release_id, reference, headline, Person(user_id, name, email) if active else None)


def answered_release(session: Session, incoming: Incoming, config: dict[str, Any]) -> int | None:
    """The release whose email this answers, told by the Message-ID the outbox gave that delivery."""
    domain = address_domain(config["MAIL_DEFAULT_SENDER"])
    for message_id in incoming.thread_ids[:MAX_THREAD_IDS]:
        match = DELIVERY_ID.match(message_id)
        if match is None or match[3].lower() != domain.lower():
            continue
        row = session.execute(select(Delivery.secret, Distribution.release_id)
                              .join(Distribution, Distribution.id == Delivery.distribution_id)
                              .where(Delivery.id == int(match[1]))).first()
        if row is not None and hmac.compare_digest(delivery_message_id(int(match[1]), row.secret, domain),
                                                   f"<{message_id}>"):
            return row.release_id
    return None
