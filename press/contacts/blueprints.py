"""The contacts area's two blueprints: the staff pages (contacts, lists, imports) and the journalists' own."""

from flask import Blueprint

staff = Blueprint("contacts", __name__, url_prefix="/staff/contacts")
public = Blueprint("contacts_public", __name__)
