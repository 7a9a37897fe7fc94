"""FOI and EIR requests through the staff pages: flagging, pauses, the extension, the log's column and filter,
and the admins' one-off non-working days."""

import re
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from press.audit import AuditEvent
from press.enquiries.models import Enquiry, EnquiryEvent, FoiPause, NonWorkingDay
from press.extensions import db
from tests.conftest import date_shown

# 10:00 GMT on Friday 11 December 2026: a request received now is due Thursday 14 January 2027.
RECEIVED = datetime(2026, 12, 11, 10, 0, tzinfo=UTC)


@pytest.fixture
def received(frozen_clock):
    frozen_clock.set(RECEIVED)
    return frozen_clock


@pytest.fixture
def officer(make_user, auth):
    user_id = make_user("staff", email="pat.officer@northshire.example", name="Pat Officer")
    auth.login("pat.officer@northshire.example")
    return user_id


@pytest.fixture
def enquiry_id(make_enquiry, received):
    return make_enquiry(subject="Spending on consultants", kind="information")


def load(app, enquiry_id: int) -> Enquiry:
    with app.app_context():
        enquiry = db.session.get(Enquiry, enquiry_id)
        db.session.expunge(enquiry)
        return enquiry


def kinds(app, enquiry_id: int) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(EnquiryEvent.kind).where(EnquiryEvent.enquiry_id == enquiry_id)
                                       .order_by(EnquiryEvent.id)))


