"""The pre-election period through the web and the command line: the admins' periods and names, the newsroom's
notice, the publicity code confirmation, the block on listed names and an admin's override, and the flags on
embargo and send times that fall in a period."""

import html
import re
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from press.audit import AuditEvent
from press.contacts import services as contacts
from press.distribution.models import Distribution
from press.extensions import db
from press.releases.election_models import ElectionName, ElectionOverride, ElectionPeriod
from press.releases.models import Release, ReleaseEvent

# The frozen clock reads 10:00 BST on Tuesday 3 September 2024: this period is on now.
NOW_PERIOD = {"name": "Northshire County Council elections, 19 September 2024",
              "starts_on": date(2024, 8, 12), "ends_on": date(2024, 9, 19)}
LATER_PERIOD = {"name": "Riverside ward by-election, 5 December 2024",
                "starts_on": date(2024, 11, 1), "ends_on": date(2024, 12, 5)}
CODE = "meets the Code of Recommended Practice on Local Authority Publicity"


def text_of(response) -> str:
    return html.unescape(response.data.decode())


def dated(prefix: str, day: date) -> dict:
    return {f"{prefix}-day": str(day.day), f"{prefix}-month": str(day.month), f"{prefix}-year": str(day.year)}


@pytest.fixture
def make_period(app):
    def make(names=(), wards=None, **values):
        with app.app_context():
            period = ElectionPeriod(whole_area=wards is None, wards="\n".join(wards or []), **values)
            period.names = [ElectionName(name=name, ward="") for name in names]
            db.session.add(period)
            db.session.commit()
            return period.id

    return make


@pytest.fixture
def admin(make_user, auth):
    user_id = make_user("admin", email="ada.admin@northshire.example", name="Ada Admin")
    auth.login("ada.admin@northshire.example")
    return user_id


@pytest.fixture
def media_list(app):
    with app.app_context():
        found = contacts.save_list(db.session, None, name="Local press", description="", for_signups=False)
        contacts.create_contact(db.session, by=None, email="rita@gazette.example", name="Rita Reporter",
                                outlet="Northshire Gazette", lists=[found])
        db.session.commit()
        return found.id


def events(app, release_id: int) -> list[ReleaseEvent]:
    with app.app_context():
        found = db.session.scalars(select(ReleaseEvent).where(ReleaseEvent.release_id == release_id)
                                   .order_by(ReleaseEvent.id)).all()
        db.session.expunge_all()
        return found


def status_of(app, release_id: int) -> str:
    with app.app_context():
        return db.session.get(Release, release_id).status


def count(app, model) -> int:
    with app.app_context():
        return len(db.session.scalars(select(model)).all())


# --- Admin pages ----------------------------------------------------------------------------------------------

def test_an_admin_adds_a_period_with_names_and_removes_them(app, client, admin, frozen_clock):
    form = {"name": "Northshire County Council elections, 7 May 2026", "scope": "wards",
            "wards": "Riverside\n\nOld Town\nRiverside", **dated("starts_on", date(2026, 3, 30)),
            **dated("ends_on", date(2026, 5, 7))}
    response = client.post("/staff/settings/election-periods", data=form)
    assert response.status_code == 303
    period_id = int(response.headers["Location"].rsplit("/", 1)[1])
    with app.app_context():
        period = db.session.get(ElectionPeriod, period_id)
        assert (period.starts_on, period.ends_on, period.whole_area, period.ward_list) == (
            date(2026, 3, 30), date(2026, 5, 7), False, ["Riverside", "Old Town"])
    page = text_of(client.get("/staff/settings/election-periods"))
    assert "Northshire County Council elections, 7 May 2026" in page and "Riverside, Old Town" in page

    assert client.post(f"/staff/settings/election-periods/{period_id}",
                       data={"name": "  Jo   Bloggs ", "ward": "Riverside"}).status_code == 303
    again = client.post(f"/staff/settings/election-periods/{period_id}", data={"name": "jo bloggs", "ward": ""})
    assert again.status_code == 422 and "Jo Bloggs is already listed" in text_of(again)
    empty = client.post(f"/staff/settings/election-periods/{period_id}", data={"name": "   ", "ward": ""})
    assert empty.status_code == 422 and "Enter the councillor" in text_of(empty)
    with app.app_context():
        name = db.session.scalars(select(ElectionName)).one()
        assert (name.name, name.ward) == ("Jo Bloggs", "Riverside")
        name_id = name.id
    assert client.post(f"/staff/settings/election-periods/{period_id + 1}/names/{name_id}/remove").status_code == 404
    assert client.post(f"/staff/settings/election-periods/{period_id}/names/{name_id}/remove").status_code == 303
    assert count(app, ElectionName) == 0
    assert client.post(f"/staff/settings/election-periods/{period_id}/remove").status_code == 303
    assert count(app, ElectionPeriod) == 0
    with app.app_context():
        actions = [e.action for e in db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("election%")))]
    assert actions == ["election period added", "election name added", "election name removed",
                       "election period removed"]


