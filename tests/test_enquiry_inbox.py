"""Journalists' emails fetched from a real IMAP mailbox (a private Dovecot on loopback, TLS only) become
enquiries, or join the conversation of the enquiry they answer; automatic mail is set aside; each message is
handled once and moved to its done folder."""

import base64
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime
from email.utils import make_msgid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from press.accounts.models import User
from press.contacts import services as contacts
from press.distribution.models import Distribution
from press.enquiries import services as enquiries
from press.enquiries.deadlines import next_working_day_end
from press.enquiries.inbox_reading import read
from press.enquiries.models import (
    Channel,
    Direction,
    Enquiry,
    EnquiryAttachment,
    EnquiryEmail,
    EnquiryEvent,
    EnquiryStatus,
    EventKind,
    Outcome,
)
from press.extensions import db
from press.outbox.messages import address_domain, delivery_message_id
from press.outbox.models import Delivery
from press.outbox.worker import Worker
from tests.bounces import ANN, delivery_to

DATA = Path(__file__).parent / "data" / "enquiries"
ROOT = Path(__file__).resolve().parent.parent
SAM = "sam.reporter@gazette.example"
STAFF_REPLY = "staff-reply-1@northshire.example"
DONE = "Processed enquiries"


@pytest.fixture
def app_config(app_config, mail_server, imap_server):
    return app_config | mail_server.app_settings() | {
        "PRESS_ENQUIRY_IMAP_HOST": imap_server.host, "PRESS_ENQUIRY_IMAP_PORT": imap_server.port,
        "PRESS_ENQUIRY_IMAP_USERNAME": imap_server.username, "PRESS_ENQUIRY_IMAP_PASSWORD": imap_server.password,
        "PRESS_ENQUIRY_IMAP_CA_FILE": str(imap_server.cafile), "PRESS_ENQUIRY_ADDRESS": "press@northshire.example"}


def eml(name: str, **replace: str) -> bytes:
    raw = (DATA / f"{name}.eml").read_bytes()
    for old, new in replace.items():
        raw = raw.replace(old.encode(), new.encode())
    return raw


def fetch(runner) -> tuple[int, str]:
    result = runner.invoke(args=["press", "fetch-enquiries"])
    return result.exit_code, result.output


def by_address(app) -> dict[str, Enquiry]:
    with app.app_context():
        found = {e.email: e for e in db.session.scalars(select(Enquiry).order_by(Enquiry.id))}
        db.session.expunge_all()
    return found


def incoming(app, enquiry_id: int) -> list[EnquiryEmail]:
    with app.app_context():
        emails = list(db.session.scalars(select(EnquiryEmail).where(EnquiryEmail.enquiry_id == enquiry_id,
                                                                   EnquiryEmail.direction == Direction.IN)
                                         .order_by(EnquiryEmail.id)))
        db.session.expunge_all()
    return emails


def events(app, enquiry_id: int) -> list[EnquiryEvent]:
    with app.app_context():
        found = list(db.session.scalars(select(EnquiryEvent).where(EnquiryEvent.enquiry_id == enquiry_id)
                                        .order_by(EnquiryEvent.id)))
        db.session.expunge_all()
    return found


