"""The staff contacts pages: adding, editing, finding, changing status, subject access, erasure, lists, export."""

import csv
import io
import json
import random
import re
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, select

from press.contacts import services
from press.audit import AuditEvent
from press.contacts.models import (
    Contact, ContactEvent, ContactStatus, MediaList, Suppression, contact_lists, email_digest,
)
from press.extensions import db

CONTACT_LINK = re.compile(r'href="/staff/contacts/(\d+)"')


def contact_form(**overrides) -> dict:
    return {
        "name": "Jane Reporter",
        "email": "Jane.Reporter@Gazette.example",
        "outlet": "Northshire Gazette",
        "job_title": "Health correspondent",
        "phone": "07700 900123",
        "lawful_basis": "legitimate_interests",
        "consent_date": "",
        "consent_text": "",
        "source": "Met at the budget briefing",
        "notes": "",
    } | overrides


@pytest.fixture
def make_contact(app):
    """Create contacts: make_contact(lists=["Health"], name=..., email=...)."""
    counter = iter(range(1, 100_000))

    def make(lists=(), **overrides):
        n = next(counter)
        values = {"name": f"Journalist {n}", "email": f"journalist{n}@news.example", "outlet": "Northshire Gazette"}
        with app.app_context():
            media_lists = services.lists_named(db.session, list(lists), create=True)
            contact = services.create_contact(db.session, by=None, lists=media_lists, **(values | overrides))
            db.session.commit()
            return contact.id

    return make


@pytest.fixture
def make_list(app):
    def make(name: str, **values):
        with app.app_context():
            media_list = MediaList(name=name, **values)
            db.session.add(media_list)
            db.session.commit()
            return media_list.id

    return make


def get_contact(app, contact_id: int) -> Contact:
    with app.app_context():
        contact = db.session.get(Contact, contact_id)
        contact.lists  # noqa: B018 - loaded before the session closes
        db.session.expunge(contact)
        return contact


def history(app, contact_id: int) -> list[ContactEvent]:
    with app.app_context():
        events = db.session.scalars(
            select(ContactEvent).where(ContactEvent.contact_id == contact_id).order_by(ContactEvent.id)).all()
        db.session.expunge_all()
        return events


def audit_rows(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        rows = db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()
        db.session.expunge_all()
        return rows


# --- Adding and editing ---------------------------------------------------------------------------------------

def test_manager_adds_a_contact(app, client, manager, make_list, frozen_clock):
    health = make_list("Health")
    make_list("Business")
    response = client.post("/staff/contacts/new", data=contact_form(email=" Jane.Reporter@Gazette.example ",
                                                                   lists=[str(health)]))
    assert response.status_code == 302
    contact_id = int(response.headers["Location"].rsplit("/", 1)[1])
    contact = get_contact(app, contact_id)
    assert contact.email == "jane.reporter@gazette.example"
    assert contact.phone == "+447700900123"
    assert [m.name for m in contact.lists] == ["Health"]
    assert contact.status == ContactStatus.ACTIVE and contact.status_changed_at == frozen_clock()
    assert [(e.action, e.user_id) for e in history(app, contact_id)] == [("added", manager)]
    page = client.get(f"/staff/contacts/{contact_id}").data.decode()
    assert "07700 900123" in page and "+447700900123" not in page
    assert "Health correspondent" in page and "Legitimate interests" in page


def test_email_must_be_unique_whatever_its_case(app, client, manager, make_contact):
    make_contact(email="jane.reporter@gazette.example")
    response = client.post("/staff/contacts/new", data=contact_form(email="JANE.REPORTER@gazette.EXAMPLE",
                                                                   name="Typed Name"))
    assert response.status_code == 200
    page = response.data.decode()
    assert 'id="email-error"' in page and "is already in the contacts list" in page
    assert 'value="Typed Name"' in page and 'value="07700 900123"' in page, "what was typed is kept"
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Contact)) == 1


def test_form_errors_are_shown_next_to_fields(client, manager):
    response = client.post("/staff/contacts/new", data=contact_form(name="   ", email="not an address", phone="12345",
                                                                   lawful_basis="whim", consent_date="31/02/2024"))
    assert response.status_code == 200
    page = response.data.decode()
    assert "There is a problem" in page
    assert 'href="#name"' in page and "Enter the contact&#39;s name." in page
    assert 'id="email-error"' in page and "Enter an email address like name@example.com." in page
    assert 'id="phone-error"' in page
    assert "Enter a UK phone number like 07700 900123, or an international one starting with +." in page
    assert 'id="lawful_basis-error"' in page and 'id="consent_date-error"' in page
    assert 'value="12345"' in page and 'value="not an address"' in page


