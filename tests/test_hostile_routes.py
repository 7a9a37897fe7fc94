"""Every route, sent what an attacker or a careless paste might send, answers without a server error.

The routes are read from the app itself and the field names from every form class, so a route or a
field added later is swept too. Each value goes into every query parameter and every form field at once,
and into the path wherever the route takes a string.
"""

import re
from datetime import timedelta
from urllib.parse import quote, urlencode

import pytest
from wtforms.fields.core import UnboundField

from press import clock
from press.contacts import services as contacts
from press.distribution import services as distribution_services
from press.extensions import db
from press.forms import BaseForm
from press.releases import services as releases
from press.releases.models import Release

HOSTILE = [
    "", " ", "0", "-1", "2147483648", "99999999999999999999999", "1e400", "nan", "0x1f",
    "\x00", "a\x00b", "line\r\nBcc: victim@example.com", "' OR 1=1 --", "<script>alert(1)</script>", "%", "_",
    "\\", "../../etc/passwd", "\u202e\u05e9\u05dc\u05d5\u05dd", "😀" * 300, "x" * 25_000,
    "9999-12-31", "0000-00-00", "2024-02-30", "24:00", "23:60", "2024-13-01T25:00", "true", "[]", "{}",
    "ENQ-2024-0001", "NCC 2024/25-01", "a@b", "@", "a" * 65 + "@example.com",
]

PDF = b"%PDF-1.7\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF"

# Bytes that are not UTF-8 at all, in every name the forms use.
BROKEN_UTF8 = b"&".join(b"%s=%%ff%%fe%%c0%%80" % name.encode()
                        for name in ["q", "page", "email", "name", "body", "status"])

# Query parameters the views read directly, besides the fields of the filter forms.
QUERY_NAMES = ["q", "page", "status", "release", "after", "before", "list", "weeks", "show", "next", "filters",
               "sort", "due", "assignee", "kind", "outlet", "received_from", "received_to"]


def every_form_field() -> set[str]:
    names = {"csrf_token"}
    pending = [BaseForm]
    while pending:
        form = pending.pop()
        pending.extend(form.__subclasses__())
        names.update(name for name in dir(form) if isinstance(getattr(form, name, None), UnboundField))
    return names


FIELDS = sorted(every_form_field() | set(QUERY_NAMES))
PLACEHOLDER = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")


def fill_path(rule: str, ids: dict[str, int], value: str) -> str:
    """The rule's path with each number an existing object's id and each string the hostile value."""

    def fill(match: re.Match) -> str:
        converter, argument = match.groups()
        if converter == "int":
            return str(ids.get(argument, 1))
        return quote(value.replace("/", "") or "x", safe="")[:2000]

    return PLACEHOLDER.sub(fill, rule)


@pytest.fixture
def office(app, manager, make_release, make_enquiry):
    """One of everything a route can look up, so the sweep gets past the lookups into the views."""
    release_id = make_release(final=True, contact_id=manager)
    enquiry_id = make_enquiry(release_id=release_id, deadline_at=clock.now() + timedelta(hours=4))
    with app.app_context():
        release = db.session.get(Release, release_id)
        attachment = releases.add_attachment(
            db.session, release, directory=app.config["PRESS_UPLOAD_DIR"], filename="notes.pdf",
            data=PDF, max_bytes=app.config["PRESS_MAX_ATTACHMENT_BYTES"], by=None)
        media_list = contacts.save_list(db.session, None, name="Local press", description="", for_signups=True)
        contact = contacts.create_contact(db.session, by=None, email="reporter@gazette.example", name="Rita Reporter",
                                          outlet="Northshire Gazette", lists=[media_list])
        db.session.flush()
        distribution = distribution_services.create_distribution(
            db.session, release, list_ids=[media_list.id], contact_ids=[], at=None, stop_after=None,
            request_key="hostile-sweep", by=None)
        db.session.commit()
        return {"release_id": release_id, "enquiry_id": enquiry_id, "contact_id": contact.id,
                "list_id": media_list.id, "attachment_id": attachment.id, "distribution_id": distribution.id}


def sweep(app, client, ids: dict[str, int], *, skip: set[str] = frozenset()) -> list[str]:
    failures = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in skip or rule.endpoint == "static":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for value in [*HOSTILE, BROKEN_UTF8]:
                path = fill_path(rule.rule, ids, value if isinstance(value, str) else "x")
                fields = value.decode() if isinstance(value, bytes) else urlencode({name: value for name in FIELDS})
                try:
                    if method == "GET":
                        response = client.get(f"{path}?{fields}")
                    else:
                        response = client.post(path, data=fields, content_type="application/x-www-form-urlencoded")
                    status = response.status_code
                    response.close()
                except Exception as error:  # noqa: BLE001 - every failure is collected and reported together
                    status = f"{type(error).__name__}: {error}"
                if not isinstance(status, int) or status >= 500:
                    failures.append(f"{method} {rule.rule} with {value[:40]!r}: {status}")
    return failures


def test_no_route_fails_on_hostile_input_for_the_public(app, office):
    failures = sweep(app, app.test_client(), office)
    assert not failures, "\n".join(failures)


def test_no_route_fails_on_hostile_input_for_a_manager(app, client, office):
    # Signing out would end the sweep's session; it takes no input to go wrong on.
    failures = sweep(app, client, office, skip={"accounts.logout"})
    assert not failures, "\n".join(failures)


def test_no_route_fails_on_hostile_input_for_a_press_officer(app, client, office, make_user, auth):
    make_user("staff", email="officer@council.example")
    auth.logout()
    auth.login("officer@council.example")
    assert client.get("/staff/enquiries/export.csv").status_code == 403
    failures = sweep(app, client, office, skip={"accounts.logout"})
    assert not failures, "\n".join(failures)
