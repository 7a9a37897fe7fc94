"""The staff pages for sending a release and following its delivery, through the web."""

import csv
import html
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, insert, select

from press.contacts import services as contacts
from press.audit import AuditEvent
from press.contacts.models import Contact, ContactStatus, contact_lists
from press.distribution import summary, wording
from press.distribution.models import AccessView, Distribution
from press.outbox.mailcatcher import MailCatcher
from press.outbox.models import Delivery, DeliveryStatus
from press.outbox.worker import Worker
from press.extensions import db
from press.releases import services as releases
from press.releases.models import Release
from tests.conftest import date_shown

NOW = datetime(2024, 9, 3, 10, 0, tzinfo=UTC)  # the frozen clock: 11:00 BST on Tuesday 3 September 2024
EMBARGO = datetime(2024, 9, 3, 23, 1, tzinfo=UTC)  # 00:01 BST on Wednesday 4 September 2024
REPORT = re.compile(r"/staff/distributions/(\d+)$")


@pytest.fixture
def make_contact(app):
    """Create contacts: make_contact(lists=["Health"], status="unsubscribed", email=...) returns the id."""
    counter = iter(range(1, 100_000))

    def make(lists=(), status=None, **overrides):
        n = next(counter)
        values = {"name": f"Journalist {n}", "email": f"journalist{n}@news.example", "outlet": "Northshire Gazette"}
        with app.app_context():
            media_lists = contacts.lists_named(db.session, list(lists), create=True)
            contact = contacts.create_contact(db.session, by=None, lists=media_lists, **(values | overrides))
            if status:
                contacts.set_status(db.session, contact, ContactStatus(status), reason="", by=None)
            db.session.commit()
            return contact.id

    return make


def list_id(app, name: str) -> int:
    with app.app_context():
        return contacts.lists_named(db.session, [name])[0].id


def send_data(**overrides) -> dict:
    return {
        "request_key": "key-" + "a" * 28, "lists": [], "emails": "", "when": "now",
        "send_date": "", "send_time": "", "stop_date": "", "stop_time": "",
    } | overrides


def send_through_confirmation(client, url: str, data: dict):
    """Post the send form, then press the button on the confirmation page it shows, as a manager would."""
    summary = client.post(url, data=data | {"send": "y"})
    assert summary.status_code == 200, "the form shows the confirmation page first and sends nothing"
    expected = re.search(r'name="expected" type="hidden" value="(\d+)"', summary.data.decode()).group(1)
    choices = {name: value for name, value in data.items() if name != "send"}
    return client.post(url, data=choices | {"confirm": "y", "expected": expected})


def all_of(app, model, *where) -> list:
    with app.app_context():
        found = db.session.scalars(select(model).where(*where).order_by(model.id)).all()
        db.session.expunge_all()
        return found


def text_of(response) -> str:
    return html.unescape(response.data.decode())


@pytest.fixture
def audience(make_contact):
    """Two lists: one journalist on both, one on each, and an unsubscribed one; returns the journalists' ids."""
    return {
        "both": make_contact(lists=["Health", "Business"], email="both@news.example", name="Alex Both"),
        "health": make_contact(lists=["Health"], email="health@news.example", name="Hana Health"),
        "business": make_contact(lists=["Business"], email="business@news.example", name="Bo Business"),
        "unsubscribed": make_contact(lists=["Business"], status="unsubscribed", email="gone@news.example"),
    }


@pytest.fixture
def sent(app, client, manager, make_release, audience, frozen_clock):
    """A final release sent now to both lists; returns the distribution id."""
    release_id = make_release(final=True)
    response = send_through_confirmation(client, f"/staff/releases/{release_id}/send",
                                         send_data(lists=[list_id(app, "Health"), list_id(app, "Business")]))
    return int(REPORT.search(response.headers["Location"]).group(1))


def set_delivery(app, email: str, **values) -> int:
    """Change one delivery as the worker would have; returns its id."""
    with app.app_context():
        delivery = db.session.scalar(select(Delivery).where(Delivery.to_address == email))
        for name, value in values.items():
            setattr(delivery, name, value)
        db.session.commit()
        return delivery.id


# --- The send form --------------------------------------------------------------------------------------------

def test_a_draft_cannot_be_sent(client, manager, make_release):
    release_id = make_release()
    for response in (client.get(f"/staff/releases/{release_id}/send"),
                     client.post(f"/staff/releases/{release_id}/send", data=send_data(send="y"))):
        assert response.status_code == 302 and response.headers["Location"] == f"/staff/releases/{release_id}"
    assert "Only a final release can be sent" in client.get(f"/staff/releases/{release_id}").data.decode()


def test_send_page_shows_lists_and_a_fresh_key_each_time(client, manager, make_release, audience):
    release_id = make_release(final=True)
    pages = [client.get(f"/staff/releases/{release_id}/send").data.decode() for _ in range(2)]
    assert "Health (2 active contacts)" in pages[0] and "Business (2 active contacts)" in pages[0]
    assert "No embargo wording: this release has no embargo." in pages[0]
    keys = [re.search(r'name="request_key" type="hidden" value="([^"]+)"', page).group(1) for page in pages]
    assert keys[0] != keys[1] and len(keys[0]) >= 32
    assert "<script>" not in pages[0] and "style=" not in pages[0]


def test_check_counts_each_journalist_once_and_leaves_out_the_unsubscribed(app, client, manager, make_release,
                                                                           audience):
    release_id = make_release(final=True)
    lists = [list_id(app, "Health"), list_id(app, "Business")]
    response = client.post(f"/staff/releases/{release_id}/send", data=send_data(lists=lists, check="y"))
    page = text_of(response)
    assert response.status_code == 200
    assert ("3 journalists will receive it; 1 on these lists is left out because they unsubscribed or bounced"
            in page)
    assert page.count("checked") == 3, "both lists stay ticked, and Send now stays chosen"
    assert 'value="key-' in page, "the form keeps its one-time key"
    assert all_of(app, Distribution) == [] and all_of(app, Delivery) == [], "checking sends nothing"


