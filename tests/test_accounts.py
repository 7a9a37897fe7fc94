import pytest

from press.accounts.access import safe_next
from press.accounts.models import User
from press.extensions import db
from tests.conftest import PASSWORD


def test_cli_creates_user_with_hashed_password(app, runner):
    result = runner.invoke(
        args=["press", "create-user", "--email", "Ann.Lee@Council.example", "--name", "Ann Lee", "--role", "manager",
              "--job-title", "Communications Manager", "--phone", "07700 900999", "--password-stdin"],
        input="a long enough password\n",
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(db.select(User))
        assert user.email == "ann.lee@council.example"
        assert user.job_title == "Communications Manager"
        assert user.password_hash.startswith("scrypt:")
        assert "a long enough password" not in user.password_hash


def test_cli_refuses_short_password_and_duplicates(runner, make_user):
    make_user("staff", email="dup@council.example")
    args = ["press", "create-user", "--email", "DUP@council.example", "--name", "X", "--role", "staff", "--password-stdin"]
    result = runner.invoke(args=args, input="a long enough password\n")
    assert result.exit_code != 0 and "already an account" in result.output
    args[3] = "new@council.example"
    result = runner.invoke(args=args, input="short\n")
    assert result.exit_code != 0 and "at least 12" in result.output


def test_login_and_logout(client, auth, make_user):
    make_user("staff", email="s@council.example")
    assert client.get("/staff/releases/").status_code == 302
    response = auth.login("S@council.example")
    assert response.status_code == 302 and response.headers["Location"] == "/staff/releases/"
    assert client.get("/staff/releases/").status_code == 200
    assert client.get("/staff/logout").status_code == 405, "logout must be a POST"
    assert auth.logout().status_code == 302
    assert client.get("/staff/releases/").status_code == 302


def test_the_staff_area_address_leads_to_the_start_page_or_the_sign_in(client, auth, make_user):
    make_user("staff", email="s@council.example")
    for address in ("/staff/", "/staff"):
        response = client.get(address, follow_redirects=True)
        assert response.status_code == 200 and response.request.path == "/staff/login", address
    auth.login("s@council.example")
    response = client.get("/staff/", follow_redirects=True)
    assert response.status_code == 200 and response.request.path == "/staff/releases/"


def test_wrong_password_is_refused_without_saying_which_part(client, auth, make_user):
    make_user("staff", email="s@council.example")
    for email, password in [("s@council.example", "wrong password!"), ("nobody@council.example", PASSWORD)]:
        response = auth.login(email, password)
        assert response.status_code == 200
        assert b"The email address or password is not right" in response.data
        assert b'value="' + email.encode() + b'"' in response.data, "what was typed is kept"


def test_login_form_shows_field_errors(client):
    response = client.post("/staff/login", data={"email": "not-an-email", "password": ""})
    assert b"There is a problem" in response.data
    assert b"Enter a valid email address." in response.data
    assert b"Enter your password." in response.data
    assert b'aria-invalid="true"' in response.data


def test_inactive_user_cannot_sign_in(app, auth, make_user):
    user_id = make_user("staff", email="gone@council.example")
    with app.app_context():
        db.session.get(User, user_id).active = False
        db.session.commit()
    assert b"not right" in auth.login("gone@council.example").data


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)", "\\\\evil", "/x\n/y"]
)
def test_unsafe_next_targets_are_ignored(target):
    assert safe_next(target, "/home") == "/home"


def test_next_redirect_is_followed_when_local(client, auth, make_user):
    make_user("staff", email="s@council.example")
    response = client.post("/staff/login?next=/staff/releases/%3Fx%3D1", data={"email": "s@council.example", "password": PASSWORD})
    assert response.headers["Location"] == "/staff/releases/?x=1"
    client.post("/staff/logout")
    response = client.post("/staff/login?next=//evil.example/", data={"email": "s@council.example", "password": PASSWORD})
    assert response.headers["Location"] == "/staff/releases/"


