"""The journalist's enquiry form: what it accepts, what it refuses, and what it starts."""

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import event, func, select

from press.contacts import services as contacts
from press.database import PREPARE_AFTER
from press.outbox.models import Delivery
from press.outbox.worker import Worker
from press.enquiries import services
from press.enquiries.models import Enquiry, EnquiryEvent
from press.extensions import db, limiter
from press.releases.models import Release

# The frozen clock is 11:00 BST on Tuesday 3 September 2024.
EMBARGO = datetime(2024, 9, 4, 8, 0, tzinfo=UTC)


@pytest.fixture
def app_config(app_config, mail_server):
    return app_config | mail_server.app_settings()


@pytest.fixture
def office(app, make_user, make_release, frozen_clock):
    """A named media contact with a public release, an embargoed release, and a duty press officer."""
    jane = make_user("manager", email="jane.smith@northshire.example", name="Jane Smith")
    duty = make_user("staff", email="duty.officer@northshire.example", name="Dev Duty")
    public_id = make_release(contact_id=jane, headline="Library opens", final=True)
    embargoed_id = make_release(contact_id=jane, headline="Secret budget", embargo_at=EMBARGO, final=True)
    with app.app_context():
        from press.accounts.models import User
        services.set_duty_officer(db.session, db.session.get(User, duty), by=None)
        db.session.commit()
        public, embargoed = db.session.get(Release, public_id), db.session.get(Release, embargoed_id)
        return {"jane": jane, "duty": duty, "public": public.reference, "embargoed": embargoed.reference}


def answers(**overrides) -> dict:
    return {
        "name": "Sam Reporter",
        "outlet": "Northshire Gazette",
        "email": "Sam.Reporter@gazette.example",
        "phone": "01632 960001",
        "kind": "comment",
        "release": "",
        "subject": "Library opening hours",
        "body": "Can you confirm the opening hours?",
        "deadline_date": "2024-09-03",
        "deadline_time": "16:30",
    } | overrides


def enquiries(app) -> list[Enquiry]:
    with app.app_context():
        found = list(db.session.scalars(select(Enquiry).order_by(Enquiry.id)))
        db.session.expunge_all()
        return found


def test_form_is_public_and_prefills_a_public_release(client, office):
    page = client.get(f"/enquiries/new?release={office['public']}").data.decode()
    assert "Make a media enquiry" in page
    assert re.search(rf'<option selected value="{re.escape(office["public"])}"', page)
    # An embargoed release is neither offered nor preselected, even when asked for by reference.
    page = client.get(f"/enquiries/new?release={office['embargoed']}").data.decode()
    assert "Secret budget" not in page and office["embargoed"] not in page


def test_submission_gives_a_reference_routes_to_the_release_contact_and_queues_two_emails(
        app, client, office, mail_server):
    response = client.post("/enquiries/new", data=answers(release=office["public"], kind="interview",
                                                          interviewee="The council leader", interview_format="radio",
                                                          interview_mode="live"))
    assert response.status_code == 303
    confirmation = client.get(response.headers["Location"]).data.decode()
    assert "ENQ-2024-0001" in confirmation
    [enquiry] = enquiries(app)
    assert enquiry.reference == "ENQ-2024-0001" and enquiry.assignee_id == office["jane"]
    assert enquiry.email == "sam.reporter@gazette.example"
    assert enquiry.deadline_at == datetime(2024, 9, 3, 15, 30, tzinfo=UTC)  # 16:30 BST
    assert enquiry.interview_format == "radio" and enquiry.interviewee == "The council leader"

    assert Worker(app).run(once=True) == 2
    received = mail_server.wait_for(2)
    by_to = {message.rcpt_tos[0]: message.message for message in received}
    ack = by_to["sam.reporter@gazette.example"]
    assert "ENQ-2024-0001" in ack["Subject"]
    assert "ENQ-2024-0001" in ack.get_body(("plain",)).get_content()
    assert "jane.smith@northshire.example" in ack["Reply-To"]
    alert = by_to["jane.smith@northshire.example"]
    assert alert["Subject"].startswith("Deadline 16:30 BST, Tuesday 3 September 2024: ENQ-2024-0001")