def test_each_kind_of_message_becomes_an_enquiry_or_is_skipped_and_all_are_moved(app, runner, imap_server,
                                                                                 make_release, make_user):
    contact_id = make_user("manager", email="jane.smith@northshire.example", name="Jane Smith")
    release_id = make_release(final=True, reference="NCC 2024/25-07", contact_id=contact_id)
    with app.app_context():
        contacts.create_contact(db.session, by=None, email=SAM, name="Sam Reporter", outlet="Northshire Gazette")
        db.session.commit()
    for name in ("plain", "html_only", "attachments", "cp1252", "utf8", "auto_reply", "bounce", "list"):
        imap_server.append(eml(name))
    code, output = fetch(runner)
    assert code == 0, output
    assert output.strip() == ("8 messages read: 5 new enquiries, 3 skipped (1 auto-reply, 1 bounce, "
                              "1 mailing list); 8 moved to Processed enquiries.")
    assert imap_server.folder_messages("INBOX") == []
    assert len(imap_server.folder_messages(DONE)) == 8

    found = by_address(app)
    assert set(found) == {SAM, "priya.shah@radio.example", "tom.baker@weekly.example", "sian.jones@bbc.example",
                          "gruffydd@newyddion.example"}
    assert {e.channel for e in found.values()} == {Channel.EMAIL}
    plain = found[SAM]
    assert plain.release_id == release_id, "the reference it quotes names the release"
    assert plain.assignee_id == contact_id, "routed to the release's media contact, as a web enquiry is"
    assert plain.contact_id is not None and plain.outlet == "Northshire Gazette"
    assert plain.kind == "comment" and plain.subject == "Library closures - NCC 2024/25-07"
    assert plain.deadline_at == next_working_day_end(plain.received_at), "a default, never the words' deadline"
    assert [e.kind for e in events(app, plain.id)] == [EventKind.RECEIVED, EventKind.ASSIGNED, EventKind.EMAIL_IN]

    html = found["priya.shah@radio.example"]
    assert html.kind == "interview" and html.release_id is None
    assert "by 10am tomorrow" in html.body and "alert" not in html.body and "<" not in html.body
    assert "color" not in html.body

    sian = found["sian.jones@bbc.example"]
    assert sian.journalist_name == "Siân Jones" and sian.subject == "Social care cuts – £4.2m figure"
    assert "council’s budget papers say £4.2m" in sian.body
    utf8 = found["gruffydd@newyddion.example"]
    assert utf8.subject == "Café Môr licensing — statement?" and "Llanfær — the owner" in utf8.body
    assert "📰" in utf8.body and utf8.body.count("Café Môr closure") == 1, "the plain part, not both"

    tom = found["tom.baker@weekly.example"]
    [email] = incoming(app, tom.id)
    with app.app_context():
        [kept] = db.session.scalars(select(EnquiryAttachment).where(EnquiryAttachment.email_id == email.id))
        assert (kept.filename, kept.content_type) == ("Residents_letter.pdf", "application/pdf")
        assert (Path(app.config["PRESS_UPLOAD_DIR"]) / kept.stored_name).read_bytes().startswith(b"%PDF-")
    [received] = [e for e in events(app, tom.id) if e.kind == EventKind.EMAIL_IN]
    assert received.details["attachments"] == 1
    assert [r["filename"] for r in received.details["refused"]] == ["invoice.exe"]
    assert "invoice.exe was not kept" in received.text

    with app.app_context():
        acknowledged = sorted(db.session.scalars(select(Delivery.to_address)
                                                 .where(Delivery.kind == "enquiry-acknowledgement")))
    assert acknowledged == sorted(found), "every emailed enquiry is acknowledged through the outbox"

    imap_server.append(eml("plain"))  # delivered again
    assert fetch(runner) == (0, "1 message read: 1 seen before; 1 moved to Processed enquiries.\n")
    assert fetch(runner) == (0, "No new messages in the enquiry mailbox.\n")
    assert len(by_address(app)) == 5


PERSON = "From: Sam Reporter <sam.reporter@gazette.example>\r\nSubject: Library\r\nMessage-ID: <a@b.example>\r\n"


@pytest.mark.parametrize(("headers", "skip"), [
    ("", ""),
    ("Auto-Submitted: auto-generated\r\n", "auto-reply"),
    ("Auto-Submitted: no\r\n", ""),
    ("X-Autorespond: yes\r\n", "auto-reply"),
    ("X-Autoreply: yes\r\n", "auto-reply"),
    ("Precedence: bulk\r\n", "auto-reply"),
    ("Precedence: junk\r\n", "auto-reply"),
    ("Precedence: list\r\n", "mailing list"),
    ("List-Id: <news.lists.example>\r\n", "mailing list"),
    ("List-Unsubscribe: <mailto:leave@lists.example>\r\n", "mailing list"),
    ("Return-Path: <>\r\n", "auto-reply"),
    ("Return-Path: <sam.reporter@gazette.example>\r\n", ""),
])
def test_only_mail_a_person_wrote_is_an_enquiry(headers, skip):
    assert read(f"{headers}{PERSON}\r\nCan you comment?\r\n".encode()).skip == skip


