"""The local mail catcher: what the worker sends is caught, and staff read it as the recipient would."""

import re

import pytest

from press.contacts.models import MediaList
from press.outbox.worker import Worker
from press.extensions import db
from press.outbox.mailcatcher import MailCatcher


@pytest.fixture
def catcher(tmp_path):
    with MailCatcher(str(tmp_path / "mail"), port=0) as running:
        yield running


@pytest.fixture
def app_config(app_config, catcher, tmp_path):
    app_config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=catcher.port, PRESS_SEND_RATE_PER_MINUTE=0,
                      PRESS_MAIL_CATCHER_DIR=str(tmp_path / "mail"))
    return app_config


def test_signup_email_is_caught_and_shown(app, client, manager):
    with app.app_context():
        db.session.add(MediaList(name="Signups", for_signups=True))
        db.session.commit()
    client.post("/staff/logout")
    client.post("/get-releases", data={"name": "Sam Reporter", "email": "sam@radio.example", "consent": "y"})
    assert Worker(app).run(once=True) == 1
    client.post("/staff/login", data={"email": "manager@council.example", "password": "correct horse battery staple"})
    listing = client.get("/staff/mail/").data.decode()
    assert "sam@radio.example" in listing and "Confirm you want press releases" in listing
    message_id = re.search(r'href="/staff/mail/([^"/]+)"', listing).group(1)
    page = client.get(f"/staff/mail/{message_id}").data.decode()
    assert "/get-releases/confirm/" in page and 'sandbox src="/staff/mail/' in page
    html = client.get(f"/staff/mail/{message_id}/html")
    assert html.status_code == 200 and b"Confirm that you want our press releases" in html.data
    assert html.headers["Content-Security-Policy"].startswith("sandbox; default-src 'none'")
    assert html.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert client.get("/staff/mail/../../etc/passwd").status_code == 404
    assert client.get("/staff/mail/nonexistent-id").status_code == 404


def test_caught_mail_is_for_staff_only(client):
    assert client.get("/staff/mail/").status_code == 302


def test_caught_mail_is_for_managers_not_the_staff_role(app, client, auth, make_user):
    """Caught messages hold each journalist's own links, which act as that journalist when opened."""
    with app.app_context():
        db.session.add(MediaList(name="Signups", for_signups=True))
        db.session.commit()
    client.post("/get-releases", data={"name": "Sam Reporter", "email": "sam@radio.example", "consent": "y"})
    assert Worker(app).run(once=True) == 1
    make_user("manager", email="boss@council.example")
    auth.login("boss@council.example")
    listing = client.get("/staff/mail/").data.decode()
    message_id = re.search(r'href="/staff/mail/([^"/]+)"', listing).group(1)
    assert 'href="/staff/mail/">Caught mail</a>' in client.get("/staff/releases/").data.decode()
    auth.logout()
    make_user("staff", email="officer@council.example")
    auth.login("officer@council.example")
    for url in ("/staff/mail/", f"/staff/mail/{message_id}", f"/staff/mail/{message_id}/html"):
        response = client.get(url)
        assert response.status_code == 403 and b"/get-releases/confirm/" not in response.data, url
    assert "Caught mail" not in client.get("/staff/releases/").data.decode(), "no link to a page they cannot open"
