"""The audit trail: every change writes one entry (who, when, what, which object, from where); admins read,
filter, page and export it; nothing in the app changes or removes an entry."""

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from press import clock
from press.accounts.models import User
from press.audit import AuditEvent, audit
from press.contacts import services as contacts
from press.distribution import services as distribution
from press.enquiries import services as enquiries
from press.enquiries.models import EnquiryStatus, Outcome
from press.extensions import db
from press.outbox.models import Delivery
from press.releases import services as releases
from press.releases.models import Release
from tests.conftest import PASSWORD

PDF = b"%PDF-1.7\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF"
ADDRESS = "198.51.100.7"


def new_entries(app, after_id: int = 0) -> list[tuple]:
    with app.app_context():
        rows = db.session.scalars(select(AuditEvent).where(AuditEvent.id > after_id).order_by(AuditEvent.id)).all()
        return [(row.action, row.object_kind, row.object_id, row.remote_addr, row.user_id) for row in rows]


def last_id(app) -> int:
    with app.app_context():
        return db.session.scalar(select(db.func.max(AuditEvent.id))) or 0


@pytest.fixture
def admin(make_user, auth):
    """A signed-in admin; returns their user id."""
    user_id = make_user("admin", email="admin@council.example", name="Alex Admin")
    auth.login("admin@council.example")
    return user_id


# --- Each change writes one entry ----------------------------------------------------------------------------

def test_each_service_change_writes_one_entry_with_its_object_and_address(app, make_user, frozen_clock):
    manager_id = make_user("manager", email="boss@council.example")
    officer_id = make_user("staff", email="officer@council.example")
    with app.test_request_context("/", environ_base={"REMOTE_ADDR": ADDRESS}):
        by = db.session.get(User, manager_id)
        officer = db.session.get(User, officer_id)
        seen: list[tuple] = []

        def expect(action: str, subject, change) -> None:
            db.session.flush()
            before = db.session.scalar(select(db.func.max(AuditEvent.id))) or 0
            change()
            db.session.flush()
            rows = db.session.scalars(select(AuditEvent).where(AuditEvent.id > before)).all()
            assert [(r.action, r.object_kind, r.object_id, r.remote_addr, r.user_id) for r in rows] == [
                (action, subject[0], subject[1](), ADDRESS, by.id)], action
            assert rows[0].at == frozen_clock()
            seen.append(action)

        box: dict = {}
        expect("list created", ("media list", lambda: box["list"].id), lambda: box.update(list=contacts.save_list(
            db.session, None, name="Health", description="", for_signups=False, by=by)))
        expect("list edited", ("media list", lambda: box["list"].id), lambda: contacts.save_list(
            db.session, box["list"], name="Health desks", description="", for_signups=False, by=by))
        expect("contact added", ("contact", lambda: box["contact"].id), lambda: box.update(contact=contacts.create_contact(
            db.session, by=by, lists=[box["list"]], name="Jo Reporter", email="jo@news.example")))
        contact = box["contact"]
        expect("contact edited", ("contact", lambda: contact.id),
               lambda: contacts.update_contact(db.session, contact, by=by, outlet="Gazette"))
        expect("contact status changed", ("contact", lambda: contact.id), lambda: contacts.set_status(
            db.session, contact, contacts.ContactStatus.BOUNCED, reason="Bounced", by=by))
        contacts.set_status(db.session, contact, contacts.ContactStatus.ACTIVE, reason="New address", by=by)

        expect("release created", ("release", lambda: box["release"].id), lambda: box.update(
            release=releases.create_release(db.session, by=by, prefix="NCC", headline="Library opens", body="Text.",
                                            release_date=clock.now().date(), contact_id=by.id)))
        release = box["release"]
        expect("release edited", ("release", lambda: release.id),
               lambda: releases.update_release(db.session, release, by=by, headline="Library opens today"))
        expect("release attachment added", ("release", lambda: release.id), lambda: box.update(
            attachment=releases.add_attachment(db.session, release, directory=app.config["PRESS_UPLOAD_DIR"],
                                               filename="report.pdf", data=PDF, max_bytes=10_000, by=by)))
        expect("release attachment removed", ("release", lambda: release.id),
               lambda: releases.remove_attachment(db.session, box["attachment"], by=by))
        expect("release finalised", ("release", lambda: release.id),
               lambda: releases.finalise_release(db.session, release, by=by))

        expect("distribution sent", ("distribution", lambda: box["sent"].id), lambda: box.update(
            sent=distribution.create_distribution(db.session, release, list_ids=[box["list"].id], contact_ids=[],
                                                  at=None, stop_after=None, request_key="a" * 32, by=by)))
        db.session.execute(update(Delivery).values(status="failed"))
        expect("deliveries sent again", ("distribution", lambda: box["sent"].id),
               lambda: distribution.retry_failed(db.session, box["sent"], by=by))
        expect("distribution scheduled", ("distribution", lambda: box["later"].id), lambda: box.update(
            later=distribution.create_distribution(db.session, release, list_ids=[box["list"].id], contact_ids=[],
                                                   at=clock.now() + timedelta(hours=2), stop_after=None,
                                                   request_key="b" * 32, by=by)))
        expect("distribution cancelled", ("distribution", lambda: box["later"].id),
               lambda: distribution.cancel_distribution(db.session, box["later"], by=by))

        expect("duty officer chosen", ("user", lambda: officer.id),
               lambda: enquiries.set_duty_officer(db.session, officer, by=by))
        enquiry = enquiries.submit_enquiry(db.session, journalist_name="Sam", outlet="Gazette", email="sam@news.example",
                                           phone="", kind="comment", subject="Hours", body="When?",
                                           deadline_at=clock.now() + timedelta(hours=6))
        db.session.flush()
        expect("enquiry assigned", ("enquiry", lambda: enquiry.id),
               lambda: enquiries.assign_enquiry(db.session, enquiry, by, by=by))
        expect("enquiry status changed", ("enquiry", lambda: enquiry.id),
               lambda: enquiries.change_status(db.session, enquiry, EnquiryStatus.IN_PROGRESS, by=by))
        expect("enquiry note added", ("enquiry", lambda: enquiry.id),
               lambda: enquiries.add_note(db.session, enquiry, "Rang back.", by=by))
        expect("enquiry response recorded", ("enquiry", lambda: enquiry.id),
               lambda: enquiries.record_response(db.session, enquiry, "Open at nine.", by=by))
        expect("enquiry closed", ("enquiry", lambda: enquiry.id),
               lambda: enquiries.close_enquiry(db.session, enquiry, Outcome.STATEMENT, by=by))

        expect("release withdrawn", ("release", lambda: release.id), lambda: releases.withdraw_release(
            db.session, release, kind="removed", reason="Published in error.", by=by))
        expect("contact erased", ("contact", lambda: contact.id),
               lambda: contacts.erase_contact(db.session, contact, by=by))
        db.session.commit()
    assert len(seen) == len(set(seen)) == 22