def test_thread_headers_are_read_without_angle_brackets_and_unsafe_ids_are_dropped():
    raw = (PERSON + "In-Reply-To: <r1@press.example> (Sam's message)\r\n"
           "References: <r0@press.example>\r\n <r1@press.example> <bad\u00e9@x> <a b@x>\r\n\r\nHi\r\n").encode()
    message = read(raw)
    assert message.message_id == "a@b.example" and message.in_reply_to == "r1@press.example"
    assert message.references == ["r0@press.example", "r1@press.example"]
    assert message.thread_ids == ["r1@press.example", "r0@press.example"]


def staff_reply(app, enquiry_id: int) -> None:
    """The press office's reply, as the conversation view writes it when it is queued."""
    with app.app_context():
        db.session.add(EnquiryEmail(enquiry_id=enquiry_id, direction=Direction.OUT, message_id=STAFF_REPLY,
                                    from_address="press@northshire.example", to_address=SAM,
                                    subject="Library closures", body="Here is the council's statement."))
        db.session.commit()


def test_replies_join_the_enquiry_they_answer_and_reopen_it(app, runner, imap_server, make_enquiry, make_user):
    manager = make_user("manager")
    enquiry_id = make_enquiry(email=SAM, subject="Library closures")
    staff_reply(app, enquiry_id)
    with app.app_context():
        enquiry = db.session.get(Enquiry, enquiry_id)
        enquiries.close_enquiry(db.session, enquiry, Outcome.STATEMENT, by=db.session.get(User, manager))
        db.session.commit()
        reference = enquiry.reference

    imap_server.append(eml("reply"))
    assert fetch(runner) == (0, "1 message read: 1 reply; 1 moved to Processed enquiries.\n")
    with app.app_context():
        enquiry = db.session.get(Enquiry, enquiry_id)
        assert enquiry.status == EnquiryStatus.IN_PROGRESS and enquiry.closed_at is None and enquiry.outcome is None
    kinds = [e.kind for e in events(app, enquiry_id)]
    assert kinds[-3:] == [EventKind.CLOSED, EventKind.EMAIL_IN, EventKind.REOPENED]
    [reply] = incoming(app, enquiry_id)
    assert reply.in_reply_to == STAFF_REPLY and reply.body.startswith("Thanks for that.")
    assert reply.suggested_deadline_at is None, "the deadline in the quoted staff reply is not read"

    imap_server.append(eml("changed_subject"))  # a new subject, but its headers name the staff reply
    imap_server.append(eml("tagged", **{"ENQ-YYYY-NNNN": reference}))  # no headers, the tag in the subject
    assert fetch(runner)[1] == "2 messages read: 2 replies; 2 moved to Processed enquiries.\n"
    assert [e.message_id for e in incoming(app, enquiry_id)][1:] == [
        "DB9PR01MB1234REPLY0002@DB9PR01MB1234.eurprd01.prod.outlook.com", "tagged.0001@gazette.example"]
    assert [e.kind for e in events(app, enquiry_id)].count(EventKind.REOPENED) == 1, "reopened once, when closed"
    assert len(by_address(app)) == 1


def test_a_forged_reference_from_another_sender_starts_a_new_enquiry(app, runner, imap_server, make_enquiry):
    enquiry_id = make_enquiry(email=SAM, subject="Library closures")
    staff_reply(app, enquiry_id)
    with app.app_context():
        reference = db.session.get(Enquiry, enquiry_id).reference
    imap_server.append(eml("forged"))
    imap_server.append(eml("tagged", **{"ENQ-YYYY-NNNN": reference, "Sam.Reporter@Gazette.example": "eve@tabloid.example",
                                        "tagged.0001": "tagged.eve"}))
    assert fetch(runner)[1] == "2 messages read: 2 new enquiries; 2 moved to Processed enquiries.\n"
    found = by_address(app)
    assert set(found) == {SAM, "eve.scoop@tabloid.example", "eve@tabloid.example"}
    assert incoming(app, enquiry_id) == [], "nothing reached Sam's conversation"
    [received] = [e for e in events(app, found["eve.scoop@tabloid.example"].id) if e.kind == EventKind.EMAIL_IN]
    assert received.details["unmatched_thread"] is True