def test_send_now_writes_one_delivery_per_recipient_due_within_the_hour(app, client, manager, make_release,
                                                                        audience, make_contact, frozen_clock):
    extra = make_contact(email="extra@radio.example", name="Ed Extra")
    release_id = make_release(final=True)
    response = send_through_confirmation(client, f"/staff/releases/{release_id}/send", send_data(
        lists=[list_id(app, "Health"), list_id(app, "Business")], emails="Extra@Radio.example\n\nboth@news.example"))
    assert response.status_code == 302 and REPORT.search(response.headers["Location"])
    [distribution] = all_of(app, Distribution)
    assert distribution.created_by_id == manager and distribution.release_id == release_id
    assert distribution.scheduled_at == NOW and distribution.stop_after == NOW + timedelta(hours=1)
    assert distribution.list_names == ["Business", "Health"] and distribution.recipients == 4
    assert distribution.left_out == 1
    deliveries = all_of(app, Delivery)
    assert sorted(d.contact_id for d in deliveries) == sorted([audience["both"], audience["health"],
                                                               audience["business"], extra])
    assert {(d.kind, d.status, d.next_attempt_at, d.deadline_at) for d in deliveries} == {
        ("release", "queued", NOW, NOW + timedelta(hours=1))}
    report = client.get(response.headers["Location"]).data.decode()
    assert "Sending to 4 journalists has started." in report
    assert "0 of 4 sent" in report


def test_schedule_with_a_custom_stop_time(app, client, manager, make_release, audience, frozen_clock):
    release_id = make_release(final=True)
    response = send_through_confirmation(client, f"/staff/releases/{release_id}/send", send_data(
        lists=[list_id(app, "Health")], when="later", send_date="2024-09-04", send_time="09:00",
        stop_date="2024-09-04", stop_time="09:30"))
    assert response.status_code == 302
    [distribution] = all_of(app, Distribution)
    at = datetime(2024, 9, 4, 8, 0, tzinfo=UTC)
    assert distribution.scheduled_at == at and distribution.stop_after == at + timedelta(minutes=30)
    assert {(d.next_attempt_at, d.deadline_at) for d in all_of(app, Delivery)} == {(at, at + timedelta(minutes=30))}
    report = client.get(response.headers["Location"]).data.decode()
    assert "Scheduled: it goes to 2 journalists at 09:00 BST, Wednesday 4 September 2024." in report
    assert "Stop sending after</dt><dd>09:30 BST, Wednesday 4 September 2024" in report
    assert "Scheduled</span>" in report