def test_enquiry_not_about_a_release_goes_to_the_duty_officer(app, client, office):
    client.post("/enquiries/new", data=answers())
    [enquiry] = enquiries(app)
    assert enquiry.assignee_id == office["duty"]
    with app.app_context():
        kinds = [e.kind for e in db.session.scalars(select(EnquiryEvent).order_by(EnquiryEvent.id))]
    assert kinds == ["received", "assigned"]


def test_an_address_in_the_contacts_list_is_linked(app, client, office):
    with app.app_context():
        contact_id = contacts.create_contact(db.session, by=None, email="sam.reporter@gazette.example",
                                             name="Sam Reporter").id
        db.session.commit()
    client.post("/enquiries/new", data=answers())
    assert enquiries(app)[0].contact_id == contact_id


def test_a_deadline_in_the_repeated_autumn_hour_asks_gmt_or_bst_and_keeps_the_enquiry(app, client, office):
    data = answers(deadline_date="2024-10-27", deadline_time="01:30", body="Which 01:30 do I mean?")
    response = client.post("/enquiries/new", data=data)
    page = response.data.decode()
    assert response.status_code == 422 and enquiries(app) == []
    assert 'name="deadline_zone"' in page and 'href="#deadline_zone' in page
    assert "Which 01:30 do I mean?" in page, "what was typed is kept"
    assert client.post("/enquiries/new", data=data | {"deadline_zone": "BST"}).status_code == 303
    assert client.post("/enquiries/new", data=data | {"deadline_zone": "GMT"}).status_code == 303
    first, second = enquiries(app)
    assert (first.deadline_at, second.deadline_at) == (datetime(2024, 10, 27, 0, 30, tzinfo=UTC),
                                                       datetime(2024, 10, 27, 1, 30, tzinfo=UTC))


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"name": ""}, "name", "Enter your name."),
    ({"email": "not-an-address"}, "email", "Enter an email address like name@example.com."),
    ({"kind": ""}, "kind", "Choose the type of enquiry."),
    ({"deadline_time": "09:00"}, "deadline_time", "Your deadline must be in the future."),
    ({"deadline_date": "2024-02-30"}, "deadline_date", "Deadline date must be a real date: February 2024 has 29 days."),
    ({"body": "x" * 20_001}, "body", "Your enquiry must be 20,000 characters or fewer."),
    ({"kind": "interview"}, "interviewee", "Say who you would like to interview"),
    ({"release": "NCC 1999/00-99"}, "release", "Choose a press release from the list"),
])
def test_bad_answers_are_refused_next_to_the_field_and_everything_typed_is_kept(
        app, client, office, overrides, field, message):
    data = answers(**overrides)
    response = client.post("/enquiries/new", data=data)
    page = response.data.decode()
    assert response.status_code == 422
    assert "There is a problem" in page
    assert f'href="#{field}' in page and message in page
    assert f'id="{field}-error"' in page or f'id="{field}-error"' in page.replace("-0-error", "-error")
    assert 'value="Northshire Gazette"' in page and "Library opening hours" in page
    assert enquiries(app) == []


def test_an_embargoed_release_cannot_be_named_by_its_reference(app, client, office):
    response = client.post("/enquiries/new", data=answers(release=office["embargoed"]))
    assert response.status_code == 422
    assert "Secret budget" not in response.data.decode()
    assert enquiries(app) == []


def test_long_text_emoji_and_right_to_left_are_kept_exactly(app, client, office):
    body = ("مرحبا، هل يمكنكم التعليق؟ 🙂 " * 700)[:20_000]
    response = client.post("/enquiries/new", data=answers(body=body, name="Zoë Ångström 🎙️", subject="שאלה על הספרייה"))
    assert response.status_code == 303
    [enquiry] = enquiries(app)
    assert enquiry.body == body.strip() and enquiry.journalist_name == "Zoë Ångström 🎙️"
    assert enquiry.subject == "שאלה על הספרייה"