def test_a_deadline_in_the_words_is_suggested_not_set(app, runner, imap_server, frozen_clock):
    imap_server.append(eml("plain"))  # "My deadline 4pm today", read at 11:00 BST on Tuesday 3 September 2024
    assert fetch(runner)[0] == 0
    enquiry = by_address(app)[SAM]
    [email] = incoming(app, enquiry.id)
    assert email.suggested_deadline_at == datetime(2024, 9, 3, 15, 0, tzinfo=UTC)
    assert email.suggested_deadline_words == "deadline 4pm today" and email.suggestion_settled_at is None
    assert enquiry.deadline_at == datetime(2024, 9, 4, 16, 0, tzinfo=UTC), "17:00 BST on the next working day"


def test_a_reply_to_a_release_email_is_about_that_release(app, runner, imap_server, sent):
    delivery = delivery_to(app, ANN)
    message_id = delivery_message_id(delivery.id, delivery.secret, address_domain(app.config["MAIL_DEFAULT_SENDER"]))
    raw = "\r\n".join([
        f"From: Ann Lee <{ANN}>", "To: press@northshire.example", "Subject: RE: New library opening",
        f"Message-ID: {make_msgid(domain='gazette.example')}", f"In-Reply-To: {message_id}", f"References: {message_id}",
        "Content-Type: text/plain; charset=utf-8", "", "Can we film inside before it opens?", ""]).encode()
    forged = raw.replace(delivery.secret.encode(), b"0" * 32).replace(b"Message-ID: <", b"Message-ID: <x")
    forged = forged.replace(message_id.encode(), f"<{delivery.id}.{'0' * 24}@{message_id.split('@')[1]}".encode())
    imap_server.append(raw)
    assert fetch(runner)[0] == 0
    with app.app_context():
        [enquiry] = db.session.scalars(select(Enquiry))
        released = db.session.scalar(select(Distribution.release_id).join(Delivery, Delivery.distribution_id ==
                                                                         Distribution.id).where(Delivery.id == delivery.id))
        assert enquiry.release_id == released and enquiry.kind == "filming"
        assert enquiry.assignee.email == "jane.smith@northshire.example", "routed to the release's contact"
        assert enquiry.contact_id == sent[ANN]
    imap_server.append(forged)
    assert fetch(runner)[0] == 0
    with app.app_context():
        latest = db.session.scalars(select(Enquiry).order_by(Enquiry.id.desc())).first()
        assert latest.release_id is None, "a Message-ID the outbox did not sign names no release"


def test_the_acknowledgement_is_sent_as_an_answer_to_the_journalists_email(app, runner, imap_server, mail_server):
    imap_server.append(eml("html_only"))
    assert fetch(runner)[0] == 0
    assert Worker(app).run(once=True) == 1
    [sent] = mail_server.wait_for(1)
    enquiry = by_address(app)["priya.shah@radio.example"]
    message = sent.message
    assert sent.rcpt_tos == ["priya.shah@radio.example"]
    original = "<CAJ7y4Q2xkz9V=Hr1pQ8mN3bW5tL0fG6hY2dK9sE4aR7uT1vXc@mail.gmail.com>"
    assert message["In-Reply-To"] == original and message["References"] == original
    assert message["Subject"] == f"Re: Interview request: school transport [{enquiry.reference}]"
    assert message["Reply-To"].addresses[0].addr_spec == "press@northshire.example"
    assert "as we read your email; a press officer will confirm it" in message.get_body(("plain",)).get_content()

    # The journalist answers the acknowledgement: it threads by References, and by the tag.
    answer = "\r\n".join([
        "From: Priya Shah <priya.shah@radio.example>", "To: press@northshire.example",
        f"Subject: {message['Subject']}", f"Message-ID: {make_msgid(domain='mail.gmail.com')}",
        f"In-Reply-To: {message['Message-ID']}", f"References: {original} {message['Message-ID']}",
        "Content-Type: text/plain; charset=utf-8", "", "Thanks - 10am is firm.", ""]).encode()
    imap_server.append(answer)
    assert fetch(runner)[1] == "1 message read: 1 reply; 1 moved to Processed enquiries.\n"
    assert len(incoming(app, enquiry.id)) == 2


