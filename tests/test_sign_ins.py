"""Each sign-in is a row of its own: signing out ends its cookie wherever a copy of it is, a person sees and
ends their sessions elsewhere, and the key changes when signing in comes to need more."""

import re
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select, update

from press import clock
from press.accounts import signins
from press.accounts.models import User
from press.accounts.signins import SignIn
from press.audit import AuditEvent
from press.extensions import db
from tests.conftest import PASSWORD

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
SAFARI = ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
          "Version/18.1 Mobile/15E148 Safari/604.1")


def signed_in(client) -> bool:
    return client.get("/staff/enquiries/").status_code == 200


def browser(client, agent=FIREFOX):
    """The test client as a browser that names itself in every request, as real ones do."""
    client.environ_base["HTTP_USER_AGENT"] = agent
    return client


def sign_in(client, email="sam@council.example", agent=FIREFOX):
    browser(client, agent)
    return client.post("/staff/login", data={"email": email, "password": PASSWORD})


def copy_of(app, client):
    """Another browser holding the very cookie the first one has, and naming itself the same, as a thief would."""
    other = browser(app.test_client(), client.environ_base["HTTP_USER_AGENT"])
    other.set_cookie("press_session", client.get_cookie("press_session").value)
    return other


def rows(app) -> list[SignIn]:
    with app.app_context():
        return db.session.scalars(select(SignIn).order_by(SignIn.id)).all()


@pytest.fixture
def sam(make_user):
    return make_user("staff", email="sam@council.example", name="Sam Officer")


def test_signing_out_ends_the_cookie_everywhere_a_copy_of_it_is(app, client, sam):
    sign_in(client)
    copy = copy_of(app, client)
    assert signed_in(copy), "a copy works while the sign-in lasts"
    client.post("/staff/logout")
    assert not signed_in(copy)
    assert rows(app) == []
    with app.app_context():
        assert [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))] == [
            "signed in", "signed out"]


def test_the_cookie_carries_a_key_only_a_hash_of_which_is_kept(app, client, sam):
    sign_in(client)
    with client.session_transaction() as stored:
        key = stored["_user_id"]
    [row] = rows(app)
    with app.app_context():
        user = db.session.get(User, sam)
        assert key not in (row.key_hash, user.session_token)
    assert row.key_hash == signins.digest(key) and row.user_id == sam and row.method == "password"
    assert row.user_agent == FIREFOX and row.remote_addr == "127.0.0.1"


def test_a_cookie_naming_a_forged_or_old_key_signs_nobody_in(app, client, sam):
    sign_in(client)
    with client.session_transaction() as stored:
        stored["_user_id"] = "not-a-key"
    assert not signed_in(client)
    with app.app_context():
        token = db.session.get(User, sam).session_token
    other = app.test_client()
    sign_in(other)
    with other.session_transaction() as stored:
        stored["_user_id"] = token  # what the cookie carried before sign-ins had rows of their own
    assert not signed_in(other)


def test_the_account_page_lists_where_you_are_signed_in_and_ends_one(app, client, sam, make_user):
    phone = app.test_client()
    sign_in(phone, agent=SAFARI)
    sign_in(client)
    page = " ".join(client.get("/staff/account").get_data(as_text=True).split())
    assert "Where you are signed in" in page
    assert re.search(r"<strong>Firefox on Windows</strong> <span[^>]*>This device</span>", page)
    assert "<strong>Safari on iPhone</strong>" in page and "signed in with password" in page
    phone_row = next(row for row in rows(app) if row.user_agent == SAFARI)
    assert "Sign out Firefox on Windows" not in page, "this device is signed out with the sign-out button"
    assert f'action="/staff/account/sign-ins/{phone_row.id}/end"' in page
    done = client.post(f"/staff/account/sign-ins/{phone_row.id}/end")
    assert done.status_code == 302 and done.headers["Location"] == "/staff/account#signed-in"
    assert "That session is signed out." in client.get("/staff/account").get_data(as_text=True)
    assert not signed_in(phone) and signed_in(client)
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "signed out elsewhere")).one()
        assert event.user_id == sam and event.details["sign_in_id"] == phone_row.id


