"""One enquiry's staff page and working it, staff logging an enquiry, and choosing the duty press officer."""

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from press.accounts.models import User
from press.contacts import services as contacts
from press.outbox.models import Delivery
from press.enquiries import services
from press.enquiries.models import DutyOfficer, Enquiry, EnquiryEvent
from press.extensions import db
from press.releases.models import Release

# The frozen clock is 11:00 BST on Tuesday 3 September 2024.
EMBARGO = datetime(2024, 9, 4, 8, 0, tzinfo=UTC)
HUGE = "99999999999999999999999999"


@pytest.fixture
def office(app, make_user, make_release, frozen_clock):
    """A named media contact with a public and an embargoed release, a duty officer, and a web enquiry to work."""
    jane = make_user("manager", email="jane.smith@northshire.example", name="Jane Smith")
    duty = make_user("staff", email="duty.officer@northshire.example", name="Dev Duty")
    me = make_user("staff", email="pat.officer@northshire.example", name="Pat Officer")
    public_id = make_release(contact_id=jane, headline="Library opens", final=True)
    embargoed_id = make_release(contact_id=jane, headline="Secret budget", embargo_at=EMBARGO, final=True)
    draft_id = make_release(contact_id=jane, headline="Draft plans")
    with app.app_context():
        services.set_duty_officer(db.session, db.session.get(User, duty), by=None)
        db.session.commit()
        refs = {name: db.session.get(Release, id_).reference
                for name, id_ in (("public", public_id), ("embargoed", embargoed_id), ("draft", draft_id))}
    return {"jane": jane, "duty": duty, "me": me, "public_id": public_id, **refs}


@pytest.fixture
def signed_in(auth, office):
    """Pat, a member of staff (not a manager), signed in."""
    auth.login("pat.officer@northshire.example")
    return office["me"]


@pytest.fixture
def enquiry_id(make_enquiry, office):
    return make_enquiry(body="Line one <b>bold</b>\n\nLine <script>alert(1)</script> three")


def load(app, enquiry_id: int) -> Enquiry:
    with app.app_context():
        enquiry = db.session.get(Enquiry, enquiry_id)
        db.session.expunge(enquiry)
        return enquiry


def events(app, enquiry_id: int) -> list[tuple[str, int | None, datetime, str, dict]]:
    with app.app_context():
        return [(e.kind, e.by_id, e.at, e.text, e.details) for e in db.session.scalars(
            select(EnquiryEvent).where(EnquiryEvent.enquiry_id == enquiry_id).order_by(EnquiryEvent.id))]


def deliveries(app, kind: str) -> list[Delivery]:
    with app.app_context():
        found = list(db.session.scalars(select(Delivery).where(Delivery.kind == kind).order_by(Delivery.id)))
        db.session.expunge_all()
        return found


def timeline(page: str) -> str:
    return page.split('id="timeline"', 1)[1].split("</section>", 1)[0]


