"""The bounces page: what has come back to the bounce address, counted by what it was, the latest first."""

from datetime import timedelta

from flask import Blueprint, render_template
from sqlalchemy import func, select

from press import clock
from press.accounts.access import editor_required
from press.bounces.models import InboundBounce, Outcome
from press.contacts.models import Contact
from press.extensions import db
from press.outbox.models import Delivery

bp = Blueprint("bounces", __name__, url_prefix="/staff/bounces")

RECENT = 100
WINDOW = timedelta(days=30)
OUTCOME_LABELS = {
    Outcome.PERMANENT: "Permanent failures: the address does not take mail",
    Outcome.TEMPORARY: "Temporary failures: scored against the contact",
    Outcome.AUTO_REPLY: "Automatic replies, such as out-of-office: ignored",
    Outcome.NOT_A_FAILURE: "Reports of delivery, or saying nothing: ignored",
    Outcome.FORGED: "Not signed by us: ignored",
    Outcome.UNKNOWN_DELIVERY: "For an email no longer kept: ignored",
}


@bp.get("/")
@editor_required
def index():
    since = clock.now() - WINDOW
    counts = dict(db.session.execute(select(InboundBounce.outcome, func.count()).where(
        InboundBounce.received_at >= since).group_by(InboundBounce.outcome)).all())
    rows = db.session.execute(
        select(InboundBounce, Contact.name, Contact.email, Delivery.distribution_id)
        .outerjoin(Contact, Contact.id == InboundBounce.contact_id)
        .outerjoin(Delivery, Delivery.id == InboundBounce.delivery_id)
        .order_by(InboundBounce.received_at.desc(), InboundBounce.id.desc()).limit(RECENT)).all()
    return render_template("bounces/index.html", counts=counts, labels=OUTCOME_LABELS, rows=rows, days=WINDOW.days)
