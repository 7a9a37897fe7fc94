"""Staff pages for one enquiry: reading it, working it, logging a new one, and the duty officer."""

from flask import Blueprint, render_template

from press.accounts.access import staff_required
from press.enquiries.models import Enquiry
from press.extensions import db

bp = Blueprint("enquiries", __name__, url_prefix="/staff/enquiries")


@bp.get("/<int:enquiry_id>")
@staff_required
def show(enquiry_id: int):
    enquiry = db.get_or_404(Enquiry, enquiry_id)
    return render_template("enquiries/show.html", enquiry=enquiry)


@bp.route("/new", methods=["GET", "POST"])
@staff_required
def new():
    return render_template("enquiries/show.html", enquiry=None)


@bp.route("/duty-officer", methods=["GET", "POST"])
@staff_required
def duty_officer():
    return render_template("enquiries/show.html", enquiry=None)