def text_only(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


# --- Reading an enquiry ----------------------------------------------------------------------------------------

def test_page_shows_everything_the_journalist_sent(app, client, office, signed_in, make_enquiry):
    with app.app_context():
        contact_id = contacts.create_contact(db.session, by=None, email="sam.reporter@gazette.example",
                                             name="Sam In Contacts").id
        db.session.commit()
    enquiry_id = make_enquiry(
        release_id=office["public_id"], kind="interview", interviewee="The council leader", interview_format="radio",
        interview_mode="live", proposed_at=datetime(2024, 9, 4, 9, 0, tzinfo=UTC), proposed_place="Studio 2",
        body="First line\nSecond <b>line</b>",
    )
    page = client.get(f"/staff/enquiries/{enquiry_id}").data.decode()
    assert "Sam Reporter" in page and "Northshire Gazette" in page
    assert '<a href="mailto:sam.reporter@gazette.example">' in page
    assert '<a href="tel:01632960001">01632 960001</a>' in page
    assert f'href="/staff/contacts/{contact_id}">Sam In Contacts</a>' in page
    assert f'href="/staff/releases/{office["public_id"]}">Library opens ({office["public"]})</a>' in page
    assert "Interview request" in page and "The council leader" in page and "Radio, live" in page
    assert "10:00 BST, Wednesday 4 September 2024" in page and "Studio 2" in page
    # The text keeps its line breaks (shown with pre-wrap) and is escaped, never rendered.
    assert '<div class="enquiry-text">First line\nSecond &lt;b&gt;line&lt;/b&gt;</div>' in page
    assert "17:00 BST, Tuesday 3 September 2024" in page and "6 hours left" in page
    assert "Web form, <time" in page and "The journalist, through the web form" in page
    assert "Assigned to Jane Smith (the release's media contact)" in page
    assert "New" in page


def test_script_in_the_enquiry_is_escaped(client, signed_in, enquiry_id):
    page = client.get(f"/staff/enquiries/{enquiry_id}").data.decode()
    assert "<script>alert(1)</script>" not in page
    assert "Line &lt;script&gt;alert(1)&lt;/script&gt; three" in page


def test_overdue_enquiries_say_by_how_much(client, signed_in, enquiry_id, frozen_clock):
    frozen_clock.advance(hours=8, minutes=30)
    page = client.get(f"/staff/enquiries/{enquiry_id}").data.decode()
    assert "Overdue by 2 hours 30 minutes" in page and 'class="tag tag-red">Overdue' in page


def test_timeline_starts_with_the_journalist_and_the_system(client, signed_in, enquiry_id):
    entries = text_only(timeline(client.get(f"/staff/enquiries/{enquiry_id}").data.decode()))
    assert "Enquiry received through the web form by the journalist, 11:00 BST, Tuesday 3 September 2024" in entries
    assert "Assigned to Dev Duty (the duty press officer) by the system, 11:00 BST" in entries


# --- Working it ------------------------------------------------------------------------------------------------

def test_adding_a_note_records_who_and_when(app, client, office, signed_in, enquiry_id, frozen_clock):
    frozen_clock.advance(minutes=5)
    response = client.post(f"/staff/enquiries/{enquiry_id}/notes",
                           data={"note-text": "  Called back, left a message.\nWill try again.  "})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/staff/enquiries/{enquiry_id}#timeline"
    kind, by, at, text, _ = events(app, enquiry_id)[-1]
    assert (kind, by, at, text) == ("note", signed_in, frozen_clock(), "Called back, left a message.\nWill try again.")
    page = client.get(response.headers["Location"]).data.decode()
    assert "Note added." in page
    assert "Internal note by Pat Officer, 11:05 BST, Tuesday 3 September 2024" in text_only(timeline(page))
    assert "Called back, left a message.\nWill try again.</div>" in timeline(page)


def test_recording_the_response_marks_it_responded(app, client, signed_in, enquiry_id, frozen_clock):
    frozen_clock.advance(hours=1)
    response = client.post(f"/staff/enquiries/{enquiry_id}/response",
                           data={"response-text": "The library opens 9 to 5."})
    assert response.status_code == 303
    enquiry = load(app, enquiry_id)
    assert enquiry.status == "responded" and enquiry.first_response_at == frozen_clock()
    assert [e[:2] for e in events(app, enquiry_id)[-2:]] == [("response", signed_in), ("status", signed_in)]
    entries = text_only(timeline(client.get(f"/staff/enquiries/{enquiry_id}").data.decode()))
    assert "Response to the journalist recorded by Pat Officer, 12:00 BST" in entries
    assert "Status changed from new to responded by Pat Officer, 12:00 BST" in entries
    assert "First answered 5 hours before the deadline" in client.get(f"/staff/enquiries/{enquiry_id}").data.decode()


def test_changing_the_status(app, client, signed_in, enquiry_id, frozen_clock):
    frozen_clock.advance(minutes=1)
    response = client.post(f"/staff/enquiries/{enquiry_id}/status", data={"status-status": "in_progress"})
    assert response.status_code == 303
    assert load(app, enquiry_id).status == "in_progress"
    assert events(app, enquiry_id)[-1][:3] == ("status", signed_in, frozen_clock())
    page = client.get(f"/staff/enquiries/{enquiry_id}").data.decode()
    assert "Status changed to in progress." in page
    assert "Status changed from new to in progress by Pat Officer, 11:01 BST" in text_only(timeline(page))


@pytest.mark.parametrize("status", ["closed", "declined", "bogus", "", "\x00", "in_progress" * 50])
def test_closing_by_status_or_an_unknown_status_is_refused(app, client, signed_in, enquiry_id, status):
    response = client.post(f"/staff/enquiries/{enquiry_id}/status", data={"status-status": status})
    assert response.status_code == 422
    assert 'id="status-status-error"' in response.data.decode()
    assert "Not a valid choice" not in response.data.decode()
    assert load(app, enquiry_id).status == "new"


def test_reassigning_emails_the_new_assignee(app, client, office, signed_in, enquiry_id, frozen_clock):
    frozen_clock.advance(minutes=2)
    before = len(deliveries(app, "enquiry-assigned"))
    response = client.post(f"/staff/enquiries/{enquiry_id}/assignee", data={"assign-assignee": office["jane"]})
    assert response.status_code == 303
    assert load(app, enquiry_id).assignee_id == office["jane"]
    queued = deliveries(app, "enquiry-assigned")[before:]
    assert [(d.to_address, d.status, d.payload) for d in queued] == [
        ("jane.smith@northshire.example", "queued", {"enquiry_id": enquiry_id, "user_id": office["jane"]})]
    assert events(app, enquiry_id)[-1][:3] == ("assigned", signed_in, frozen_clock())
    page = client.get(f"/staff/enquiries/{enquiry_id}").data.decode()
    assert "Assigned to Jane Smith. They have been emailed." in page
    assert "Reassigned from Dev Duty to Jane Smith by Pat Officer, 11:02 BST" in text_only(timeline(page))


def test_taking_an_enquiry_yourself_sends_no_email(app, client, signed_in, enquiry_id):
    before = len(deliveries(app, "enquiry-assigned"))
    client.post(f"/staff/enquiries/{enquiry_id}/assignee", data={"assign-assignee": signed_in})
    assert load(app, enquiry_id).assignee_id == signed_in
    assert len(deliveries(app, "enquiry-assigned")) == before


def test_only_active_people_can_be_assigned(app, client, signed_in, enquiry_id, make_user):
    gone = make_user("staff", name="Gone Person")
    with app.app_context():
        db.session.get(User, gone).active = False
        db.session.commit()
    assert "Gone Person" not in client.get(f"/staff/enquiries/{enquiry_id}").data.decode()
    for value in [gone, 999_999, HUGE, "abc", "", "\x00"]:
        response = client.post(f"/staff/enquiries/{enquiry_id}/assignee", data={"assign-assignee": value})
        assert response.status_code == 422, value
        assert 'id="assign-assignee-error"' in response.data.decode()
        error = re.search(r'id="assign-assignee-error">(.*?)</p>', response.data.decode(), re.S).group(1)
        assert "Choose a person" in error and "Invalid" not in error and "Not a valid" not in error
    assert load(app, enquiry_id).assignee_id != gone


def test_closing_records_the_outcome_coverage_and_note(app, client, signed_in, enquiry_id, frozen_clock):
    frozen_clock.advance(hours=2)
    response = client.post(f"/staff/enquiries/{enquiry_id}/close", data={
        "close-outcome": "statement", "close-coverage_url": "https://www.gazette.example/news/1?a=1&b=2",
        "close-text": "Statement sent by email."})
    assert response.status_code == 303
    enquiry = load(app, enquiry_id)
    assert (enquiry.status, enquiry.outcome, enquiry.closed_at) == ("closed", "statement", frozen_clock())
    assert enquiry.coverage_url == "https://www.gazette.example/news/1?a=1&b=2"
    kind, by, at, text, details = events(app, enquiry_id)[-1]
    assert (kind, by, at, text, details["outcome"]) == ("closed", signed_in, frozen_clock(), "Statement sent by email.",
                                                        "statement")
    page = client.get(f"/staff/enquiries/{enquiry_id}").data.decode()
    assert "Closed: statement issued." in page
    entries = timeline(page)
    assert "Closed: statement issued by Pat Officer, 13:00 BST" in text_only(entries)
    assert ('<a href="https://www.gazette.example/news/1?a=1&amp;b=2" rel="noopener noreferrer">' in entries)
    # Closed enquiries offer reopening through the status, not a second close.
    assert 'action="/staff/enquiries/%d/close"' % enquiry_id not in page
    response = client.post(f"/staff/enquiries/{enquiry_id}/close", data={"close-outcome": "declined"})
    assert response.status_code == 422 and "is already closed" in response.data.decode()


def test_declining_is_an_outcome_that_sets_declined(app, client, signed_in, enquiry_id):
    client.post(f"/staff/enquiries/{enquiry_id}/close", data={"close-outcome": "declined"})
    enquiry = load(app, enquiry_id)
    assert (enquiry.status, enquiry.outcome) == ("declined", "declined")
    assert "Declined by Pat Officer" in text_only(timeline(client.get(f"/staff/enquiries/{enquiry_id}").data.decode()))


def test_closing_needs_an_outcome_and_keeps_the_note(app, client, signed_in, enquiry_id):
    response = client.post(f"/staff/enquiries/{enquiry_id}/close", data={"close-text": "Spoke to the editor & agreed"})
    page = response.data.decode()
    assert response.status_code == 422
    assert ('<p class="error-message" id="close-outcome-error"><span class="visually-hidden">Error:</span> '
            "Choose the outcome.") in page
    assert 'href="#close-outcome-0">Choose the outcome.</a>' in page
    assert "Spoke to the editor &amp; agreed</textarea>" in page
    assert load(app, enquiry_id).status == "new"


@pytest.mark.parametrize("url", ["javascript:alert(1)", "ftp://gazette.example/x", "www.gazette.example",
                                 "https://", "http:// spaces .example"])
def test_coverage_link_must_be_a_web_address(app, client, signed_in, enquiry_id, url):
    response = client.post(f"/staff/enquiries/{enquiry_id}/close", data={"close-outcome": "statement",
                                                                         "close-coverage_url": url})
    page = response.data.decode()
    assert response.status_code == 422
    assert 'id="close-coverage_url-error"' in page and "Enter a full web address starting https://" in page
    kept = re.search(r'<input[^>]*name="close-coverage_url"[^>]*value="([^"]*)"', page).group(1)
    assert kept == url.replace("&", "&amp;")
    assert load(app, enquiry_id).status == "new"


@pytest.mark.parametrize(("url", "field", "data", "message"), [
    ("notes", "note-text", {"note-text": "   "}, "Enter the note."),
    ("notes", "note-text", {"note-text": "x" * 20_001}, "20000"),
    ("response", "response-text", {"response-text": ""}, "Enter the response."),
])
def test_invalid_forms_keep_the_text_and_show_the_error_next_to_the_field(app, client, signed_in, enquiry_id, url,
                                                                           field, data, message):
    response = client.post(f"/staff/enquiries/{enquiry_id}/{url}", data=data)
    page = response.data.decode()
    assert response.status_code == 422
    error = re.search(rf'<p class="error-message" id="{field}-error">(.*?)</p>', page, re.S)
    assert error and (message in error.group(1) or message in error.group(1).replace(",", ""))
    assert page.startswith("<!doctype html>") or "<title>Error:" in page
    if data[field].strip():
        assert f"{data[field]}</textarea>" in page
    assert len(events(app, enquiry_id)) == 2


def test_nothing_in_the_timeline_can_be_edited_or_deleted(client, signed_in, enquiry_id):
    client.post(f"/staff/enquiries/{enquiry_id}/notes", data={"note-text": "A note"})
    client.post(f"/staff/enquiries/{enquiry_id}/response", data={"response-text": "A response"})
    client.post(f"/staff/enquiries/{enquiry_id}/close", data={"close-outcome": "background"})
    entries = timeline(client.get(f"/staff/enquiries/{enquiry_id}").data.decode())
    assert entries.count("<li") == 6
    assert "<form" not in entries and "<button" not in entries and "<input" not in entries
    assert not re.search(r"\b(edit|delete|remove)\b", text_only(entries), re.I)
    for method in (client.put, client.delete, client.patch):
        assert method(f"/staff/enquiries/{enquiry_id}").status_code == 405


def test_reopening_a_closed_enquiry_is_recorded(app, client, signed_in, enquiry_id):
    client.post(f"/staff/enquiries/{enquiry_id}/close", data={"close-outcome": "no_response"})
    client.post(f"/staff/enquiries/{enquiry_id}/status", data={"status-status": "in_progress"})
    enquiry = load(app, enquiry_id)
    assert (enquiry.status, enquiry.outcome, enquiry.closed_at) == ("in_progress", None, None)
    assert "Status changed from closed to in progress" in text_only(
        timeline(client.get(f"/staff/enquiries/{enquiry_id}").data.decode()))


def test_an_anonymised_enquiry_takes_nothing_more(app, client, signed_in, enquiry_id, frozen_clock):
    from press.enquiries.retention import purge_enquiries
    frozen_clock.advance(days=400)
    with app.app_context():
        purge_enquiries(db.session, 12, run_by="test")
        db.session.commit()
    page = client.get(f"/staff/enquiries/{enquiry_id}").data.decode()
    assert "removed under the retention policy" in page and "<textarea" not in page
    response = client.post(f"/staff/enquiries/{enquiry_id}/notes", data={"note-text": "Sam's home address"})
    assert response.status_code == 303
    assert [e[0] for e in events(app, enquiry_id)][-1] == "anonymised"


# --- Logging an enquiry ----------------------------------------------------------------------------------------

def logged(**overrides) -> dict:
    return {
        "channel": "phone", "name": "Alex Caller", "outlet": "BBC Radio Northshire", "email": "Alex@BBC.example",
        "phone": "01632 960002", "kind": "comment", "release": "", "subject": "Bin collections",
        "body": "Why were bins missed?\nOn Elm Street.", "deadline_date": "2024-09-03", "deadline_time": "15:00",
    } | overrides


def test_staff_log_a_phone_enquiry_linked_to_a_contact(app, client, office, signed_in, frozen_clock):
    with app.app_context():
        contact_id = contacts.create_contact(db.session, by=None, email="alex@bbc.example", name="Alex Caller").id
        db.session.commit()
    page = client.get("/staff/enquiries/new").data.decode()
    assert "Log an enquiry" in page and 'name="channel"' in page and "The journalist" in page
    response = client.post("/staff/enquiries/new", data=logged())
    assert response.status_code == 303
    enquiry = load(app, int(response.headers["Location"].rsplit("/", 1)[1]))
    assert (enquiry.channel, enquiry.logged_by_id, enquiry.contact_id, enquiry.email) == (
        "phone", signed_in, contact_id, "alex@bbc.example")
    assert enquiry.assignee_id == office["duty"] and enquiry.deadline_at == datetime(2024, 9, 3, 14, 0, tzinfo=UTC)
    page = client.get(response.headers["Location"]).data.decode()
    assert f"Enquiry logged with reference {enquiry.reference}." in page
    assert f'href="/staff/contacts/{contact_id}">Alex Caller</a>' in page and "Phone, <time" in page
    entries = text_only(timeline(page))
    assert "Enquiry logged (phone) by Pat Officer, 11:00 BST" in entries
    assert "Assigned to Dev Duty (the duty press officer) by Pat Officer" in entries
    # Nobody acknowledges a call by email; the duty officer is told.
    assert deliveries(app, "enquiry-acknowledgement") == []
    assert [d.to_address for d in deliveries(app, "enquiry-assigned")] == ["duty.officer@northshire.example"]


def test_an_interview_time_in_the_repeated_autumn_hour_asks_gmt_or_bst(app, client, office, signed_in):
    data = logged(kind="interview", interviewee="The leader", interview_format="radio", proposed_date="2024-10-27",
                  proposed_time="01:15")
    response = client.post("/staff/enquiries/new", data=data)
    assert response.status_code == 422 and 'name="proposed_zone"' in response.data.decode()
    assert "Why were bins missed?" in response.data.decode(), "what was typed is kept"
    assert client.post("/staff/enquiries/new", data=data | {"proposed_zone": "GMT"}).status_code == 303
    with app.app_context():
        assert db.session.scalar(select(Enquiry.proposed_at)) == datetime(2024, 10, 27, 1, 15, tzinfo=UTC)


def test_staff_may_log_an_enquiry_about_an_embargoed_release(app, client, office, signed_in):
    page = client.get(f"/staff/enquiries/new?release={office['embargoed']}").data.decode()
    assert re.search(rf'<option selected value="{re.escape(office["embargoed"])}">Secret budget \([^)]*embargoed\)', page)
    assert office["draft"] not in page
    response = client.post("/staff/enquiries/new", data=logged(channel="email", email="", release=office["embargoed"]))
    assert response.status_code == 303
    enquiry = load(app, int(response.headers["Location"].rsplit("/", 1)[1]))
    assert (enquiry.channel, enquiry.email, enquiry.assignee_id) == ("email", "", office["jane"])


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"channel": ""}, "channel", "Choose how the enquiry came in."),
    ({"channel": "web"}, "channel", "Choose how the enquiry came in: phone or email."),
    ({"email": "not-an-address"}, "email", "Enter an email address like name@example.com."),
    ({"release": "NCC 1999/00-99"}, "release", "Choose a press release from the list, or none."),
    ({"deadline_time": "09:00"}, "deadline_time", "Your deadline must be in the future."),
    ({"name": ""}, "name", "Enter your name."),
])
def test_logging_refuses_bad_answers_and_keeps_the_rest(app, client, office, signed_in, overrides, field, message):
    response = client.post("/staff/enquiries/new", data=logged(**overrides))
    page = response.data.decode()
    assert response.status_code == 422
    error = re.search(rf'id="{field}-error">(.*?)</p>', page, re.S)
    assert error and message in error.group(1)
    assert "Why were bins missed?\nOn Elm Street.</textarea>" in page and 'value="BBC Radio Northshire"' in page
    with app.app_context():
        assert db.session.scalar(select(Enquiry)) is None