def audited(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def text_only(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def flag(client, enquiry_id: int, law: str = "foi"):
    return client.post(f"/staff/enquiries/{enquiry_id}/foi/flag", data={"foiflag-law": law})


def day_parts(name: str, day: date) -> dict[str, str]:
    return {f"{name}-day": str(day.day), f"{name}-month": str(day.month), f"{name}-year": str(day.year)}


# --- Flagging --------------------------------------------------------------------------------------------------

def test_flagging_shows_the_statutory_due_date(app, client, officer, enquiry_id):
    response = flag(client, enquiry_id)
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/staff/enquiries/{enquiry_id}#foi")
    enquiry = load(app, enquiry_id)
    assert enquiry.request_law == "foi" and enquiry.foi_flagged_at == RECEIVED
    assert enquiry.foi_due_on == date(2027, 1, 14)
    page = client.get(f"/staff/enquiries/{enquiry_id}").data.decode()
    assert "Marked as an FOI request. Due 14 January 2027." in page
    assert "FOI due 14 January 2027" in page
    assert "Flagged as an FOI request, due 14 January 2027 by Pat Officer" in text_only(page)
    assert kinds(app, enquiry_id)[-1] == "foi_flagged"
    assert "enquiry flagged as FOI/EIR" in audited(app)


def test_an_eir_request_and_unflagging(app, client, officer, enquiry_id):
    flag(client, enquiry_id, "eir")
    assert "EIR due 14 January 2027" in client.get(f"/staff/enquiries/{enquiry_id}").data.decode()
    assert flag(client, enquiry_id, "none").status_code == 303
    enquiry = load(app, enquiry_id)
    assert enquiry.request_law == "" and enquiry.foi_due_on is None and enquiry.foi_flagged_at is None
    page = client.get(f"/staff/enquiries/{enquiry_id}").data.decode()
    assert "No longer flagged as an FOI or EIR request" in page
    assert "enquiry FOI/EIR flag removed" in audited(app)


def test_a_flag_that_is_not_a_choice_is_explained(app, client, officer, enquiry_id):
    response = flag(client, enquiry_id, "gdpr")
    assert response.status_code == 422
    page = response.data.decode()
    assert "Choose FOI, EIR, or neither." in page and "There is a problem" in page
    assert load(app, enquiry_id).request_law == ""


# --- Pauses ----------------------------------------------------------------------------------------------------

def test_a_fees_notice_pauses_the_clock_until_the_fee_comes_in(app, client, officer, enquiry_id, received):
    flag(client, enquiry_id)
    received.set(datetime(2026, 12, 16, 10, 0, tzinfo=UTC))
    response = client.post(f"/staff/enquiries/{enquiry_id}/foi/pauses",
                           data={"foipause-kind": "fees", "foipause-note": "£45 for copying",
                                 **day_parts("foipause-started_on", date(2026, 12, 14))})
    assert response.status_code == 303
    assert load(app, enquiry_id).foi_due_on is None
    page = client.get(f"/staff/enquiries/{enquiry_id}").data.decode()
    assert "Paused since 14 December 2026" in page and "£45 for copying" in page
    assert "Fees notice sent 14 December 2026: the FOI clock is paused" in text_only(page)
    assert "Paused since 14 December 2026" in client.get("/staff/enquiries/").data.decode()

    response = client.post(f"/staff/enquiries/{enquiry_id}/foi/pauses/end",
                           data=day_parts("foiresume-ended_on", date(2026, 12, 16)))
    assert response.status_code == 303
    # 14, 15 and 16 December are disregarded: the three working days go on the end, to Tuesday 19 January.
    assert load(app, enquiry_id).foi_due_on == date(2027, 1, 19)
    with app.app_context():
        pause = db.session.scalar(select(FoiPause))
        assert (pause.kind, pause.started_on, pause.ended_on) == ("fees", date(2026, 12, 14), date(2026, 12, 16))
    assert kinds(app, enquiry_id)[-2:] == ["foi_paused", "foi_resumed"]
    assert {"FOI clock paused", "FOI clock restarted"} <= set(audited(app))


def test_a_clarification_starts_the_count_again(app, client, officer, enquiry_id, received):
    flag(client, enquiry_id)
    received.set(datetime(2027, 1, 6, 10, 0, tzinfo=UTC))
    client.post(f"/staff/enquiries/{enquiry_id}/foi/pauses",
                data={"foipause-kind": "clarification", **day_parts("foipause-started_on", date(2026, 12, 14))})
    client.post(f"/staff/enquiries/{enquiry_id}/foi/pauses/end", data=day_parts("foiresume-ended_on", date(2027, 1, 5)))
    # Day one is Wednesday 6 January 2027; day 20 is Tuesday 2 February.
    assert load(app, enquiry_id).foi_due_on == date(2027, 2, 2)


def test_a_pause_before_the_request_came_in_is_refused_and_the_date_kept(app, client, officer, enquiry_id):
    flag(client, enquiry_id)
    response = client.post(f"/staff/enquiries/{enquiry_id}/foi/pauses",
                           data={"foipause-kind": "fees", "foipause-note": "Typed note",
                                 **day_parts("foipause-started_on", date(2026, 12, 1))})
    assert response.status_code == 422
    page = response.data.decode()
    assert "The date sent cannot be before the request came in, on 11 December 2026." in page
    assert date_shown("foipause-started_on", "2026-12-01").search(page)
    assert "Typed note" in page
    assert "<title>Error: " in page
    assert load(app, enquiry_id).foi_due_on == date(2027, 1, 14)


def test_a_pause_form_with_nothing_in_it_says_what_is_missing(app, client, officer, enquiry_id):
    flag(client, enquiry_id)
    response = client.post(f"/staff/enquiries/{enquiry_id}/foi/pauses", data={"foipause-started_on-day": "32",
                                                                               "foipause-started_on-month": "12",
                                                                               "foipause-started_on-year": "2026"})
    assert response.status_code == 422
    page = response.data.decode()
    assert "Choose a clarification or a fees notice." in page
    assert "Date sent: the day must be a number from 1 to 31." in page
    assert 'value="32"' in page
    response = client.post(f"/staff/enquiries/{enquiry_id}/foi/pauses", data={"foipause-kind": "fees"})
    assert "Enter the date it was sent." in response.data.decode()


def test_a_future_pause_and_an_answer_without_a_pause_are_refused(app, client, officer, enquiry_id):
    flag(client, enquiry_id)
    response = client.post(f"/staff/enquiries/{enquiry_id}/foi/pauses",
                           data={"foipause-kind": "fees", **day_parts("foipause-started_on", date(2026, 12, 12))})
    assert response.status_code == 422 and "The date sent cannot be in the future." in response.data.decode()
    response = client.post(f"/staff/enquiries/{enquiry_id}/foi/pauses/end",
                           data=day_parts("foiresume-ended_on", date(2026, 12, 11)))
    assert response.status_code == 422 and "The clock is not paused." in response.data.decode()


def test_an_ordinary_enquiry_cannot_be_paused(app, client, officer, enquiry_id):
    response = client.post(f"/staff/enquiries/{enquiry_id}/foi/pauses",
                           data={"foipause-kind": "fees", **day_parts("foipause-started_on", date(2026, 12, 11))})
    assert response.status_code == 422
    assert "Flag the enquiry as an FOI or EIR request first." in response.data.decode()


# --- The extension ---------------------------------------------------------------------------------------------

def test_an_extension_moves_the_due_date_and_keeps_its_reason(app, client, officer, enquiry_id):
    flag(client, enquiry_id)
    response = client.post(f"/staff/enquiries/{enquiry_id}/foi/extension",
                           data={"foiextend-days": "20", "foiextend-reason": "Section 43 public interest test"})
    assert response.status_code == 303
    enquiry = load(app, enquiry_id)
    assert enquiry.foi_extension_days == 20 and enquiry.foi_extension_reason == "Section 43 public interest test"
    # Twenty more working days after Thursday 14 January 2027: Thursday 11 February.
    assert enquiry.foi_due_on == date(2027, 2, 11)
    page = client.get(f"/staff/enquiries/{enquiry_id}").data.decode()
    assert "Extension recorded. It is now due 11 February 2027." in page
    assert "FOI deadline extended by 20 working days, due 11 February 2027" in page
    assert "FOI deadline extended" in audited(app)


@pytest.mark.parametrize(("days", "reason", "message"), [
    ("21", "Too long", "Enter a number of working days from 1 to 20."),
    ("0", "Too short", "Enter a number of working days from 1 to 20."),
    ("ten", "Not a number", "Enter a whole number, such as 30."),
    ("", "Nothing", "Enter the extra working days, from 1 to 20."),
    ("5", "   ", "Enter the reason for the extension."),
])
def test_an_extension_form_with_a_mistake_is_shown_again(app, client, officer, enquiry_id, days, reason, message):
    flag(client, enquiry_id)
    response = client.post(f"/staff/enquiries/{enquiry_id}/foi/extension",
                           data={"foiextend-days": days, "foiextend-reason": reason})
    assert response.status_code == 422
    page = response.data.decode()
    assert message in page
    assert f'value="{days}"' in page or not days
    assert load(app, enquiry_id).foi_extension_days == 0


def test_each_refusal_is_shown_next_to_its_own_field(app, client, officer, enquiry_id):
    flag(client, enquiry_id)
    page = client.post(f"/staff/enquiries/{enquiry_id}/foi/extension",
                       data={"foiextend-days": "5", "foiextend-reason": "   "}).data.decode()
    reason_error = page.split('id="foiextend-reason-error"', 1)[1].split("</p>", 1)[0]
    assert "Enter the reason for the extension." in reason_error
    assert 'id="foiextend-days-error"' not in page
    assert 'href="#foiextend-reason"' in page  # the error summary links to the box


# --- The log ---------------------------------------------------------------------------------------------------

def test_the_log_shows_the_due_date_and_filters_to_requests(app, client, officer, enquiry_id, make_enquiry):
    other = make_enquiry(subject="Bin collections")
    flag(client, enquiry_id)
    page = client.get("/staff/enquiries/").data.decode()
    assert "FOI due 14 January 2027" in page and "Bin collections" in page
    assert "FOI/EIR requests only" in page
    only = client.get("/staff/enquiries/?foi=only").data.decode()
    assert "Spending on consultants" in only and "Bin collections" not in only
    assert "1 enquiry matches." in only
    bad = client.get("/staff/enquiries/?foi=everything")
    assert bad.status_code == 200 and "Bin collections" in bad.data.decode()
    assert "is not one of the choices" in bad.data.decode()
    assert other


def test_the_log_reads_the_clocks_of_a_page_in_a_few_queries(app, client, officer, make_enquiry, received):
    from sqlalchemy import event

    ids = [make_enquiry(subject=f"Request {n}") for n in range(6)]
    for enquiry_id in ids:
        flag(client, enquiry_id)
    statements = []
    with app.app_context():
        engine = db.engine

        def count(*args):
            statements.append(args[2])

        event.listen(engine, "before_cursor_execute", count)
        try:
            page = client.get("/staff/enquiries/?foi=only").data.decode()
        finally:
            event.remove(engine, "before_cursor_execute", count)
    assert page.count("FOI due 14 January 2027") == 6
    assert sum("foi_pauses" in sql for sql in statements) == 1
    assert sum("non_working_days" in sql for sql in statements) == 1


# --- One-off non-working days ----------------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["anonymous", "staff", "manager", "admin"])
def test_only_admins_reach_the_non_working_days(app, client, make_user, auth, who):
    day_id = None
    with app.app_context():
        entry = NonWorkingDay(day=date(2030, 5, 6), name="A proclaimed day")
        db.session.add(entry)
        db.session.commit()
        day_id = entry.id
    if who != "anonymous":
        make_user(who, email=f"{who}@council.example")
        auth.login(f"{who}@council.example")
    rules = [(rule.rule, method) for rule in app.url_map.iter_rules() if rule.endpoint.startswith("non_working_days.")
             for method in rule.methods - {"HEAD", "OPTIONS"}]
    assert len(rules) == 3
    for rule, method in rules:
        with client.open(rule.replace("<int:day_id>", str(day_id)), method=method, data={}) as response:
            status, location = response.status_code, response.headers.get("Location", "")
        if who == "anonymous":
            assert status == 302 and location.startswith("/staff/login"), (who, method, rule)
        elif who != "admin":
            assert status == 403, (who, method, rule)
        else:
            assert status in (200, 303, 422), (who, method, rule, status)


@pytest.fixture
def admin(make_user, auth):
    user_id = make_user("admin", email="ada.admin@northshire.example", name="Ada Admin")
    auth.login("ada.admin@northshire.example")
    return user_id


def test_the_sign_in_settings_page_leads_to_the_non_working_days(client, admin):
    page = client.get("/staff/settings").data.decode()
    assert '<a href="/staff/settings/non-working-days/">Non-working days for the FOI and EIR clock</a>' in page


def test_an_admin_adds_and_removes_a_one_off_day_and_due_dates_move(app, client, admin, enquiry_id):
    flag(client, enquiry_id)
    assert "Add a one-off non-working day" in client.get(f"/staff/enquiries/{enquiry_id}").data.decode()
    response = client.post("/staff/settings/non-working-days",
                           data={"name": "  Day of national mourning ", **day_parts("day", date(2027, 1, 12))})
    assert response.status_code == 303
    page = client.get("/staff/settings/non-working-days").data.decode()
    assert "12 January 2027 (Day of national mourning) is now a non-working day." in page
    assert "1 open FOI or EIR request had its due date moved." in page
    assert "Tuesday 12 January 2027" in page and "Ada Admin" in page
    assert load(app, enquiry_id).foi_due_on == date(2027, 1, 15)
    enquiry_page = text_only(client.get(f"/staff/enquiries/{enquiry_id}").data.decode())
    assert "FOI due date moved to 15 January 2027 (Day of national mourning added as a non-working day)" in enquiry_page
    assert "FOI due 15 January 2027" in client.get("/staff/enquiries/").data.decode()

    with app.app_context():
        day_id = db.session.scalar(select(NonWorkingDay.id))
    response = client.post(f"/staff/settings/non-working-days/{day_id}/remove")
    assert response.status_code == 303
    assert load(app, enquiry_id).foi_due_on == date(2027, 1, 14)
    assert {"non-working day added", "non-working day removed"} <= set(audited(app))
    assert "No days added yet." in client.get("/staff/settings/non-working-days").data.decode()


def test_the_same_day_twice_and_a_bad_date_are_explained(app, client, admin):
    client.post("/staff/settings/non-working-days", data={"name": "Jubilee", **day_parts("day", date(2027, 6, 7))})
    response = client.post("/staff/settings/non-working-days",
                           data={"name": "Again", **day_parts("day", date(2027, 6, 7))})
    assert response.status_code == 422
    page = response.data.decode()
    assert "7 June 2027 is already a one-off non-working day." in page and 'value="Again"' in page
    response = client.post("/staff/settings/non-working-days",
                           data={"name": "", "day-day": "31", "day-month": "2", "day-year": "2027"})
    page = response.data.decode()
    assert response.status_code == 422
    assert "Date must be a real date: February 2027 has 28 days." in page and "Enter a name for the day." in page
    with app.app_context():
        assert len(list(db.session.scalars(select(NonWorkingDay)))) == 1


def test_removing_a_day_that_is_not_there_is_not_found(client, admin):
    assert client.post("/staff/settings/non-working-days/999/remove").status_code == 404


def test_the_database_holds_one_open_pause_per_request(app, enquiry_id):
    from sqlalchemy.exc import IntegrityError

    with app.app_context():
        db.session.add(FoiPause(enquiry_id=enquiry_id, kind="fees", started_on=date(2026, 12, 11), note=""))
        db.session.commit()
        db.session.add(FoiPause(enquiry_id=enquiry_id, kind="fees", started_on=date(2026, 12, 11),
                                ended_on=date(2026, 12, 11), note=""))
        db.session.commit()  # an ended one beside it is fine
        db.session.add(FoiPause(enquiry_id=enquiry_id, kind="clarification", started_on=date(2026, 12, 11), note=""))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