def test_a_command_writes_entries_with_no_person_and_no_address(app):
    with app.app_context():
        audit(db.session, "release created", None)
        db.session.commit()
    assert new_entries(app) == [("release created", None, None, None, None)]


def test_staff_pages_record_the_object_and_the_address_behind_a_proxy(build_app, make_user, make_release):
    app = build_app(PRESS_TRUSTED_PROXIES=1)
    client = app.test_client()
    manager_id = make_user("manager", email="boss@council.example")
    proxied = {"X-Forwarded-For": "203.0.113.50"}
    client.post("/staff/login", data={"email": "boss@council.example", "password": PASSWORD}, headers=proxied)
    with app.app_context():
        contact = contacts.create_contact(db.session, by=None, name="Jo Reporter", email="jo@news.example")
        db.session.commit()
        contact_id = contact.id
    start = last_id(app)
    assert client.get(f"/staff/contacts/{contact_id}/data.json", headers=proxied).status_code == 200
    assert client.get("/staff/contacts/export.csv", headers=proxied).status_code == 200
    assert client.get("/staff/enquiries/export.csv", headers=proxied).status_code == 200
    assert client.post(f"/staff/contacts/{contact_id}/erase", headers=proxied).status_code == 302
    assert new_entries(app, start) == [
        ("subject access export", "contact", contact_id, "203.0.113.50", manager_id),
        ("contacts exported", None, None, "203.0.113.50", manager_id),
        ("enquiries exported", None, None, "203.0.113.50", manager_id),
        ("contact erased", "contact", contact_id, "203.0.113.50", manager_id),
    ]


def test_logging_an_enquiry_and_revoking_early_access_are_recorded(app, client, manager, make_release):
    release_id = make_release(final=True)
    with app.app_context():
        media_list = contacts.save_list(db.session, None, name="Health", description="", for_signups=False)
        contacts.create_contact(db.session, by=None, lists=[media_list], name="Jo", email="jo@news.example")
        sent = distribution.create_distribution(db.session, db.session.get(Release, release_id),
                                                list_ids=[media_list.id], contact_ids=[], at=None, stop_after=None,
                                                request_key="c" * 32, by=None)
        db.session.commit()
        sent_id = sent.id
    start = last_id(app)
    assert client.post(f"/staff/distributions/{sent_id}/revoke-access").status_code == 302
    response = client.post("/staff/enquiries/new", data={
        "channel": "phone", "name": "Alex Caller", "outlet": "BBC Radio Northshire", "email": "", "phone": "01632 960002",
        "kind": "comment", "release": "", "subject": "Bins", "body": "Why were bins missed?",
        "deadline_date": f"{clock.now().year + 1}-01-05", "deadline_time": "15:00"})
    assert response.status_code == 303, response.data.decode()
    enquiry_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert new_entries(app, start) == [("early access revoked", "distribution", sent_id, "127.0.0.1", manager),
                                       ("enquiry logged", "enquiry", enquiry_id, "127.0.0.1", manager)]


