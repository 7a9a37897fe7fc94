"""Lifting an embargo early: the release is public at once, and everyone who had it under embargo is told."""

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from press import clock
from press.accounts.access import editor_required
from press.accounts.models import User
from press.contacts.models import Contact, ContactStatus
from press.distribution.blueprints import staff as bp
from press.distribution.emails import EMBARGO_LIFTED, RELEASE
from press.distribution.models import Distribution
from press.extensions import db
from press.forms import ActionForm
from press.outbox.models import Delivery, DeliveryStatus
from press.outbox.queue import delivery_values, enqueue_many
from press.releases.models import Release, Status
from press.releases.services import record


class LiftError(ValueError):
    pass


def had_it_under_embargo(release: Release):
    """Who the release was delivered to and can still be mailed: one row per address, with its contact."""
    return (select(Delivery.to_address, func.min(Delivery.contact_id))
            .join(Distribution, Distribution.id == Delivery.distribution_id)
            .join(Contact, Contact.id == Delivery.contact_id)
            .where(Distribution.release_id == release.id, Delivery.kind == RELEASE.name,
                   Delivery.status == DeliveryStatus.SENT, Delivery.to_address != "",
                   Contact.status == ContactStatus.ACTIVE)
            .group_by(Delivery.to_address))


def lift_embargo(session: Session, release: Release, *, by: User) -> int:
    """Make the release public now and queue a notice to each person who had it; how many are told."""
    now = clock.now()
    if release.status != Status.FINAL or not release.under_embargo(now):
        raise LiftError("This release is not under embargo, so there is nothing to lift.")
    was = release.embargo_at
    release.embargo_at = release.public_from = now
    told = session.execute(had_it_under_embargo(release)).all()
    enqueue_many(session, [delivery_values(kind=EMBARGO_LIFTED, to_address=address, contact_id=contact_id,
                                           payload={"release_id": release.id}) for address, contact_id in told])
    session.flush()
    record(session, release, "embargo lifted", by, {"embargo_at": [was.isoformat(), now.isoformat()]})
    return len(told)


@bp.route("/releases/<int:release_id>/lift-embargo", methods=["GET", "POST"])
@editor_required
def lift(release_id: int) -> str | Response:
    release = db.get_or_404(Release, release_id)
    form = ActionForm()
    if form.is_submitted():
        if not form.validate():
            abort(400)
        try:
            told = lift_embargo(db.session, release, by=current_user)
        except LiftError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(f"The embargo is lifted: the release is public now, and {told:,} "
                  f"{'journalist who had it is' if told == 1 else 'journalists who had it are'} being told.")
        return redirect(url_for("releases.show", release_id=release.id))
    if not release.under_embargo(clock.now()) or release.status != Status.FINAL:
        flash("This release is not under embargo, so there is nothing to lift.", "error")
        return redirect(url_for("releases.show", release_id=release.id))
    told = db.session.scalar(select(func.count()).select_from(had_it_under_embargo(release).subquery()))
    return render_template("distribution/lift.html", release=release, told=told, form=form)
