"""Staff reply to the journalist from the enquiry's page: the headers read back from a real SMTP server, the
conversation on the timeline, the deadline an email suggests, and the files the journalist sent."""

import os
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from press import clock
from press.accounts.models import User
from press.enquiries import replies
from press.enquiries.models import Enquiry, EnquiryAttachment, EnquiryEmail, EnquiryEvent
from press.enquiries.services import EnquiryError
from press.extensions import db
from press.outbox.models import Delivery
from press.outbox.worker import Worker

OFFICE = "enquiries@northshire.example"


@pytest.fixture
def app_config(app_config, mail_server):
    return app_config | mail_server.app_settings(PRESS_ENQUIRY_ADDRESS=OFFICE)


@pytest.fixture
def officer(make_user, auth, frozen_clock):
    """Pat, a press officer (not a manager), signed in."""
    user_id = make_user("staff", email="pat.officer@northshire.example", name="Pat Officer", job_title="Press Officer")
    auth.login("pat.officer@northshire.example")
    return user_id


def incoming(app, enquiry_id: int, **overrides) -> int:
    """An email from the journalist, stored as the mailbox reader stores one."""
    values = {"enquiry_id": enquiry_id, "direction": "in", "message_id": "CAF=abc123@mail.gazette.example",
              "references": "<root.1@mail.gazette.example> <middle.2@mail.gazette.example>",
              "from_name": "Sam Reporter", "from_address": "sam.reporter@gazette.example",
              "to_address": OFFICE, "subject": "Re: Library opening hours [ENQ-2024-0001]",
              "body": "Thanks. Can you also say <b>why</b> Sundays?\nLine two.", "at": clock.now()} | overrides
    with app.app_context():
        email = EnquiryEmail(**values)
        db.session.add(email)
        db.session.flush()
        db.session.add(EnquiryEvent(enquiry_id=enquiry_id, kind="email_in", details={"email_id": email.id}))
        db.session.commit()
        return email.id


def reply(client, enquiry_id: int, text: str):
    return client.post(f"/staff/enquiries/{enquiry_id}/reply", data={"reply-text": text})


def run_worker(app) -> int:
    return Worker(app).run(once=True)


def replies_received(mail_server):
    return [m.message for m in mail_server.messages if "[ENQ-" in str(m.message["Subject"])
            and str(m.message["Subject"]).startswith("Re:")]


def test_a_reply_goes_out_in_the_journalists_thread(app, client, officer, make_enquiry, mail_server, frozen_clock):
    enquiry_id = make_enquiry()
    incoming(app, enquiry_id)
    frozen_clock.advance(minutes=30)
    response = reply(client, enquiry_id, "Sundays are the busiest day.\r\n\r\nPat")
    assert response.status_code == 303
    run_worker(app)
    [message] = replies_received(mail_server)
    assert message["From"] == "Northshire Press Office <press@northshire.example>"
    assert message["To"] == "sam.reporter@gazette.example"
    assert message["Reply-To"] == f"Northshire Council press office <{OFFICE}>"
    assert message["Subject"] == "Re: Library opening hours [ENQ-2024-0001]"
    assert message["In-Reply-To"] == "<CAF=abc123@mail.gazette.example>"
    assert message["References"].split() == ["<root.1@mail.gazette.example>", "<middle.2@mail.gazette.example>",
                                             "<CAF=abc123@mail.gazette.example>"]
    with app.app_context():
        sent = db.session.scalar(select(EnquiryEmail).where(EnquiryEmail.direction == "out"))
        # The Message-ID made when the reply was queued is the one that went: answers can be matched to it.
        assert message["Message-ID"] == f"<{sent.message_id}>"
        assert sent.message_id.endswith("@northshire.example")
        assert not sent.message_id.startswith(f"{sent.delivery_id}@")
        assert db.session.get(Delivery, sent.delivery_id).status == "sent"
        assert sent.by_id == officer and sent.to_address == "sam.reporter@gazette.example"
    text = message.get_body(("plain",)).get_content()
    assert "Sundays are the busiest day." in text and "Pat Officer, Press Officer" in text and "ENQ-2024-0001" in text
    html = message.get_body(("html",)).get_content()
    assert "Sundays are the busiest day." in html and "Pat Officer" in html


