"""Sending a release under embargo in tiers: trusted desks some hours before the lift, others later, the rest
at the lift. Each tier is a distribution of its own; a contact gets the release once, in the earliest tier
whose lists they are on.
"""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session
from wtforms import HiddenField, StringField, SubmitField
from wtforms.validators import InputRequired, Length, Optional, Regexp

from press import clock
from press.accounts.access import editor_required
from press.accounts.models import User
from press.contacts.models import MediaList
from press.distribution import services
from press.distribution.blueprints import staff as bp
from press.distribution.models import Distribution
from press.extensions import db
from press.forms import BaseForm, CheckboxesField, WholeNumberField
from press.releases import election_views
from press.releases.models import Release, Status

TIERS = 3
DEFAULTS = (("Trusted national desks and broadcasters", 48), ("Local press", 24), ("Everyone else", 0))
MOST_HOURS = 14 * 24


@dataclass(frozen=True)
class Tier:
    number: int
    name: str
    list_ids: list[int]
    hours_before: int


@dataclass(frozen=True)
class PlannedTier:
    tier: Tier
    at: datetime
    audience: services.Audience
    list_names: list[str]


def plan(session: Session, release: Release, tiers: list[Tier]) -> list[PlannedTier]:
    """When each tier goes and who it reaches: the earliest first, each leaving out the earlier tiers' lists."""
    ordered = sorted(tiers, key=lambda tier: (-tier.hours_before, tier.number))
    names = dict(session.execute(select(MediaList.id, MediaList.name)).all())
    planned, earlier = [], []
    for tier in ordered:
        at = release.embargo_at - timedelta(hours=tier.hours_before)
        embargoed = at if release.under_embargo(at) else None
        planned.append(PlannedTier(tier, at, services.audience(session, tier.list_ids, [], embargoed, earlier),
                                   sorted(names.get(list_id, "") for list_id in tier.list_ids)))
        earlier = [*earlier, (tier.list_ids, embargoed)]
    return planned


def problems(planned: list[PlannedTier], now: datetime) -> list[tuple[int, str]]:
    """What stops the plan, with the tier it concerns."""
    found = []
    for item in planned:
        if item.at <= now:
            found.append((item.tier.number, f"{item.tier.hours_before} hours before the embargo lifts has passed: "
                                            "choose fewer hours."))
        elif item.audience.recipients == 0:
            found.append((item.tier.number, "This tier reaches nobody new: everyone on its lists is in an earlier "
                                            "tier, unsubscribed or bounced."))
    return found


def send_in_tiers(session: Session, release: Release, planned: list[PlannedTier], *, request_key: str,
                  expected: list[int] | None, by: User) -> list[Distribution]:
    """Queue every tier in this transaction; a tier's number changed since it was confirmed raises
    AudienceChangedError and the caller rolls back."""
    made, earlier = [], []
    for place, item in enumerate(planned, start=1):
        made.append(services.create_distribution(
            session, release, list_ids=item.tier.list_ids, contact_ids=[], at=item.at, stop_after=None,
            request_key=f"{request_key}-{place}", by=by, expected=expected[place - 1] if expected else None,
            excluding=earlier, tier=(place, len(planned), item.tier.name)))
        earlier = [*earlier, (item.tier.list_ids, item.at if release.under_embargo(item.at) else None)]
    return made


# --- The page ------------------------------------------------------------------------------------------------

def tier_fields(number: int) -> dict:
    name, hours = DEFAULTS[number - 1]
    return {
        f"tier{number}_name": StringField(f"Tier {number}: name", default=name,
                                          validators=[Optional(), Length(max=100)]),
        f"tier{number}_lists": CheckboxesField(f"Tier {number}: lists", coerce=int, choices=[]),
        f"tier{number}_hours": WholeNumberField(
            f"Tier {number}: hours before the embargo lifts", default=hours,
            invalid="Enter the hours as a whole number, such as 24.", render_kw={"inputmode": "numeric"},
            validators=[Optional()]),
    }