def test_logging_a_draft_release_is_refused(app, client, office, signed_in):
    response = client.post("/staff/enquiries/new", data=logged(release=office["draft"]))
    assert response.status_code == 422 and "Choose a press release from the list, or none." in response.data.decode()


# --- The duty press officer ------------------------------------------------------------------------------------

def test_a_manager_chooses_the_duty_officer_and_sees_the_history(app, client, auth, office, make_enquiry, frozen_clock):
    auth.login("jane.smith@northshire.example")
    page = client.get("/staff/enquiries/duty-officer").data.decode()
    assert "The duty press officer is <strong>Dev Duty</strong>" in page
    frozen_clock.advance(minutes=30)
    response = client.post("/staff/enquiries/duty-officer", data={"user": office["me"]})
    assert response.status_code == 303
    page = client.get("/staff/enquiries/duty-officer").data.decode()
    assert "Pat Officer is now the duty press officer." in page
    assert "The duty press officer is <strong>Pat Officer</strong>" in page
    rows = [text_only(row) for row in re.findall(r"<tr>(.*?)</tr>", page.split("<tbody>")[1], re.S)]
    assert rows == ["11:30 BST, Tuesday 3 September 2024 Pat Officer Jane Smith",
                    "11:00 BST, Tuesday 3 September 2024 Dev Duty the system"]
    assert load(app, make_enquiry()).assignee_id == office["me"]


