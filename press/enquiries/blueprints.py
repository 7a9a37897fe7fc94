"""The enquiries area's two blueprints: the log, the dashboard and each enquiry for staff; the form for journalists."""

from flask import Blueprint

staff = Blueprint("enquiries", __name__, url_prefix="/staff/enquiries")
public = Blueprint("enquiries_public", __name__)