def test_session_cookie_is_hardened(client, auth, make_user):
    make_user("staff", email="s@council.example")
    response = auth.login("s@council.example")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_password_change_ends_other_sessions(app, client, auth, make_user):
    from press.accounts.services import set_password

    user_id = make_user("staff", email="s@council.example")
    auth.login("s@council.example")
    with app.app_context():
        set_password(db.session, db.session.get(User, user_id), "a brand new password")
        db.session.commit()
    assert client.get("/staff/releases/").status_code == 302


# --- How long a session lasts, and ending them ---------------------------------------------------------------


@pytest.fixture
def app_config(app_config):
    """The session limits as a deployment has them by default (the shared test settings turn them off)."""
    from press.config import DEFAULTS

    return app_config | {name: DEFAULTS[name] for name in ("PRESS_SESSION_IDLE_MINUTES", "PRESS_SESSION_MAX_HOURS")}


def test_a_session_unused_for_the_idle_time_ends(client, auth, make_user, frozen_clock):
    make_user("staff", email="s@council.example")
    auth.login("s@council.example")
    frozen_clock.advance(minutes=59)
    assert client.get("/staff/enquiries/").status_code == 200
    frozen_clock.advance(minutes=59)
    assert client.get("/staff/enquiries/").status_code == 200, "each use starts the idle time again"
    frozen_clock.advance(minutes=61)
    response = client.get("/staff/enquiries/", follow_redirects=True)
    assert response.request.path == "/staff/login"
    assert b"had not been used for 60 minutes" in response.data


def test_a_session_ends_some_hours_after_sign_in_however_much_it_is_used(client, auth, make_user, frozen_clock):
    make_user("staff", email="s@council.example")
    auth.login("s@council.example")
    for _ in range(20):
        frozen_clock.advance(minutes=29)
        assert client.get("/staff/enquiries/").status_code == 200
    frozen_clock.advance(minutes=29)
    response = client.get("/staff/enquiries/", follow_redirects=True)
    assert response.request.path == "/staff/login"
    assert b"signed in more than 10 hours ago" in response.data


def test_the_session_limits_are_settings(build_app, make_user, frozen_clock):
    make_user("staff", email="s@council.example")
    client = build_app(PRESS_SESSION_IDLE_MINUTES=5).test_client()
    client.post("/staff/login", data={"email": "s@council.example", "password": PASSWORD})
    frozen_clock.advance(minutes=6)
    assert client.get("/staff/enquiries/").status_code == 302


def test_signing_out_everywhere_ends_every_session(client, auth, make_user, build_app):
    make_user("staff", email="s@council.example")
    elsewhere = build_app().test_client()
    elsewhere.post("/staff/login", data={"email": "s@council.example", "password": PASSWORD})
    auth.login("s@council.example")
    response = client.post("/staff/account/sign-out-everywhere", follow_redirects=True)
    assert response.request.path == "/staff/login" and b"signed out everywhere" in response.data
    assert client.get("/staff/enquiries/").status_code == 302
    assert elsewhere.get("/staff/enquiries/").status_code == 302
    assert auth.login("s@council.example").status_code == 302, "the password still works"


def test_signing_in_starts_a_new_session(client, auth, make_user):
    make_user("staff", email="s@council.example")
    with client.session_transaction() as before:
        before["planted"] = "by someone else"
    auth.login("s@council.example")
    with client.session_transaction() as after:
        assert "planted" not in after, "nothing set before signing in survives it"
        assert after["_user_id"] and "signed_in_at" in after


def test_a_sessions_cookie_from_before_the_limits_is_asked_to_sign_in_again(app, client, auth, make_user):
    make_user("staff", email="s@council.example")
    auth.login("s@council.example")
    with client.session_transaction() as stored:
        del stored["signed_in_at"]
    assert client.get("/staff/enquiries/").status_code == 302