def test_the_first_reply_is_the_first_response(app, client, officer, make_enquiry, frozen_clock):
    enquiry_id = make_enquiry()
    frozen_clock.advance(minutes=45)
    first = clock.now()
    assert reply(client, enquiry_id, "Opening hours are 9 to 5.").status_code == 303
    frozen_clock.advance(minutes=10)
    assert reply(client, enquiry_id, "And 10 to 4 on Sundays.").status_code == 303
    with app.app_context():
        enquiry = db.session.get(Enquiry, enquiry_id)
        assert enquiry.first_response_at == first
        assert enquiry.status == "responded"
        kinds = [e.kind for e in db.session.scalars(select(EnquiryEvent).where(EnquiryEvent.enquiry_id == enquiry_id)
                                                    .order_by(EnquiryEvent.id))]
        assert kinds.count("email_out") == 2 and kinds.count("status") == 1
    page = client.get("/staff/enquiries/dashboard").get_data(as_text=True)
    assert re.search(r'id="figure-median">\s*45 min', page)


def test_without_an_earlier_email_the_subject_is_the_enquirys(app, client, officer, make_enquiry, mail_server):
    enquiry_id = make_enquiry(subject="Re: re: Library [ENQ-2024-0001] hours")
    assert reply(client, enquiry_id, "Hello").status_code == 303
    run_worker(app)
    [message] = replies_received(mail_server)
    # The tag once, at the end; no stack of Re:.
    assert message["Subject"] == "Re: Library hours [ENQ-2024-0001]"
    assert message["In-Reply-To"] is None and message["References"] is None


def test_no_header_can_be_injected(app, client, officer, make_enquiry, mail_server):
    enquiry_id = make_enquiry(subject="Hours\r\nBcc: victim@example.com")
    incoming(app, enquiry_id, subject="Hours\r\nBcc: victim@example.com\r\nX-Evil: 1",
             message_id="ok@gazette.example", references="<bad\r\nBcc: victim@example.com> <fine@gazette.example>")
    assert reply(client, enquiry_id, "Line one\r\nBcc: victim@example.com\r\n\r\nDone").status_code == 303
    run_worker(app)
    [received] = [m for m in mail_server.messages if str(m.message["Subject"]).startswith("Re:")]
    assert received.rcpt_tos == ["sam.reporter@gazette.example"]
    message = received.message
    assert message["Bcc"] is None and message["X-Evil"] is None
    assert message["Subject"] == "Re: Hours Bcc: victim@example.com X-Evil: 1 [ENQ-2024-0001]"
    assert message["References"].split() == ["<fine@gazette.example>", "<ok@gazette.example>"]
    assert "Bcc: victim@example.com" in message.get_body(("plain",)).get_content()


def test_references_are_capped_keeping_the_first(app):
    with app.app_context():
        chain = " ".join(f"<m{n}@x.example>" for n in range(30))
        earlier = EnquiryEmail(message_id="last@x.example", references=chain)
        found = replies.thread_references(earlier)
    assert len(found) == replies.MOST_REFERENCES
    assert found[0] == "m0@x.example" and found[-1] == "last@x.example"


def test_an_empty_reply_is_refused_next_to_the_field_and_what_was_typed_is_kept(app, client, officer, make_enquiry):
    enquiry_id = make_enquiry()
    response = reply(client, enquiry_id, "   ")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="reply-text-error"' in page and "Enter your reply." in page
    assert 'href="#reply-text">Enter your reply.' in page
    long = "x" * 20_001
    page = reply(client, enquiry_id, long).get_data(as_text=True)
    assert "Your reply must be 20,000 characters or fewer." in page and long in page
    with app.app_context():
        assert db.session.scalar(select(func.count(EnquiryEmail.id))) == 0


