"""A contact's enquiries in their subject access export, anonymised when they are erased (as retention does, the
emails and files included), and listed on their page."""

import json
import os
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from press import clock
from press.accounts.models import User
from press.contacts import services as contacts
from press.contacts.models import Contact
from press.enquiries import replies
from press.enquiries.contact_data import ERASED
from press.enquiries.models import Enquiry, EnquiryAttachment, EnquiryEmail, EnquiryEvent
from press.enquiries.retention import REMOVED, purge_enquiries
from press.extensions import db
from press.outbox.models import Delivery

JOURNALIST = "sam.reporter@gazette.example"


@pytest.fixture
def sam(app, frozen_clock):
    """Sam, in the contacts list."""
    with app.app_context():
        contact = contacts.create_contact(db.session, by=None, email=JOURNALIST, name="Sam Reporter",
                                          outlet="Northshire Gazette")
        db.session.commit()
        return contact.id


def conversation(app, enquiry_id: int, by: int) -> tuple[int, str]:
    """An email from Sam with a file, and a reply to it; returns the file's id and where it is kept."""
    directory = app.config["PRESS_UPLOAD_DIR"]
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, "cafe0001.pdf")
    with open(path, "wb") as handle:
        handle.write(b"%PDF-1.7\n")
    with app.app_context():
        email = EnquiryEmail(enquiry_id=enquiry_id, direction="in", message_id=f"in{enquiry_id}@gazette.example",
                             from_name="Sam Reporter", from_address=JOURNALIST, to_address="press@northshire.example",
                             subject="Library hours", body="Please also tell me about Sundays.",
                             suggested_deadline_at=clock.now() + timedelta(hours=3), suggested_deadline_words="by 2pm")
        email.attachments.append(EnquiryAttachment(filename="my-notes.pdf", content_type="application/pdf", size=9,
                                                   sha256="0" * 64, stored_name="cafe0001.pdf"))
        db.session.add(email)
        db.session.flush()
        replies.send_reply(db.session, db.session.get(Enquiry, enquiry_id), "Sundays 10 to 4.",
                           by=db.session.get(User, by))
        db.session.commit()
        return email.attachments[0].id, path


def test_the_export_has_their_enquiries_and_the_emails_exchanged(app, client, manager, sam, make_enquiry):
    linked = make_enquiry(email=JOURNALIST)
    make_enquiry(email="someone.else@radio.example", subject="Not Sam's")
    conversation(app, linked, manager)
    data = json.loads(client.get(f"/staff/contacts/{sam}/data.json").data)
    [enquiry] = data["enquiries"]
    assert enquiry["reference"] == "ENQ-2024-0001" and enquiry["email"] == JOURNALIST
    assert enquiry["text"] == "Can you confirm the opening hours of the new library?"
    incoming, outgoing = enquiry["emails"]
    assert incoming["direction"] == "in" and incoming["text"] == "Please also tell me about Sundays."
    assert incoming["attachments"] == [{"filename": "my-notes.pdf", "content_type": "application/pdf", "size": 9}]
    assert outgoing["direction"] == "out" and outgoing["text"] == "Sundays 10 to 4." and outgoing["to"] == JOURNALIST
    assert outgoing["written_by"] == "Mary Manager"
    assert "email_out" in [entry["kind"] for entry in enquiry["timeline"]]


def test_an_enquiry_from_their_address_before_they_were_a_contact_is_theirs(app, client, manager, make_enquiry,
                                                                           frozen_clock):
    earlier = make_enquiry(email=JOURNALIST)
    with app.app_context():
        contact = contacts.create_contact(db.session, by=None, email=JOURNALIST, name="Sam Reporter")
        db.session.commit()
        assert db.session.get(Enquiry, earlier).contact_id is None
        contact_id = contact.id
    data = json.loads(client.get(f"/staff/contacts/{contact_id}/data.json").data)
    assert [e["reference"] for e in data["enquiries"]] == ["ENQ-2024-0001"]


def test_the_contact_page_lists_their_enquiries(app, client, manager, sam, make_enquiry):
    enquiry_id = make_enquiry(email=JOURNALIST, subject="Library <hours>")
    make_enquiry(email="someone.else@radio.example", subject="Parking")
    page = client.get(f"/staff/contacts/{sam}").get_data(as_text=True)
    section = page.split('id="held-enquiries-title"', 1)[1].split("</section>", 1)[0]
    assert f'href="/staff/enquiries/{enquiry_id}"' in section
    assert "ENQ-2024-0001: Library &lt;hours&gt;" in section and "Parking" not in section
    assert "Tuesday 3 September 2024, new" in section


def test_a_contact_with_no_enquiries_says_so(client, manager, sam):
    page = client.get(f"/staff/contacts/{sam}").get_data(as_text=True)
    assert "None." in page.split('id="held-enquiries-title"', 1)[1].split("</section>", 1)[0]


