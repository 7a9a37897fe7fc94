"""The embargo-breach register: a breach recorded with its evidence; a suspended journalist, or anyone at a
suspended outlet, left out of sends under embargo (and counted on the confirmation page) but not of others."""

import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from press.audit import AuditEvent
from press.distribution.models import EmbargoBreach
from press.extensions import db
from press.outbox.models import Delivery
from press.outbox.worker import Worker
from press.contacts import services as contacts
from tests.test_distribution_pages import EMBARGO, all_of, list_id, send_data, send_through_confirmation

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
ANN, BOB, CAT = "ann@gazette.example", "bob@radio.example", "cat@gazette.example"


@pytest.fixture
def app_config(app_config, mail_server):
    return app_config | mail_server.app_settings()


@pytest.fixture
def office(app, client, manager, make_release, frozen_clock):
    """An embargoed release and one without, and three journalists on Local: two at the Gazette."""
    with app.app_context():
        local = contacts.lists_named(db.session, ["Local"], create=True)
        for email, name, outlet in [(ANN, "Ann Lee", "Northshire Gazette"), (BOB, "Bob Roe", "Radio Northshire"),
                                    (CAT, "Cat Day", " NORTHSHIRE Gazette ")]:
            contacts.create_contact(db.session, by=None, lists=local, email=email, name=name, outlet=outlet)
        db.session.commit()
    return {"embargoed": make_release(final=True, headline="Library plans", embargo_at=EMBARGO),
            "open": make_release(final=True, headline="Bin collections")}


def breach_data(release_id: int, **overrides) -> dict:
    return {"release": str(release_id), "journalist": ANN, "outlet": "", "seen_date-day": "2",
            "seen_date-month": "9", "seen_date-year": "2024", "seen_time": "18:30", "evidence_url": "",
            "ours": "no", "notes": "", "sanction": "journalist", "until_date-day": "1", "until_date-month": "10",
            "until_date-year": "2024"} | overrides


def record(client, data: dict, **files):
    return client.post("/staff/breaches/new", data=data | files, content_type="multipart/form-data")


def sent_to(app, distribution_url: str) -> list[str]:
    distribution_id = int(re.search(r"/staff/distributions/(\d+)$", distribution_url).group(1))
    return sorted(d.to_address for d in all_of(app, Delivery, Delivery.distribution_id == distribution_id))


def send(client, app, release_id: int, **overrides):
    response = send_through_confirmation(client, f"/staff/releases/{release_id}/send",
                                         send_data(lists=[list_id(app, "Local")], **overrides))
    assert response.status_code == 302, response.data.decode()[-2000:]
    return response.headers["Location"]


def test_a_breach_is_recorded_with_its_evidence_and_audited(app, client, office):
    response = record(client, breach_data(office["embargoed"], evidence_url="https://gazette.example/early",
                                          notes="Published at 18:25."), evidence_file=(io.BytesIO(PNG), "screen.png"))
    assert response.status_code == 302, response.data.decode()[-3000:]
    page = " ".join(client.get(response.headers["Location"]).get_data(as_text=True).split())
    assert "The breach is recorded." in page and "Ann Lee" in page and "Northshire Gazette" in page
    assert "18:30 BST, Monday 2 September 2024" in page
    assert "The journalist is suspended from embargoed releases until 00:00 BST, Tuesday 1 October 2024" in page
    assert 'href="https://gazette.example/early" rel="noopener noreferrer nofollow"' in page
    [breach] = all_of(app, EmbargoBreach)
    download = client.get(f"/staff/breaches/{breach.id}/evidence")
    assert download.status_code == 200 and download.data == PNG and "screen.png" in download.headers["Content-Disposition"]
    download.close()
    register = client.get("/staff/breaches").get_data(as_text=True)
    assert "Library plans" in register and "Ann Lee" in register
    with app.app_context():
        [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "embargo breach recorded")).all()
        assert event.object_kind == "embargo breach" and event.details["sanction"] == "journalist"


def test_a_suspended_journalist_is_left_out_of_sends_under_embargo_only(app, client, office, mail_server):
    assert record(client, breach_data(office["embargoed"])).status_code == 302
    summary = client.post(f"/staff/releases/{office['embargoed']}/send",
                          data=send_data(lists=[list_id(app, "Local")], send="y")).get_data(as_text=True)
    summary = " ".join(summary.split())
    assert "1 suspended for an embargo breach" in summary
    assert 'name="expected" type="hidden" value="2"' in summary
    report = send(client, app, office["embargoed"])
    assert sent_to(app, report) == [BOB, CAT]
    assert "2 (1 left out, suspended for an embargo breach)" in client.get(report).get_data(as_text=True)
    assert sent_to(app, send(client, app, office["open"], request_key="key-" + "b" * 28)) == [ANN, BOB, CAT], \
        "a release with no embargo goes to them as ever"
    Worker(app).run(once=True)
    got = sorted((rcpt, m.message["Subject"].startswith("EMBARGOED")) for m in mail_server.messages for rcpt in m.rcpt_tos)
    assert got == [(ANN, False), (BOB, False), (BOB, True), (CAT, False), (CAT, True)], \
        "what the SMTP server received: Ann only the release with no embargo"