def test_what_an_attacker_can_put_in_an_email_is_stored_safely_and_handled_once(app, runner, imap_server):
    nul = "\r\n".join([  # no Message-ID, raw 8-bit Windows text in the headers, a NUL in the text
        "From: Ma\xeft\xe9 <maite@news.example>", "To: press@northshire.example", "Subject: Caf\xe9 \u2013 hours",
        "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: base64", "",
        base64.b64encode("Opening hours?\x00 By noon".encode()).decode(), ""]).encode("cp1252")
    long_sender = f"From: {'a' * 250}@news.example\r\nSubject: Long\r\nMessage-ID: <long@news.example>\r\n\r\nHi\r\n"
    no_sender = b"Subject: Who?\r\nMessage-ID: <nobody@news.example>\r\n\r\nHello\r\n"
    ours = b"From: Press <press@northshire.example>\r\nSubject: Ours\r\nMessage-ID: <ours@x.example>\r\n\r\nHi\r\n"
    for raw in (nul, long_sender.encode(), no_sender, ours):
        imap_server.append(raw)
    assert fetch(runner)[1] == ("4 messages read: 1 new enquiry, 3 skipped (1 from the press office, "
                                "2 no sender); 4 moved to Processed enquiries.\n")
    enquiry = by_address(app)["maite@news.example"]
    assert enquiry.journalist_name == "Maïté" and enquiry.subject == "Café – hours"
    assert enquiry.body == "Opening hours? By noon"
    [email] = incoming(app, enquiry.id)
    assert email.message_id.endswith("@no-message-id.invalid")
    imap_server.append(nul)
    assert fetch(runner)[1] == "1 message read: 1 seen before; 1 moved to Processed enquiries.\n"


def test_a_wrong_password_or_no_mailbox_is_said_plainly_and_moves_nothing(app, runner, imap_server):
    imap_server.append(eml("plain"))
    app.config["PRESS_ENQUIRY_IMAP_PASSWORD"] = "wrong"
    code, output = fetch(runner)
    assert code == 1 and "refused the username or password" in output and "Traceback" not in output
    app.config["PRESS_ENQUIRY_IMAP_PASSWORD"] = imap_server.password
    app.config["PRESS_ENQUIRY_IMAP_CA_FILE"] = None
    code, output = fetch(runner)
    assert code == 1 and "PRESS_ENQUIRY_IMAP_CA_FILE" in output
    app.config["PRESS_ENQUIRY_IMAP_HOST"] = None
    code, output = fetch(runner)
    assert code == 1 and "PRESS_ENQUIRY_IMAP_HOST is not set" in output
    assert len(imap_server.folder_messages("INBOX")) == 1
    assert by_address(app) == {}


def test_the_worker_reads_the_mailbox_on_its_schedule(app, database_url, imap_server, mail_server, tmp_path):
    imap_server.append(eml("utf8"))
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PRESS_", "MAIL_"))} | {
        "FLASK_APP": "app.py", "DATABASE_URL": database_url, "SECRET_KEY": "test-secret-key",
        "MAIL_SERVER": mail_server.host, "MAIL_PORT": str(mail_server.port),
        "PRESS_UPLOAD_DIR": str(tmp_path / "uploads"), "PRESS_WORKER_POLL_SECONDS": "0.2",
        "PRESS_ENQUIRY_IMAP_HOST": imap_server.host, "PRESS_ENQUIRY_IMAP_PORT": str(imap_server.port),
        "PRESS_ENQUIRY_IMAP_USERNAME": imap_server.username, "PRESS_ENQUIRY_IMAP_PASSWORD": imap_server.password,
        "PRESS_ENQUIRY_IMAP_CA_FILE": str(imap_server.cafile), "PRESS_ENQUIRY_IMAP_EVERY": "1"}
    log = tmp_path / "worker.log"
    with log.open("wb") as output:
        worker = subprocess.Popen([sys.executable, "-m", "flask", "press", "worker"], cwd=ROOT, env=env,
                                  stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT)
    try:
        [ack] = mail_server.wait_for(1, timeout=30)
        assert ack.rcpt_tos == ["gruffydd@newyddion.example"]
        imap_server.append(eml("cp1252"))  # read on the next round, a second later
        mail_server.wait_for(2, timeout=30)
    finally:
        worker.send_signal(signal.SIGTERM)
        code = worker.wait(60)
    text = log.read_text()
    assert code == 0, text
    assert "1 message read: 1 new enquiry; 1 moved to Processed enquiries." in text
    assert "Traceback" not in text
    assert set(by_address(app)) == {"gruffydd@newyddion.example", "sian.jones@bbc.example"}