@pytest.mark.parametrize("value", ["", "abc", "999999", HUGE, "\x00", "-1"])
def test_duty_officer_refuses_junk(app, client, auth, office, value):
    auth.login("jane.smith@northshire.example")
    response = client.post("/staff/enquiries/duty-officer", data={"user": value})
    assert response.status_code == 422 and 'id="user-error"' in response.data.decode()
    with app.app_context():
        assert len(db.session.scalars(select(DutyOfficer)).all()) == 1


def test_no_duty_officer_is_said_plainly(client, manager):
    assert "No duty press officer is set" in client.get("/staff/enquiries/duty-officer").data.decode()


# --- Who may do what -------------------------------------------------------------------------------------------

ACTIONS = ["notes", "response", "status", "assignee", "close", "reply"]


def test_anonymous_people_are_sent_to_sign_in(client, enquiry_id):
    for url in [f"/staff/enquiries/{enquiry_id}", "/staff/enquiries/new", "/staff/enquiries/duty-officer"]:
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].startswith("/staff/login"), url
    for action in ACTIONS:
        response = client.post(f"/staff/enquiries/{enquiry_id}/{action}", data={"note-text": "x"})
        assert response.status_code == 302 and response.headers["Location"].startswith("/staff/login"), action
    assert client.post("/staff/enquiries/new", data=logged()).status_code == 302
    assert client.post("/staff/enquiries/duty-officer", data={"user": 1}).status_code == 302
    assert len(events(client.application, enquiry_id)) == 2