@pytest.mark.parametrize(("typed", "stored", "shown"), [
    ("07700 900123", "+447700900123", "07700 900123"),
    ("07700900123", "+447700900123", "07700 900123"),
    ("+44 (0)20 7946 0018", "+442079460018", "020 7946 0018"),
    ("0044 161 496 0000", "+441614960000", "0161 496 0000"),
    ("(020) 7946-0018", "+442079460018", "020 7946 0018"),
    ("+33 1 42 68 53 00", "+33142685300", "+33 1 42 68 53 00"),
    ("", "", "–"),
])
def test_phone_numbers_are_accepted_as_typed(app, client, manager, typed, stored, shown):
    response = client.post("/staff/contacts/new", data=contact_form(phone=typed))
    assert response.status_code == 302
    contact_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert get_contact(app, contact_id).phone == stored
    assert f"<dd>{shown}</dd>" in client.get(f"/staff/contacts/{contact_id}").data.decode()
    if stored:
        assert f'value="{shown}"' in client.get(f"/staff/contacts/{contact_id}/edit").data.decode()


@pytest.mark.parametrize("typed", ["12345", "07700 90012", "ring the newsdesk", "+999 1234 5678",
                                   "020 7946 0018 ext 12"])
def test_phone_numbers_that_are_not_numbers_are_refused(client, manager, typed):
    response = client.post("/staff/contacts/new", data=contact_form(phone=typed))
    assert response.status_code == 200
    assert 'id="phone-error"' in response.data.decode()


def test_edit_records_which_fields_changed(app, client, manager, make_contact, make_list):
    contact_id = make_contact(name="Jane Reporter", email="jane@gazette.example", lists=["Health"])
    business = make_list("Business")
    page = client.get(f"/staff/contacts/{contact_id}/edit").data.decode()
    assert 'value="Jane Reporter"' in page and 'value="jane@gazette.example"' in page
    response = client.post(f"/staff/contacts/{contact_id}/edit", data=contact_form(
        name="Jane Reporter", email="jane@gazette.example", outlet="Daily Post", lists=[str(business)]))
    assert response.status_code == 302
    contact = get_contact(app, contact_id)
    assert contact.outlet == "Daily Post" and [m.name for m in contact.lists] == ["Business"]
    edited = history(app, contact_id)[-1]
    assert edited.action == "edited" and edited.user_id == manager
    assert "outlet" in edited.details["fields"] and "lists" in edited.details["fields"]
    assert "Daily Post" not in json.dumps(edited.details), "history keeps field names, not personal data"


def test_edit_cannot_take_another_contacts_address(app, client, manager, make_contact):
    make_contact(email="taken@news.example")
    contact_id = make_contact(email="mine@news.example")
    response = client.post(f"/staff/contacts/{contact_id}/edit", data=contact_form(email="Taken@News.example"))
    assert response.status_code == 200
    assert 'id="email-error"' in response.data.decode()
    assert get_contact(app, contact_id).email == "mine@news.example"


def test_consent_record_is_kept(app, client, manager, frozen_clock):
    response = client.post("/staff/contacts/new", data=contact_form(
        lawful_basis="consent", consent_date="2024-09-02", consent_text="Asked by phone to get our releases."))
    contact_id = int(response.headers["Location"].rsplit("/", 1)[1])
    contact = get_contact(app, contact_id)
    assert contact.lawful_basis == "consent"
    assert contact.consent_at == datetime(2024, 9, 1, 23, 0, tzinfo=UTC), "midnight in London, in BST"
    page = client.get(f"/staff/contacts/{contact_id}").data.decode()
    assert "Monday 2 September 2024" in page and "Asked by phone to get our releases." in page


# --- Status ---------------------------------------------------------------------------------------------------

