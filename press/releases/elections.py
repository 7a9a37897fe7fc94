"""The pre-election period rules: when a release falls in a period, whom it may not name, and what publishing or
sending it then needs (the manager's confirmation that it meets the Code of Recommended Practice on Local
Authority Publicity, and an admin's recorded override for each listed councillor or candidate it names)."""

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from press import clock, uktime
from press.accounts.models import User
from press.audit import audit
from press.releases.election_models import ElectionName, ElectionOverride, ElectionPeriod
from press.releases.models import Release
from press.releases.services import record

CODE = "the Code of Recommended Practice on Local Authority Publicity"
# The text of a release that goes to the public: quotes are in the body.
TEXT_FIELDS = ("headline", "standfirst", "body", "notes_to_editors", "helpline")
APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})


class ElectionError(ValueError):
    """What a pre-election period stops, said so the person can act on it; ``field`` is where the form shows it."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass
class Check:
    """What the periods a release falls in ask of it: the periods, the listed names it carries, and the overrides."""

    periods: list[ElectionPeriod] = field(default_factory=list)
    # (period, listed name) for every listed name the text carries.
    named: list[tuple[ElectionPeriod, ElectionName]] = field(default_factory=list)
    overrides: list[ElectionOverride] = field(default_factory=list)

    @property
    def applies(self) -> bool:
        return bool(self.periods)

    @property
    def blocked(self) -> list[tuple[ElectionPeriod, ElectionName]]:
        """The names found that no override of the same period has cleared."""
        cleared = {(o.period_id, n.casefold()) for o in self.overrides for n in o.names}
        return [(p, n) for p, n in self.named if (p.id, n.name.casefold()) not in cleared]


def uk_day(moment: datetime) -> date:
    return uktime.to_london(moment).date()


def periods_on(session: Session, days: set[date]) -> list[ElectionPeriod]:
    """The periods that take in any of these UK dates, earliest first."""
    if not days:
        return []
    query = select(ElectionPeriod).where(or_(*[
        (ElectionPeriod.starts_on <= day) & (ElectionPeriod.ends_on >= day) for day in days
    ])).order_by(ElectionPeriod.starts_on, ElectionPeriod.id)
    return list(session.scalars(query))


def current_period(session: Session, now: datetime | None = None) -> ElectionPeriod | None:
    """The period today (in UK time) is in, for the newsroom's notice; the one ending soonest if several are."""
    today = uk_day(now or clock.now())
    return session.scalar(select(ElectionPeriod).where(ElectionPeriod.starts_on <= today, ElectionPeriod.ends_on >= today)
                          .order_by(ElectionPeriod.ends_on, ElectionPeriod.id).limit(1))


def publishing_days(release: Release, now: datetime) -> set[date]:
    """Publishing counts as happening today, and again at the embargo time when the release waits for one."""
    days = {uk_day(now)}
    if release.embargo_at is not None and release.embargo_at > now:
        days.add(uk_day(release.embargo_at))
    return days


def sending_days(at: datetime | None, now: datetime) -> set[date]:
    """Sending is decided today and happens at the scheduled time, or now."""
    return {uk_day(now), uk_day(at or now)}


def name_pattern(name: str) -> re.Pattern[str]:
    """The whole name as whole words, any case, any spacing between its parts: "Jo Bloggs" is not in "Jo Bloggsworth"."""
    parts = name.translate(APOSTROPHES).split()
    return re.compile(r"(?<!\w)" + r"\s+".join(re.escape(part) for part in parts) + r"(?!\w)", re.IGNORECASE)


def release_text(release: Release) -> str:
    return "\n".join(getattr(release, name) or "" for name in TEXT_FIELDS).translate(APOSTROPHES)


def names_in(text: str, names: list[ElectionName]) -> list[ElectionName]:
    return [name for name in names if name.name.split() and name_pattern(name.name).search(text)]


