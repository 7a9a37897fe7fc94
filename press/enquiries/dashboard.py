"""How the press office is doing with enquiries: figures and charts drawn by the app itself."""

from flask import Blueprint, render_template

from press.accounts.access import staff_required

bp = Blueprint("enquiry_dashboard", __name__, url_prefix="/staff/enquiries")


@bp.get("/dashboard")
@staff_required
def index():
    return render_template("enquiries/dashboard.html")
