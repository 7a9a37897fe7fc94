"""The distribution area's two blueprints: sending and its reports for staff, and journalists' early access."""

from flask import Blueprint

staff = Blueprint("distribution", __name__, url_prefix="/staff")
public = Blueprint("early_access", __name__, url_prefix="/early")
