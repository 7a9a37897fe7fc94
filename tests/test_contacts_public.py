"""Unsubscribing by the link (RFC 8058 one-click too) and asking for releases from the newsroom."""

import re

import pytest
from itsdangerous import URLSafeSerializer, URLSafeTimedSerializer

from press.contacts import emails as contact_emails
from press.contacts import services
from press.contacts.models import Contact, ContactEvent, ContactStatus, MediaList, Signup
from press.outbox.models import Delivery
from press.enquiries.emails import ACKNOWLEDGEMENT
from press.outbox.queue import enqueue
from press.extensions import db


@pytest.fixture
def make_contact(app):
    """Create contacts: make_contact(email=..., name=...) returns (id, unsubscribe token)."""

    def make(email="jo.bloggs@gazette.example", name="Jo Bloggs", **fields):
        with app.app_context():
            contact = services.create_contact(db.session, by=None, email=email, name=name, **fields)
            db.session.commit()
            return contact.id, services.unsubscribe_token(contact)

    return make


def status_of(app, contact_id):
    with app.app_context():
        return db.session.get(Contact, contact_id).status


def test_unsubscribe_page_then_button(app, client, make_contact):
    contact_id, token = make_contact()
    page = client.get(f"/unsubscribe/{token}")
    assert page.status_code == 200 and b"Unsubscribe" in page.data
    assert status_of(app, contact_id) == "active", "opening the page changes nothing"
    response = client.post(f"/unsubscribe/{token}", data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200 and b"You are unsubscribed" in response.data
    assert status_of(app, contact_id) == "unsubscribed"
    with app.app_context():
        event = db.session.scalar(db.select(ContactEvent).where(ContactEvent.action == "status changed"))
        assert event.details["to"] == "unsubscribed" and event.user_id is None
        assert db.session.get(Contact, contact_id).status_changed_at is not None


def test_one_click_post_needs_no_cookie_or_csrf_and_does_not_redirect(build_app, make_contact):
    app = build_app(WTF_CSRF_ENABLED=True)
    contact_id, token = make_contact()
    client = app.test_client(use_cookies=False)
    response = client.post(f"/unsubscribe/{token}", data="List-Unsubscribe=One-Click",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert status_of(app, contact_id) == "unsubscribed"
    again = client.post(f"/unsubscribe/{token}", data="List-Unsubscribe=One-Click",
                        content_type="application/x-www-form-urlencoded")
    assert again.status_code == 200, "a second click is harmless"


def test_tampered_and_unknown_tokens_get_the_same_answer(app, client, make_contact):
    contact_id, token = make_contact()
    with app.app_context():
        other = URLSafeSerializer(app.config["SECRET_KEY"], salt=services.UNSUBSCRIBE.salt).dumps("no-such-key")
    forged = URLSafeSerializer("another secret", salt=services.UNSUBSCRIBE.salt).dumps("whatever")
    answers = []
    for bad in (token[:-2] + "xx", other, forged, "garbage", "a" * 500):
        for method in (client.get, client.post):
            response = method(f"/unsubscribe/{bad}")
            answers.append((response.status_code, response.data))
    assert {status for status, _ in answers} == {404}
    assert len({body for _, body in answers}) == 1, "nothing tells a forged token from an unknown one"
    assert status_of(app, contact_id) == "active"


def test_an_unsubscribe_link_cannot_be_made_from_the_contact_id_even_with_the_key(app, client, make_contact):
    """The token signs the contact's own random key, so knowing the secret key and the id is not enough."""
    first_id, first_token = make_contact()
    second_id, _ = make_contact(email="sam@radio.example")
    signer = URLSafeSerializer(app.config["SECRET_KEY"], salt=services.UNSUBSCRIBE.salt)
    with app.app_context():
        keys = [db.session.get(Contact, n).unsubscribe_key for n in (first_id, second_id)]
    assert keys[0] != keys[1] and all(len(key) >= 32 for key in keys)
    assert signer.loads(first_token) == keys[0], "the token carries the random key, not the id"
    for forged in (signer.dumps(first_id), signer.dumps(str(first_id)), signer.dumps([first_id]), signer.dumps("")):
        assert client.post(f"/unsubscribe/{forged}").status_code == 404
    assert status_of(app, first_id) == status_of(app, second_id) == "active"


def test_erased_contact_token_is_unknown(app, client, make_contact):
    contact_id, token = make_contact()
    with app.app_context():
        services.erase_contact(db.session, db.session.get(Contact, contact_id), by=None)
        db.session.commit()
    assert client.get(f"/unsubscribe/{token}").status_code == 404


@pytest.fixture
def signup_list(app):
    with app.app_context():
        media_list = MediaList(name="Newsroom signups", for_signups=True)
        db.session.add(media_list)
        db.session.commit()
        return media_list.id


def test_signup_needs_a_chosen_list(client):
    page = client.get("/get-releases")
    assert page.status_code == 200 and b"not taking" in page.data
    assert b"not taking" in client.post("/get-releases", data={"name": "x", "email": "x@y.example"}).data


def test_signup_is_double_opt_in(app, client, signup_list):
    page = client.get("/get-releases")
    assert page.status_code == 200 and b"Get our press releases" in page.data
    response = client.post("/get-releases", data={"name": "Sam Reporter", "email": "Sam@Radio.example",
                                                  "outlet": "Radio Northshire", "consent": "y"})
    assert b"Check your email" in response.data
    with app.app_context():
        assert db.session.scalar(db.select(Contact)) is None, "nobody is added before they confirm"
        delivery = db.session.scalar(db.select(Delivery))
        assert delivery.kind == "signup-confirmation" and delivery.to_address == "sam@radio.example"
        from press.contacts.emails import signup_confirmation

        with app.test_request_context():
            message = signup_confirmation(delivery)
    text = message.get_body(("plain",)).get_content()
    link = re.search(r"http://press\.test(/get-releases/confirm/\S+)", text).group(1)
    assert message["To"] == "sam@radio.example"
    confirm_page = client.get(link)
    assert b"Confirm" in confirm_page.data
    with app.app_context():
        assert db.session.scalar(db.select(Contact)) is None, "opening the link alone adds nobody"
    done = client.post(link)
    assert b"You will get our press releases" in done.data
    with app.app_context():
        contact = db.session.scalar(db.select(Contact))
        assert contact.email == "sam@radio.example" and contact.outlet == "Radio Northshire"
        assert [m.id for m in contact.lists] == [signup_list]
        assert contact.lawful_basis == "consent" and contact.consent_at is not None
        assert "press releases" in contact.consent_text
        assert db.session.scalar(db.select(Signup)).confirmed_at is not None
    client.post(link)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Contact)) == 1