class TiersForm(BaseForm):
    request_key = HiddenField(validators=[InputRequired("Reload the page and choose again."), Length(max=48),
                                          Regexp(r"^[A-Za-z0-9_-]+$", message="Reload the page and choose again.")])
    expected = HiddenField()
    check = SubmitField("Check the tiers")
    confirm = SubmitField("Send in these tiers")

    def set_lists(self, lists: list[MediaList]) -> None:
        for number in range(1, TIERS + 1):
            self[f"tier{number}_lists"].choices = [(m.id, m.name) for m in lists]

    def tiers(self) -> list[Tier]:
        """The tiers filled in (a tier without lists is not used); errors go on the fields."""
        found = []
        for number in range(1, TIERS + 1):
            lists, hours = self[f"tier{number}_lists"], self[f"tier{number}_hours"]
            if not lists.data:
                continue
            if hours.data is None and not hours.errors:
                hours.errors = ["Enter how many hours before the embargo lifts this tier goes (0: at the lift)."]
            elif hours.data is not None and hours.data > MOST_HOURS:
                hours.errors = [f"Enter at most {MOST_HOURS} hours."]
            name = (self[f"tier{number}_name"].data or "").strip() or f"Tier {number}"
            found.append(Tier(number, name, list(lists.data), hours.data or 0))
        if not found:
            self.tier1_lists.errors = ["Choose the lists for at least one tier."]
        return found


for _number in range(1, TIERS + 1):
    for _name, _field in tier_fields(_number).items():
        setattr(TiersForm, _name, _field)


def expected_counts(form: TiersForm, tiers: int) -> list[int] | None:
    values = (form.expected.data or "").split(",")
    if len(values) != tiers or not all(value.isdigit() and len(value) <= 9 for value in values):
        return None
    return [int(value) for value in values]


@bp.route("/releases/<int:release_id>/send-in-tiers", methods=["GET", "POST"])
@editor_required
def send_tiers(release_id: int):
    release = db.get_or_404(Release, release_id)
    now = clock.now()
    if release.status != Status.FINAL or not release.under_embargo(now):
        flash("Only a final release under embargo can be sent in tiers.", "error")
        return redirect(url_for("releases.show", release_id=release.id))
    form = TiersForm(data={"request_key": secrets.token_urlsafe(24)} if request.method == "GET" else None)
    form.set_lists(list(db.session.scalars(select(MediaList).order_by(MediaList.name))))
    planned, changed, election_form = None, False, None
    if form.validate_on_submit():
        tiers = form.tiers()
        if not form.errors:
            planned = plan(db.session, release, tiers)
            for number, message in problems(planned, now):
                form[f"tier{number}_hours" if "hours" in message else f"tier{number}_lists"].errors.append(message)
        # The tiers go from now until the embargo: the pre-election check covers both.
        election_form = (election_views.send_refusal(release, release.embargo_at)
                         if not form.errors and form.confirm.data else None)
        if not form.errors and form.confirm.data and election_form is None:
            expected = expected_counts(form, len(planned))
            try:
                if expected is None:
                    raise services.AudienceChangedError(0)
                made = send_in_tiers(db.session, release, planned, request_key=form.request_key.data,
                                     expected=expected, by=current_user)
            except services.AudienceChangedError:
                db.session.rollback()
                changed = True
            else:
                db.session.commit()
                flash(f"Sent in {len(made)} tiers: {sum(d.recipients for d in made):,} journalists, each once.")
                return redirect(url_for("distribution.index", release=release.id))
    status = 422 if form.errors or election_form is not None else 200
    return render_template("distribution/tiers.html", release=release, form=form, planned=None if form.errors
                           else planned, changed=changed, tiers=range(1, TIERS + 1), election_form=election_form,
                           election_at=release.embargo_at), status
