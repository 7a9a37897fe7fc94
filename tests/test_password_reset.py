"""A forgotten password, a person's own password and profile: links by email, one use each, the same answer for all."""

import pytest
from sqlalchemy import select

from press.accounts.models import AccountLink, User
from press.audit import AuditEvent
from press.extensions import db
from press.outbox.models import Delivery
from tests.conftest import PASSWORD
from tests.test_users_admin import emailed_links

NEW_PASSWORD = "a kettle of fish and chips"


@pytest.fixture
def app_config(app_config, mail_server):
    return app_config | mail_server.app_settings()


def forgot(client, email: str):
    return client.post("/staff/password/forgot", data={"email": email})


def test_the_sign_in_page_leads_to_the_forgotten_password_page(client):
    assert b'href="/staff/password/forgot"' in client.get("/staff/login").data
    assert b"Forgotten your password?" in client.get("/staff/password/forgot").data


def test_the_answer_is_the_same_whether_the_address_has_an_account_or_not(app, client, make_user, mail_server):
    make_user("staff", email="sam@council.example")
    gone = make_user("staff", email="gone@council.example")
    with app.app_context():
        db.session.get(User, gone).active = False
        db.session.commit()
    answers = []
    for email in ("SAM@council.example", "nobody@council.example", "gone@council.example"):
        response = forgot(client, email)
        answers.append((response.status_code, response.headers["Location"]))
        answers.append(client.get(response.headers["Location"]).get_data(as_text=True))
    assert answers[0::2] == [(302, "/staff/password/sent")] * 3
    assert answers[1] == answers[3] == answers[5]
    assert len(emailed_links(app, mail_server, "sam@council.example")) == 1
    assert [r.rcpt_tos for r in mail_server.messages] == [["sam@council.example"]]


def test_a_reset_link_sets_a_new_password_once_and_ends_every_session(app, client, make_user, mail_server, auth,
                                                                        build_app):
    make_user("staff", email="sam@council.example")
    elsewhere = build_app().test_client()
    elsewhere.post("/staff/login", data={"email": "sam@council.example", "password": PASSWORD})
    assert elsewhere.get("/staff/enquiries/").status_code == 200
    forgot(client, "sam@council.example")
    [link] = emailed_links(app, mail_server, "sam@council.example")
    assert "Choose a new password" in client.get(link).get_data(as_text=True)
    response = client.post(link, data={"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert elsewhere.get("/staff/enquiries/").status_code == 302, "the other session ended"
    assert b"not right" in auth.login("sam@council.example", PASSWORD).data
    assert auth.login("sam@council.example", NEW_PASSWORD).status_code == 302
    auth.logout()
    assert client.get(link).status_code == 404, "used once"
    with app.app_context():
        assert db.session.scalars(select(AccountLink)).all() == []
        assert "password reset" in db.session.scalars(select(AuditEvent.action)).all()


def test_a_newer_link_voids_the_older_and_a_link_lasts_an_hour(app, client, make_user, mail_server, frozen_clock):
    make_user("staff", email="sam@council.example")
    forgot(client, "sam@council.example")
    forgot(client, "sam@council.example")
    first, second = emailed_links(app, mail_server, "sam@council.example")
    assert client.get(first).status_code == 404
    assert client.get(second).status_code == 200
    frozen_clock.advance(minutes=61)
    response = client.post(second, data={"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 404 and b"This link does not work" in response.data


@pytest.mark.parametrize("token", ["x", "not-a-token", "a" * 43, "%00", "😀" * 30, "a" * 5000])
def test_tampered_links_are_refused_without_error(client, token):
    response = client.get(f"/staff/password/set/{token}")
    assert response.status_code in (400, 404)


def test_the_new_password_form_says_what_is_wrong(app, client, make_user, mail_server):
    make_user("staff", email="sam@council.example")
    forgot(client, "sam@council.example")
    [link] = emailed_links(app, mail_server, "sam@council.example")
    response = client.post(link, data={"new_password": "short", "confirm": "other"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "at least 12 characters" in page and "The two passwords are not the same." in page
    assert client.get(link).status_code == 200, "a refused attempt does not spend the link"


def test_asking_for_links_is_rate_limited_the_same_for_every_address(build_app, make_user):
    make_user("staff", email="sam@council.example")
    client = build_app(RATELIMIT_ENABLED=True, PRESS_LOGIN_ACCOUNT_RATE_LIMIT="3 per minute").test_client()
    for email in ("sam@council.example", "nobody@council.example"):
        statuses = [forgot(client, email).status_code for _ in range(4)]
        assert statuses == [302, 302, 302, 429], email


def test_people_change_their_own_details(app, client, make_user, auth):
    user_id = make_user("staff", email="sam@council.example")
    auth.login("sam@council.example")
    assert client.get("/staff/account").status_code == 200
    response = client.post("/staff/account/profile", data={"name": "", "job_title": "Head of News",
                                                           "phone": "07700 900777"})
    assert response.status_code == 422
    assert b"Enter a name." in response.data and b'value="Head of News"' in response.data
    response = client.post("/staff/account/profile", data={"name": "Sam Smith", "job_title": "Head of News",
                                                           "phone": "07700 900777"})
    assert response.status_code == 302
    with app.app_context():
        user = db.session.get(User, user_id)
        assert (user.name, user.job_title, user.phone) == ("Sam Smith", "Head of News", "07700 900777")
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "profile changed")).one()
        assert event.details["changed"]["job_title"] == ["Press Officer", "Head of News"]


def test_changing_ones_own_password_keeps_this_session_and_ends_the_others(client, make_user, auth, build_app):
    make_user("staff", email="sam@council.example")
    elsewhere = build_app().test_client()
    elsewhere.post("/staff/login", data={"email": "sam@council.example", "password": PASSWORD})
    auth.login("sam@council.example")
    response = client.post("/staff/account/password", data={"current_password": "wrong one", "new_password": NEW_PASSWORD,
                                                            "confirm": NEW_PASSWORD})
    assert response.status_code == 422 and b"That is not your current password." in response.data
    response = client.post("/staff/account/password", data={"current_password": PASSWORD, "new_password": NEW_PASSWORD,
                                                             "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert client.get("/staff/enquiries/").status_code == 200, "still signed in here"
    assert elsewhere.get("/staff/enquiries/").status_code == 302, "signed out there"
    auth.logout()
    assert auth.login("sam@council.example", NEW_PASSWORD).status_code == 302


def test_the_outbox_keeps_no_secret_that_opens_the_account(app, client, make_user, mail_server):
    make_user("staff", email="sam@council.example")
    forgot(client, "sam@council.example")
    [link] = emailed_links(app, mail_server, "sam@council.example")
    with app.app_context():
        [delivery] = db.session.scalars(select(Delivery)).all()
        [stored] = db.session.scalars(select(AccountLink)).all()
        assert delivery.payload == {"user_id": delivery.payload["user_id"]}, "no secret in the outbox"
        assert stored.token_hash not in link, "the table holds a hash of the link, not the link"
        secret = link.rsplit("/", 1)[-1]
        assert secret not in str(delivery.payload) and secret != delivery.secret