def test_signup_form_errors_keep_what_was_typed(client, signup_list):
    response = client.post("/get-releases", data={"name": "Sam", "email": "not an email", "outlet": "Radio X"})
    page = response.data.decode()
    assert "There is a problem" in page
    assert "Enter an email address like name@example.com." in page
    assert "Tick the box" in page
    assert 'value="Radio X"' in page and 'value="not an email"' in page


def test_honeypot_gets_the_same_page_and_sends_nothing(app, client, signup_list):
    response = client.post("/get-releases", data={"name": "Bot", "email": "bot@spam.example", "consent": "y",
                                                  "website": "http://spam.example"})
    assert b"Check your email" in response.data
    with app.app_context():
        assert db.session.scalar(db.select(Delivery)) is None


def test_bad_confirmation_link(client, signup_list):
    response = client.get("/get-releases/confirm/forged-token")
    assert response.status_code == 404 and b"expired or is not valid" in response.data


def test_a_confirmation_link_cannot_be_made_from_the_signup_id_even_with_the_key(app, client, signup_list):
    """Made up, it would show who signed up and sign them up unasked; it carries the email's own random value."""
    client.post("/get-releases", data={"name": "Sam", "email": "sam@radio.example", "consent": "y"})
    with app.app_context():
        signup = db.session.scalar(db.select(Signup))
        confirmation = db.session.scalar(db.select(Delivery).where(Delivery.kind == "signup-confirmation"))
        other = enqueue(db.session, kind=ACKNOWLEDGEMENT, to_address="x@y.example", payload={"enquiry_id": 1})
        db.session.commit()
        ids = signup.id, confirmation.id, confirmation.secret, other.id, other.secret
    signup_id, delivery_id, secret, other_id, other_secret = ids
    signer = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=contact_emails.CONFIRMATION.salt)
    forged = [signer.dumps(signup_id),  # the earlier format: the signup's id alone
              signer.dumps([delivery_id, "0" * 32]), signer.dumps([delivery_id, ""]),
              signer.dumps([other_id, other_secret]), signer.dumps([signup_id, secret][::-1])]
    for token in forged:
        for method in (client.get, client.post):
            response = method(f"/get-releases/confirm/{token}")
            assert response.status_code == 404 and b"sam@radio.example" not in response.data, token
    with app.app_context():
        assert db.session.scalar(db.select(Contact)) is None and db.session.get(Signup, signup_id).confirmed_at is None
    genuine = client.get(f"/get-releases/confirm/{signer.dumps([delivery_id, secret])}")
    assert genuine.status_code == 200 and b"sam@radio.example" in genuine.data


def test_unsubscribed_contact_who_signs_up_again_is_resubscribed(app, client, make_contact, signup_list):
    contact_id, token = make_contact(email="sam@radio.example")
    client.post(f"/unsubscribe/{token}")
    client.post("/get-releases", data={"name": "Sam", "email": "sam@radio.example", "consent": "y"})
    with app.app_context():
        # The link is the confirmation email's own, made from its delivery as the worker does.
        confirmation = db.session.scalar(db.select(Delivery).where(Delivery.kind == "signup-confirmation"))
        link = f"/get-releases/confirm/{contact_emails.confirmation_token(confirmation)}"
    client.post(link)
    assert status_of(app, contact_id) == ContactStatus.ACTIVE
