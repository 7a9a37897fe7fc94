"""Sending a release: one correct message per recipient, embargo wording from the release, early access."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from press.contacts import services as contacts
from press.contacts.models import Contact, ContactStatus, MediaList
from press.distribution import access, services
from press.outbox.messages import delivery_from_envelope
from press.accounts.models import User
from press.distribution.models import AccessView, Distribution
from press.outbox.models import Delivery
from press.outbox.worker import Worker
from press.extensions import db
from press.releases import services as releases
from press.releases.models import Release

EMBARGO = datetime(2024, 9, 3, 23, 1, tzinfo=UTC)  # 00:01 BST, Wednesday 4 September 2024
PDF = b"%PDF-1.7\n" + b"0" * 2000


@pytest.fixture
def app_config(app_config, mail_server):
    return app_config | mail_server.app_settings()


@pytest.fixture
def newsroom(app, make_user, make_release, frozen_clock):
    """A press office with two lists, four contacts (one on both lists, one unsubscribed) and a final release."""
    contact_id = make_user("manager", email="jane.smith@northshire.example", name="Jane Smith",
                           job_title="Communications Manager")
    release_id = make_release(contact_id=contact_id, headline="Café opens in Zoë's old library ✨",
                              embargo_at=EMBARGO, final=True)
    with app.app_context():
        local, national = MediaList(name="Local"), MediaList(name="National")
        db.session.add_all([local, national])
        db.session.flush()
        people = {}
        for email, name, lists in [("ann@gazette.example", "Ann Lee", [local]),
                                   ("bob@radio.example", "Bob Roe", [local, national]),
                                   ("cat@times.example", "Cat Day", [national]),
                                   ("dan@left.example", "Dan Gone", [local])]:
            people[email] = contacts.create_contact(db.session, by=None, email=email, name=name, lists=lists).id
        contacts.unsubscribe(db.session, db.session.get(Contact, people["dan@left.example"]), how="link")
        db.session.commit()
        return {"release_id": release_id, "lists": [local.id, national.id], "people": people, "manager": contact_id}


def distribute(app, newsroom, *, at=None, stop_after=None, key="k1", list_ids=None):
    with app.app_context():
        release = db.session.get(Release, newsroom["release_id"])
        distribution = services.create_distribution(
            db.session, release, list_ids=newsroom["lists"] if list_ids is None else list_ids, contact_ids=[],
            at=at, stop_after=stop_after, request_key=key, by=None)
        db.session.commit()
        return distribution.id


def run_worker(app) -> int:
    return Worker(app).run(once=True)


def delivery_statuses(app, distribution_id):
    with app.app_context():
        return services.status_counts(db.session, distribution_id)


def test_each_recipient_gets_one_embargoed_message(app, newsroom, mail_server, frozen_clock):
    distribution_id = distribute(app, newsroom)
    with app.app_context():
        distribution = db.session.get(Distribution, distribution_id)
        assert (distribution.recipients, distribution.left_out) == (3, 1)
    run_worker(app)
    assert mail_server.by_recipient() == {"ann@gazette.example": 1, "bob@radio.example": 1, "cat@times.example": 1}
    subject = "EMBARGOED UNTIL 00:01 BST, Wednesday 4 September 2024: Café opens in Zoë's old library ✨"
    for received in mail_server.messages:
        message = received.message
        assert message["Subject"] == subject
        assert message["From"] == "Northshire Press Office <press@northshire.example>"
        assert message["Reply-To"] == "Jane Smith <jane.smith@northshire.example>"
        assert len(message.get_all("To")) == 1 and received.rcpt_tos[0] in message["To"]
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        raw_header = re.search(rb"^List-Unsubscribe: (.*)$", received.data, re.MULTILINE).group(1)
        assert raw_header.startswith(b"<http://press.test/unsubscribe/"), "the header is plain, not encoded"
        https, mailto = re.findall(r"<([^>]+)>", message["List-Unsubscribe"])
        assert https.startswith("http://press.test/unsubscribe/") and mailto.startswith("mailto:press@northshire.example")
        assert message.get_content_type() == "multipart/alternative"
        text = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",)).get_content()
        assert text.startswith("EMBARGOED UNTIL 00:01 BST, Wednesday 4 September 2024")
        assert "EMBARGOED UNTIL 00:01 BST, Wednesday 4 September 2024" in html.split("<h1")[0]
        assert "For media enquiries or interview requests contact Jane Smith, Communications Manager" in text
        assert "/early/" in text and "<img" not in html, "no tracking pixels"
        delivery_id = delivery_from_envelope(received.mail_from, app.config["SECRET_KEY"])
        with app.app_context():
            delivery = db.session.get(Delivery, delivery_id)
            assert delivery.message_id == message["Message-ID"] and delivery.to_address == received.rcpt_tos[0]
    assert delivery_statuses(app, distribution_id) == {"sent": 3}


def test_after_the_embargo_no_embargo_wording(app, newsroom, mail_server, frozen_clock):
    distribute(app, newsroom)
    frozen_clock.set(EMBARGO + timedelta(minutes=1))
    run_worker(app)
    for received in mail_server.messages:
        assert received.message["Subject"] == "Café opens in Zoë's old library ✨"
        assert "EMBARGO" not in received.message.get_body(("plain",)).get_content()
        assert "/early/" not in received.message.get_body(("plain",)).get_content()


def test_attachments_are_attached_below_the_limit_and_linked_above(app, newsroom, mail_server, frozen_clock):
    with app.app_context():
        release = db.session.get(Release, newsroom["release_id"])
        releases.add_attachment(db.session, release, directory=app.config["PRESS_UPLOAD_DIR"], filename="report.pdf",
                                data=PDF, max_bytes=10**6, by=None)
        db.session.commit()
    distribute(app, newsroom, key="small")
    run_worker(app)
    attached = [part.get_filename() for part in mail_server.messages[0].message.iter_attachments()]
    assert attached == ["report.pdf"]
    mail_server.clear()
    app.config["PRESS_EMAIL_ATTACHMENT_LIMIT"] = 1000
    distribute(app, newsroom, key="large")
    run_worker(app)
    message = mail_server.messages[0].message
    assert list(message.iter_attachments()) == []
    assert re.search(r"/early/[^/\s]+/files/\d+/report\.pdf", message.get_body(("plain",)).get_content())


def early_link(message) -> str:
    return re.search(r"http://press\.test(/early/[^/\s]+)\s", message.get_body(("plain",)).get_content()).group(1)


def test_early_access_is_personal_recorded_revocable_and_ends_at_the_lift(app, client, newsroom, mail_server,
                                                                         frozen_clock):
    with app.app_context():
        release = db.session.get(Release, newsroom["release_id"])
        releases.add_attachment(db.session, release, directory=app.config["PRESS_UPLOAD_DIR"], filename="report.pdf",
                                data=PDF, max_bytes=10**6, by=None)
        db.session.commit()
    app.config["PRESS_EMAIL_ATTACHMENT_LIMIT"] = 1000
    distribution_id = distribute(app, newsroom)
    run_worker(app)
    ann, bob = (next(m.message for m in mail_server.messages if m.rcpt_tos == [a])
                for a in ("ann@gazette.example", "bob@radio.example"))
    link = early_link(ann)
    with client.get(link) as page:
        assert page.status_code == 200 and "Café opens" in page.data.decode()
    assert page.headers["Cache-Control"] == "no-store" and "noindex" in page.headers["X-Robots-Tag"]
    file_link = re.search(r'href="(/early/[^"]+/files/[^"]+)"', page.data.decode()).group(1)
    with client.get(file_link) as download:
        assert download.status_code == 200 and download.data == PDF
    with app.app_context():
        views = db.session.scalars(db.select(AccessView)).all()
        assert [v.what for v in views] == ["page", "report.pdf"]
        assert {db.session.get(Delivery, v.delivery_id).to_address for v in views} == {"ann@gazette.example"}
    assert client.get(link[:-3] + "abc").status_code == 404, "a forged link finds nothing"
    with app.app_context():
        access.revoke_access(db.session, db.session.get(Distribution, distribution_id),
                               contact_id=newsroom["people"]["ann@gazette.example"])
        db.session.commit()
    assert client.get(link).status_code == 404
    assert client.get(early_link(bob)).status_code == 200, "revoking one leaves the others"
    frozen_clock.set(EMBARGO)
    response = client.get(early_link(bob))
    assert response.status_code == 302 and response.headers["Location"].startswith("/releases/")


def test_scheduled_distribution_waits_for_its_time(app, newsroom, mail_server, frozen_clock):
    at = frozen_clock() + timedelta(hours=2)
    distribution_id = distribute(app, newsroom, at=at)
    run_worker(app)
    assert mail_server.messages == []
    frozen_clock.set(at)
    run_worker(app)
    assert delivery_statuses(app, distribution_id) == {"sent": 3}


def test_worker_down_past_the_stop_time_misses_and_tells_the_manager(app, newsroom, mail_server, frozen_clock):
    with app.app_context():
        manager = db.session.get(User, newsroom["manager"])
        release = db.session.get(Release, newsroom["release_id"])
        distribution = services.create_distribution(
            db.session, release, list_ids=newsroom["lists"], contact_ids=[], at=frozen_clock() + timedelta(hours=1),
            stop_after=None, request_key="scheduled", by=manager)
        db.session.commit()
        distribution_id = distribution.id
    frozen_clock.advance(hours=2, minutes=1)
    run_worker(app)
    assert mail_server.by_recipient() == {"jane.smith@northshire.example": 1}
    [notice] = mail_server.messages
    assert notice.message["Subject"].startswith("Not sent:")
    assert delivery_statuses(app, distribution_id) == {"missed": 3}
    with app.app_context():
        distribution = db.session.get(Distribution, distribution_id)
        assert distribution.missed_at is not None
        assert services.state(distribution, services.status_counts(db.session, distribution_id), frozen_clock()) == "missed"


def test_cancelled_distribution_sends_nothing_more(app, newsroom, mail_server, frozen_clock):
    distribution_id = distribute(app, newsroom, at=frozen_clock() + timedelta(minutes=30))
    with app.app_context():
        assert services.cancel_distribution(db.session, db.session.get(Distribution, distribution_id), by=None) == 3
        db.session.commit()
    frozen_clock.advance(minutes=30)
    run_worker(app)
    assert mail_server.messages == []
    assert delivery_statuses(app, distribution_id) == {"cancelled": 3}


def test_a_release_withdrawn_before_sending_is_not_sent(app, newsroom, mail_server, frozen_clock):
    distribution_id = distribute(app, newsroom)
    with app.app_context():
        releases.withdraw_release(db.session, db.session.get(Release, newsroom["release_id"]), kind="removed",
                                  reason="Error", by=None)
        db.session.commit()
    run_worker(app)
    assert mail_server.messages == []
    assert delivery_statuses(app, distribution_id) == {"cancelled": 3}


def test_contact_who_unsubscribes_while_queued_gets_nothing(app, client, newsroom, mail_server, frozen_clock):
    distribution_id = distribute(app, newsroom, at=frozen_clock() + timedelta(minutes=10))
    with app.app_context():
        ann = db.session.get(Contact, newsroom["people"]["ann@gazette.example"])
        token = contacts.unsubscribe_token(ann)
    client.post(f"/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"})
    frozen_clock.advance(minutes=10)
    run_worker(app)
    assert set(mail_server.by_recipient()) == {"bob@radio.example", "cat@times.example"}
    assert delivery_statuses(app, distribution_id) == {"sent": 2, "suppressed": 1}


def test_same_request_key_makes_one_distribution(app, newsroom):
    first = distribute(app, newsroom, key="same")
    second = distribute(app, newsroom, key="same")
    assert first == second
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Delivery)) == 3


def test_failed_ones_can_be_retried(app, newsroom, mail_server, frozen_clock):
    mail_server.reply_for("cat@times.example", 550, "5.2.2 Mailbox full", times=1)
    distribution_id = distribute(app, newsroom)
    run_worker(app)
    assert delivery_statuses(app, distribution_id) == {"sent": 2, "failed": 1}
    with app.app_context():
        assert services.retry_failed(db.session, db.session.get(Distribution, distribution_id), by=None) == 1
        db.session.commit()
    run_worker(app)
    assert delivery_statuses(app, distribution_id) == {"sent": 3}
    assert mail_server.by_recipient() == {"ann@gazette.example": 1, "bob@radio.example": 1, "cat@times.example": 1}


def test_only_final_releases_go_out(app, newsroom, make_release):
    draft_id = make_release(headline="Draft")
    with app.app_context(), pytest.raises(services.DistributionError, match="final"):
        services.create_distribution(db.session, db.session.get(Release, draft_id), list_ids=newsroom["lists"],
                                     contact_ids=[], at=None, stop_after=None, request_key="x", by=None)


def test_cli_send(app, runner, newsroom, frozen_clock):
    with app.app_context():
        reference = db.session.get(Release, newsroom["release_id"]).reference
    result = runner.invoke(args=["press", "send", reference.lower(), "--list", "local", "--list", "National",
                                 "--at", "2024-09-03 12:00"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        distribution = db.session.get(Distribution, int(result.stdout.strip()))
        assert distribution.scheduled_at == datetime(2024, 9, 3, 11, 0, tzinfo=UTC)
        assert distribution.stop_after == datetime(2024, 9, 3, 12, 0, tzinfo=UTC)
        assert distribution.recipients == 3
    result = runner.invoke(args=["press", "send", reference, "--list", "Nope"])
    assert result.exit_code != 0 and "No list called" in result.output


def send_by_cli(app, runner, newsroom, *options):
    with app.app_context():
        reference = db.session.get(Release, newsroom["release_id"]).reference
    return runner.invoke(args=["press", "send", reference, "--list", "Local", "--list", "National", *options])


def written(app) -> tuple[int, int]:
    with app.app_context():
        return (db.session.scalar(db.select(db.func.count()).select_from(Distribution)),
                db.session.scalar(db.select(db.func.count()).select_from(Delivery)))


def test_cli_send_stops_when_told(app, runner, newsroom, frozen_clock):
    result = send_by_cli(app, runner, newsroom, "--at", "2024-09-03 12:00", "--stop-after", "2024-09-03 15:30")
    assert result.exit_code == 0, result.output
    with app.app_context():
        distribution = db.session.get(Distribution, int(result.stdout.strip()))
        assert distribution.stop_after == datetime(2024, 9, 3, 14, 30, tzinfo=UTC)
        deadlines = set(db.session.scalars(
            db.select(Delivery.deadline_at).where(Delivery.distribution_id == distribution.id)))
        assert deadlines == {datetime(2024, 9, 3, 14, 30, tzinfo=UTC)}


def test_cli_send_settles_the_repeated_autumn_hour(app, runner, newsroom, frozen_clock):
    result = send_by_cli(app, runner, newsroom, "--at", "2024-10-27 01:30 BST", "--stop-after", "2024-10-27 01:30 GMT")
    assert result.exit_code == 0, result.output
    with app.app_context():
        distribution = db.session.get(Distribution, int(result.stdout.strip()))
        assert distribution.scheduled_at == datetime(2024, 10, 27, 0, 30, tzinfo=UTC)
        assert distribution.stop_after == datetime(2024, 10, 27, 1, 30, tzinfo=UTC)
    result = send_by_cli(app, runner, newsroom, "--at", "2024-10-27 00:30", "--stop-after", "2024-10-27 01:30")
    assert result.exit_code != 0 and "happens twice" in result.output
    assert written(app) == (1, 3)


@pytest.mark.parametrize("options", [
    ("--at", "2024-09-03 12:00", "--stop-after", "2024-09-03 11:30"),
    ("--at", "2024-09-03 12:00", "--stop-after", "2024-09-03 12:00"),
    # Without --at it goes now (11:00 BST), so half past ten has already gone.
    ("--stop-after", "2024-09-03 10:30"),
])
def test_cli_send_refuses_to_stop_before_it_starts(app, runner, newsroom, frozen_clock, options):
    result = send_by_cli(app, runner, newsroom, *options)
    assert result.exit_code == 1
    assert result.output == ("Error: Invalid value for --stop-after: "
                             "The time to stop sending must be after the time to send.\n")
    assert written(app) == (0, 0)


def test_cli_send_refuses_a_stop_time_the_clocks_skip(app, runner, newsroom, frozen_clock):
    result = send_by_cli(app, runner, newsroom, "--at", "2025-03-30 00:30", "--stop-after", "2025-03-30 01:30")
    assert result.exit_code != 0
    assert "Invalid value for --stop-after:" in result.output
    assert "01:30 does not exist on Sunday 30 March 2025" in result.output
    assert written(app) == (0, 0)


def test_audience_says_who_is_left_out_and_why(app, newsroom):
    with app.app_context():
        cat = db.session.get(Contact, newsroom["people"]["cat@times.example"])
        contacts.set_status(db.session, cat, ContactStatus.BOUNCED, reason="550 5.1.1", by=None)
        db.session.commit()
        chosen = services.audience(db.session, newsroom["lists"], [newsroom["people"]["ann@gazette.example"]])
        assert (chosen.recipients, chosen.left_out) == (2, 2)
        assert (chosen.unsubscribed, chosen.bounced) == (1, 1)
        assert chosen.counted_once == 2, "Bob is on both lists; Ann is on one and was chosen by address too"
        named = services.recipient_rows(db.session, newsroom["lists"], [], limit=10)
        assert [contact.name for contact in named] == ["Ann Lee", "Bob Roe"]


def test_a_changed_audience_writes_nothing(app, newsroom):
    with app.app_context():
        release = db.session.get(Release, newsroom["release_id"])
        with pytest.raises(services.AudienceChangedError) as raised:
            services.create_distribution(db.session, release, list_ids=newsroom["lists"], contact_ids=[], at=None,
                                         stop_after=None, request_key="confirmed", by=None, expected=2)
        assert raised.value.recipients == 3
        db.session.rollback()
        assert db.session.scalar(db.select(db.func.count()).select_from(Distribution)) == 0
        distribution = services.create_distribution(db.session, release, list_ids=newsroom["lists"], contact_ids=[],
                                                    at=None, stop_after=None, request_key="confirmed", by=None,
                                                    expected=3)
        db.session.commit()
        assert distribution.recipients == 3
        assert db.session.scalar(db.select(db.func.count()).select_from(Delivery)) == 3