def test_status_changes_and_resubscribing_needs_a_reason(app, client, manager, make_contact, frozen_clock):
    contact_id = make_contact()
    url = f"/staff/contacts/{contact_id}/status"
    assert client.post(url, data={"status": "bounced", "reason": ""}).status_code == 302
    assert get_contact(app, contact_id).status == ContactStatus.BOUNCED
    response = client.post(url, data={"status": "active", "reason": "  "})
    assert response.status_code == 400
    page = response.data.decode()
    assert 'id="reason-error"' in page and "Give the reason for resubscribing this contact." in page
    assert get_contact(app, contact_id).status == ContactStatus.BOUNCED
    frozen_clock.advance(days=1)
    client.post(url, data={"status": "active", "reason": "Their new address works, they rang to say."})
    contact = get_contact(app, contact_id)
    assert contact.status == ContactStatus.ACTIVE and contact.status_changed_at == frozen_clock()
    assert contact.status_reason == "Their new address works, they rang to say."
    changes = [e.details for e in history(app, contact_id) if e.action == "status changed"]
    assert changes == [{"from": "active", "to": "bounced", "reason": ""},
                       {"from": "bounced", "to": "active", "reason": "Their new address works, they rang to say."}]
    client.post(url, data={"status": "unsubscribed", "reason": "Asked by email"})
    page = client.get(f"/staff/contacts/{contact_id}").data.decode()
    assert "Unsubscribed" in page and "Asked by email" in page and "Wednesday 4 September 2024" in page


def test_status_form_refuses_nonsense(app, client, manager, make_contact):
    contact_id = make_contact()
    for data in ({"status": "erased"}, {"status": "active"}, {"status": ""}, {}):
        assert client.post(f"/staff/contacts/{contact_id}/status", data=data).status_code == 400
    assert get_contact(app, contact_id).status == ContactStatus.ACTIVE


def test_contact_page_shows_the_unsubscribe_link(app, client, manager, make_contact):
    contact_id = make_contact()
    page = client.get(f"/staff/contacts/{contact_id}").data.decode()
    link = re.search(r"http://press\.test(/unsubscribe/[^<\s]+)", page)
    assert link is not None
    assert client.get(link.group(1)).status_code == 200


def test_the_staff_role_is_not_shown_a_journalists_unsubscribe_link(app, client, auth, make_user, make_contact):
    contact_id = make_contact()
    make_user("staff", email="officer@council.example")
    auth.login("officer@council.example")
    page = client.get(f"/staff/contacts/{contact_id}").data.decode()
    assert "Journalist" in page and "/unsubscribe/" not in page and "Unsubscribe link" not in page


# --- Subject access and erasure -------------------------------------------------------------------------------

def test_subject_access_download(app, client, manager, make_contact):
    contact_id = make_contact(name="Jane Reporter", email="jane@gazette.example", phone="+447700900123",
                              lists=["Health"])
    response = client.get(f"/staff/contacts/{contact_id}/data.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"] == f'attachment; filename="contact-{contact_id}.json"'
    data = json.loads(response.data)
    assert data["contact"]["email"] == "jane@gazette.example" and data["contact"]["phone"] == "+447700900123"
    assert data["lists"] == ["Health"]
    assert [event["action"] for event in data["history"]] == ["added"]
    [row] = audit_rows(app, "subject access export")
    assert row.user_id == manager and row.details == {"contact_id": contact_id}


def test_erasure_removes_personal_data_and_keeps_the_suppression(app, client, manager, make_contact, frozen_clock):
    contact_id = make_contact(name="Jane Reporter", email="jane@gazette.example", phone="+447700900123",
                              notes="Prefers calls", lists=["Health"])
    client.post(f"/staff/contacts/{contact_id}/status", data={"status": "unsubscribed", "reason": "Asked by phone"})
    page = client.get(f"/staff/contacts/{contact_id}/erase").data.decode()
    assert "cannot be undone" in page
    response = client.post(f"/staff/contacts/{contact_id}/erase")
    assert response.status_code == 302 and response.headers["Location"] == "/staff/contacts/"
    assert "was erased" in client.get("/staff/contacts/").data.decode()
    contact = get_contact(app, contact_id)
    assert contact.status == ContactStatus.ERASED and contact.email is None
    assert (contact.name, contact.phone, contact.notes, contact.outlet, contact.status_reason) == ("", "", "", "", "")
    assert contact.lists == []
    assert [e.action for e in history(app, contact_id)] == ["erased"]
    with app.app_context():
        assert db.session.scalar(select(Suppression.email_digest)) == email_digest("jane@gazette.example")
    [row] = audit_rows(app, "contact erased")
    assert row.user_id == manager
    page = client.get(f"/staff/contacts/{contact_id}").data.decode()
    assert "Erased on Tuesday 3 September 2024" in page
    assert "Jane" not in page and "Change their status" not in page
    assert client.get(f"/staff/contacts/{contact_id}/edit").status_code == 302
    response = client.post(f"/staff/contacts/{contact_id}/status", data={"status": "active", "reason": "x"})
    assert response.status_code == 400


