"""Two-factor sign-in through the pages: setting it up, codes at fixed clock times, recovery codes, limits, reset."""

import re
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select

from press import clock
from press.accounts import twofactor
from press.accounts.models import User
from press.audit import AuditEvent
from press.extensions import db, limiter
from press.outbox.worker import Worker


@pytest.fixture
def app_config(app_config, mail_server):
    return app_config | mail_server.app_settings()


def code_at(secret: str, **shift) -> str:
    """The code an authenticator app shows at the frozen clock's time, moved by ``shift``."""
    return pyotp.TOTP(secret).at(clock.now() + timedelta(**shift))


def page_secret(page: str) -> str:
    return re.search(r'id="setup-key">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")


def recovery_codes(page: str) -> list[str]:
    return re.findall(r"<li><code>([a-z0-9-]+)</code></li>", page)


def set_up(client, email: str) -> tuple[str, list[str]]:
    """Sign in and turn two-factor sign-in on through the pages; returns the secret and the recovery codes."""
    client.post("/staff/login", data={"email": email, "password": "correct horse battery staple"})
    secret = page_secret(client.get("/staff/account/two-factor").get_data(as_text=True))
    done = client.post("/staff/account/two-factor", data={"code": code_at(secret)})
    assert done.status_code == 200
    codes = recovery_codes(done.get_data(as_text=True))
    client.post("/staff/logout")
    return secret, codes


def signed_in(client) -> bool:
    return client.get("/staff/releases/").status_code == 200


def password_step(auth, email: str):
    response = auth.login(email)
    assert response.status_code == 302 and response.headers["Location"] == "/staff/login/code"
    return response


def test_setting_up_shows_a_qr_code_and_the_key_then_confirms_a_first_code(app, client, auth, make_user, frozen_clock):
    make_user("manager", email="mary@council.example")
    auth.login("mary@council.example")
    page = client.get("/staff/account/two-factor").get_data(as_text=True)
    assert 'src="data:image/png;base64,' in page and 'alt="QR code to add the press office' in page
    secret = page_secret(page)
    assert client.get("/staff/account/two-factor").get_data(as_text=True).count(twofactor.grouped(secret)) == 1, (
        "the same key until it is confirmed")

    wrong = client.post("/staff/account/two-factor", data={"code": "000000" if code_at(secret) != "000000" else "111111"})
    assert wrong.status_code == 200 and "That code is not right" in wrong.get_data(as_text=True)
    short = client.post("/staff/account/two-factor", data={"code": "1234"}).get_data(as_text=True)
    assert "Enter the 6-digit code" in short and 'value="1234"' in short and 'aria-invalid="true"' in short

    done = client.post("/staff/account/two-factor", data={"code": code_at(secret)}).get_data(as_text=True)
    codes = recovery_codes(done)
    assert len(codes) == 10 and len(set(codes)) == 10 and "This is the only time they are shown" in done
    with app.app_context():
        stored = db.session.scalars(select(twofactor.RecoveryCode.code_hash)).all()
        assert len(stored) == 10 and not {code.replace("-", "") for code in codes} & set(stored)
        assert {twofactor.hash_recovery_code(code) for code in codes} == set(stored)
        assert [e.action for e in db.session.scalars(select(AuditEvent))] == ["signed in", "two-factor sign-in turned on"]
    assert "Two-factor sign-in is on" in client.get("/staff/account/two-factor").get_data(as_text=True)


def test_sign_in_asks_for_a_code_after_the_password_and_accepts_the_apps(client, auth, make_user, frozen_clock):
    make_user("manager", email="mary@council.example")
    secret, _codes = set_up(client, "mary@council.example")
    frozen_clock.advance(seconds=30)
    response = client.post("/staff/login?next=/staff/contacts/",
                           data={"email": "mary@council.example", "password": "correct horse battery staple"})
    assert response.headers["Location"] == "/staff/login/code"
    assert not signed_in(client), "the password alone does not sign in"
    page = client.get("/staff/login/code").get_data(as_text=True)
    assert 'autocomplete="one-time-code"' in page
    done = client.post("/staff/login/code", data={"code": code_at(secret)})
    assert done.status_code == 302 and done.headers["Location"] == "/staff/contacts/"
    assert signed_in(client)


def test_a_code_is_accepted_once(client, auth, make_user, frozen_clock):
    make_user("manager", email="mary@council.example")
    secret, _codes = set_up(client, "mary@council.example")
    password_step(auth, "mary@council.example")
    refused = client.post("/staff/login/code", data={"code": code_at(secret)})
    assert refused.status_code == 200 and "used already" in refused.get_data(as_text=True), (
        "the code that confirmed the setup is spent")
    frozen_clock.advance(seconds=30)
    code = code_at(secret)
    assert client.post("/staff/login/code", data={"code": code}).status_code == 302
    auth.logout()
    password_step(auth, "mary@council.example")
    assert client.post("/staff/login/code", data={"code": code}).status_code == 200, "replayed"
    assert client.post("/staff/login/code", data={"code": code_at(secret, seconds=-30)}).status_code == 200, (
        "an earlier code than the last one used is refused too")
    assert not signed_in(client)


def test_codes_one_step_either_side_are_accepted_and_further_ones_refused(client, auth, make_user, frozen_clock):
    make_user("manager", email="mary@council.example")
    secret, _codes = set_up(client, "mary@council.example")
    frozen_clock.advance(minutes=5)
    password_step(auth, "mary@council.example")
    for shift in (-90, -60, 60, 90):
        response = client.post("/staff/login/code", data={"code": code_at(secret, seconds=shift)})
        assert response.status_code == 200, shift
    assert client.post("/staff/login/code", data={"code": code_at(secret, seconds=-30)}).status_code == 302
    auth.logout()
    password_step(auth, "mary@council.example")
    assert client.post("/staff/login/code", data={"code": code_at(secret, seconds=30)}).status_code == 302


@pytest.mark.parametrize("typed", ["", "12345", "1234567", "12 34 5", "abcdef", "١٢٣٤٥٦", "x" * 5000, "\x00" * 6])
def test_codes_of_the_wrong_shape_are_refused_with_a_message(client, auth, make_user, frozen_clock, typed):
    make_user("manager", email="mary@council.example")
    set_up(client, "mary@council.example")
    password_step(auth, "mary@council.example")
    response = client.post("/staff/login/code", data={"code": typed})
    assert response.status_code == 200
    assert 'class="error-message" id="code-error"' in response.get_data(as_text=True)
    assert not signed_in(client)


def test_a_code_with_a_space_in_the_middle_is_read(client, auth, make_user, frozen_clock):
    make_user("manager", email="mary@council.example")
    secret, _codes = set_up(client, "mary@council.example")
    frozen_clock.advance(seconds=30)
    password_step(auth, "mary@council.example")
    code = code_at(secret)
    assert client.post("/staff/login/code", data={"code": f"{code[:3]} {code[3:]}"}).status_code == 302


def test_a_burst_of_wrong_codes_is_rate_limited(app, build_app, make_user, frozen_clock):
    make_user("manager", email="mary@council.example")
    secret, _codes = set_up(app.test_client(), "mary@council.example")
    limited = build_app(RATELIMIT_ENABLED=True, PRESS_LOGIN_ACCOUNT_RATE_LIMIT="3 per minute")
    with limited.app_context():
        limiter.reset()
    client = limited.test_client()
    client.post("/staff/login", data={"email": "mary@council.example", "password": "correct horse battery staple"})
    wrong = "000000" if code_at(secret, seconds=30) != "000000" else "111111"
    statuses = [client.post("/staff/login/code", data={"code": wrong}).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    frozen_clock.advance(seconds=30)
    held = client.post("/staff/login/code", data={"code": code_at(secret)})
    assert held.status_code == 429 and "Too many codes tried" in held.get_data(as_text=True)
    assert "Content-Security-Policy" in held.headers
    assert client.get("/staff/releases/").status_code == 302
    other = limited.test_client()
    other.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    other.post("/staff/login", data={"email": "mary@council.example", "password": "correct horse battery staple"})
    assert other.post("/staff/login/code", data={"code": code_at(secret)}).status_code == 429, (
        "the account's limit holds from another address")
    with limited.app_context():
        limiter.reset()


def test_a_recovery_code_signs_in_once_and_tells_the_user_by_email(app, client, auth, make_user, frozen_clock,
                                                                    mail_server):
    make_user("manager", email="mary@council.example", name="Mary Manager")
    _secret, codes = set_up(client, "mary@council.example")
    password_step(auth, "mary@council.example")
    assert client.post("/staff/login/code", data={"code": codes[3].upper()}).status_code == 302
    assert signed_in(client)
    auth.logout()
    password_step(auth, "mary@council.example")
    again = client.post("/staff/login/code", data={"code": codes[3]})
    assert again.status_code == 200 and "used already" in again.get_data(as_text=True)
    assert not signed_in(client)

    assert Worker(app).run(once=True) == 1
    (received,) = mail_server.wait_for(1)
    assert received.rcpt_tos == ["mary@council.example"]
    assert received.message["Subject"] == "A recovery code was used to sign in to your press office account"
    text = received.message.get_body(("plain",)).get_content()
    assert "Mary Manager" in text and "11:00 BST, Tuesday 3 September 2024" in text and "You have 9 left" in text


def test_new_recovery_codes_void_the_old_ones(client, auth, make_user, frozen_clock):
    make_user("manager", email="mary@council.example")
    _secret, old = set_up(client, "mary@council.example")
    password_step(auth, "mary@council.example")
    client.post("/staff/login/code", data={"code": old[0]})
    fresh = recovery_codes(client.post("/staff/account/two-factor/recovery-codes").get_data(as_text=True))
    assert len(fresh) == 10 and not set(fresh) & set(old)
    auth.logout()
    password_step(auth, "mary@council.example")
    assert client.post("/staff/login/code", data={"code": old[1]}).status_code == 200
    assert client.post("/staff/login/code", data={"code": fresh[0]}).status_code == 302


def test_a_role_that_requires_it_sets_it_up_before_getting_in(app, client, auth, make_user, frozen_clock):
    app.config["PRESS_REQUIRE_2FA_FOR"] = "admin, manager"
    make_user("manager", email="mary@council.example")
    make_user("staff", email="sam@council.example")
    response = auth.login("mary@council.example")
    assert response.headers["Location"] == "/staff/account/two-factor"
    assert not signed_in(client)
    page = client.get("/staff/account/two-factor").get_data(as_text=True)
    assert "Your role needs a code" in page
    secret = page_secret(page)
    done = client.post("/staff/account/two-factor", data={"code": code_at(secret)})
    assert done.status_code == 200 and len(recovery_codes(done.get_data(as_text=True))) == 10
    assert signed_in(client)
    auth.logout()
    assert client.get("/staff/login/code").status_code == 302
    frozen_clock.advance(seconds=30)
    password_step(auth, "mary@council.example")
    assert client.post("/staff/login/code", data={"code": code_at(secret)}).status_code == 302
    auth.logout()
    assert auth.login("sam@council.example").headers["Location"] == "/staff/releases/", "staff are not asked"


def test_a_half_finished_sign_in_ends_after_ten_minutes(client, auth, make_user, frozen_clock):
    make_user("manager", email="mary@council.example")
    secret, _codes = set_up(client, "mary@council.example")
    password_step(auth, "mary@council.example")
    frozen_clock.advance(minutes=11)
    response = client.post("/staff/login/code", data={"code": code_at(secret)})
    assert response.status_code == 302 and response.headers["Location"] == "/staff/login"
    assert not signed_in(client)


def test_nobody_half_signed_in_gets_the_code_or_setup_page(client):
    assert client.get("/staff/login/code").headers["Location"] == "/staff/login"
    assert client.post("/staff/login/code", data={"code": "123456"}).headers["Location"] == "/staff/login"
    assert client.get("/staff/account/two-factor").headers["Location"].startswith("/staff/login")
    client.set_cookie("press_session", "forged")
    assert client.get("/staff/login/code").status_code == 302


def test_an_admin_resets_a_users_two_factor_and_it_is_recorded(app, client, auth, make_user, frozen_clock):
    mary = make_user("manager", email="mary@council.example")
    make_user("admin", email="ada@council.example", name="Ada Admin")
    make_user("staff", email="sam@council.example")
    make_user("manager", email="max@council.example")
    set_up(client, "mary@council.example")
    reset = f"/staff/users/{mary}/reset-two-factor"
    assert client.post(reset).headers["Location"].startswith("/staff/login"), "anonymous"
    assert client.get(reset).status_code == 405
    for email in ("sam@council.example", "max@council.example"):
        auth.login(email)
        assert client.post(reset).status_code == 403, email
        auth.logout()
    auth.login("ada@council.example")
    assert client.post("/staff/users/999/reset-two-factor").status_code == 404
    users_page = client.get("/staff/users/").data.decode()
    assert re.search(r'mary@council\.example.*?<td data-label="Two-factor sign-in">On</td>', users_page, re.S)
    assert f'action="{reset}"' in client.get(f"/staff/users/{mary}").data.decode(), "the button is on their page"
    done = client.post(reset, data={"next": "/staff/users?page=2"})
    assert done.status_code == 302 and done.headers["Location"] == "/staff/users?page=2"
    assert client.post(reset, data={"next": "https://elsewhere.example/"}).headers["Location"] == "/staff/users/"
    auth.logout()
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "two-factor sign-in reset")).all()
        assert events[0].user.email == "ada@council.example"
        assert events[0].details == {"user_id": mary, "email": "mary@council.example"}
        assert not twofactor.is_enabled(db.session, db.session.get(User, mary))
    assert auth.login("mary@council.example").headers["Location"] == "/staff/releases/", "the password alone again"