def test_scheduled_without_a_stop_time_stops_an_hour_after_it(app, client, manager, make_release, audience,
                                                              frozen_clock):
    release_id = make_release(final=True)
    send_through_confirmation(client, f"/staff/releases/{release_id}/send", send_data(
        lists=[list_id(app, "Health")], when="later", send_date="2024-12-02", send_time="09:00"))
    [distribution] = all_of(app, Distribution)
    assert distribution.scheduled_at == datetime(2024, 12, 2, 9, 0, tzinfo=UTC), "GMT in December"
    assert distribution.stop_after == datetime(2024, 12, 2, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(("fields", "error", "kept"), [
    ({"when": "later", "send_date": "2024-09-04", "send_time": "09:00", "stop_date": "2024-09-04",
      "stop_time": "08:30"}, "The time to stop sending must be after the time to send.", 'value="08:30"'),
    ({"stop_date": "2024-09-03", "stop_time": "10:30"}, "The time to stop sending must be after the time to send.",
     'value="10:30"'),
    ({"when": "later", "send_date": "2025-03-30", "send_time": "01:30"}, "01:30 does not exist on Sunday 30 March 2025",
     date_shown("send_date", "2025-03-30")),
    ({"stop_date": "2025-03-30", "stop_time": "01:15"}, "01:15 does not exist on Sunday 30 March 2025",
     'value="01:15"'),
    ({"when": "later", "send_date": "2025-10-26", "send_time": "01:30"},
     "01:30 happens twice on Sunday 26 October 2025", 'name="send_zone" type="radio" value="GMT"'),
    ({"when": "later", "send_date": "2024-02-30", "send_time": "09:00"}, "Date to send must be a real date: February 2024 has 29 days.",
     re.compile(r'name="send_date-day"[^>]*value="30"[^>]*aria-invalid="true"')),
    ({"when": "later", "send_date": "2024-09-04", "send_time": "half nine"}, "Time to send (UK time): enter hours and minutes, like 16:30.",
     'value="half nine"'),
    ({"when": "later", "send_date": "2024-09-03", "send_time": "10:59"}, "That time has passed", 'value="10:59"'),
    ({"when": "later"}, "Enter the date and time to send it, or choose Send now.", 'checked id="when-1" name="when"'),
    ({"when": "later", "send_date": "2024-09-04"}, "Enter the time to send it as well.", date_shown("send_date", "2024-09-04")),
    ({"stop_time": "12:00"}, "Enter the date to stop sending as well.", 'value="12:00"'),
    ({"when": "later", "send_date": "2030-12-31", "send_time": "23:30"},
     "Choose a date to send it within the next year.", date_shown("send_date", "2030-12-31")),
    ({"when": "later", "send_date": "9999-12-31", "send_time": "23:30"},
     "Date to send: the year must be between 1900 and 2100.",
     re.compile(r'name="send_date-year"[^>]*value="9999"[^>]*aria-invalid="true"')),
    ({"stop_date": "2025-09-05", "stop_time": "09:00"}, "Choose a date to stop sending within the next year.",
     date_shown("stop_date", "2025-09-05")),
    ({"when": "sometime"}, "Not a valid choice", ""),
])
def test_times_that_cannot_be_used_are_field_errors(app, client, manager, make_release, audience, frozen_clock,
                                                    fields, error, kept):
    release_id = make_release(final=True)
    response = client.post(f"/staff/releases/{release_id}/send",
                           data=send_data(lists=[list_id(app, "Health")], send="y", **fields))
    page = response.data.decode()
    assert response.status_code == 200 and "There is a problem" in page
    assert error in page
    assert kept.search(page) if isinstance(kept, re.Pattern) else kept in page
    assert all_of(app, Distribution) == []


def test_a_repeated_time_is_sent_once_its_zone_is_chosen(app, client, manager, make_release, audience, frozen_clock):
    release_id = make_release(final=True)
    frozen_clock.set(datetime(2025, 10, 20, 9, 0, tzinfo=UTC))
    send_through_confirmation(client, f"/staff/releases/{release_id}/send", send_data(
        lists=[list_id(app, "Health")], when="later", send_date="2025-10-26", send_time="01:30", send_zone="GMT"))
    [distribution] = all_of(app, Distribution)
    assert distribution.scheduled_at == datetime(2025, 10, 26, 1, 30, tzinfo=UTC)


def test_send_time_fields_are_ignored_when_sending_now(app, client, manager, make_release, audience, frozen_clock):
    release_id = make_release(final=True)
    response = send_through_confirmation(client, f"/staff/releases/{release_id}/send", send_data(
        lists=[list_id(app, "Health")], when="now", send_date="nonsense", send_time="25:99"))
    assert response.status_code == 302
    assert all_of(app, Distribution)[0].scheduled_at == NOW


def test_unknown_addresses_are_named_in_a_field_error(app, client, manager, make_release, audience):
    release_id = make_release(final=True)
    response = client.post(f"/staff/releases/{release_id}/send", data=send_data(
        emails="health@news.example\nNobody@Nowhere.example, not-an-address", send="y"))
    page = response.data.decode()
    assert "Not in the contacts list: nobody@nowhere.example, not-an-address." in page
    assert "health@news.example\nNobody@Nowhere.example, not-an-address</textarea>" in page
    assert all_of(app, Distribution) == []


def test_nobody_chosen_is_a_field_error(app, client, manager, make_release, make_contact):
    make_contact(lists=["Gone"], status="bounced")
    release_id = make_release(final=True)
    page = client.post(f"/staff/releases/{release_id}/send", data=send_data(send="y")).data.decode()
    assert "Choose at least one list, or enter the addresses of contacts to send it to." in page
    page = client.post(f"/staff/releases/{release_id}/send",
                       data=send_data(lists=[list_id(app, "Gone")], send="y")).data.decode()
    assert "Nobody would receive it" in page
    page = client.post(f"/staff/releases/{release_id}/send", data=send_data(lists=["x"], send="y")).data.decode()
    assert "There is a problem" in page
    assert all_of(app, Distribution) == []


def test_the_same_form_sent_twice_makes_one_distribution(app, client, manager, make_release, audience, frozen_clock):
    release_id = make_release(final=True)
    data = send_data(lists=[list_id(app, "Health"), list_id(app, "Business")])
    first = send_through_confirmation(client, f"/staff/releases/{release_id}/send", data)
    second = client.post(f"/staff/releases/{release_id}/send", data=data | {"confirm": "y", "expected": "3"})
    frozen_clock.advance(minutes=5)
    # Back, another list ticked, and sent again: still the first distribution, not a second sending.
    third = client.post(f"/staff/releases/{release_id}/send", data=data | {"lists": [list_id(app, "Health")],
                                                                          "send": "y"})
    assert first.headers["Location"] == second.headers["Location"] == third.headers["Location"]
    assert len(all_of(app, Distribution)) == 1
    assert len(all_of(app, Delivery)) == 3


def test_a_missing_key_is_refused(app, client, manager, make_release, audience):
    release_id = make_release(final=True)
    page = client.post(f"/staff/releases/{release_id}/send",
                       data=send_data(lists=[list_id(app, "Health")], request_key="", send="y")).data.decode()
    assert "reload the page" in page and all_of(app, Distribution) == []


def test_send_me_a_test_queues_it_for_the_manager_and_keeps_the_form(app, client, manager, make_release, audience):
    release_id = make_release(final=True)
    response = client.post(f"/staff/releases/{release_id}/send", data=send_data(
        lists=[list_id(app, "Health")], emails="business@news.example", test="y"))
    page = response.data.decode()
    assert response.status_code == 200 and "A test is on its way to manager@council.example" in page
    assert "business@news.example</textarea>" in page and page.count("checked") == 2
    [delivery] = all_of(app, Delivery)
    assert delivery.kind == "release-test" and delivery.to_address == "manager@council.example"
    assert delivery.payload == {"release_id": release_id} and delivery.distribution_id is None
    assert all_of(app, Distribution) == []


# --- Preview --------------------------------------------------------------------------------------------------

def test_preview_of_an_embargoed_release(app, client, manager, make_release, audience, frozen_clock):
    release_id = make_release(final=True, embargo_at=EMBARGO)
    page = text_of(client.get(f"/staff/releases/{release_id}/send/preview?list={list_id(app, 'Business')}"))
    assert "<dt>From</dt><dd>press-office@localhost</dd>" in page
    assert "<dt>Reply-To</dt><dd>Jane Contact <media.contact@council.example></dd>" in page
    assert ("<dt>Subject</dt><dd>EMBARGOED UNTIL 00:01 BST, Wednesday 4 September 2024: Council opens new library"
            "</dd>") in page
    assert "<dt>To</dt><dd>Alex Both <both@news.example></dd>" in page, "the first active journalist on the list"
    assert "<dt>List-Unsubscribe</dt><dd><http://press.test/unsubscribe/" in page
    assert "<dt>List-Unsubscribe-Post</dt><dd>List-Unsubscribe=One-Click</dd>" in page
    assert "Do not publish or broadcast before then." in page and "http://press.test/early/" in page
    assert f'sandbox src="/staff/releases/{release_id}/send/preview.html?contact={audience["both"]}' in page
    send_page = client.get(f"/staff/releases/{release_id}/send").data.decode()
    assert "Embargoed until 00:01 BST, Wednesday 4 September 2024" in send_page
    assert "the subject and the top of the email will say so" in send_page


def test_preview_without_an_embargo_to_a_named_contact(app, client, manager, make_release, audience):
    release_id = make_release(final=True)
    page = text_of(client.get(f"/staff/releases/{release_id}/send/preview?contact={audience['health']}"))
    assert "<dt>Subject</dt><dd>Council opens new library</dd>" in page
    assert "EMBARGO" not in page and "/early/" not in page
    assert "<dt>To</dt><dd>Hana Health <health@news.example></dd>" in page
    assert "is unsubscribed" in text_of(
        client.get(f"/staff/releases/{release_id}/send/preview?contact={audience['unsubscribed']}"))
    for bad in ("999999", "0", "-1", "abc", "99999999999999"):
        assert client.get(f"/staff/releases/{release_id}/send/preview?contact={bad}").status_code == 404


def test_the_staff_role_previews_with_an_example_unsubscribe_link(app, client, auth, make_user, make_release,
                                                                 audience):
    release_id = make_release(final=True)
    make_user("staff", email="officer@council.example")
    auth.login("officer@council.example")
    page = text_of(client.get(f"/staff/releases/{release_id}/send/preview?contact={audience['health']}"))
    assert "<dt>To</dt><dd>Hana Health <health@news.example></dd>" in page
    assert "an example unsubscribe link in place of theirs" in page
    link = re.search(r"<dt>List-Unsubscribe</dt><dd><http://press\.test(/unsubscribe/[^>]+)>", page).group(1)
    assert client.get(link).status_code == 404, "the example works for nobody"
    with app.app_context():
        own = contacts.unsubscribe_token(db.session.get(Contact, audience["health"]))
    assert own not in page and own not in client.get(
        f"/staff/releases/{release_id}/send/preview.html?contact={audience['health']}").data.decode()


def test_preview_with_no_contacts_uses_a_sample_journalist(client, manager, make_release):
    release_id = make_release(final=True)
    page = text_of(client.get(f"/staff/releases/{release_id}/send/preview?list=12345&list=x"))
    assert "<dt>To</dt><dd>Jo Bloggs <jo@example.com></dd>" in page and "sample journalist" in page


def test_preview_html_is_sandboxed(app, client, manager, make_release, audience, frozen_clock):
    release_id = make_release(final=True, embargo_at=EMBARGO)
    response = client.get(f"/staff/releases/{release_id}/send/preview.html?contact={audience['both']}")
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert response.headers["Content-Security-Policy"] == (
        "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'")
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert response.headers["Cache-Control"] == "no-store"
    assert "EMBARGOED UNTIL 00:01 BST, Wednesday 4 September 2024" in response.data.decode()
    assert client.get("/staff/releases/999999/send/preview.html").status_code == 404


# --- The delivery report --------------------------------------------------------------------------------------

def test_report_counts_and_recipients(app, client, sent, frozen_clock):
    sent_id = set_delivery(app, "both@news.example", status=DeliveryStatus.SENT, attempts=1, sent_at=NOW,
                           smtp_code=250, smtp_response="2.0.0 Ok: queued as 4B1C2", message_id="<m1@council>")
    set_delivery(app, "health@news.example", status=DeliveryStatus.FAILED, attempts=1, smtp_code=550,
                 smtp_response="5.1.1 User unknown")
    with app.app_context():
        db.session.add_all([AccessView(delivery_id=sent_id, at=NOW), AccessView(delivery_id=sent_id, at=NOW)])
        db.session.commit()
    page = text_of(client.get(f"/staff/distributions/{sent}"))
    assert "Sent by</dt><dd>Mary Manager, 11:00 BST, Tuesday 3 September 2024" in page
    assert "Lists</dt><dd>Business, Health" in page
    assert "Scheduled for</dt><dd>11:00 BST, Tuesday 3 September 2024" in page
    assert "Stop sending after</dt><dd>12:00 BST, Tuesday 3 September 2024" in page
    assert "1 of 3 sent" in page and "Sending</span>" in page
    assert '<td data-count="sent">1</td>' in page and '<td data-count="failed">1</td>' in page
    assert '<td data-count="queued">1</td>' in page and '<td data-count="total">3</td>' in page
    assert "250 2.0.0 Ok: queued as 4B1C2" in page and "550 5.1.1 User unknown" in page
    assert re.search(r'<pre>250 2.0.0 Ok: queued as 4B1C2</pre></details></td>\s*<td>\s*<details class="access-views">'
                     r"<summary>2 views", page), "early-access views, each with its time"
    failed = text_of(client.get(f"/staff/distributions/{sent}?status=failed"))
    assert "health@news.example" in failed and "both@news.example" not in failed
    assert "business@news.example" in text_of(client.get(f"/staff/distributions/{sent}?status=nonsense"))


def test_report_pages_through_recipients_a_hundred_at_a_time(app, client, manager, make_release, frozen_clock):
    with app.app_context():
        media_list = contacts.lists_named(db.session, ["Everyone"], create=True)[0]
        db.session.execute(insert(Contact), [
            {"name": f"Reporter {n:03d}", "email": f"reporter{n:03d}@news.example", "unsubscribe_key": f"k{n}",
             "status": "active"} for n in range(105)])
        ids = db.session.scalars(select(Contact.id)).all()
        db.session.execute(insert(contact_lists), [{"contact_id": i, "list_id": media_list.id} for i in ids])
        db.session.commit()
        list_ = media_list.id
    release_id = make_release(final=True)
    location = send_through_confirmation(client, f"/staff/releases/{release_id}/send",
                                         send_data(lists=[list_])).headers["Location"]
    first = client.get(location).data.decode()
    assert first.count("<br>reporter") == 100 and "Reporter 000" in first
    after = re.search(r'href="[^"]*after=(\d+)" rel="next"', first).group(1)
    second = client.get(f"{location}?after={after}").data.decode()
    assert second.count("<br>reporter") == 5 and 'rel="next"' not in second and "First page" in second
    assert client.get(f"{location}?after=99999999999").status_code == 200


def test_progress_json_and_the_script_that_polls_it(app, client, sent):
    set_delivery(app, "both@news.example", status=DeliveryStatus.SENT)
    response = client.get(f"/staff/distributions/{sent}/progress.json")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert response.json == {"state": "sending", "total": 3, "counts": {
        "queued": 2, "sending": 0, "sent": 1, "failed": 0, "suppressed": 0, "cancelled": 0, "missed": 0, "bounced": 0}}
    page = client.get(f"/staff/distributions/{sent}").data.decode()
    assert '<script src="/static/js/progress.js" defer></script>' in page
    assert f'data-progress-url="/staff/distributions/{sent}/progress.json"' in page and 'role="status"' in page
    assert ">Refresh</a>" in page
    set_delivery(app, "health@news.example", status=DeliveryStatus.SENT)
    set_delivery(app, "business@news.example", status=DeliveryStatus.SENT)
    assert client.get(f"/staff/distributions/{sent}/progress.json").json["state"] == "finished"
    page = client.get(f"/staff/distributions/{sent}").data.decode()
    assert "progress.js" not in page and "3 of 3 sent" in page and "Finished</span>" in page
    with client.get("/static/js/progress.js") as script:
        assert script.status_code == 200 and script.mimetype == "text/javascript"


def test_a_missed_distribution_says_so(app, client, sent):
    with app.app_context():
        db.session.get(Distribution, sent).missed_at = NOW + timedelta(hours=1)
        for delivery in db.session.scalars(select(Delivery)):
            delivery.status = DeliveryStatus.MISSED
        db.session.commit()
    page = text_of(client.get(f"/staff/distributions/{sent}"))
    assert "Not sent" in page and "The worker was not running before the stop-sending time" in page
    assert "Retry the failed ones" in page and "Cancel: send nothing more" not in page


def test_cancel_stops_what_has_not_gone(app, client, sent):
    set_delivery(app, "both@news.example", status=DeliveryStatus.SENT)
    assert "Cancel: send nothing more" in client.get(f"/staff/distributions/{sent}").data.decode()
    response = client.post(f"/staff/distributions/{sent}/cancel")
    assert response.status_code == 302 and response.headers["Location"] == f"/staff/distributions/{sent}"
    assert sorted(d.status for d in all_of(app, Delivery)) == ["cancelled", "cancelled", "sent"]
    page = client.get(f"/staff/distributions/{sent}").data.decode()
    assert "Cancelled: the 2 emails not yet sent will not be sent." in page
    assert "Cancelled</span>" in page and "Cancel: send nothing more" not in page
    client.post(f"/staff/distributions/{sent}/cancel")
    assert "Nothing was cancelled" in client.get(f"/staff/distributions/{sent}").data.decode()


def test_retry_requeues_the_failed_ones(app, client, sent, frozen_clock):
    set_delivery(app, "both@news.example", status=DeliveryStatus.SENT)
    failed = set_delivery(app, "health@news.example", status=DeliveryStatus.FAILED, attempts=3)
    frozen_clock.advance(hours=2)
    response = client.post(f"/staff/distributions/{sent}/retry")
    assert response.status_code == 302
    [delivery] = all_of(app, Delivery, Delivery.id == failed)
    assert delivery.status == "queued" and delivery.next_attempt_at == NOW + timedelta(hours=2)
    assert delivery.deadline_at == NOW + timedelta(hours=3)
    assert all_of(app, Distribution)[0].stop_after == NOW + timedelta(hours=3)
    assert "1 email will be tried again" in client.get(f"/staff/distributions/{sent}").data.decode()
    client.post(f"/staff/distributions/{sent}/retry")
    assert "Nothing had failed" in client.get(f"/staff/distributions/{sent}").data.decode()


def test_revoke_early_access_for_everyone(app, client, manager, make_release, audience, frozen_clock):
    release_id = make_release(final=True, embargo_at=EMBARGO)
    location = send_through_confirmation(client, f"/staff/releases/{release_id}/send", send_data(
        lists=[list_id(app, "Health")])).headers["Location"]
    assert "Revoke early access for all recipients" in client.get(location).data.decode()
    client.post(f"{location}/revoke-access")
    assert {d.access_revoked_at for d in all_of(app, Delivery)} == {NOW}
    page = client.get(location).data.decode()
    assert "Early access revoked: 2 links no longer open the release." in page and "Early access revoked<" in page


def test_report_csv_lists_every_recipient_and_neutralises_formulas(app, client, sent, make_contact):
    with app.app_context():
        contact = db.session.scalar(select(Contact).where(Contact.email == "both@news.example"))
        contact.name, contact.outlet = "=HYPERLINK(\"http://evil.example\")", "@SUM(A1)"
        db.session.commit()
    set_delivery(app, "both@news.example", status=DeliveryStatus.SENT, attempts=1, sent_at=NOW, smtp_code=250,
                 smtp_response="2.0.0 Ok", message_id="<m1@council.example>")
    set_delivery(app, "health@news.example", status=DeliveryStatus.FAILED, attempts=2, smtp_code=550,
                 smtp_response="-5.1.1 no such user\r\n+again")
    response = client.get(f"/staff/distributions/{sent}/report.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == f'attachment; filename="distribution-{sent}.csv"'
    body = response.data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0] == ["Email", "Name", "Outlet", "Status", "Attempts", "Sent at (UK time)", "SMTP code",
                       "Server answer", "Message id", "Early-access views"]
    by_email = {row[0]: row for row in rows[1:]}
    assert len(by_email) == 3
    assert by_email["both@news.example"] == [
        "both@news.example", "'=HYPERLINK(\"http://evil.example\")", "'@SUM(A1)", "sent", "1",
        "2024-09-03 11:00:00 BST", "250", "2.0.0 Ok", "<m1@council.example>", "0"]
    assert by_email["health@news.example"][7] == "'-5.1.1 no such user\r\n+again"
    assert by_email["business@news.example"][3:7] == ["queued", "0", "", ""]
    failed_only = client.get(f"/staff/distributions/{sent}/report.csv?status=failed").data.decode("utf-8-sig")
    assert len(list(csv.reader(io.StringIO(failed_only)))) == 2
    [event, _] = all_of(app, AuditEvent, AuditEvent.action == "delivery report exported")
    assert event.details == {"distribution_id": sent, "status": ""}


def test_distributions_list_and_the_release_page_helper(app, client, sent, make_release):
    other = make_release(final=True, headline="Bins collected on Monday")
    page = client.get("/staff/distributions").data.decode()
    assert f'href="/staff/distributions/{sent}"' in page and "Council opens new library" in page
    assert "0 of 3" in page and "Sending</span>" in page
    with app.app_context(), app.test_request_context():
        release_id = db.session.get(Distribution, sent).release_id
        [(distribution, state, counts)] = app.jinja_env.globals["release_distributions"](release_id)
        assert distribution.id == sent and state == "sending" and counts == {"queued": 3}
        assert app.jinja_env.globals["release_distributions"](other) == []
    assert "Nothing has been sent yet." in client.get(f"/staff/distributions?release={other}").data.decode()
    assert client.get("/staff/distributions?page=abc&release=x").status_code == 200


# --- Who may do what ------------------------------------------------------------------------------------------

ROUTES = [
    ("get", "/staff/releases/{release}/send", "editor"),
    ("post", "/staff/releases/{release}/send", "editor"),
    ("get", "/staff/releases/{release}/send/preview", "staff"),
    ("get", "/staff/releases/{release}/send/preview.html", "staff"),
    ("get", "/staff/distributions", "staff"),
    ("get", "/staff/distributions/{distribution}", "staff"),
    ("get", "/staff/distributions/{distribution}/progress.json", "staff"),
    ("post", "/staff/distributions/{distribution}/cancel", "editor"),
    ("post", "/staff/distributions/{distribution}/retry", "editor"),
    ("post", "/staff/distributions/{distribution}/revoke-access", "editor"),
    ("get", "/staff/distributions/{distribution}/report.csv", "editor"),
    ("post", "/staff/distributions/{distribution}/recipients/{delivery}/revoke-access", "editor"),
]


def test_who_may_do_what(app, client, auth, sent, make_user):
    release = all_of(app, Distribution)[0].release_id
    delivery = all_of(app, Delivery)[0].id
    urls = [(method, url.format(release=release, distribution=sent, delivery=delivery), who)
            for method, url, who in ROUTES]
    recorded = all_of(app, AuditEvent)  # sending the distribution was recorded; nothing refused may add to it
    auth.logout()
    for method, url, _who in urls:
        response = getattr(client, method)(url)
        assert response.status_code == 302 and response.headers["Location"].startswith("/staff/login"), url
    make_user("staff", email="officer@council.example")
    auth.login("officer@council.example")
    for method, url, who in urls:
        assert getattr(client, method)(url).status_code == (200 if who == "staff" else 403), url
    assert {d.status for d in all_of(app, Delivery)} == {"queued"}
    # Signing out and the officer's sign-in are in the trail; nothing the officer was refused is.
    added = [event.action for event in all_of(app, AuditEvent)[len(recorded):]]
    assert added == ["signed out", "signed in"]


def test_unknown_ids_are_not_found(client, manager, make_release):
    release_id = make_release(final=True)
    for url in ("/staff/releases/999999/send", "/staff/releases/99999999999/send", "/staff/distributions/999999",
                "/staff/distributions/999999/progress.json", "/staff/distributions/999999/report.csv",
                "/staff/releases/999999/send/preview", f"/staff/releases/{release_id}/send/preview?contact=999"):
        assert client.get(url).status_code == 404, url
    for action in ("cancel", "retry", "revoke-access", "recipients/1/revoke-access"):
        assert client.post(f"/staff/distributions/999999/{action}").status_code == 404


def signed_in_with_form_tokens(build_app, make_user):
    """An app that checks CSRF tokens, and a client signed in to it as a manager through the login form."""
    app = build_app(WTF_CSRF_ENABLED=True)
    make_user("manager", email="boss@council.example")
    client = app.test_client()
    login = client.get("/staff/login").data.decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login).group(1)
    client.post("/staff/login", data={"email": "boss@council.example", "password": "correct horse battery staple",
                                      "csrf_token": token})
    return app, client