def test_no_reply_without_an_address_or_once_anonymised(app, client, officer, make_enquiry):
    no_email = make_enquiry(email="")
    page = client.get(f"/staff/enquiries/{no_email}").get_data(as_text=True)
    assert replies.NO_EMAIL in page and 'name="reply-text"' not in page
    response = reply(client, no_email, "Hello")
    assert response.status_code == 422 and replies.NO_EMAIL in response.get_data(as_text=True)
    gone = make_enquiry()
    with app.app_context():
        db.session.get(Enquiry, gone).anonymised_at = clock.now()
        db.session.commit()
        with pytest.raises(EnquiryError):
            replies.send_reply(db.session, db.session.get(Enquiry, gone), "Hi", by=db.session.get(User, officer))
    assert reply(client, gone, "Hello").status_code == 303
    with app.app_context():
        assert db.session.scalar(select(func.count(EnquiryEmail.id))) == 0


def test_the_timeline_shows_the_conversation_escaped(app, client, officer, make_enquiry, frozen_clock):
    enquiry_id = make_enquiry()
    incoming(app, enquiry_id, body="<script>alert(1)</script>\nSecond line")
    frozen_clock.advance(minutes=5)
    reply(client, enquiry_id, "Our <i>answer</i>")
    page = client.get(f"/staff/enquiries/{enquiry_id}").get_data(as_text=True)
    timeline = page.split('id="timeline"', 1)[1].split("</section>", 1)[0]
    assert "Email from the journalist" in timeline and "Reply emailed to the journalist" in timeline
    assert "&lt;script&gt;alert(1)&lt;/script&gt;\nSecond line" in timeline and "<script>" not in timeline
    assert "Our &lt;i&gt;answer&lt;/i&gt;" in timeline
    assert "Sam Reporter &lt;sam.reporter@gazette.example&gt;" in timeline
    assert "Pat Officer" in timeline and "Waiting to be sent" in timeline


def test_a_suggested_deadline_is_used_only_when_staff_say_so(app, client, officer, make_enquiry, frozen_clock):
    enquiry_id = make_enquiry()
    suggested = clock.now() + timedelta(hours=2)
    email_id = incoming(app, enquiry_id, suggested_deadline_at=suggested, suggested_deadline_words="by 1pm today")
    with app.app_context():
        before = db.session.get(Enquiry, enquiry_id).deadline_at
    page = client.get(f"/staff/enquiries/{enquiry_id}").get_data(as_text=True)
    assert "Use this deadline" in page and "by 1pm today" in page and "Dismiss" in page
    response = client.post(f"/staff/enquiries/{enquiry_id}/emails/{email_id}/use-deadline")
    assert response.status_code == 303
    with app.app_context():
        enquiry = db.session.get(Enquiry, enquiry_id)
        assert enquiry.deadline_at == suggested != before
        assert db.session.get(EnquiryEmail, email_id).suggestion_settled_at == clock.now()
        last = db.session.scalar(select(EnquiryEvent).order_by(EnquiryEvent.id.desc()).limit(1))
        assert last.kind == "deadline" and last.by_id == officer
    page = client.get(f"/staff/enquiries/{enquiry_id}").get_data(as_text=True)
    assert "Use this deadline" not in page and "Deadline changed to the one in the journalist" in page
    # Settled once: a second press (another tab) changes nothing.
    client.post(f"/staff/enquiries/{enquiry_id}/emails/{email_id}/dismiss-deadline")
    with app.app_context():
        assert db.session.get(Enquiry, enquiry_id).deadline_at == suggested


def test_dismissing_a_suggestion_leaves_the_deadline(app, client, officer, make_enquiry):
    enquiry_id = make_enquiry()
    email_id = incoming(app, enquiry_id, suggested_deadline_at=clock.now() + timedelta(hours=1))
    with app.app_context():
        before = db.session.get(Enquiry, enquiry_id).deadline_at
    assert client.post(f"/staff/enquiries/{enquiry_id}/emails/{email_id}/dismiss-deadline").status_code == 303
    with app.app_context():
        assert db.session.get(Enquiry, enquiry_id).deadline_at == before
        assert db.session.get(EnquiryEmail, email_id).suggestion_settled_at is not None
    assert "Use this deadline" not in client.get(f"/staff/enquiries/{enquiry_id}").get_data(as_text=True)