def test_nobody_can_end_anothers_sign_in_or_their_own_by_number(app, client, sam, make_user):
    make_user("admin", email="ada@council.example")
    admin = app.test_client()
    sign_in(admin, "ada@council.example")
    sign_in(client)
    admins_row = next(row for row in rows(app) if row.user_id != sam)
    own_row = next(row for row in rows(app) if row.user_id == sam)
    assert client.post(f"/staff/account/sign-ins/{admins_row.id}/end").status_code == 404
    assert client.post(f"/staff/account/sign-ins/{own_row.id}/end").status_code == 404
    assert client.post("/staff/account/sign-ins/99999999/end").status_code == 404
    assert signed_in(admin) and signed_in(client)
    anonymous = app.test_client()
    assert anonymous.post(f"/staff/account/sign-ins/{admins_row.id}/end").headers["Location"].startswith("/staff/login")


def test_a_new_password_ends_other_copies_and_keeps_this_device(app, client, sam):
    sign_in(client)
    copy = copy_of(app, client)
    answer = client.post("/staff/account/password", data={
        "current_password": PASSWORD, "new_password": "a kettle of fish and chips",
        "confirm": "a kettle of fish and chips"})
    assert answer.status_code == 302
    assert signed_in(client) and not signed_in(copy)
    [row] = rows(app)
    assert row.method == "new password", "the ended sign-in is cleared away"


def test_turning_on_two_factor_sign_in_gives_the_session_a_new_key(app, client, sam, frozen_clock):
    sign_in(client)
    copy = copy_of(app, client)
    [before] = rows(app)
    page = client.get("/staff/account/two-factor").get_data(as_text=True)
    secret = re.search(r'id="setup-key">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    assert client.post("/staff/account/two-factor", data={"code": pyotp.TOTP(secret).at(clock.now())}).status_code == 200
    assert signed_in(client), "this device carries on"
    assert not signed_in(copy), "a cookie copied before it does not"
    [after] = rows(app)
    assert after.id == before.id and after.key_hash != before.key_hash and after.created_at == before.created_at


def test_a_recovery_code_sign_in_is_named_so(app, client, sam, frozen_clock):
    sign_in(client)
    page = client.get("/staff/account/two-factor").get_data(as_text=True)
    secret = re.search(r'id="setup-key">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    done = client.post("/staff/account/two-factor", data={"code": pyotp.TOTP(secret).at(clock.now())})
    code = re.findall(r"<li><code>([a-z0-9-]+)</code></li>", done.get_data(as_text=True))[0]
    client.post("/staff/logout")
    sign_in(client)
    assert client.post("/staff/login/code", data={"code": code, "recovery": "y"}).status_code == 302
    frozen_clock.advance(seconds=30)
    other = app.test_client()
    sign_in(other)
    other.post("/staff/login/code", data={"code": pyotp.TOTP(secret).at(clock.now())})
    assert sorted(row.method for row in rows(app)) == ["password and code", "password and recovery code"]


def test_the_limits_hold_on_the_server_whatever_the_cookie_says(app, client, sam, frozen_clock):
    app.config.update(PRESS_SESSION_IDLE_MINUTES=15, PRESS_SESSION_MAX_HOURS=8)
    sign_in(client)
    assert signed_in(client)
    # The cookie has just been used; the row says otherwise, as it would for a copy used elsewhere long ago.
    with app.app_context():
        db.session.execute(update(SignIn).values(seen_at=clock.now() - timedelta(minutes=20)))
        db.session.commit()
    assert not signed_in(client)
    sign_in(client)
    with app.app_context():
        db.session.execute(update(SignIn).values(created_at=clock.now() - timedelta(hours=9)))
        db.session.commit()
    assert not signed_in(client)


def test_use_is_noted_at_most_once_a_minute(app, client, sam, frozen_clock):
    sign_in(client)
    [first] = rows(app)
    frozen_clock.advance(seconds=40)
    signed_in(client)
    assert rows(app)[0].seen_at == first.seen_at
    frozen_clock.advance(seconds=40)
    signed_in(client)
    assert rows(app)[0].seen_at == clock.now()


def test_sign_ins_that_are_over_are_cleared_at_the_next_sign_in(app, client, sam, frozen_clock):
    app.config.update(PRESS_SESSION_IDLE_MINUTES=15)
    old = app.test_client()
    sign_in(old)
    frozen_clock.advance(minutes=30)
    sign_in(client)
    assert [row.seen_at for row in rows(app)] == [clock.now()]


@pytest.mark.parametrize(("agent", "name"), [
    (FIREFOX, "Firefox on Windows"),
    (SAFARI, "Safari on iPhone"),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 "
     "Safari/537.36 Edg/131.0.0.0", "Edge on macOS"),
    ("Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
     "Chrome on Android"),
    ("curl/8.5.0", "Unknown browser"),
    ("", "Unknown browser"),
])
def test_browsers_are_named_as_people_know_them(agent, name):
    assert signins.browser_name(agent) == name