def test_adding_an_erased_address_again_needs_confirmation(app, client, manager, make_contact):
    contact_id = make_contact(email="jane@gazette.example")
    client.post(f"/staff/contacts/{contact_id}/erase")
    response = client.post("/staff/contacts/new", data=contact_form(email="Jane@Gazette.example"))
    assert response.status_code == 200
    page = response.data.decode()
    assert "erased at its owner&#39;s request" in page and 'id="email-error"' in page
    assert 'name="readd_erased"' in page and "They have asked to be added again" in page
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Contact)) == 1
    response = client.post("/staff/contacts/new", data=contact_form(email="Jane@Gazette.example", readd_erased="y"))
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Suppression)) is None
        assert services.find_contact_by_email(db.session, "jane@gazette.example") is not None


def test_changing_an_address_to_an_erased_one_needs_confirmation(app, client, manager, make_contact):
    client.post(f"/staff/contacts/{make_contact(email='gone@news.example')}/erase")
    contact_id = make_contact(email="jane@gazette.example")
    response = client.post(f"/staff/contacts/{contact_id}/edit", data=contact_form(email="GONE@news.example"))
    assert response.status_code == 200 and 'name="readd_erased"' in response.data.decode()
    assert get_contact(app, contact_id).email == "jane@gazette.example"
    response = client.post(f"/staff/contacts/{contact_id}/edit",
                           data=contact_form(email="GONE@news.example", readd_erased="y"))
    assert response.status_code == 302
    assert get_contact(app, contact_id).email == "gone@news.example"


# --- Lists ----------------------------------------------------------------------------------------------------

def test_lists_are_managed_and_only_one_takes_signups(app, client, manager, make_contact):
    assert client.post("/staff/contacts/lists/new", data={"name": "Health", "description": "Health desks",
                                                           "for_signups": "y"}).status_code == 302
    response = client.post("/staff/contacts/lists/new", data={"name": "Newsroom signups", "for_signups": "y"})
    assert response.status_code == 302
    with app.app_context():
        flags = dict(db.session.execute(select(MediaList.name, MediaList.for_signups)).all())
        health_id = db.session.scalar(select(MediaList.id).where(MediaList.name == "Health"))
    assert flags == {"Health": False, "Newsroom signups": True}
    make_contact(lists=["Health"])
    make_contact(lists=["Health"])
    page = client.get("/staff/contacts/lists").data.decode()
    assert "Health desks" in page and "Receives signups" in page
    assert re.search(r"Health</a></td>\s*<td>Health desks</td>\s*<td>2</td>", page)

    response = client.post("/staff/contacts/lists/new", data={"name": "  HEALTH "})
    assert response.status_code == 200
    page = response.data.decode()
    assert 'id="name-error"' in page and "There is already a list called HEALTH." in page
    response = client.post(f"/staff/contacts/lists/{health_id}/edit", data={"name": "newsroom SIGNUPS"})
    assert 'id="name-error"' in response.data.decode()
    response = client.post(f"/staff/contacts/lists/{health_id}/edit",
                           data={"name": "Health and care", "description": "", "for_signups": "y"})
    assert response.status_code == 302
    with app.app_context():
        flags = dict(db.session.execute(select(MediaList.name, MediaList.for_signups)).all())
    assert flags == {"Health and care": True, "Newsroom signups": False}
    assert client.get("/staff/contacts/lists/999/edit").status_code == 404


# --- Finding contacts -----------------------------------------------------------------------------------------