def test_the_add_form_shows_field_errors_and_keeps_what_was_typed(app, client, admin):
    response = client.post("/staff/settings/election-periods", data={
        "name": "By-election", "scope": "wards", "wards": " ", **dated("starts_on", date(2026, 5, 7)),
        **dated("ends_on", date(2026, 3, 30))})
    page = text_of(response)
    assert response.status_code == 422
    assert "The last day must be the same as or after the first day." in page
    assert "Enter the wards, one a line, or choose the whole area." in page
    assert 'value="By-election"' in page and "There is a problem" in page and "<title>Error:" in page
    missing = text_of(client.post("/staff/settings/election-periods", data={"name": "", "scope": "whole"}))
    assert "Enter what election the period is for." in missing and "Enter the first day of the period." in missing
    assert count(app, ElectionPeriod) == 0


@pytest.mark.parametrize("who", ["anonymous", "staff", "manager", "admin"])
def test_only_admins_reach_the_election_periods(app, client, make_user, auth, make_period, who):
    period_id = make_period(names=["Jo Bloggs"], **NOW_PERIOD)
    with app.app_context():
        name_id = db.session.scalars(select(ElectionName.id)).one()
    if who != "anonymous":
        make_user(who, email=f"{who}@council.example")
        auth.login(f"{who}@council.example")
    rules = [(rule.rule, method) for rule in app.url_map.iter_rules() if rule.endpoint.startswith("elections.")
             for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    assert len(rules) == 6
    # Removing comes last, so the other routes still find the period.
    for rule, method in sorted(rules, key=lambda r: "remove" in r[0]):
        path = rule.replace("<int:period_id>", str(period_id)).replace("<int:name_id>", str(name_id))
        with client.open(path, method=method, data={}) as response:
            status, location = response.status_code, response.headers.get("Location", "")
        if who == "anonymous":
            assert status == 302 and location.startswith("/staff/login"), (who, method, rule)
        elif who != "admin":
            assert status == 403, (who, method, rule)
        else:
            assert status in (200, 303, 404, 422), (who, method, rule, status)


# --- The newsroom's notice ------------------------------------------------------------------------------------

def test_the_newsroom_shows_the_notice_only_during_a_period(app, client, make_period, make_release, frozen_clock):
    release_id = make_release(final=True)
    with app.app_context():
        slug = db.session.get(Release, release_id).slug
    make_period(**LATER_PERIOD)
    for path in ("/", f"/releases/{slug}"):
        assert "pre-election period" not in text_of(client.get(path))
    make_period(**NOW_PERIOD)
    for path in ("/", f"/releases/{slug}"):
        page = text_of(client.get(path))
        assert re.search(r"From 12 August\s+to 19 September 2024 Northshire Council is in a pre-election period\s+"
                         r"\(Northshire County Council elections, 19 September 2024\)", page), path
        assert 'role="note"' in page
    frozen_clock.set(datetime(2024, 9, 19, 22, 59, tzinfo=UTC))  # 23:59 BST on the last day
    assert "pre-election period" in text_of(client.get("/"))
    frozen_clock.set(datetime(2024, 9, 19, 23, 0, tzinfo=UTC))  # midnight: the period is over
    assert "pre-election period" not in text_of(client.get("/"))


# --- Publishing -----------------------------------------------------------------------------------------------

def test_marking_final_during_a_period_needs_the_confirmation(app, client, manager, make_period, make_release,
                                                              frozen_clock):
    make_period(**NOW_PERIOD)
    release_id = make_release()
    response = client.post(f"/staff/releases/{release_id}/finalise")
    assert response.status_code == 303 and response.headers["Location"] == f"/staff/releases/{release_id}/publish"
    page = client.get(f"/staff/releases/{release_id}/publish")
    assert page.status_code == 200 and CODE in text_of(page)
    refused = client.post(f"/staff/releases/{release_id}/publish", data={})
    assert refused.status_code == 422
    assert "Confirm that this release meets the Code" in text_of(refused)
    assert status_of(app, release_id) == "draft"
    done = client.post(f"/staff/releases/{release_id}/publish", data={"election-code_confirmed": "y"})
    assert done.status_code == 303 and status_of(app, release_id) == "final"
    assert [e.action for e in events(app, release_id)][-2:] == ["finalised", "publicity code confirmed to publish"]


def test_marking_final_outside_a_period_needs_nothing_more(app, client, manager, make_period, make_release):
    make_period(**LATER_PERIOD)
    release_id = make_release()
    response = client.post(f"/staff/releases/{release_id}/finalise")
    assert response.status_code == 302 and status_of(app, release_id) == "final"


def test_an_embargo_inside_a_period_needs_the_confirmation_and_is_flagged(app, client, manager, make_period,
                                                                          make_release, frozen_clock):
    make_period(**LATER_PERIOD)
    release_id = make_release()
    edit = {"reference": "", "headline": "Council opens new library", "body": "Opened.", "standfirst": "",
            "notes_to_editors": "", "helpline": "", **dated("release_date", date(2024, 9, 3)),
            "contact_id": str(manager), **dated("embargo_date", date(2024, 11, 4)), "embargo_time": "09:00"}
    saved = client.post(f"/staff/releases/{release_id}/edit", data=edit, follow_redirects=True)
    page = text_of(saved)
    assert saved.status_code == 200 and "The embargo falls in the pre-election period for Riverside ward" in page
    form = text_of(client.get(f"/staff/releases/{release_id}/edit"))
    assert 'id="embargo-election"' in form
    outside = edit | dated("embargo_date", date(2024, 12, 6))
    assert "pre-election" not in text_of(client.post(f"/staff/releases/{release_id}/edit", data=outside,
                                                     follow_redirects=True))
    assert client.post(f"/staff/releases/{release_id}/edit", data=edit).status_code == 302
    assert client.post(f"/staff/releases/{release_id}/finalise").headers["Location"].endswith("/publish")


def test_a_release_naming_a_listed_councillor_is_blocked_until_an_admin_overrides(
        app, client, auth, make_user, manager, make_period, make_release, frozen_clock):
    make_period(names=["Jo Bloggs", "Sam O'Neill"], **NOW_PERIOD)
    release_id = make_release(body="“We are delighted,” said Councillor JO  BLOGGS, opening it.")
    other_id = make_release(headline="Jo Bloggsworth retires", body="Nothing about anyone listed.")
    blocked = client.post(f"/staff/releases/{release_id}/publish", data={"election-code_confirmed": "y"})
    assert blocked.status_code == 422 and "This release names Jo Bloggs" in text_of(blocked)
    assert status_of(app, release_id) == "draft"
    assert "names" not in text_of(client.get(f"/staff/releases/{other_id}/publish")).split("That falls in")[1]

    # A manager cannot override.
    assert client.get(f"/staff/releases/{release_id}/election-override").status_code == 403
    assert client.post(f"/staff/releases/{release_id}/election-override",
                       data={"reason": "Civic duty"}).status_code == 403
    auth.logout()
    make_user("admin", email="ada.admin@northshire.example", name="Ada Admin")
    auth.login("ada.admin@northshire.example")
    for reason in ("", "   "):
        refused = client.post(f"/staff/releases/{release_id}/election-override", data={"reason": reason})
        assert refused.status_code == 422 and "Enter the reason for the override." in text_of(refused)
    assert count(app, ElectionOverride) == 0
    done = client.post(f"/staff/releases/{release_id}/election-override",
                       data={"reason": "Opening a library as chair of the libraries board, not as a candidate."})
    assert done.status_code == 303
    page = text_of(client.get(f"/staff/releases/{release_id}"))
    assert "Override by Ada Admin" in page and "for Jo Bloggs: Opening a library as chair" in page
    with app.app_context():
        assert db.session.scalars(select(AuditEvent.action).where(AuditEvent.action == "release election override")
                                  ).all() == ["release election override"]
    still = client.post(f"/staff/releases/{release_id}/publish", data={})
    assert still.status_code == 422 and "Confirm that this release meets" in text_of(still)
    assert client.post(f"/staff/releases/{release_id}/publish",
                       data={"election-code_confirmed": "y"}).status_code == 303
    assert status_of(app, release_id) == "final"


def test_a_curly_apostrophe_still_names_the_listed_person(app, client, manager, make_period, make_release,
                                                          frozen_clock):
    make_period(names=["Sam O'Neill"], **NOW_PERIOD)
    release_id = make_release(standfirst="Sam O\u2019Neill visits the new library.")
    page = text_of(client.get(f"/staff/releases/{release_id}/publish"))
    assert "This release names Sam O'Neill" in page


# --- Sending --------------------------------------------------------------------------------------------------

def send_data(list_id: int, **overrides) -> dict:
    return {"request_key": "key-" + "a" * 28, "lists": [str(list_id)], "emails": "", "when": "now", "send_date": "",
            "send_time": "", "stop_date": "", "stop_time": ""} | overrides


def confirm(client, release_id: int, data: dict, **extra):
    summary = client.post(f"/staff/releases/{release_id}/send", data=data | {"send": "y"})
    assert summary.status_code == 200
    expected = re.search(r'name="expected" type="hidden" value="(\d+)"', summary.data.decode()).group(1)
    return summary, client.post(f"/staff/releases/{release_id}/send", data=data | {"confirm": "y",
                                                                                   "expected": expected} | extra)


def test_sending_during_a_period_needs_the_confirmation(app, client, manager, make_period, make_release, media_list,
                                                        frozen_clock):
    release_id = make_release(final=True)
    make_period(**NOW_PERIOD)
    summary, refused = confirm(client, release_id, send_data(media_list))
    assert CODE in text_of(summary) and 'name="election-code_confirmed"' in text_of(summary)
    assert refused.status_code == 422 and "Confirm that this release meets the Code" in text_of(refused)
    assert count(app, Distribution) == 0
    _summary, sent = confirm(client, release_id, send_data(media_list), **{"election-code_confirmed": "y"})
    assert sent.status_code == 302 and count(app, Distribution) == 1
    assert events(app, release_id)[-1].action == "publicity code confirmed to send"


def test_sending_a_release_that_names_a_listed_candidate_is_blocked(app, client, manager, make_period, make_release,
                                                                   media_list, frozen_clock):
    release_id = make_release(final=True, notes_to_editors="Photo: Jo Bloggs at the opening.")
    make_period(names=["Jo Bloggs"], **NOW_PERIOD)
    assert "Jo Bloggs" in text_of(client.get(f"/staff/releases/{release_id}"))
    _summary, refused = confirm(client, release_id, send_data(media_list), **{"election-code_confirmed": "y"})
    assert refused.status_code == 422 and "This release names Jo Bloggs" in text_of(refused)
    assert count(app, Distribution) == 0


def test_a_scheduled_send_inside_a_period_is_flagged(app, client, manager, make_period, make_release, media_list,
                                                     frozen_clock):
    release_id = make_release(final=True)
    make_period(**LATER_PERIOD)
    later = send_data(media_list, when="later", **dated("send_date", date(2024, 11, 4)), send_time="09:00")
    checked = text_of(client.post(f"/staff/releases/{release_id}/send", data=later | {"check": "y"}))
    assert "The time to send falls in the pre-election period for Riverside ward" in checked
    summary, refused = confirm(client, release_id, later)
    assert "The time to send, 09:00 GMT, Monday 4 November 2024, falls in:" in text_of(summary)
    assert refused.status_code == 422 and count(app, Distribution) == 0
    now = send_data(media_list)
    assert "pre-election" not in text_of(client.post(f"/staff/releases/{release_id}/send", data=now | {"check": "y"}))
    _summary, sent = confirm(client, release_id, now)
    assert sent.status_code == 302 and count(app, Distribution) == 1


def test_the_send_command_needs_the_flag_during_a_period(app, runner, make_period, make_release, media_list,
                                                         frozen_clock):
    release_id = make_release(final=True)
    with app.app_context():
        reference = db.session.get(Release, release_id).reference
    make_period(**NOW_PERIOD)
    refused = runner.invoke(args=["press", "send", reference, "--list", "Local press"])
    assert refused.exit_code != 0 and "--publicity-code-confirmed" in refused.output
    assert count(app, Distribution) == 0
    sent = runner.invoke(args=["press", "send", reference, "--list", "Local press", "--publicity-code-confirmed"])
    assert sent.exit_code == 0, sent.output
    assert count(app, Distribution) == 1


def test_the_send_command_refuses_a_release_naming_a_listed_councillor(app, runner, make_period, make_release,
                                                                       media_list, frozen_clock):
    release_id = make_release(final=True, headline="Jo Bloggs opens the library")
    with app.app_context():
        reference = db.session.get(Release, release_id).reference
    make_period(names=["Jo Bloggs"], **NOW_PERIOD)
    refused = runner.invoke(args=["press", "send", reference, "--list", "Local press", "--publicity-code-confirmed"])
    assert refused.exit_code != 0 and "names Jo Bloggs" in refused.output
    assert count(app, Distribution) == 0


def test_sending_in_tiers_during_a_period_needs_the_confirmation(app, client, manager, make_period, make_release,
                                                                 media_list, frozen_clock):
    release_id = make_release(final=True, embargo_at=datetime(2024, 9, 6, 10, 0, tzinfo=UTC))
    make_period(**NOW_PERIOD)
    url = f"/staff/releases/{release_id}/send-in-tiers"
    data = {"request_key": "tiers-" + "a" * 20, "tier1_name": "Local press", "tier1_lists": [str(media_list)],
            "tier1_hours": "0"}
    checked = client.post(url, data=data | {"check": "y"})
    assert checked.status_code == 200, text_of(checked)
    assert "Sending between now and 11:00 BST, Friday 6 September 2024 falls in:" in text_of(checked)
    expected = re.search(r'name="expected" value="([\d,]+)"', checked.data.decode()).group(1)
    refused = client.post(url, data=data | {"confirm": "y", "expected": expected})
    assert refused.status_code == 422 and "Confirm that this release meets the Code" in text_of(refused)
    assert count(app, Distribution) == 0
    sent = client.post(url, data=data | {"confirm": "y", "expected": expected, "election-code_confirmed": "y"})
    assert sent.status_code == 302 and count(app, Distribution) == 1


def test_importing_a_final_release_during_a_period_needs_the_flag(app, runner, make_user, make_period, tmp_path,
                                                                   frozen_clock):
    make_user("manager", email="press@council.example")
    make_period(**NOW_PERIOD)
    path = tmp_path / "release.txt"
    path.write_text("Library opens\n\nThe council has opened a new library in Eastgate.\n\nENDS\n")
    refused = runner.invoke(args=["press", "import-release", str(path), "--contact", "press@council.example", "--final"])
    assert refused.exit_code != 0 and "--publicity-code-confirmed" in refused.output, refused.output
    assert count(app, Release) == 0
    done = runner.invoke(args=["press", "import-release", str(path), "--contact", "press@council.example", "--final",
                               "--publicity-code-confirmed"])
    assert done.exit_code == 0, done.output
    with app.app_context():
        assert db.session.scalars(select(Release.status)).all() == ["final"]