def test_buttons_need_the_form_token(build_app, make_user, make_release, audience):
    app, client = signed_in_with_form_tokens(build_app, make_user)
    release_id = make_release(final=True)
    page = client.get(f"/staff/releases/{release_id}/send").data.decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    data = send_data(lists=[list_id(app, "Health")], send="y")
    assert client.post(f"/staff/releases/{release_id}/send", data=data).status_code == 400
    assert client.post(f"/staff/releases/{release_id}/send", data=data | {"send": "", "test": "y"}).status_code == 400
    location = send_through_confirmation(client, f"/staff/releases/{release_id}/send",
                                         data | {"csrf_token": token}).headers["Location"]
    assert client.post(f"{location}/cancel").status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Delivery).where(Delivery.status == "queued")) == 2


# --- Check and confirm ----------------------------------------------------------------------------------------

SEND = "/staff/releases/{}/send"
PDF = b"%PDF-1.7\n" + b"0" * 2000


def add_pdf(app, release_id: int, filename: str = "report.pdf") -> None:
    with app.app_context():
        release = db.session.get(Release, release_id)
        releases.add_attachment(db.session, release, directory=app.config["PRESS_UPLOAD_DIR"], filename=filename,
                                data=PDF, max_bytes=10**6, by=None)
        db.session.commit()