def test_search_and_filters(client, manager, make_contact):
    make_contact(name="Alice Archer", outlet="Northshire Gazette", lists=["Health"])
    make_contact(name="Bob Baker", outlet="BBC Radio Northshire", email="bob@bbc.example")
    gone = make_contact(name="Carol Cook", outlet="Northshire Gazette")
    client.post(f"/staff/contacts/{gone}/status", data={"status": "bounced"})

    def names(query: str) -> list[str]:
        page = client.get(f"/staff/contacts/?{query}").data.decode()
        return re.findall(r'href="/staff/contacts/\d+">([^<]+)</a>', page)

    assert names("") == ["Alice Archer", "Bob Baker", "Carol Cook"]
    assert names("q=gazette") == ["Alice Archer", "Carol Cook"]
    assert names("q=BBC.example") == ["Bob Baker"]
    assert names("q=gazette&status=active") == ["Alice Archer"]
    assert names("status=bounced") == ["Carol Cook"]
    page = client.get("/staff/contacts/?status=bounced").data.decode()
    assert "1 contact" in page and "Bounced" in page
    # Nonsense in the address is ignored, never an error.
    for query in ("after=abc", "list=abc", "status=erased", "after=99999999999999999999", "list=-1", "q=%25_%5C"):
        assert client.get(f"/staff/contacts/?{query}").status_code == 200, query
    assert names("q=%25") == []
    for url in ("/staff/contacts/99999", "/staff/contacts/99999999999999999999", "/staff/contacts/0/edit",
                "/staff/contacts/99999999999999999999/data.json"):
        assert client.get(url).status_code == 404, url


def bulk_insert_contacts(count: int, list_id: int) -> None:
    """Insert contacts in bulk, in shuffled name order, every third on the list and every tenth unsubscribed."""
    now = datetime(2024, 9, 3, 10, 0, tzinfo=UTC)
    outlets = ["Northshire Gazette", "BBC Radio Northshire", "Daily Post", "Trade Weekly", "Southshire Echo"]
    surnames = ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel", "Khan"]
    order = list(range(count))
    random.Random(7).shuffle(order)
    rows = [
        {
            "name": f"{surnames[n % len(surnames)]} {n:05d}", "email": f"person{i}@outlet{i % 40}.example",
            "outlet": outlets[i % len(outlets)], "job_title": "Reporter", "phone": "", "notes": "", "source": "",
            "lawful_basis": "legitimate_interests", "consent_text": "", "status_reason": "",
            "status": ContactStatus.UNSUBSCRIBED if i % 10 == 0 else ContactStatus.ACTIVE,
            "status_changed_at": now, "unsubscribe_key": f"bulk-key-{i}", "created_at": now, "updated_at": now,
        }
        for i, n in enumerate(order)
    ]
    ids = db.session.scalars(insert(Contact).returning(Contact.id, sort_by_parameter_order=True), rows).all()
    db.session.execute(insert(contact_lists), [{"contact_id": c, "list_id": list_id} for c in ids[::3]])
    db.session.commit()


def test_search_stays_fast_and_pages_continue_with_50000_contacts(app, client, manager, make_list):
    list_id = make_list("Regional")
    with app.app_context():
        bulk_insert_contacts(50_000, list_id)
        expected = db.session.scalars(
            services.search_contacts("gazette", list_id, "active").order_by(Contact.name, Contact.id).limit(100)
        ).all()
        expected_total = db.session.scalar(
            select(db.func.count()).select_from(services.search_contacts("gazette", list_id, "active").subquery()))
        expected = [c.id for c in expected]

    started = time.perf_counter()
    response = client.get(f"/staff/contacts/?q=gazette&list={list_id}&status=active")
    elapsed = time.perf_counter() - started
    assert response.status_code == 200
    assert elapsed < 1.0, f"the filtered first page took {elapsed:.2f}s"
    page = response.data.decode()
    first = [int(n) for n in CONTACT_LINK.findall(page)]
    assert first == expected[:50]
    assert f"{expected_total:,} contacts" in page
    next_link = re.search(r'href="(/staff/contacts/\?after=[^"]+)" rel="next"', page).group(1).replace("&amp;", "&")
    assert f"after={first[-1]}" in next_link

    started = time.perf_counter()
    response = client.get(next_link)
    assert time.perf_counter() - started < 1.0
    second = [int(n) for n in CONTACT_LINK.findall(response.data.decode())]
    assert second == expected[50:100], "page 2 continues exactly where page 1 ended"

    started = time.perf_counter()
    response = client.get("/staff/contacts/?after=49999")
    assert response.status_code == 200 and time.perf_counter() - started < 1.0
    assert len(CONTACT_LINK.findall(response.data.decode())) == 50