def test_staff_can_read_and_work_but_not_choose_the_duty_officer(app, client, office, signed_in, enquiry_id):
    assert client.get(f"/staff/enquiries/{enquiry_id}").status_code == 200
    assert client.get("/staff/enquiries/new").status_code == 200
    assert client.get("/staff/enquiries/duty-officer").status_code == 403
    assert client.post("/staff/enquiries/duty-officer", data={"user": signed_in}).status_code == 403
    assert client.post(f"/staff/enquiries/{enquiry_id}/notes", data={"note-text": "x"}).status_code == 303
    with app.app_context():
        assert services.duty_officer(db.session).id == office["duty"]


@pytest.mark.parametrize("role", ["manager", "admin"])
def test_managers_and_admins_can_do_everything(client, auth, make_user, enquiry_id, role):
    make_user(role, email=f"{role}@northshire.example")
    auth.login(f"{role}@northshire.example")
    assert client.get(f"/staff/enquiries/{enquiry_id}").status_code == 200
    assert client.get("/staff/enquiries/duty-officer").status_code == 200
    assert client.post(f"/staff/enquiries/{enquiry_id}/close", data={"close-outcome": "background"}).status_code == 303


@pytest.mark.parametrize("missing", ["999999", "2147483648", HUGE])
def test_enquiries_that_do_not_exist_are_404(client, signed_in, missing):
    assert client.get(f"/staff/enquiries/{missing}").status_code == 404
    for action in ACTIONS:
        assert client.post(f"/staff/enquiries/{missing}/{action}", data={"note-text": "x"}).status_code == 404


