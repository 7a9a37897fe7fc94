"""The embargo-breach register: a breach recorded with its evidence, and the sanction that follows it.

A journalist suspended for a breach, or anyone at a suspended outlet, is left out of every distribution that
goes while the release is still under embargo, until the suspension ends or is lifted; they still get
releases that carry no embargo, or whose embargo has lifted by the time they go.
"""

from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session, selectinload

from press import clock
from press.accounts.models import User
from press.audit import audit
from press.contacts.models import Contact
from press.distribution.models import EmbargoBreach, Sanction, outlet_key
from press.releases import files
from press.releases.models import Release


class BreachError(ValueError):
    """A breach that cannot be recorded as given, with the form field it concerns."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def in_force(at: datetime) -> ColumnElement[bool]:
    return and_(EmbargoBreach.sanction.in_([Sanction.JOURNALIST, Sanction.OUTLET]), EmbargoBreach.lifted_at.is_(None),
                EmbargoBreach.suspended_until > at)


def suspended(at: datetime) -> ColumnElement[bool]:
    """The contacts a suspension holds at this moment: the journalist named, or anyone at the outlet named."""
    journalists = select(EmbargoBreach.contact_id).where(in_force(at), EmbargoBreach.sanction == Sanction.JOURNALIST,
                                                        EmbargoBreach.contact_id.is_not(None))
    outlets = select(EmbargoBreach.outlet_key).where(in_force(at), EmbargoBreach.sanction == Sanction.OUTLET)
    return or_(Contact.id.in_(journalists), func.lower(func.trim(Contact.outlet)).in_(outlets))


def problems(*, contact: Contact | None, outlet: str, seen_at: datetime | None, ours: bool, sanction: Sanction,
             suspended_until: datetime | None) -> list[tuple[str, str]]:
    """What is wrong with a breach as given, each with the field it concerns: all of it, to say at once."""
    now = clock.now()
    found = []
    suspends = sanction in (Sanction.JOURNALIST, Sanction.OUTLET)
    if contact is None and not outlet.strip():
        found.append(("journalist", "Give the journalist or the outlet that broke the embargo."))
    elif sanction == Sanction.JOURNALIST and contact is None:
        found.append(("journalist", "Give the journalist's email address to suspend them."))
    if seen_at is not None and seen_at > now:
        found.append(("seen_at", "The time it was seen must be in the past."))
    if ours and suspends:
        found.append(("sanction", "A breach that was our own mistake cannot suspend anyone: choose no sanction or "
                                  "a warning."))
    elif sanction == Sanction.OUTLET and not outlet.strip():
        found.append(("outlet", "Give the outlet to suspend it."))
    if suspends and suspended_until is None:
        found.append(("suspended_until", "Enter the date the suspension ends."))
    elif suspends and suspended_until <= now:
        found.append(("suspended_until", "The suspension must end after today."))
    return found


def record_breach(
    session: Session, *, release: Release, contact: Contact | None, outlet: str, seen_at: datetime,
    evidence_url: str, evidence: tuple[str, bytes] | None, upload_dir: str, max_bytes: int, ours: bool,
    notes: str, sanction: Sanction, suspended_until: datetime | None, by: User,
) -> EmbargoBreach:
    """Check and keep a breach; a BreachError names the field that is wrong."""
    outlet = " ".join(outlet.split()) or (contact.outlet if contact is not None else "")
    found = problems(contact=contact, outlet=outlet, seen_at=seen_at, ours=ours, sanction=sanction,
                     suspended_until=suspended_until)
    if found:
        raise BreachError(found[0][1], found[0][0])
    if sanction not in (Sanction.JOURNALIST, Sanction.OUTLET):
        suspended_until = None
    stored = None
    if evidence is not None:
        try:
            stored = files.store(upload_dir, evidence[1], max_bytes)
        except files.AttachmentError as error:
            raise BreachError(str(error), "evidence_file") from error
    breach = EmbargoBreach(
        release=release, contact_id=contact.id if contact is not None else None, outlet=outlet,
        outlet_key=outlet_key(outlet), seen_at=seen_at, evidence_url=evidence_url.strip(),
        evidence_filename=files.clean_filename(evidence[0], stored.content_type) if stored else "",
        evidence_stored_name=stored.stored_name if stored else "", ours=ours, notes=notes.strip(),
        sanction=sanction, suspended_until=suspended_until, recorded_by_id=by.id, recorded_at=clock.now(),
    )
    session.add(breach)
    session.flush()
    audit(session, "embargo breach recorded", by, breach, release_id=release.id, sanction=str(sanction),
          contact_id=breach.contact_id, outlet=outlet, ours=ours)
    return breach


def lift(session: Session, breach: EmbargoBreach, *, by: User) -> bool:
    """End a suspension early; False if nothing was suspended any more."""
    if not breach.suspends(clock.now()):
        return False
    breach.lifted_at = clock.now()
    session.flush()
    audit(session, "embargo breach suspension lifted", by, breach)
    return True


def register(session: Session) -> list[EmbargoBreach]:
    """Every breach, the latest seen first."""
    return list(session.scalars(select(EmbargoBreach)
                                .options(selectinload(EmbargoBreach.release), selectinload(EmbargoBreach.contact))
                                .order_by(EmbargoBreach.seen_at.desc(), EmbargoBreach.id.desc())))


def suspensions_of(session: Session, contact: Contact, at: datetime) -> list[EmbargoBreach]:
    """The suspensions holding a contact now, for their page."""
    return list(session.scalars(select(EmbargoBreach).where(in_force(at), or_(
        and_(EmbargoBreach.sanction == Sanction.JOURNALIST, EmbargoBreach.contact_id == contact.id),
        and_(EmbargoBreach.sanction == Sanction.OUTLET, EmbargoBreach.outlet_key == outlet_key(contact.outlet or ""),
             EmbargoBreach.outlet_key != "")))))
