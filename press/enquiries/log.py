"""The enquiry log: filtering, searching and paging every enquiry, and exporting it."""

from flask import Blueprint, render_template

from press.accounts.access import staff_required

bp = Blueprint("enquiry_log", __name__, url_prefix="/staff/enquiries")


@bp.get("/")
@staff_required
def index():
    return render_template("enquiries/log.html")