def test_with_the_database_away_nothing_is_moved(app, build_app, imap_server, tmp_path):
    imap_server.append(eml("plain"))
    away = build_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'no such folder' / 'press.db'}")
    result = away.test_cli_runner().invoke(args=["press", "fetch-enquiries"])
    assert result.exit_code == 1 and "The database is unavailable" in result.output
    assert "Traceback" not in result.output
    assert len(imap_server.folder_messages("INBOX")) == 1
    assert imap_server.folder_messages(DONE) == []


def test_a_round_trip_of_staff_reply_and_journalists_answer_ends_on_one_enquiry(
        app, runner, client, manager, imap_server, mail_server):
    """The whole conversation through the real servers: the journalist emails, the office replies from the
    enquiry page, the enquiry is closed, and the journalist's answer (subject changed) opens it again."""
    imap_server.append(eml("plain"))
    assert fetch(runner)[0] == 0
    enquiry = by_address(app)[SAM]
    assert client.post(f"/staff/enquiries/{enquiry.id}/reply",
                       data={"reply-text": "Twelve posts are affected.\r\n\r\nMary"}).status_code == 303
    assert Worker(app).run(once=True) == 2  # the acknowledgement and the reply
    replies = [m.message for m in mail_server.wait_for(2) if "Twelve posts" in m.message.get_body(("plain",)).get_content()]
    [sent] = replies
    assert sent["Subject"] == f"Re: Library closures - NCC 2024/25-07 [{enquiry.reference}]"
    first = "<DB9PR01MB12345A1B2C3D4E5F6A7B8C9D0E1F2@DB9PR01MB1234.eurprd01.prod.outlook.com>"
    assert sent["In-Reply-To"] == first
    with app.app_context():
        me = db.session.get(User, manager)
        closing = db.session.get(Enquiry, enquiry.id)
        if closing.assignee_id != manager:
            enquiries.assign_enquiry(db.session, closing, me, by=me)
        enquiries.close_enquiry(db.session, closing, Outcome.STATEMENT, by=me)
        db.session.commit()

    answer = "\r\n".join([
        f"From: Sam Reporter <{SAM}>", "To: press@northshire.example", "Subject: one more question",
        f"Message-ID: {make_msgid(domain='gazette.example')}", f"In-Reply-To: {sent['Message-ID']}",
        f"References: {first} {sent['Message-ID']}", "Content-Type: text/plain; charset=utf-8", "",
        "Are any of the twelve posts in Eastgate?", ""]).encode()
    imap_server.append(answer)
    assert fetch(runner)[1] == "1 message read: 1 reply; 1 moved to Processed enquiries.\n"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Enquiry)) == 1
        found = db.session.get(Enquiry, enquiry.id)
        assert found.status == EnquiryStatus.IN_PROGRESS
        kinds = [event.kind for event in found.events]
        assert kinds.count(EventKind.EMAIL_IN) == 2 and EventKind.EMAIL_OUT in kinds and kinds[-1] == EventKind.REOPENED
        conversation = [(email.direction, email.body.split("\n")[0]) for email in found.emails]
    assert conversation == [("in", "Hello,"), ("out", "Twelve posts are affected."),
                            ("in", "Are any of the twelve posts in Eastgate?")]
    page = client.get(f"/staff/enquiries/{enquiry.id}").get_data(as_text=True)
    assert "Are any of the twelve posts in Eastgate?" in page and "Twelve posts are affected." in page

    # The officer it belongs to is told, with what the journalist wrote: it would otherwise sit unseen.
    mail_server.clear()
    assert Worker(app).run(once=True) == 1
    [alert] = mail_server.wait_for(1)
    assert alert.rcpt_tos == ["manager@council.example"]
    assert alert.message["Subject"].startswith(f"{enquiry.reference}: ") and "wrote again" in alert.message["Subject"]
    text = alert.message.get_body(("plain",)).get_content()
    assert "so it is open again" in text and "Are any of the twelve posts in Eastgate?" in text
