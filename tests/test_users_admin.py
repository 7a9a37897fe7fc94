"""The users page: admins invite colleagues by email, change roles, deactivate and reactivate accounts."""

import re
import pytest
from sqlalchemy import select

from press.accounts.models import AccountLink, User
from press.audit import AuditEvent
from press.extensions import db
from press.outbox.worker import Worker
from tests.conftest import PASSWORD

NEW_PASSWORD = "a kettle of fish and chips"


@pytest.fixture
def app_config(app_config, mail_server):
    return app_config | mail_server.app_settings()


@pytest.fixture
def admin(make_user, auth):
    """A signed-in admin; returns their user id."""
    user_id = make_user("admin", email="admin@council.example", name="Ada Admin")
    auth.login("admin@council.example")
    return user_id


def emailed_links(app, mail_server, to: str) -> list[str]:
    """Deliver what is queued, then the set-password links the messages to this address carried, in order."""
    Worker(app).run(once=True)
    found = []
    for received in mail_server.messages:
        if received.rcpt_tos == [to]:
            text = received.message.get_body(("plain",)).get_content()
            found += re.findall(r"http://press\.test(/staff/password/set/[\w-]+)", text)
    return found


def invite(client, **overrides):
    data = {"name": "Nina Newcomer", "email": "Nina.Newcomer@council.example", "job_title": "Press Officer",
            "phone": "07700 900456", "role": "manager"} | overrides
    return client.post("/staff/users/invite", data=data)


