"""The settings page: an admin chooses who must use two-factor sign-in and how long sessions last; the choice
holds for everyone from their next page, is audited, and bad input is answered next to the field."""

import re

import pyotp
import pytest
from sqlalchemy import select

from press import clock
from press.accounts import policy
from press.audit import AuditEvent
from press.extensions import db

SETTINGS = "/staff/settings"


def choose(client, roles=(), idle="60", hours="10"):
    return client.post(SETTINGS, data={"two_factor_roles": list(roles), "idle_minutes": idle, "max_hours": hours})


def signed_in(client) -> bool:
    return client.get("/staff/releases/").status_code == 200


@pytest.fixture
def admin(make_user, auth):
    user_id = make_user("admin", email="ada@council.example", name="Ada Admin")
    auth.login("ada@council.example")
    return user_id


def test_only_admins_open_the_settings_page(client, auth, make_user):
    make_user("manager", email="max@council.example")
    make_user("staff", email="sam@council.example")
    make_user("admin", email="ada@council.example")
    assert client.get(SETTINGS).headers["Location"].startswith("/staff/login")
    assert choose(client).headers["Location"].startswith("/staff/login")
    for email in ("max@council.example", "sam@council.example"):
        auth.login(email)
        assert client.get(SETTINGS).status_code == 403
        assert choose(client, roles=["staff"]).status_code == 403
        auth.logout()
    auth.login("ada@council.example")
    page = client.get(SETTINGS)
    assert page.status_code == 200
    assert 'href="/staff/settings"' in page.get_data(as_text=True), "the navigation links to it"


def test_the_page_starts_from_the_environment(app, client, admin):
    app.config.update(PRESS_REQUIRE_2FA_FOR="manager", PRESS_SESSION_IDLE_MINUTES=45, PRESS_SESSION_MAX_HOURS=9)
    page = client.get(SETTINGS).get_data(as_text=True)
    assert re.search(r'<input[^>]*checked[^>]*value="manager"|<input[^>]*value="manager"[^>]*checked', page)
    assert not re.search(r'<input[^>]*value="admin"[^>]*checked', page)
    assert 'value="45"' in page and 'value="9"' in page
    assert "two-factor sign-in for managers, 45 minutes unused, 9 hours in all" in " ".join(page.split())


def test_saving_changes_the_rules_and_records_what_changed(app, client, admin):
    done = choose(client, roles=["staff", "manager"], idle="30", hours="8")
    assert done.status_code == 302 and done.headers["Location"] == SETTINGS
    assert "The sign-in settings are saved." in client.get(SETTINGS).get_data(as_text=True)
    with app.test_request_context():
        rules = policy.load(db.session)
        assert rules == policy.SignInPolicy(two_factor_roles=("manager", "staff"), idle_minutes=30, max_hours=8)
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "sign-in settings changed")).one()
        assert event.user_id == admin
        assert event.details == {"two_factor_roles": {"from": [], "to": ["manager", "staff"]},
                                 "idle_minutes": {"from": 0, "to": 30}, "max_hours": {"from": 0, "to": 8}}
    choose(client, roles=["manager", "staff"], idle="30", hours="8")
    assert "Nothing had changed" in client.get(SETTINGS).get_data(as_text=True)
    with app.app_context():
        assert len(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "sign-in settings changed")).all()) == 1


@pytest.mark.parametrize(("idle", "hours", "field", "message"), [
    ("", "10", "idle_minutes", "Enter a number of minutes, or 0 for no limit."),
    ("ten", "10", "idle_minutes", "Enter the minutes as a whole number, such as 60."),
    ("-5", "10", "idle_minutes", "Enter the minutes as a whole number, such as 60."),
    ("99999", "10", "idle_minutes", "Enter a number of minutes from 0 to 1440."),
    ("60", "1.5", "max_hours", "Enter the hours as a whole number, such as 10."),
    ("60", "9" * 40, "max_hours", "Enter the hours as a whole number, such as 10."),
    ("60", "169", "max_hours", "Enter a number of hours from 0 to 168."),
])
def test_bad_numbers_are_answered_next_to_the_field_and_kept(app, client, admin, idle, hours, field, message):
    answer = choose(client, roles=["manager"], idle=idle, hours=hours)
    assert answer.status_code == 422
    page = answer.get_data(as_text=True)
    assert page.count(message) == 2, "once in the summary, once by the field"
    assert re.search(rf'id="{field}-error">[^<]*<span class="visually-hidden">Error:</span> {re.escape(message)}', page)
    typed = idle if field == "idle_minutes" else hours
    assert f'value="{typed}"' in page, "what was typed is shown again"
    assert re.search(r'<input[^>]*checked[^>]*value="manager"|<input[^>]*value="manager"[^>]*checked', page)
    with app.app_context():
        assert db.session.scalars(select(policy.Setting)).all() == []


def test_a_role_that_is_not_one_is_refused(client, admin):
    assert choose(client, roles=["owner"]).status_code == 422


def test_requiring_two_factor_sends_signed_in_people_to_set_it_up(app, client, admin, make_user):
    make_user("manager", email="max@council.example")
    other = app.test_client()
    other.post("/staff/login", data={"email": "max@council.example", "password": "correct horse battery staple"})
    assert signed_in(other)
    choose(client, roles=["manager"])
    answer = other.get("/staff/releases/")
    assert answer.status_code == 302 and answer.headers["Location"] == "/staff/account/two-factor"
    page = other.get("/staff/account/two-factor").get_data(as_text=True)
    assert "asks you to sign in with a code as well" in page
    assert other.get("/").status_code == 200, "the public newsroom is not held back"
    secret = re.search(r'id="setup-key">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    done = other.post("/staff/account/two-factor", data={"code": pyotp.TOTP(secret).at(clock.now())})
    assert done.status_code == 200
    assert signed_in(other)
    # The admin is not in the roles chosen, so they carry on; the page says who has still to set it up.
    assert signed_in(client)
    make_user("manager", email="mo@council.example")
    page = " ".join(client.get(SETTINGS).get_data(as_text=True).split())
    assert "1 manager." in page


def test_requiring_it_of_admins_sends_the_admin_to_set_it_up_too(client, admin):
    choose(client, roles=["admin"])
    assert client.get("/staff/users/").headers["Location"] == "/staff/account/two-factor"
    assert client.post("/staff/logout").status_code == 302, "they can still sign out"


def test_a_shorter_idle_time_signs_people_out_sooner(frozen_clock, client, admin):
    choose(client, idle="15", hours="0")
    frozen_clock.advance(minutes=14)
    assert signed_in(client)
    frozen_clock.advance(minutes=16)
    answer = client.get("/staff/releases/")
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/staff/login")
    assert "not been used for 15 minutes" in client.get("/staff/login").get_data(as_text=True)


def test_the_longest_session_follows_the_setting(frozen_clock, client, admin):
    choose(client, idle="0", hours="2")
    for _ in range(4):
        frozen_clock.advance(minutes=29)
        assert signed_in(client)
    frozen_clock.advance(minutes=5)
    assert client.get("/staff/releases/").status_code == 302


def test_a_stored_value_of_the_wrong_shape_is_ignored(app):
    with app.test_request_context():
        db.session.add_all([policy.Setting(name="idle_minutes", value="soon"),
                            policy.Setting(name="two_factor_roles", value="admin")])
        db.session.commit()
        assert policy.load(db.session) == policy.from_environment()