def test_a_post_without_its_csrf_token_is_refused(app, build_app, office, enquiry_id):
    csrf_client = build_app(WTF_CSRF_ENABLED=True).test_client()
    page = csrf_client.get("/staff/login").data.decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    csrf_client.post("/staff/login", data={"email": "pat.officer@northshire.example",
                                           "password": "correct horse battery staple", "csrf_token": token})
    page = csrf_client.get(f"/staff/enquiries/{enquiry_id}").data.decode()
    assert page.count("<form") == len(re.findall(r'name="[a-z]*-?csrf_token"', page)) == 8
    for action in ACTIONS:
        assert csrf_client.post(f"/staff/enquiries/{enquiry_id}/{action}", data={"note-text": "x"}).status_code == 400
    assert csrf_client.post("/staff/enquiries/new", data=logged()).status_code == 400
    assert len(events(app, enquiry_id)) == 2
    token = re.search(r'name="note-csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = csrf_client.post(f"/staff/enquiries/{enquiry_id}/notes", data={"note-text": "x", "note-csrf_token": token})
    assert response.status_code == 303


HOSTILE = ["", "\x00", "' OR 1=1 --", "<script>alert(1)</script>", "%", "\u202e\u05e9\u05dc\u05d5\u05dd", "😀" * 500,
           "../../etc/passwd", "a" * 100_000, HUGE, "-1"]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_input_never_causes_a_server_error(client, signed_in, enquiry_id, value):
    posts = {
        "notes": {"note-text": value}, "response": {"response-text": value}, "status": {"status-status": value},
        "assignee": {"assign-assignee": value},
        "close": {"close-outcome": value, "close-coverage_url": value, "close-text": value},
        "reply": {"reply-text": value},
    }
    for action, data in posts.items():
        response = client.post(f"/staff/enquiries/{enquiry_id}/{action}", data=data)
        assert response.status_code < 500, action
    response = client.post("/staff/enquiries/new", data={name: value for name in logged()} | {
        "proposed_date": value, "proposed_time": value, "interview_format": value, "interview_mode": value})
    assert response.status_code < 500
    assert client.get("/staff/enquiries/new", query_string={"release": value}).status_code < 500


# --- The staff area's header, navigation and footer ------------------------------------------------------------

def staff_nav(page: str) -> str:
    return re.search(r'<nav aria-label="Staff" class="staff-nav">(.*?)</nav>', page, re.S).group(1)


def test_the_navigation_is_grouped_by_job_and_marks_the_current_page(client, signed_in, enquiry_id):
    nav = staff_nav(client.get("/staff/enquiries/dashboard").data.decode())
    assert "<summary" in nav and ">Menu</summary>" in nav
    for label in ("Releases", "Contacts and lists", "Enquiries and dashboard"):
        assert f'<span class="staff-nav-label" id="staff-nav-{label.split()[0].lower()}">{label}</span>' in nav
    assert '<a class="staff-nav-label" href="/staff/distributions">Distributions</a>' in nav
    assert re.findall(r'aria-current="(\w+)" href="([^"]+)"', nav) == [("page", "/staff/enquiries/dashboard")]
    nav = staff_nav(client.get(f"/staff/enquiries/{enquiry_id}").data.decode())
    assert re.findall(r'aria-current="(\w+)" href="([^"]+)"', nav) == [("true", "/staff/enquiries/")]
    nav = staff_nav(client.get("/staff/contacts/lists").data.decode())
    assert re.findall(r'aria-current="(\w+)" href="([^"]+)"', nav) == [("page", "/staff/contacts/lists")]


def test_staff_are_offered_only_the_pages_their_role_opens(client, auth, signed_in):
    nav = staff_nav(client.get("/staff/enquiries/").data.decode())
    assert "New release" not in nav and "Import a release" not in nav and "Caught mail" not in nav
    assert client.get("/staff/releases/new").status_code == 403
    auth.logout()
    auth.login("jane.smith@northshire.example")
    nav = staff_nav(client.get("/staff/enquiries/").data.decode())
    assert 'href="/staff/releases/new">New release</a>' in nav and 'href="/staff/releases/import">Import a release' in nav


@pytest.mark.parametrize(("url", "part"), [
    ("/staff/enquiries/", "Enquiries"), ("/staff/enquiries/dashboard", "Enquiries"), ("/staff/enquiries/new", "Enquiries"),
    ("/staff/releases/", "Releases"), ("/staff/contacts/", "Contacts and lists"), ("/staff/distributions", "Distributions"),
])
def test_the_header_names_the_part_and_the_journalists_footer_is_left_off(client, signed_in, url, part):
    page = client.get(url).data.decode()
    assert f'<span class="visually-hidden">You are in: </span>{part}</p>' in page
    assert "site-footer" not in page and "get our press releases by email" not in page


def test_an_enquirys_page_is_in_the_enquiries_part(client, signed_in, enquiry_id):
    page = client.get(f"/staff/enquiries/{enquiry_id}").data.decode()
    assert '<span class="visually-hidden">You are in: </span>Enquiries</p>' in page and "site-footer" not in page


def test_journalists_still_get_their_footer(client, office):
    for url in ("/", "/enquiries/new", "/staff/login"):
        page = client.get(url).data.decode()
        assert "get our press releases by email" in page and "staff-nav" not in page, url


def test_logging_a_call_reveals_the_interview_questions_with_the_same_script(client, signed_in):
    page = client.get("/staff/enquiries/new").data.decode()
    assert '<script src="/static/js/enquiry-form.js" defer></script>' in page
    assert 'id="interview-fields" data-shown-for="kind" data-shown-value="interview"' in page