def actions(app) -> list[tuple[str, dict]]:
    with app.app_context():
        return [(event.action, event.details) for event in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def test_the_users_page_lists_everyone_with_role_status_and_last_sign_in(client, admin, make_user, app):
    gone = make_user("staff", email="gone@council.example", name="Gary Gone")
    with app.app_context():
        db.session.get(User, gone).active = False
        db.session.commit()
    page = client.get("/staff/users/").get_data(as_text=True)
    assert "Ada Admin" in page and "admin@council.example" in page and "Gary Gone" in page
    assert "Deactivated" in page and "Never" in page and "Two-factor sign-in" in page
    assert 'href="/staff/users/"' in client.get("/staff/releases/").get_data(as_text=True), "in the navigation"


def test_an_invited_colleague_sets_a_password_from_the_email_and_signs_in(app, client, admin, mail_server, auth):
    response = invite(client)
    assert response.status_code == 302
    assert "emailed Nina Newcomer" in client.get(response.headers["Location"]).get_data(as_text=True)
    [link] = emailed_links(app, mail_server, "nina.newcomer@council.example")
    [received] = mail_server.messages
    assert "Ada Admin" in received.message.get_body(("plain",)).get_content()
    with app.app_context():
        nina = db.session.scalar(select(User).where(User.email == "nina.newcomer@council.example"))
        assert nina.role == "manager" and nina.job_title == "Press Officer" and nina.phone == "07700 900456"
        [row] = db.session.scalars(select(AccountLink)).all()
        assert link.rsplit("/", 1)[1] not in row.token_hash, "only a hash of the secret is kept"
    auth.logout()
    assert b"invitation accepted" not in client.get(link).data
    assert "Choose your password" in client.get(link).get_data(as_text=True)
    response = client.post(link, data={"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/staff/login"
    assert auth.login("nina.newcomer@council.example", NEW_PASSWORD).headers["Location"] == "/staff/releases/"
    assert client.get("/staff/users/").status_code == 403, "a manager does not manage users"
    assert [action for action, _ in actions(app)] == [
        "signed in", "user invited", "invitation sent", "signed out", "invitation accepted", "signed in"]
    # Used once, the link is spent.
    auth.logout()
    assert client.get(link).status_code == 404
    response = client.post(link, data={"new_password": "another long password", "confirm": "another long password"})
    assert response.status_code == 404 and b"This link does not work" in response.data


def test_the_invitation_form_says_what_is_wrong_next_to_each_field_and_keeps_what_was_typed(client, admin):
    response = invite(client, name="", email="not an address", role="overlord", job_title="Chief Scribe")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Enter a name." in page and "Enter a valid email address." in page and "Not a valid choice" in page
    assert 'value="not an address"' in page and 'value="Chief Scribe"' in page
    assert page.count('aria-invalid="true"') >= 2


def test_an_address_that_already_has_an_account_is_refused_on_the_email_field(client, admin):
    response = invite(client, email="ADMIN@council.example")
    assert response.status_code == 422
    assert "There is already an account for admin@council.example." in response.get_data(as_text=True)


def test_a_newer_invitation_voids_the_older_and_an_old_one_expires(app, client, admin, mail_server, auth,
                                                                  frozen_clock):
    invite(client)
    with app.app_context():
        nina = db.session.scalar(select(User).where(User.email == "nina.newcomer@council.example")).id
    assert client.post(f"/staff/users/{nina}/invitation").status_code == 302
    first, second = emailed_links(app, mail_server, "nina.newcomer@council.example")
    auth.logout()
    assert client.get(first).status_code == 404
    assert client.get(second).status_code == 200
    assert client.get(second[:-3] + "xyz").status_code == 404, "a tampered link"
    frozen_clock.advance(days=3, seconds=1)
    assert client.get(second).status_code == 404


def test_a_media_contact_added_from_a_release_can_be_invited_to_set_a_password(app, client, admin, mail_server, auth):
    from press.releases.services import add_contact_user

    with app.app_context():
        contact = add_contact_user(db.session, name="Carl Contact", email="carl@council.example", role="staff",
                                   by=None)
        db.session.commit()
        contact_id = contact.id
    assert "No password yet" in client.get(f"/staff/users/{contact_id}").get_data(as_text=True)
    client.post(f"/staff/users/{contact_id}/invitation")
    [link] = emailed_links(app, mail_server, "carl@council.example")
    auth.logout()
    client.post(link, data={"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert auth.login("carl@council.example", NEW_PASSWORD).status_code == 302


def test_changing_a_role_ends_that_persons_sessions(app, admin, make_user, build_app):
    officer = make_user("staff", email="officer@council.example")
    other = build_app().test_client()
    other.post("/staff/login", data={"email": "officer@council.example", "password": PASSWORD})
    assert other.get("/staff/enquiries/").status_code == 200
    # The admin's client is the app fixture's; build_app's client signs in apart from it.
    client = app.test_client()
    client.post("/staff/login", data={"email": "admin@council.example", "password": PASSWORD})
    response = client.post(f"/staff/users/{officer}/role", data={"role": "manager"})
    assert response.status_code == 302
    assert other.get("/staff/enquiries/").status_code == 302, "signed out, to sign in again with the new role"
    with app.app_context():
        assert db.session.get(User, officer).role == "manager"
    assert ("role changed", {"user_id": officer, "email": "officer@council.example", "before": "staff",
                             "after": "manager"}) in actions(app)


def test_the_last_active_admin_can_be_neither_demoted_nor_deactivated(app, client, admin, make_user):
    response = client.post(f"/staff/users/{admin}/role", data={"role": "manager"})
    assert response.status_code == 422 and b"only active admin" in response.data
    response = client.post(f"/staff/users/{admin}/deactivate", follow_redirects=True)
    assert b"only active admin" in response.data
    with app.app_context():
        user = db.session.get(User, admin)
        assert user.role == "admin" and user.active
    # With a second active admin, the first may step down.
    make_user("admin", email="second@council.example")
    assert client.post(f"/staff/users/{admin}/role", data={"role": "manager"}).status_code == 302
    with app.app_context():
        assert db.session.get(User, admin).role == "manager"


def test_a_deactivated_user_is_signed_out_at_once_and_cannot_sign_in_until_reactivated(
        app, admin, make_user, build_app, make_release):
    leaver = make_user("manager", email="leaver@council.example", name="Lee Leaver")
    release_id = make_release(contact_id=leaver)
    theirs = build_app().test_client()
    theirs.post("/staff/login", data={"email": "leaver@council.example", "password": PASSWORD})
    assert theirs.get("/staff/releases/").status_code == 200
    client = app.test_client()
    client.post("/staff/login", data={"email": "admin@council.example", "password": PASSWORD})
    response = client.post(f"/staff/users/{leaver}/deactivate", follow_redirects=True)
    assert b"Lee Leaver can no longer sign in" in response.data
    assert theirs.get("/staff/releases/").status_code == 302
    response = theirs.post("/staff/login", data={"email": "leaver@council.example", "password": PASSWORD})
    assert b"not right" in response.data
    # What they own stays; the people a release or an enquiry may be given to no longer include them.
    assert "Lee Leaver" in client.get(f"/staff/releases/{release_id}").get_data(as_text=True)
    assert "Lee Leaver" not in client.get("/staff/enquiries/duty-officer").get_data(as_text=True)
    assert client.post(f"/staff/users/{leaver}/reactivate").status_code == 302
    assert theirs.post("/staff/login", data={"email": "leaver@council.example",
                                             "password": PASSWORD}).status_code == 302
    assert [a for a, _ in actions(app) if a.startswith("user ")] == ["user deactivated", "user reactivated"]


# --- Who may use which account route, for every such route the app has --------------------------------------

# Anyone may reach these; the rest need a signed-in person, and the users pages an admin.
PUBLIC = {"accounts.login", "accounts.start", "accounts.forgot_password", "accounts.reset_sent",
          "accounts.set_password"}
ADMINS_ONLY_PREFIX = "/staff/users"
ADMINS_ONLY = {"/staff/settings"}


def account_routes(app) -> list[tuple[str, str, str]]:
    return sorted((rule.rule, rule.endpoint, method) for rule in app.url_map.iter_rules()
                  if rule.endpoint.startswith("accounts.")
                  for method in rule.methods - {"HEAD", "OPTIONS"})


def fill(rule: str, user_id: int) -> str:
    return rule.replace("<int:user_id>", str(user_id)).replace("<token>", "not-a-token")


def test_every_account_route_is_one_of_these(app):
    rules = {rule for rule, _, _ in account_routes(app)}
    assert {"/staff/users/", "/staff/users/invite", "/staff/account", "/staff/settings"} <= rules
    assert all(rule.startswith("/staff") for rule in rules)


@pytest.mark.parametrize("who", ["anonymous", "deactivated", "staff", "manager", "admin"])
def test_each_account_route_lets_in_only_the_roles_it_is_for(app, client, make_user, auth, who):
    target = make_user("staff", email="target@council.example")
    make_user("admin", email="keeper@council.example")  # so no route is refused for want of another admin
    if who != "anonymous":
        user_id = make_user("staff" if who == "deactivated" else who, email=f"{who}@council.example")
        auth.login(f"{who}@council.example")
        if who == "deactivated":
            with app.app_context():
                db.session.get(User, user_id).active = False
                db.session.commit()
    for rule, endpoint, method in account_routes(app):
        if endpoint in {"accounts.logout", "accounts.sign_out_everywhere", "accounts.end_sign_in"}:
            continue  # they would end the session the rest of the sweep runs in; test_accounts.py tries them
        with client.open(fill(rule, target), method=method, data={}) as response:
            status, location = response.status_code, response.headers.get("Location", "")
        signed_in = who in ("staff", "manager", "admin")
        if endpoint in PUBLIC:
            assert status < 500, (who, method, rule, status)
        elif not signed_in:
            assert status == 302 and location.startswith("/staff/login"), (who, method, rule, status)
        elif (rule.startswith(ADMINS_ONLY_PREFIX) or rule in ADMINS_ONLY) and who != "admin":
            assert status == 403, (who, method, rule, status)
        else:
            assert status in (200, 302, 400, 422), (who, method, rule, status)
    with app.app_context():
        assert db.session.get(User, target).active and db.session.get(User, target).role == "staff"


def test_an_unknown_user_is_not_found(client, admin):
    assert client.get("/staff/users/99999").status_code == 404
    assert client.post("/staff/users/99999/deactivate").status_code == 404


def test_links_expire_after_the_time_they_are_sent_for(app, client, admin, mail_server, frozen_clock):
    invite(client)
    [link] = emailed_links(app, mail_server, "nina.newcomer@council.example")
    frozen_clock.advance(days=2, hours=23)
    assert client.get(link).status_code == 200
    frozen_clock.advance(hours=1, seconds=1)
    assert client.get(link).status_code == 404