def confirmation_of(client, release_id: int, data: dict):
    response = client.post(SEND.format(release_id), data=data | {"send": "y"})
    assert response.status_code == 200
    return response, text_of(response)


def test_the_form_leads_to_a_summary_that_queues_nothing(app, client, manager, make_release, audience, make_contact,
                                                         frozen_clock):
    make_contact(lists=["Health"], status="bounced", email="bounced@news.example")
    release_id = make_release(final=True, embargo_at=EMBARGO)
    add_pdf(app, release_id)
    lists = [list_id(app, "Health"), list_id(app, "Business")]
    _response, page = confirmation_of(client, release_id, send_data(lists=lists))
    assert "<h1>Check before sending</h1>" in page
    assert ('<dt>Subject line</dt><dd class="subject-line">EMBARGOED UNTIL 00:01 BST, Wednesday 4 September 2024: '
            'Council opens new library</dd>') in page, "the subject as the email builder writes it"
    assert "Wednesday 4 September 2024, 00:01 BST. Each journalist gets their own link" in page
    assert "report.pdf (PDF, 2 KB): attached" in page
    assert "<dt>Sending</dt><dd>Now, as soon as you press the button</dd>" in page
    assert "Tuesday 3 September 2024, 12:00 BST: nothing goes after this" in page
    assert "<dt>Lists</dt><dd>Business, Health</dd>" in page
    assert '<dd id="recipient-count">3 journalists</dd>' in page
    assert "<li>1 unsubscribed</li>" in page and "<li>1 bounced: their address no longer takes mail</li>" in page
    assert "<li>1 on more than one list (or chosen twice), counted once: each gets one email</li>" in page
    opens = page.index('<details class="recipients-disclosure">')
    disclosure = page[opens:page.index("</details>", opens)]
    assert "<summary>Names and outlets of the 3 journalists</summary>" in disclosure
    for name in ("Alex Both, Northshire Gazette", "Bo Business, Northshire Gazette", "Hana Health"):
        assert name in disclosure
    assert "gone@news.example" not in disclosure and "bounced@news.example" not in disclosure
    options = re.findall(r'<option value="(\d+)">([^<]+)</option>', page)
    assert [int(value) for value, _name in options] == [audience["both"], audience["business"], audience["health"]]
    assert f'action="/staff/releases/{release_id}/send/preview" target="_blank"' in page
    assert ">Send to 3 journalists</button>" in page and ">Change lists</button>" in page
    assert '<input id="expected" name="expected" type="hidden" value="3">' in page
    for list_ in lists:
        assert f'<input type="hidden" name="lists" value="{list_}">' in page
    assert '<input type="hidden" name="when" value="now">' in page
    assert all_of(app, Distribution) == [] and all_of(app, Delivery) == [], "the summary sends nothing"
    # Previewing as the second recipient shows their own copy.
    preview = text_of(client.get(f"/staff/releases/{release_id}/send/preview?list={lists[0]}&list={lists[1]}"
                                 f"&contact={audience['business']}"))
    assert "The email as Bo Business will get it" in preview
    assert "<dt>To</dt><dd>Bo Business <business@news.example></dd>" in preview
    with app.app_context():
        own = contacts.unsubscribe_token(db.session.get(Contact, audience["business"]))
    assert own in preview, "their own unsubscribe link"