def test_changes_people_make_to_their_own_account_name_their_user_as_the_object(app, client, manager):
    start = last_id(app)
    assert client.post("/staff/account/profile", data={"name": "Mary Manager", "job_title": "Head of Press",
                                                       "phone": ""}).status_code == 302
    assert client.post("/staff/account/password", data={
        "current_password": PASSWORD, "new_password": "a kettle of fish and chips",
        "confirm": "a kettle of fish and chips"}).status_code == 302
    assert client.post("/staff/account/sign-out-everywhere").status_code == 302
    assert [entry[:3] for entry in new_entries(app, start)] == [
        ("profile changed", "user", manager), ("password changed", "user", manager),
        # The new password signs this session in afresh; every other one has ended.
        ("signed in", "user", manager), ("signed out everywhere", "user", manager)]


# --- Who may read it ---------------------------------------------------------------------------------------------

def test_only_admins_see_the_audit_trail(client, auth, make_user):
    for url in ("/staff/audit/", "/staff/audit/export.csv"):
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].startswith("/staff/login"), url
    for role in ("staff", "manager"):
        make_user(role, email=f"{role}@council.example")
        auth.login(f"{role}@council.example")
        for url in ("/staff/audit/", "/staff/audit/export.csv"):
            assert client.get(url).status_code == 403, (role, url)
        assert "Audit trail" not in client.get("/staff/enquiries/").data.decode()
        auth.logout()
    make_user("admin", email="admin@council.example")
    auth.login("admin@council.example")
    page = client.get("/staff/audit/")
    assert page.status_code == 200
    assert '<a class="staff-nav-label" aria-current="page" href="/staff/audit/">Audit trail</a>' in page.data.decode()


def test_entries_cannot_be_changed_or_removed_from_the_app(app, client, admin):
    with app.app_context():
        audit(db.session, "contact erased", None)
        db.session.commit()
    rules = [rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("audit.")]
    assert {rule.endpoint for rule in rules} == {"audit.index", "audit.export"}
    assert all(rule.methods <= {"GET", "HEAD", "OPTIONS"} for rule in rules)
    for method in ("post", "put", "patch", "delete"):
        assert getattr(client, method)("/staff/audit/").status_code == 405
    html = client.get("/staff/audit/").data.decode()
    posted = re.findall(r'<form[^>]*method="post"[^>]*action="([^"]*)"', html)
    assert posted == ["/staff/logout"]
    import press.audit as module
    assert [name for name in vars(module) if re.match(r"(update|delete|remove|edit|purge)", name)] == []


# --- Filters, pages and the export ---------------------------------------------------------------------------

@pytest.fixture
def trail(app, make_user):
    """Entries over three days by two people and a command; returns the people's ids."""
    mary = make_user("manager", name="Mary Manager", email="mary@council.example")
    sam = make_user("staff", name="Sam Officer", email="sam@council.example")
    with app.app_context():
        people = {person.id: person for person in db.session.scalars(select(User))}
        rows = [
            (datetime(2024, 9, 1, 9, 0, tzinfo=UTC), mary, "contact added", "contact", 5),
            (datetime(2024, 9, 2, 9, 0, tzinfo=UTC), sam, "enquiry note added", "enquiry", 7),
            (datetime(2024, 9, 2, 23, 30, tzinfo=UTC), mary, "contact edited", "contact", 5),  # 3 Sep in London
            (datetime(2024, 9, 3, 9, 0, tzinfo=UTC), None, "contacts imported", "contact import", 1),
        ]
        for at, who, action, kind, object_id in rows:
            db.session.add(AuditEvent(at=at, user=people.get(who), action=action, object_kind=kind,
                                      object_id=object_id, remote_addr="192.0.2.1", details={"note": "=SUM(A1)"}))
        db.session.commit()
    return {"mary": mary, "sam": sam}


def actions_on(html: str) -> list[str]:
    return re.findall(r'<td><span class="cell-label" aria-hidden="true">What was done</span>([^<]*)</td>', html)