def test_control_characters_and_header_breaks_never_reach_a_header(app, client, office, mail_server):
    client.post("/enquiries/new", data=answers(subject="Hours\r\nBcc: victim@example.com", name="Sam\x00 Reporter"))
    Worker(app).run(once=True)
    for message in mail_server.wait_for(2):
        assert "victim@example.com" not in message.rcpt_tos
        assert "Bcc" not in message.message
        assert "\n" not in message.message["Subject"]


def test_a_filled_honeypot_looks_sent_but_keeps_nothing(app, client, office):
    response = client.post("/enquiries/new", data=answers(website="http://spam.example"))
    assert response.status_code == 303
    assert "Enquiry sent" in client.get(response.headers["Location"]).data.decode()
    assert enquiries(app) == []
    with app.app_context():
        assert db.session.scalar(select(func.count(Delivery.id))) == 0


def test_an_smtp_outage_delays_the_emails_but_keeps_the_enquiry(app, client, office, mail_server):
    mail_server.stop()  # the relay is down while the journalist sends, and while the worker tries
    response = client.post("/enquiries/new", data=answers())
    assert response.status_code == 303
    assert len(enquiries(app)) == 1
    Worker(app).run(once=True)
    with app.app_context():
        waiting = db.session.scalars(select(Delivery.status).where(Delivery.kind.like("enquiry-%"))).all()
    assert sorted(waiting) == ["queued", "queued"], "retried later, not lost"


def test_confirmation_links_cannot_be_guessed(client, office):
    assert client.get("/enquiries/sent/1").status_code == 404
    assert client.get("/enquiries/sent/not-a-token").status_code == 404