def test_the_count_confirmed_is_the_number_queued(app, client, manager, make_release, audience, make_contact,
                                                  frozen_clock):
    release_id = make_release(final=True)
    data = send_data(lists=[list_id(app, "Health"), list_id(app, "Business")], emails="health@news.example")
    _response, page = confirmation_of(client, release_id, data)
    assert '<dd id="recipient-count">3 journalists</dd>' in page
    response = client.post(SEND.format(release_id), data=data | {"confirm": "y", "expected": "3"})
    assert response.status_code == 302
    [distribution] = all_of(app, Distribution)
    assert distribution.recipients == 3 and len(all_of(app, Delivery)) == 3


def test_a_change_since_the_summary_shows_it_again_and_sends_nothing(app, client, manager, make_release, audience,
                                                                   make_contact, frozen_clock):
    release_id = make_release(final=True)
    data = send_data(lists=[list_id(app, "Health"), list_id(app, "Business")])
    _response, page = confirmation_of(client, release_id, data)
    assert ">Send to 3 journalists</button>" in page
    make_contact(lists=["Health"], email="newcomer@news.example", name="Nia Newcomer")
    response = client.post(SEND.format(release_id), data=data | {"confirm": "y", "expected": "3"})
    page = text_of(response)
    assert response.status_code == 200 and "The number of recipients has changed" in page
    assert "When you checked, it was going to 3; it now goes to 4 journalists" in page
    assert ">Send to 4 journalists</button>" in page and "Nia Newcomer" in page
    assert all_of(app, Distribution) == [] and all_of(app, Delivery) == []
    for tampered in ("", "abc", "-1", "²", "٣", "9" * 5000):
        page = text_of(client.post(SEND.format(release_id), data=data | {"confirm": "y", "expected": tampered}))
        assert "The number of recipients has changed" in page and "There is a problem" not in page
    assert all_of(app, Distribution) == []
    response = client.post(SEND.format(release_id), data=data | {"confirm": "y", "expected": "4"})
    assert response.status_code == 302 and len(all_of(app, Delivery)) == 4