# --- Export ---------------------------------------------------------------------------------------------------

def test_export_is_filtered_safe_and_audited(app, client, manager, make_contact):
    make_contact(name="=HYPERLINK(\"http://evil.example\")", outlet="Northshire Gazette", phone="+447700900123",
                 lists=["Health", "Business"], source="@import", lawful_basis="consent")
    make_contact(name="Bob Baker", outlet="-Trade Weekly", phone="+33142685300", lists=["Health"])
    make_contact(name="Carol Cook", outlet="Daily Post")
    with app.app_context():
        health = db.session.scalar(select(MediaList.id).where(MediaList.name == "Health"))
    response = client.get(f"/staff/contacts/export.csv?list={health}&q=+")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="contacts-')
    text = response.data.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0] == ["Name", "Email", "Outlet", "Job title", "Phone", "Status", "Lists", "Source", "Lawful basis"]
    assert rows[1] == ["'=HYPERLINK(\"http://evil.example\")", "journalist1@news.example", "Northshire Gazette", "",
                       "07700 900123", "active", "Business; Health", "'@import", "consent"]
    assert rows[2] == ["Bob Baker", "journalist2@news.example", "'-Trade Weekly", "", "'+33 1 42 68 53 00", "active",
                       "Health", "", "legitimate_interests"]
    assert len(rows) == 3
    [row] = audit_rows(app, "contacts exported")
    assert row.user_id == manager
    assert row.details == {"filters": {"q": "", "list": health, "status": ""}, "rows": 2}


def test_export_streams_large_lists_in_name_order(app, client, manager, make_list):
    list_id = make_list("Regional")
    with app.app_context():
        bulk_insert_contacts(2_500, list_id)
        expected = db.session.scalars(select(Contact.email).order_by(Contact.name, Contact.id)).all()
    response = client.get("/staff/contacts/export.csv")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert [row[1] for row in rows[1:]] == expected
    assert audit_rows(app, "contacts exported")[0].details["rows"] == 2_500


# --- Who may do what ------------------------------------------------------------------------------------------

def test_anonymous_visitors_are_sent_to_login(client, make_contact, make_list):
    contact_id, list_id = make_contact(), make_list("Health")
    for url in ["/staff/contacts/", "/staff/contacts/new", f"/staff/contacts/{contact_id}",
                f"/staff/contacts/{contact_id}/edit", f"/staff/contacts/{contact_id}/data.json",
                f"/staff/contacts/{contact_id}/erase", "/staff/contacts/export.csv", "/staff/contacts/lists",
                "/staff/contacts/lists/new", f"/staff/contacts/lists/{list_id}/edit", "/staff/contacts/import",
                "/staff/contacts/import/1", "/staff/contacts/import/1/done", "/staff/contacts/import/1/report.csv"]:
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].startswith("/staff/login?next="), url
    response = client.post(f"/staff/contacts/{contact_id}/status", data={"status": "bounced"})
    assert response.status_code == 302


def test_staff_may_read_but_not_change(app, client, auth, make_user, make_contact, make_list):
    contact_id, list_id = make_contact(), make_list("Health")
    make_user("staff", email="s@council.example")
    auth.login("s@council.example")
    for url in ["/staff/contacts/", f"/staff/contacts/{contact_id}", "/staff/contacts/lists"]:
        assert client.get(url).status_code == 200, url
    page = client.get(f"/staff/contacts/{contact_id}").data.decode()
    assert "Change their status" not in page and "Erase" not in page
    for url in ["/staff/contacts/new", f"/staff/contacts/{contact_id}/edit", f"/staff/contacts/{contact_id}/data.json",
                f"/staff/contacts/{contact_id}/erase", "/staff/contacts/export.csv", "/staff/contacts/lists/new",
                f"/staff/contacts/lists/{list_id}/edit", "/staff/contacts/import", "/staff/contacts/import/1"]:
        assert client.get(url).status_code == 403, url
    for url in ["/staff/contacts/new", f"/staff/contacts/{contact_id}/status", f"/staff/contacts/{contact_id}/erase",
                "/staff/contacts/lists/new", "/staff/contacts/import"]:
        assert client.post(url).status_code == 403, url
    assert get_contact(app, contact_id).status == ContactStatus.ACTIVE
    assert audit_rows(app, "contacts exported") == []