def check(session: Session, release: Release, days: set[date]) -> Check:
    """What the periods on these days ask of the release."""
    periods = periods_on(session, days)
    if not periods:
        return Check()
    text = release_text(release)
    named = [(period, name) for period in periods for name in names_in(text, period.names)]
    overrides = list(session.scalars(select(ElectionOverride).where(
        ElectionOverride.release_id == release.id, ElectionOverride.period_id.in_([p.id for p in periods]),
    ).order_by(ElectionOverride.at)))
    return Check(periods=periods, named=named, overrides=overrides)


def require_clearance(found: Check, *, confirmed: bool, doing: str = "be published") -> None:
    """Refuse unless the manager confirmed the Code and every listed name found has an admin's override."""
    if not found.applies:
        return
    if found.blocked:
        people = ", ".join(dict.fromkeys(name.name for _period, name in found.blocked))
        raise ElectionError(f"This release names {people}, listed for the pre-election period, so it cannot "
                            f"{doing} unless an admin records an override with a reason.", "blocked")
    if not confirmed:
        raise ElectionError(f"Confirm that this release meets {CODE}.", "code_confirmed")


def record_clearance(session: Session, release: Release, found: Check, *, doing: str, by: User | None) -> None:
    """Put the confirmation in the release's history and the audit trail."""
    record(session, release, f"publicity code confirmed to {doing}", by,
           {"periods": [period.name for period in found.periods]})


def override(session: Session, release: Release, found: Check, reason: str, *, by: User) -> list[ElectionOverride]:
    """Record an admin's override for the names the release carries in each period it falls in."""
    reason = reason.strip()
    if not reason:
        raise ElectionError("Enter the reason for the override.", "reason")
    if not found.named:
        raise ElectionError("This release names nobody on the lists of the pre-election period, so it needs no override.",
                            "reason")
    made = []
    for period in found.periods:
        names = [name.name for p, name in found.named if p.id == period.id]
        if names:
            made.append(ElectionOverride(release_id=release.id, period_id=period.id, names=names, reason=reason,
                                         by_id=by.id, at=clock.now()))
    session.add_all(made)
    session.flush()
    record(session, release, "election override", by,
           {"names": [n for o in made for n in o.names], "reason": reason})
    return made


# --- Admins' list of periods ----------------------------------------------------------------------------------

def add_period(session: Session, *, name: str, starts_on: date, ends_on: date, wards: list[str] | None,
               by: User) -> ElectionPeriod:
    """Record a pre-election period; ``wards`` None means the whole area."""
    if ends_on < starts_on:
        raise ElectionError("The last day must be the same as or after the first day.", "ends_on")
    period = ElectionPeriod(name=name.strip(), starts_on=starts_on, ends_on=ends_on, whole_area=wards is None,
                            wards="\n".join(wards or []), created_by_id=by.id, created_at=clock.now())
    session.add(period)
    session.flush()
    audit(session, "election period added", by, period, name=period.name, starts_on=starts_on.isoformat(),
          ends_on=ends_on.isoformat(), wards=period.ward_list)
    return period


def remove_period(session: Session, period: ElectionPeriod, *, by: User) -> None:
    audit(session, "election period removed", by, period, name=period.name, starts_on=period.starts_on.isoformat(),
          ends_on=period.ends_on.isoformat())
    session.delete(period)
    session.flush()


def add_name(session: Session, period: ElectionPeriod, *, name: str, ward: str, by: User) -> ElectionName:
    """List a councillor or candidate for the period; the same name twice is refused."""
    name = " ".join(name.split())
    for existing in period.names:
        if existing.name.casefold() == name.casefold():
            raise ElectionError(f"{existing.name} is already listed for this period.", "name")
    entry = ElectionName(period_id=period.id, name=name, ward=" ".join(ward.split()), added_by_id=by.id, added_at=clock.now())
    try:
        with session.begin_nested():
            session.add(entry)
            session.flush()
    except IntegrityError as error:
        raise ElectionError(f"{name} is already listed for this period.", "name") from error
    audit(session, "election name added", by, period, name=entry.name, ward=entry.ward)
    return entry


def remove_name(session: Session, entry: ElectionName, *, by: User) -> None:
    audit(session, "election name removed", by, entry.period, name=entry.name, ward=entry.ward)
    session.delete(entry)
    session.flush()