def test_a_suggestion_is_settled_only_from_its_own_enquiry(app, client, officer, make_enquiry):
    mine, other = make_enquiry(), make_enquiry(subject="Other")
    email_id = incoming(app, other, suggested_deadline_at=clock.now() + timedelta(hours=1))
    assert client.post(f"/staff/enquiries/{mine}/emails/{email_id}/use-deadline").status_code == 404
    assert client.post(f"/staff/enquiries/{mine}/emails/99999999/dismiss-deadline").status_code == 404
    with app.app_context():
        assert db.session.get(EnquiryEmail, email_id).suggestion_settled_at is None


def attach(app, email_id: int, data: bytes = b"%PDF-1.7\n", **overrides) -> int:
    directory = app.config["PRESS_UPLOAD_DIR"]
    os.makedirs(directory, exist_ok=True)
    values = {"filename": "hours.pdf", "content_type": "application/pdf", "size": len(data), "sha256": "0" * 64,
              "stored_name": f"{os.urandom(8).hex()}.pdf"} | overrides
    with open(os.path.join(directory, values["stored_name"]), "wb") as handle:
        handle.write(data)
    with app.app_context():
        item = EnquiryAttachment(email_id=email_id, **values)
        db.session.add(item)
        db.session.commit()
        return item.id


def test_a_file_the_journalist_sent_downloads_only_from_its_enquiry_and_only_for_staff(
        app, client, auth, officer, make_enquiry, make_user):
    mine, other = make_enquiry(), make_enquiry(subject="Other")
    attachment_id = attach(app, incoming(app, mine))
    elsewhere_id = attach(app, incoming(app, other, message_id="other@gazette.example"), filename="other.pdf")
    page = client.get(f"/staff/enquiries/{mine}").get_data(as_text=True)
    assert f"/staff/enquiries/{mine}/attachments/{attachment_id}" in page and "hours.pdf" in page
    with client.get(f"/staff/enquiries/{mine}/attachments/{attachment_id}") as response:
        assert response.status_code == 200 and response.data == b"%PDF-1.7\n"
        assert response.mimetype == "application/pdf"
        assert response.headers["Content-Disposition"].startswith("attachment;")
        assert "hours.pdf" in response.headers["Content-Disposition"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get(f"/staff/enquiries/{mine}/attachments/{elsewhere_id}").status_code == 404
    assert client.get(f"/staff/enquiries/{mine}/attachments/2147483647").status_code == 404
    auth.logout()
    response = client.get(f"/staff/enquiries/{mine}/attachments/{attachment_id}")
    assert response.status_code == 302 and response.headers["Location"].startswith("/staff/login")


def test_a_strange_stored_type_or_name_is_sent_safely(app, client, officer, make_enquiry):
    enquiry_id = make_enquiry()
    attachment_id = attach(app, incoming(app, enquiry_id), content_type="text/html\r\nSet-Cookie: x=1",
                           filename="a\r\nb.html")
    with client.get(f"/staff/enquiries/{enquiry_id}/attachments/{attachment_id}") as response:
        assert response.status_code == 200
        assert response.mimetype == "application/octet-stream" and "Set-Cookie" not in response.headers
        assert response.headers["Content-Disposition"].startswith("attachment;")


def test_only_plain_message_ids_are_taken_from_a_strangers_headers():
    assert replies.message_ids("ok@x.example\r\nBcc: y@z.example") == ["ok@x.example", "y@z.example"]
    assert replies.message_ids("<a@x.example> <b\r\nc@x.example> <c d@x.example> <e@f@x.example>") == ["a@x.example"]
    assert replies.message_ids("") == []