def test_confirming_twice_queues_once(app, client, manager, make_release, audience, frozen_clock):
    release_id = make_release(final=True)
    data = send_data(lists=[list_id(app, "Health"), list_id(app, "Business")], confirm="y", expected="3")
    first = client.post(SEND.format(release_id), data=data)
    second = client.post(SEND.format(release_id), data=data)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert len(all_of(app, Distribution)) == 1 and len(all_of(app, Delivery)) == 3


def test_change_lists_goes_back_to_the_form_with_the_choices_kept(app, client, manager, make_release, audience,
                                                                  frozen_clock):
    release_id = make_release(final=True)
    data = send_data(lists=[list_id(app, "Health")], emails="business@news.example", when="later",
                     send_date="2024-09-04", send_time="09:00")
    response = client.post(SEND.format(release_id), data=data | {"change": "y", "expected": "2"})
    page = response.data.decode()
    assert response.status_code == 200 and "<h1>Send to journalists</h1>" in page
    assert "business@news.example</textarea>" in page and date_shown("send_date", "2024-09-04").search(page) and 'value="09:00"' in page
    assert page.count("checked") == 2, "the Health list and Schedule"
    assert "There is a problem" not in page and 'value="key-' in page
    assert all_of(app, Distribution) == []


def test_a_scheduled_send_summary_names_its_times(app, client, manager, make_release, audience, frozen_clock):
    release_id = make_release(final=True, embargo_at=EMBARGO)
    data = send_data(lists=[list_id(app, "Health")], when="later", send_date="2024-09-04", send_time="09:00",
                     stop_date="2024-09-04", stop_time="09:30")
    _response, page = confirmation_of(client, release_id, data)
    assert "<h1>Check before scheduling</h1>" in page
    assert "<dt>Scheduled for</dt><dd>Wednesday 4 September 2024, 09:00 BST</dd>" in page
    assert "<dt>Stop sending after</dt><dd>Wednesday 4 September 2024, 09:30 BST" in page
    assert '<dd class="subject-line">Council opens new library</dd>' in page, "it goes after the embargo lifts"
    assert "It lifts before this goes, so the email goes without embargo wording." in page
    assert ">Schedule for 2 journalists</button>" in page
    response = client.post(SEND.format(release_id), data=data | {"confirm": "y", "expected": "2"})
    assert response.status_code == 302
    assert all_of(app, Distribution)[0].scheduled_at == datetime(2024, 9, 4, 8, 0, tzinfo=UTC)


def test_files_over_the_limit_are_shown_as_linked(app, client, manager, make_release, audience, frozen_clock):
    release_id = make_release(final=True)
    add_pdf(app, release_id)
    app.config["PRESS_EMAIL_ATTACHMENT_LIMIT"] = 1000
    _response, page = confirmation_of(client, release_id, send_data(lists=[list_id(app, "Health")]))
    assert "report.pdf (PDF, 2 KB): linked" in page and "too big to attach, so the email links to them" in page


def test_choices_that_no_longer_work_go_back_to_the_form(app, client, manager, make_release, audience, frozen_clock):
    release_id = make_release(final=True)
    data = send_data(lists=[list_id(app, "Health")], when="later", send_date="2024-09-03", send_time="11:30")
    confirmation_of(client, release_id, data)
    frozen_clock.advance(hours=1)
    page = client.post(SEND.format(release_id), data=data | {"confirm": "y", "expected": "2"}).data.decode()
    assert "There is a problem" in page and "That time has passed" in page and 'value="11:30"' in page
    assert all_of(app, Distribution) == []


def test_confirming_needs_the_form_token(build_app, make_user, make_release, audience):
    app, client = signed_in_with_form_tokens(build_app, make_user)
    release_id = make_release(final=True)
    page = client.get(SEND.format(release_id)).data.decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    data = send_data(lists=[list_id(app, "Health")], csrf_token=token)
    summary = client.post(SEND.format(release_id), data=data | {"send": "y"}).data.decode()
    assert 'name="csrf_token" type="hidden"' in summary
    confirm = data | {"confirm": "y", "expected": "2"}
    assert client.post(SEND.format(release_id), data=confirm | {"csrf_token": ""}).status_code == 400
    assert client.post(SEND.format(release_id), data=confirm).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Delivery)) == 2


@pytest.mark.parametrize(("sender", "warned"), [
    ("press-office@localhost", True), ("Press <press@council.localhost>", True), ("press@mac-mini.local", True),
    ("Press Office <press@northshire.gov.uk>", False),
])
def test_a_local_from_address_is_flagged_on_the_send_pages(app, client, auth, make_user, make_release, audience,
                                                           sender, warned):
    app.config["MAIL_DEFAULT_SENDER"] = sender
    release_id = make_release(final=True)
    make_user("admin", email="admin@council.example")
    make_user("manager", email="boss@council.example")
    for who, advice in (("admin@council.example", "Change the <code>MAIL_DEFAULT_SENDER</code> setting"),
                        ("boss@council.example", "Ask an administrator to change the <code>MAIL_DEFAULT_SENDER</code>")):
        auth.login(who)
        pages = [text_of(client.get(SEND.format(release_id))),
                 confirmation_of(client, release_id, send_data(lists=[list_id(app, "Health")]))[1]]
        for page in pages:
            assert ("journalists’ mail servers will probably refuse" in page) is warned
            assert (advice in html.unescape(page)) is warned
        auth.logout()


def test_the_preview_keeps_technical_headers_behind_a_disclosure(app, client, manager, make_release, audience):
    release_id = make_release(final=True)
    page = text_of(client.get(f"/staff/releases/{release_id}/send/preview?contact={audience['health']}"))
    visible, technical = page.split('<details class="technical-headers">')
    assert "<dt>From</dt>" in visible and "<dt>Subject</dt>" in visible
    assert "List-Unsubscribe" not in visible
    assert "<summary>Technical details (the headers mail servers read)</summary>" in technical
    assert "<dt>List-Unsubscribe</dt>" in technical.split("</details>")[0]