def test_filters_by_person_action_object_and_date(client, admin, trail):
    get = lambda **args: actions_on(client.get("/staff/audit/", query_string=args).data.decode())  # noqa: E731
    # The admin reading the trail signed in after all of it, and that is in the trail too.
    assert get() == ["signed in", "contacts imported", "contact edited", "enquiry note added", "contact added"]
    assert get(person=trail["mary"]) == ["contact edited", "contact added"]
    assert get(person="none") == ["contacts imported"]
    assert get(action="enquiry note added") == ["enquiry note added"]
    assert get(object_kind="contact", object_id="5") == ["contact edited", "contact added"]
    assert get(**{"date_from-day": "3", "date_from-month": "9", "date_from-year": "2024"}) == [
        "signed in", "contacts imported", "contact edited"]
    assert get(**{"date_to-day": "2", "date_to-month": "Sep", "date_to-year": "2024"}) == [
        "enquiry note added", "contact added"]


@pytest.mark.parametrize("args, message", [
    ({"person": "99999"}, "That is not one of the choices for “Person”"),
    ({"action": "<script>"}, "That is not one of the choices for “What was done”"),
    ({"object_id": "forty-two"}, "The object number must be a whole number, like 42."),
    ({"object_id": "99999999999"}, "The object number must be a whole number, like 42."),
    ({"date_from-day": "31", "date_from-month": "2", "date_from-year": "2024"}, "From"),
    ({"date_from-day": "x", "date_from-month": "", "date_from-year": ""}, "From must include a month and a year."),
    ({"date_from-day": "3", "date_from-month": "9", "date_from-year": "2024",
      "date_to-day": "1", "date_to-month": "9", "date_to-year": "2024"}, "The to date must be the same as or after"),
    ({"after": "nonsense", "before": "1_" + "9" * 30}, "contacts imported"),
    ({"person": "\x00", "object_kind": "\u202e"}, "That is not one of the choices"),
])
def test_bad_filters_are_explained_at_the_field_and_never_an_error_page(client, admin, trail, args, message):
    response = client.get("/staff/audit/", query_string=args)
    if "\x00" in args.get("person", ""):
        assert response.status_code == 400  # refused before any page, as every address with a NUL is
        return
    html = response.data.decode()
    assert response.status_code == 200 and message in html
    # The bad value is left out, so the entries still show (the last but one keeps its good from date), with
    # the admin's own sign-in, the newest.
    assert len(actions_on(html)) == (3 if "date_to-day" in args else 5)


def test_pages_go_newest_first_by_keyset(app, client, admin, frozen_clock):
    with app.app_context():
        for n in range(120):
            # Pairs share a moment, so the id must break the tie.
            db.session.add(AuditEvent(at=frozen_clock() + timedelta(minutes=n // 2), action=f"entry {n:03}",
                                      details={}))
        db.session.commit()
    seen, url = [], "/staff/audit/?action="
    pages = 0
    while url:
        html = client.get(url.replace("&amp;", "&")).data.decode()
        seen += actions_on(html)
        pages += 1
        found = re.search(r'href="([^"]+)" rel="next"', html)
        url = found.group(1) if found else None
    # The admin's sign-in came before the clock was frozen: by the real clock, it is the newest entry.
    assert pages == 3 and seen == ["signed in"] + [f"entry {n:03}" for n in reversed(range(120))]
    last = client.get(re.search(r'href="([^"]+)" rel="next"', client.get("/staff/audit/").data.decode())
                      .group(1).replace("&amp;", "&")).data.decode()
    back = re.search(r'href="([^"]+)" rel="prev"', last).group(1).replace("&amp;", "&")
    assert actions_on(client.get(back).data.decode()) == ["signed in"] + [f"entry {n:03}" for n in reversed(range(71, 120))]


def test_the_export_is_filtered_neutralised_and_recorded(app, client, admin, trail):
    response = client.get("/staff/audit/export.csv", query_string={"person": trail["mary"]})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0] == ["When (UK time)", "Person", "Action", "Object", "Object id", "From address", "Details"]
    assert [row[2] for row in rows[1:]] == ["contact edited", "contact added"]
    assert rows[1][:6] == ["2024-09-03 00:30 BST", "Mary Manager", "contact edited", "contact", "5", "192.0.2.1"]
    with app.app_context():
        db.session.add(AuditEvent(at=clock.now(), action="=HYPERLINK(\"http://evil.example\")", object_kind="-1+1",
                                  remote_addr="@x", details={}))
        db.session.commit()
    rows = list(csv.reader(io.StringIO(client.get("/staff/audit/export.csv").data.decode("utf-8-sig"))))
    risky = [row for row in rows if "HYPERLINK" in row[2]][0]
    assert risky[2].startswith("'=") and risky[3] == "'-1+1" and risky[5] == "'@x"
    assert [entry for entry in new_entries(app) if entry[0] == "audit trail exported"] == [
        ("audit trail exported", None, None, "127.0.0.1", admin)] * 2
    with app.app_context():
        exported = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "audit trail exported")
                                      .order_by(AuditEvent.id)).all()
        assert exported[0].details == {"filters": {"person": str(trail["mary"])}}