def test_submissions_prepare_their_writes_on_postgresql_and_give_the_connection_back_planning_afresh(
        app, client, office):
    seen = []  # (driver connection, its prepare_threshold) as each enquiry was written

    def watch(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("INSERT INTO enquiries "):
            driver = conn.connection.dbapi_connection
            seen.append((driver, getattr(driver, "prepare_threshold", "not on SQLite")))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", watch)
    # Enough for each of up to three pooled connections to run the insert past the threshold.
    submissions = 3 * (PREPARE_AFTER + 1)
    try:
        for n in range(submissions):
            response = client.post("/enquiries/new", data=answers(email=f"reporter{n}@gazette.example"))
            assert response.status_code == 303
    finally:
        event.remove(engine, "before_cursor_execute", watch)
    assert len(seen) == submissions
    if engine.dialect.name == "postgresql":
        assert {threshold for _, threshold in seen} == {PREPARE_AFTER}
        drivers = list({id(driver): driver for driver, _ in seen}.values())
        assert all(driver.prepare_threshold is None for driver in drivers), "back in the pool, planned afresh"
        prepared = []
        for driver in drivers:  # idle in the pool; a rollback would discard what it prepared, so commit
            prepared += [row[0] for row in driver.execute("SELECT statement FROM pg_prepared_statements")]
            driver.commit()
        assert any(statement.startswith("INSERT INTO enquiries ") for statement in prepared), prepared
    else:
        assert {threshold for _, threshold in seen} == {"not on SQLite"}
    assert len(enquiries(app)) == submissions


def test_references_run_on_within_the_year_and_restart_each_year(app, office, make_enquiry, frozen_clock):
    first, second = make_enquiry(), make_enquiry()
    frozen_clock.set(datetime(2025, 1, 1, 0, 30, tzinfo=UTC))
    third = make_enquiry(deadline_at=datetime(2025, 1, 2, tzinfo=UTC))
    with app.app_context():
        references = [db.session.get(Enquiry, i).reference for i in (first, second, third)]
    assert references == ["ENQ-2024-0001", "ENQ-2024-0002", "ENQ-2025-0001"]


def test_no_duty_officer_and_no_release_leaves_it_unassigned_but_kept(app, client, make_user, frozen_clock):
    response = client.post("/enquiries/new", data=answers())
    assert response.status_code == 303
    [enquiry] = enquiries(app)
    assert enquiry.assignee_id is None


class TestWithCsrf:
    @pytest.fixture
    def app_config(self, app_config):
        app_config["WTF_CSRF_ENABLED"] = True
        return app_config

    def test_a_missing_token_sends_nothing_but_keeps_the_answers(self, app, client, office):
        response = client.post("/enquiries/new", data=answers())
        page = response.data.decode()
        assert response.status_code == 400
        assert "Your answers are still here" in page and "Library opening hours" in page
        assert enquiries(app) == []

    def test_a_real_token_works(self, app, client, office):
        page = client.get("/enquiries/new").data.decode()
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        assert client.post("/enquiries/new", data=answers(csrf_token=token)).status_code == 303
        assert len(enquiries(app)) == 1


    def test_a_form_left_open_for_hours_still_sends(self, app, client, office, frozen_clock):
        page = client.get("/enquiries/new").data.decode()
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        frozen_clock.advance(hours=5)  # 16:00 BST: the journalist comes back from a job
        response = client.post("/enquiries/new", data=answers(csrf_token=token, deadline_time="17:30"))
        assert response.status_code == 303
        assert enquiries(app)[0].received_at == frozen_clock()


class TestRateLimit:
    @pytest.fixture
    def app_config(self, app_config):
        app_config.update(RATELIMIT_ENABLED=True, PRESS_ENQUIRY_RATE_LIMIT="3 per minute")
        return app_config

    def test_a_burst_from_one_address_is_held_back_with_the_answers_kept(self, app, client, office):
        with app.app_context():
            limiter.reset()
        codes = [client.post("/enquiries/new", data=answers(subject=f"Question {n}")).status_code for n in range(5)]
        assert codes == [303, 303, 303, 429, 429]
        page = client.post("/enquiries/new", data=answers(subject="Question kept")).data.decode()
        assert "Wait a minute" in page and "Question kept" in page
        assert len(enquiries(app)) == 3
        # Another address is not held back.
        assert client.post("/enquiries/new", data=answers(),
                           environ_base={"REMOTE_ADDR": "192.0.2.7"}).status_code == 303


def test_retention_anonymises_old_enquiries_and_records_the_run(app, runner, office, make_enquiry, frozen_clock):
    old = make_enquiry(body="My mobile is 07700 900999")
    with app.app_context():
        from press.accounts.models import User
        enquiry = db.session.get(Enquiry, old)
        services.add_note(db.session, enquiry, "Sam said off the record ...", by=db.session.get(User, office["jane"]))
        db.session.commit()
    frozen_clock.advance(days=800)
    recent = make_enquiry()
    result = runner.invoke(args=["press", "purge-enquiries", "--older-than", "24"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("1 enquiries received before")
    with app.app_context():
        gone, kept = db.session.get(Enquiry, old), db.session.get(Enquiry, recent)
        assert gone.journalist_name == "Anonymised" and gone.email == "" and "07700" not in gone.body
        assert gone.outlet == "Northshire Gazette" and gone.kind == "comment" and gone.anonymised_at is not None
        assert kept.journalist_name == "Sam Reporter"
        texts = [e.text for e in gone.events]
        assert not any("off the record" in t for t in texts) and gone.events[-1].kind == "anonymised"
        addresses = db.session.scalars(select(Delivery.to_address).where(Delivery.kind == "enquiry-acknowledgement"))
        assert sorted(addresses) == ["anonymised@invalid", "sam.reporter@gazette.example"]
    again = runner.invoke(args=["press", "purge-enquiries", "--older-than", "24"])
    assert again.output.startswith("0 enquiries")
    # Without --older-than the setting decides.
    app.config["PRESS_ENQUIRY_RETENTION_MONTHS"] = 1
    frozen_clock.advance(days=40)
    by_setting = runner.invoke(args=["press", "purge-enquiries"])
    assert by_setting.output.startswith("1 enquiries")
    with app.app_context():
        assert db.session.get(Enquiry, recent).anonymised_at is not None


def test_timeline_entries_cannot_be_edited_or_deleted(app, office, make_enquiry):
    from press.enquiries.models import TimelineEditError

    make_enquiry()
    with app.app_context():
        entry = db.session.scalar(select(EnquiryEvent).limit(1))
        entry.text = "rewritten"
        with pytest.raises(TimelineEditError):
            db.session.flush()
        db.session.rollback()
        db.session.delete(db.session.scalar(select(EnquiryEvent).limit(1)))
        with pytest.raises(TimelineEditError):
            db.session.flush()


# --- Asking only what applies -----------------------------------------------------------------------------------

def test_the_release_the_journalist_came_from_fills_in_the_subject(client, office):
    page = client.get("/enquiries/new", query_string={"release": office["public"]}).data.decode()
    assert re.search(r'<input[^>]*id="subject"[^>]*value="Library opens"', page)
    assert re.search(rf'<option selected value="{re.escape(office["public"])}">Library opens', page)


@pytest.mark.parametrize("release", ["embargoed", "unknown", "empty"])
def test_no_subject_is_filled_in_from_a_release_the_public_cannot_see(client, office, release):
    reference = {"embargoed": office["embargoed"], "unknown": "NCC 1999/00-99", "empty": ""}[release]
    page = client.get("/enquiries/new", query_string={"release": reference}).data.decode()
    assert re.search(r'<input[^>]*id="subject"[^>]*value=""', page) or 'value="' not in re.search(
        r'<input[^>]*id="subject"[^>]*>', page).group(0)
    assert "Secret budget" not in page


def test_a_typed_subject_is_kept_over_the_releases_headline(client, office):
    data = answers(release=office["public"], subject="Parking at the library", name="")
    page = client.post("/enquiries/new", data=data).data.decode()
    assert 'value="Parking at the library"' in page


def test_the_interview_questions_are_one_group_the_script_can_hide(client, office):
    page = client.get("/enquiries/new").data.decode()
    assert '<script src="/static/js/enquiry-form.js" defer></script>' in page
    opening = re.search(r'<fieldset class="interview-fields"[^>]*>', page)
    assert opening and "hidden" not in opening.group(0), "shown without script"
    group = page[opening.end():page.index('class="honeypot"')]
    for name in ("interviewee", "interview_format", "interview_mode", "proposed_date-day", "proposed_time",
                 "proposed_place"):
        assert f'name="{name}"' in group, name
    assert 'name="deadline_date-day"' not in group and 'name="subject"' not in group


def test_answers_left_in_the_interview_questions_do_not_hold_up_another_kind(app, client, office):
    data = answers(kind="comment", interviewee="x" * 500, proposed_time="09:00", proposed_date="not a date",
                   interview_format="nonsense")
    assert client.post("/enquiries/new", data=data).status_code == 303
    [enquiry] = enquiries(app)
    assert (enquiry.interviewee, enquiry.interview_format, enquiry.proposed_at) == ("", "", None)


def test_an_interview_request_still_checks_its_questions(app, client, office):
    data = answers(kind="interview", interviewee="The leader", interview_format="radio", proposed_time="09:00")
    page = client.post("/enquiries/new", data=data).data.decode()
    assert "Enter the proposed date as well as the time." in page and 'href="#proposed_date-day"' in page
    assert enquiries(app) == []


def test_each_field_shows_its_error_once_in_one_style(client, office):
    page = client.post("/enquiries/new", data=answers(deadline_date="", deadline_time="", name="")).data.decode()
    deadline = re.search(r'<div class="field field-error">\s*<fieldset>\s*<legend class="label">Deadline</legend>(.*?)'
                         r'</fieldset>', page, re.S)
    assert deadline, "the date and time share one error bar"
    assert "field-error" not in deadline.group(1), "no second bar inside it"
    assert deadline.group(1).count('class="error-message"') == 2
    assert page.count("Enter the date of your deadline.") == 2, "once in the summary, once at the field"
    described = " ".join(re.findall(r'aria-describedby="([^"]+)"', page)).split()
    assert len(described) == len(set(described)), "no message is read out twice"
    assert page.count('id="name-error"') == 1 and page.count('aria-describedby="name-error"') == 1