def test_a_send_that_goes_after_the_embargo_lifts_reaches_them(app, client, office):
    record(client, breach_data(office["embargoed"]))
    later = send(client, app, office["embargoed"], when="later", send_date="4/9/2024", send_time="09:00",
                 **{"send_date-day": "4", "send_date-month": "9", "send_date-year": "2024"})
    assert sent_to(app, later) == [ANN, BOB, CAT]


def test_a_suspended_outlet_holds_everyone_there_whatever_the_spelling(app, client, office):
    assert record(client, breach_data(office["embargoed"], journalist="", outlet="northshire gazette",
                                      sanction="outlet")).status_code == 302
    assert sent_to(app, send(client, app, office["embargoed"])) == [BOB]


def test_the_suspension_ends_on_its_date_or_when_lifted(app, client, office, frozen_clock):
    record(client, breach_data(office["embargoed"], **{"until_date-day": "4"}))
    [breach] = all_of(app, EmbargoBreach)
    frozen_clock.set(EMBARGO - timedelta(hours=1))  # 23:01 BST on the 3rd: the suspension ends at midnight
    assert sent_to(app, send(client, app, office["embargoed"])) == [BOB, CAT]
    done = client.post(f"/staff/breaches/{breach.id}/lift")
    assert done.status_code == 302
    assert "The suspension is lifted" in client.get(done.headers["Location"]).get_data(as_text=True)
    assert sent_to(app, send(client, app, office["embargoed"], request_key="key-" + "c" * 28)) == [ANN, BOB, CAT]
    with app.app_context():
        assert db.session.scalar(select(AuditEvent.action).where(
            AuditEvent.action == "embargo breach suspension lifted")) is not None


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"journalist": "", "outlet": ""}, "journalist", "Give the journalist or the outlet that broke the embargo."),
    ({"journalist": "nobody@elsewhere.example"}, "journalist", "There is no contact with that address"),
    ({"ours": "yes"}, "sanction", "A breach that was our own mistake cannot suspend anyone"),
    ({"until_date-day": "", "until_date-month": "", "until_date-year": ""}, "until_date",
     "Enter the date the suspension ends."),
    ({"until_date-day": "1", "until_date-month": "9"}, "until_date", "The suspension must end after today."),
    ({"seen_date-day": "9"}, "seen_date", "The time it was seen must be in the past."),
    ({"seen_time": ""}, "seen_time", "Enter the time"),
    ({"evidence_url": "javascript:alert(1)"}, "evidence_url", "Enter a web address starting with https://."),
    ({"release": "999999"}, "release", "Not a valid choice"),
])
def test_bad_input_is_answered_at_the_field_and_kept(app, client, office, overrides, field, message):
    response = record(client, breach_data(office["embargoed"], notes="Kept as typed", **overrides))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'id="{field}-error"' in page and message in page, page[-3000:]
    assert "Kept as typed" in page
    assert all_of(app, EmbargoBreach) == []


def test_evidence_that_is_not_an_image_or_pdf_is_refused(app, client, office):
    response = record(client, breach_data(office["embargoed"]), evidence_file=(io.BytesIO(b"MZ\x90\0binary"), "x.exe"))
    assert response.status_code == 422 and 'id="evidence_file-error"' in response.get_data(as_text=True)
    assert all_of(app, EmbargoBreach) == []


def test_only_managers_and_admins_reach_the_register(app, client, auth, office, make_user):
    record(client, breach_data(office["embargoed"]))
    [breach] = all_of(app, EmbargoBreach)
    urls = ["/staff/breaches", "/staff/breaches/new", f"/staff/breaches/{breach.id}",
            f"/staff/breaches/{breach.id}/evidence"]
    auth.logout()
    for url in urls:
        assert client.get(url).headers["Location"].startswith("/staff/login"), url
    make_user("staff", email="officer@council.example")
    auth.login("officer@council.example")
    for url in urls:
        assert client.get(url).status_code == 403, url
    assert client.post(f"/staff/breaches/{breach.id}/lift").status_code == 403
    assert client.post("/staff/breaches/new", data=breach_data(office["embargoed"])).status_code == 403