def test_erasure_anonymises_their_enquiries_emails_and_files(app, client, manager, sam, make_enquiry):
    theirs = make_enquiry(email=JOURNALIST)
    other = make_enquiry(email="someone.else@radio.example", subject="Parking")
    attachment_id, path = conversation(app, theirs, manager)
    assert client.post(f"/staff/contacts/{sam}/erase").status_code == 302
    with app.app_context():
        enquiry = db.session.get(Enquiry, theirs)
        assert enquiry.anonymised_at is not None and enquiry.contact_id is None
        assert (enquiry.journalist_name, enquiry.email, enquiry.phone, enquiry.body) == ("Anonymised", "", "", ERASED)
        for email in db.session.scalars(select(EnquiryEmail).where(EnquiryEmail.enquiry_id == theirs)):
            assert (email.from_name, email.from_address, email.to_address) == ("", "", "")
            assert email.subject == ERASED and email.body == ERASED and email.suggested_deadline_words == ""
        assert db.session.scalar(select(func.count(EnquiryAttachment.id))) == 0
        # The reply not yet sent goes nowhere, and its row no longer holds the address.
        reply = db.session.scalar(select(Delivery).where(Delivery.kind == "enquiry-reply"))
        assert reply.status == "cancelled" and reply.to_address == "anonymised@invalid"
        acknowledgements = db.session.scalars(select(Delivery.to_address).where(
            Delivery.kind == "enquiry-acknowledgement")).all()
        assert sorted(acknowledgements) == ["anonymised@invalid", "someone.else@radio.example"]
        last = db.session.scalar(select(EnquiryEvent).where(EnquiryEvent.enquiry_id == theirs)
                                 .order_by(EnquiryEvent.id.desc()).limit(1))
        assert last.kind == "anonymised" and last.details == {"reason": "erasure"}
        untouched = db.session.get(Enquiry, other)
        assert untouched.anonymised_at is None and untouched.email == "someone.else@radio.example"
        assert db.session.get(Contact, sam).email is None
    assert not os.path.exists(path)
    page = client.get(f"/staff/enquiries/{theirs}").get_data(as_text=True)
    assert "their contact record was erased" in page and "Sam Reporter" not in page
    assert client.get(f"/staff/enquiries/{theirs}/attachments/{attachment_id}").status_code == 404


def test_the_retention_rule_also_clears_the_conversation(app, manager, make_enquiry, frozen_clock):
    enquiry_id = make_enquiry()
    _, path = conversation(app, enquiry_id, manager)
    frozen_clock.advance(days=400)
    with app.app_context():
        assert purge_enquiries(db.session, 12, run_by="test").anonymised == 1
        db.session.commit()
        bodies = db.session.scalars(select(EnquiryEmail.body)).all()
        assert bodies == [REMOVED, REMOVED]
        assert db.session.scalar(select(func.count(EnquiryAttachment.id))) == 0
        last = db.session.scalar(select(EnquiryEvent).order_by(EnquiryEvent.id.desc()).limit(1))
        assert last.details == {"older_than_months": 12}
    assert not os.path.exists(path)


def test_the_retention_rule_also_clears_what_the_foi_clock_recorded(app, manager, make_enquiry, frozen_clock):
    """A clarification note or an extension's reason can say who asked, and about whom."""
    from press.enquiries import foi_services
    from press.enquiries.models import EventKind, FoiPause
    enquiry_id = make_enquiry()
    with app.app_context():
        enquiry, me = db.session.get(Enquiry, enquiry_id), db.session.get(User, manager)
        foi_services.flag_request(db.session, enquiry, "foi", by=me)
        frozen_clock.advance(days=1)
        foi_services.start_pause(db.session, enquiry, "clarification", clock.now().date(),
                                 "Asked Sam Reporter which of Mrs Jones's letters", by=me)
        frozen_clock.advance(days=1)
        foi_services.end_pause(db.session, enquiry, clock.now().date(), by=me)
        foi_services.extend(db.session, enquiry, 10, "Mrs Jones's case is before the court", by=me)
        db.session.commit()
    frozen_clock.advance(days=400)
    with app.app_context():
        assert purge_enquiries(db.session, 12, run_by="test").anonymised == 1
        db.session.commit()
        assert db.session.scalars(select(FoiPause.note)).all() == [REMOVED]
        assert db.session.get(Enquiry, enquiry_id).foi_extension_reason == REMOVED
        texts = db.session.scalars(select(EnquiryEvent.text).where(
            EnquiryEvent.kind.in_([EventKind.FOI_PAUSED, EventKind.FOI_EXTENDED]))).all()
        assert texts == [REMOVED, REMOVED]
        assert not [text for text in db.session.scalars(select(EnquiryEvent.text)) if "Jones" in text]