# --- Plain words on the delivery report -----------------------------------------------------------------------

def test_the_report_says_what_happened_in_plain_words(app, client, sent, frozen_clock):
    set_delivery(app, "both@news.example", status=DeliveryStatus.SENT, attempts=1, sent_at=NOW, smtp_code=250,
                 smtp_response="2.0.0 Ok: queued as 4B1C2")
    set_delivery(app, "health@news.example", status=DeliveryStatus.FAILED, attempts=1, smtp_code=550,
                 smtp_response="5.1.1 <health@news.example>: Recipient address rejected: User unknown")
    set_delivery(app, "business@news.example", status=DeliveryStatus.QUEUED, attempts=1, smtp_code=451,
                 smtp_response="4.7.1 Try again later", next_attempt_at=NOW + timedelta(minutes=5))
    page = text_of(client.get(f"/staff/distributions/{sent}"))
    assert "<th scope=\"col\">What happened</th>" in page
    assert "Delivered to the mail server at 11:00 BST" in page
    assert "Refused by the recipient’s server: mailbox unknown" in page
    assert "Will retry at 11:05 BST: refused by the server’s policy, often a spam filter" in page
    assert ("<details class=\"server-answer\"><summary>Server’s answer</summary><pre>550 5.1.1 "
            "<health@news.example>: Recipient address rejected: User unknown</pre></details>") in page


@pytest.mark.parametrize(("values", "said"), [
    ({"status": "sent", "sent_at": NOW}, "Delivered to the mail server at 11:00 BST"),
    ({"status": "sent", "sent_at": NOW - timedelta(days=1)},
     "Delivered to the mail server at 11:00 BST on Monday 2 September 2024"),
    ({"status": "queued", "attempts": 2, "next_attempt_at": NOW + timedelta(hours=3, minutes=5)},
     "Will retry at 14:05 BST"),
    ({"status": "queued", "next_attempt_at": NOW + timedelta(days=1)},
     "Waiting to go at 11:00 BST on Wednesday 4 September 2024"),
    ({"status": "queued", "next_attempt_at": NOW}, "Waiting to go"),
    ({"status": "sending"}, "Being sent now"),
    ({"status": "failed", "smtp_code": 550, "smtp_response": "5.1.1 User unknown"},
     "Refused by the recipient’s server: mailbox unknown"),
    ({"status": "failed", "smtp_code": 552, "smtp_response": "5.2.2 Over quota"},
     "Refused by the recipient’s server: the mailbox is full"),
    ({"status": "failed", "smtp_code": 554, "smtp_response": "5.7.1 Message rejected as spam"},
     "Refused by the recipient’s server: refused by the server’s policy, often a spam filter or a blocked sender"),
    ({"status": "failed", "smtp_code": 550, "smtp_response": "Mailbox not found"},
     "Refused by the recipient’s server: mailbox unavailable"),
    ({"status": "failed", "smtp_code": 599, "smtp_response": "Odd"}, "Refused by the recipient’s server: "),
    ({"status": "failed", "attempts": 4, "smtp_code": 421, "smtp_response": "4.3.2 Shutting down"},
     "Not delivered: the recipient’s server kept putting it off until the time to stop sending"),
    ({"status": "failed", "attempts": 3, "smtp_response": "Connection refused"},
     "Not delivered: the mail server could not be reached before the time to stop sending"),
    ({"status": "failed", "smtp_response": "The message could not be built: boom"},
     "Not sent: the email could not be put together"),
    ({"status": "suppressed", "smtp_response": "The recipient unsubscribed or bounced."},
     "Not sent: they unsubscribed or their address bounced before it went"),
    ({"status": "cancelled", "smtp_response": "Cancelled before it was sent."},
     "Not sent: the sending was cancelled before it went"),
    ({"status": "cancelled", "smtp_response": "Not sent: the release was withdrawn."},
     "Not sent: the release was withdrawn"),
    ({"status": "missed", "smtp_response": "Not sent: the time to stop sending had passed."},
     "Not sent: the time to stop sending passed before it could go"),
])
def test_each_state_in_plain_words(values, said):
    delivery = Delivery(**({"attempts": 0, "smtp_code": None, "smtp_response": "", "next_attempt_at": NOW} | values))
    assert wording.delivery_outcome(delivery, NOW).startswith(said)


def test_the_from_address_check():
    assert summary.local_sender("press-office@localhost") == "press-office@localhost"
    assert summary.local_sender("Press <press@box.LOCAL>") == "press@box.LOCAL"
    assert summary.local_sender("press") == "press"
    assert summary.local_sender("press@localhost.example.org") is None
    assert summary.local_sender("Press Office <press@northshire.gov.uk>") is None
    assert summary.uk_day_time(datetime(2026, 12, 3, 10, 0, tzinfo=UTC)) == "Thursday 3 December 2026, 10:00 GMT"
    assert summary.uk_day_time(datetime(2026, 7, 3, 10, 0, tzinfo=UTC)) == "Friday 3 July 2026, 11:00 BST"


def test_caught_mail_keeps_technical_headers_behind_a_disclosure(build_app, tmp_path, make_user, make_release,
                                                                 audience):
    with MailCatcher(str(tmp_path / "mail"), port=0) as catcher:
        app = build_app(MAIL_SERVER="127.0.0.1", MAIL_PORT=catcher.port, PRESS_SEND_RATE_PER_MINUTE=0,
                        PRESS_MAIL_CATCHER_DIR=str(tmp_path / "mail"))
        make_user("manager", email="boss@council.example")
        client = app.test_client()
        client.post("/staff/login", data={"email": "boss@council.example",
                                          "password": "correct horse battery staple"})
        release_id = make_release(final=True)
        send_through_confirmation(client, SEND.format(release_id), send_data(lists=[list_id(app, "Health")]))
        assert Worker(app).run(once=True) == 2
        listing = client.get("/staff/mail/").data.decode()
        message_id = re.search(r'href="/staff/mail/([^"/]+)"', listing).group(1)
        page = text_of(client.get(f"/staff/mail/{message_id}"))
    visible, technical = page.split('<details class="technical-headers">')
    assert "<dt>From</dt>" in visible and "<dt>To</dt>" in visible
    assert "Message-ID" not in visible and "List-Unsubscribe" not in visible
    technical = technical.split("</details>")[0]
    assert "<dt>Message-ID</dt>" in technical and "<dt>List-Unsubscribe</dt>" in technical
