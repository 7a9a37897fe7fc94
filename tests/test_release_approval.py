"""Release versions and second-person approval, through the staff pages, the send guard and the public page."""

import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from press.accounts.policy import Setting
from press.audit import AuditEvent
from press.contacts import services as contacts
from press.contacts.models import MediaList
from press.distribution.models import Distribution
from press.extensions import db
from press.releases import approval
from press.releases.models import Release
from press.releases.versions import ReleaseApproval, ReleaseVersion
from tests.conftest import PASSWORD

AUTHOR, SECOND, THIRD, OFFICER, ADMIN = ("author@council.example", "second@council.example", "third@council.example",
                                         "officer@council.example", "admin@council.example")


def release_form(**overrides) -> dict:
    return {
        "reference": "", "headline": "Council opens new library", "release_date": "2024-09-03", "standfirst": "",
        "body": "The council has opened a new library.", "notes_to_editors": "", "helpline": "",
        "embargo_date": "", "embargo_time": "",
    } | overrides


@pytest.fixture
def people(make_user):
    return {
        "author": make_user("manager", email=AUTHOR, name="Ann Author"),
        "second": make_user("manager", email=SECOND, name="Sam Second"),
        "third": make_user("manager", email=THIRD, name="Tom Third"),
        "officer": make_user("staff", email=OFFICER, name="Olly Officer"),
        "admin": make_user("admin", email=ADMIN, name="Ada Admin"),
    }


def sign_in(client, email: str) -> None:
    client.post("/staff/logout")
    response = client.post("/staff/login", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302, email


@pytest.fixture
def required(app):
    """The organisation asks for approval (as an admin would have saved it)."""
    with app.app_context():
        db.session.add(Setting(name=approval.SETTING, value=True))
        db.session.commit()


@pytest.fixture
def written(app, client, people, frozen_clock):
    """A draft the author wrote through the form; returns its id. The client is left signed in as the author."""
    sign_in(client, AUTHOR)
    response = client.post("/staff/releases/new", data=release_form(contact_id=people["author"]))
    assert response.status_code == 302
    return int(response.headers["Location"].rsplit("/", 1)[1])


def seen_hash(client, release_id: int) -> str:
    page = client.get(f"/staff/releases/{release_id}/approve").data.decode()
    return re.search(r'name="content_hash" type="hidden" value="([0-9a-f]{64})"', page).group(1)


def approve(client, release_id: int):
    return client.post(f"/staff/releases/{release_id}/approve", data={"content_hash": seen_hash(client, release_id)})


def approvals_of(app, release_id: int) -> list[tuple[int, int]]:
    with app.app_context():
        return [(a.approved_by_id, a.version.number) for a in approval.approvals(db.session, release_id)]


def flashed(client, release_id: int) -> str:
    return html.unescape(client.get(f"/staff/releases/{release_id}").data.decode())


# --- Who may approve --------------------------------------------------------------------------------------------

def test_the_author_cannot_approve_their_own_release(app, client, written, required):
    page = html.unescape(client.get(f"/staff/releases/{written}/approve").data.decode())
    assert "You wrote or last changed this release" in page and "Approve this version</button>" not in page
    # Posting the form anyway is refused as well.
    response = client.post(f"/staff/releases/{written}/approve", data={"content_hash": "0" * 64})
    assert response.status_code == 302 and approvals_of(app, written) == []


def test_a_second_manager_approves_and_it_is_recorded_and_shown(app, client, people, written, required):
    sign_in(client, SECOND)
    page = client.get(f"/staff/releases/{written}/approve").data.decode()
    assert "Council opens new library" in page and "The council has opened a new library." in page
    response = approve(client, written)
    assert response.status_code == 302 and response.headers["Location"] == f"/staff/releases/{written}"
    assert approvals_of(app, written) == [(people["second"], 1)]
    shown = flashed(client, written)
    assert "Version 1 approved by Sam Second" in shown
    with app.app_context():
        entry = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "release approved"))
        assert entry is not None and entry.user_id == people["second"]
    versions = html.unescape(client.get(f"/staff/releases/{written}/versions").data.decode())
    assert "Version 1" in versions and "Sam Second" in versions and "Approved" in versions
    # Approving the same version twice records it once.
    response = client.post(f"/staff/releases/{written}/approve", data={"content_hash": "x"})
    assert approvals_of(app, written) == [(people["second"], 1)]


def test_an_admin_may_approve(app, client, people, written, required):
    sign_in(client, ADMIN)
    approve(client, written)
    assert approvals_of(app, written) == [(people["admin"], 1)]


def test_the_staff_role_cannot_approve(app, client, written, required):
    sign_in(client, OFFICER)
    assert client.get(f"/staff/releases/{written}/approve").status_code == 403
    assert client.post(f"/staff/releases/{written}/approve", data={"content_hash": "0" * 64}).status_code == 403
    assert approvals_of(app, written) == []
    # Press officers may still read the versions.
    assert client.get(f"/staff/releases/{written}/versions").status_code == 200


def test_whoever_last_changed_it_cannot_approve_it_either(app, client, people, written, required):
    sign_in(client, SECOND)
    client.post(f"/staff/releases/{written}/edit", data=release_form(contact_id=people["author"], body="Changed."))
    page = html.unescape(client.get(f"/staff/releases/{written}/approve").data.decode())
    assert "You wrote or last changed this release" in page
    sign_in(client, THIRD)
    approve(client, written)
    assert approvals_of(app, written) == [(people["third"], 1)]


def test_an_approval_covers_only_the_text_the_approver_was_shown(app, client, people, written, required):
    sign_in(client, SECOND)
    shown = seen_hash(client, written)
    with app.app_context():
        db.session.get(Release, written).headline = "Changed behind the approver's back"
        db.session.commit()
    client.post(f"/staff/releases/{written}/approve", data={"content_hash": shown})
    assert approvals_of(app, written) == []
    assert "has changed since you opened this page" in html.unescape(
        client.get(f"/staff/releases/{written}/approve").data.decode())


# --- What approval guards ----------------------------------------------------------------------------------------

def test_mark_final_is_refused_until_approved(app, client, written, required):
    response = client.post(f"/staff/releases/{written}/finalise")
    assert response.status_code == 302
    assert "needs approving by a second manager or admin before it can be marked final" in flashed(client, written)
    with app.app_context():
        assert db.session.get(Release, written).status == "draft"
    sign_in(client, SECOND)
    approve(client, written)
    sign_in(client, AUTHOR)
    client.post(f"/staff/releases/{written}/finalise")
    with app.app_context():
        assert db.session.get(Release, written).status == "final"


def test_an_edit_after_approval_needs_a_new_approval(app, client, people, written, required):
    sign_in(client, SECOND)
    approve(client, written)
    sign_in(client, AUTHOR)
    client.post(f"/staff/releases/{written}/edit", data=release_form(contact_id=people["author"],
                                                                     body="The library opens on Monday."))
    client.post(f"/staff/releases/{written}/finalise")
    assert "needs approving" in flashed(client, written)
    sign_in(client, SECOND)
    page = html.unescape(client.get(f"/staff/releases/{written}/approve").data.decode())
    assert "Changes since version 1, approved before" in page
    assert "<del><span class=\"visually-hidden\">Taken out: </span>The council has opened a new library.</del>" in page
    assert "<ins><span class=\"visually-hidden\">Put in: </span>The library opens on Monday.</ins>" in page
    approve(client, written)
    assert approvals_of(app, written) == [(people["second"], 1), (people["second"], 2)]
    sign_in(client, AUTHOR)
    client.post(f"/staff/releases/{written}/finalise")
    with app.app_context():
        assert db.session.get(Release, written).status == "final"


def test_an_edit_to_an_approved_final_release_before_its_embargo_sends_it_back_to_draft(
        app, client, people, written, required):
    """Left final, the changed text would become public at the embargo time with nobody having approved it."""
    embargoed = {"contact_id": people["author"], "embargo_date": "2024-09-03", "embargo_time": "17:00"}
    client.post(f"/staff/releases/{written}/edit", data=release_form(**embargoed))
    sign_in(client, SECOND)
    approve(client, written)
    sign_in(client, AUTHOR)
    client.post(f"/staff/releases/{written}/finalise")
    with app.app_context():
        assert db.session.get(Release, written).status == "final"
        assert not db.session.get(Release, written).is_public()
    client.post(f"/staff/releases/{written}/edit", data=release_form(**embargoed, body="The library opens on Monday."))
    with app.app_context():
        release = db.session.get(Release, written)
        assert release.status == "draft" and release.public_from is None
        assert approval.refusal(db.session, release, "sent") is not None
    sign_in(client, SECOND)
    approve(client, written)
    sign_in(client, AUTHOR)
    client.post(f"/staff/releases/{written}/finalise")
    with app.app_context():
        assert db.session.get(Release, written).status == "final"


def test_without_the_setting_nothing_needs_approving(app, client, written):
    client.post(f"/staff/releases/{written}/finalise")
    with app.app_context():
        assert db.session.get(Release, written).status == "final"
    assert "Not approved (not needed here)" in flashed(client, written)


def test_the_environment_gives_the_default_and_the_saved_setting_wins(app, build_app, people):
    with build_app(PRESS_REQUIRE_APPROVAL=True).app_context():
        assert approval.required(db.session) is True
        approval.save_required(db.session, False, by=db.session.get(approval.User, people["admin"]))
        db.session.commit()
        assert approval.required(db.session) is False
    with app.app_context():
        assert approval.required(db.session) is False


def test_only_an_admin_changes_the_setting(app, client, people):
    sign_in(client, SECOND)
    assert client.get("/staff/releases/approval-setting").status_code == 403
    assert client.post("/staff/releases/approval-setting", data={"required": "y"}).status_code == 403
    sign_in(client, ADMIN)
    assert "Approval of releases" in client.get("/staff/settings").data.decode()
    assert client.post("/staff/releases/approval-setting", data={"required": "y"}).status_code == 302
    with app.app_context():
        assert approval.required(db.session) is True
    client.post("/staff/releases/approval-setting", data={})
    with app.app_context():
        assert approval.required(db.session) is False


@pytest.fixture
def lists(app):
    with app.app_context():
        local = MediaList(name="Local")
        contacts.create_contact(db.session, by=None, email="ann@gazette.example", name="Ann Lee", lists=[local])
        db.session.commit()
        return [local.id]


def send_data(list_ids: list[int], **overrides) -> dict:
    return {"request_key": "key-" + "a" * 28, "lists": list_ids, "emails": "", "when": "now", "send_date": "",
            "send_time": "", "stop_date": "", "stop_time": ""} | overrides


def distributions(app) -> int:
    with app.app_context():
        return len(db.session.scalars(select(Distribution)).all())


def test_sending_is_refused_without_approval_on_the_web_and_the_command_line(app, client, runner, people, written,
                                                                             lists):
    client.post(f"/staff/releases/{written}/finalise")
    with app.app_context():
        db.session.add(Setting(name=approval.SETTING, value=True))
        db.session.commit()
        reference = db.session.get(Release, written).reference
    response = client.get(f"/staff/releases/{written}/send")
    assert response.status_code == 302 and "before it can be sent" in flashed(client, written)
    response = client.post(f"/staff/releases/{written}/send", data=send_data(lists, send="y", confirm="y",
                                                                            expected="1"))
    assert response.status_code == 302 and distributions(app) == 0
    result = runner.invoke(args=["press", "send", reference, "--list", "Local"])
    assert result.exit_code != 0 and "needs approving" in result.output and distributions(app) == 0
    sign_in(client, SECOND)
    approve(client, written)
    result = runner.invoke(args=["press", "send", reference, "--list", "Local"])
    assert result.exit_code == 0, result.output
    assert distributions(app) == 1


def test_sending_is_allowed_when_approval_is_not_required(app, client, runner, written, lists):
    client.post(f"/staff/releases/{written}/finalise")
    assert client.get(f"/staff/releases/{written}/send").status_code == 200
    with app.app_context():
        reference = db.session.get(Release, written).reference
    assert runner.invoke(args=["press", "send", reference, "--list", "Local"]).exit_code == 0


def test_importing_a_final_release_is_refused_without_approval(app, runner, people, required, tmp_path):
    source = tmp_path / "release.txt"
    source.write_text("Otters return to the river\n\nThe otters are back.\n\nENDS\n")
    result = runner.invoke(args=["press", "import-release", str(source), "--contact", AUTHOR, "--final"])
    assert result.exit_code != 0 and "needs approving" in result.output


# --- Versions ----------------------------------------------------------------------------------------------------

def test_versions_are_kept_listed_viewed_and_compared(app, client, people, written, frozen_clock):
    client.post(f"/staff/releases/{written}/finalise")
    frozen_clock.advance(hours=1)
    client.post(f"/staff/releases/{written}/edit", data=release_form(
        contact_id=people["author"], body="The council has opened a new library.\n\nIt has <b>a café</b>."))
    with app.app_context():
        kept = db.session.scalars(select(ReleaseVersion).where(ReleaseVersion.release_id == written)
                                  .order_by(ReleaseVersion.number)).all()
        assert [(v.number, v.reason) for v in kept] == [(1, "final"), (2, "edited while final")]
    listing = client.get(f"/staff/releases/{written}/versions").data.decode()
    assert "Version 2" in listing and "Changes to version 2" in listing
    one = html.unescape(client.get(f"/staff/releases/{written}/versions/1").data.decode())
    assert "The council has opened a new library." in one and "Ann Author" in one and "a café" not in one
    changes = client.get(f"/staff/releases/{written}/versions/1/changes").data.decode()
    assert "<h3>Body</h3>" in changes and "It has &lt;b&gt;a café&lt;/b&gt;." in changes and "<b>a café" not in changes
    for missing in ("versions/3", "versions/2/changes", "versions/0/changes"):
        assert client.get(f"/staff/releases/{written}/{missing}").status_code == 404


def test_a_version_is_only_found_through_its_own_release(app, client, people, written, make_release):
    other = make_release(final=True, contact_id=people["author"])
    client.post(f"/staff/releases/{written}/finalise")
    assert client.get(f"/staff/releases/{other}/versions/1").status_code == 200
    assert client.get("/staff/releases/999/versions/1").status_code == 404
    with app.app_context():
        assert db.session.scalar(select(ReleaseApproval)) is None


def test_the_public_page_lists_only_changes_made_while_public(app, client, people, written, frozen_clock):
    lift = frozen_clock() + timedelta(hours=6)
    client.post(f"/staff/releases/{written}/edit", data=release_form(
        contact_id=people["author"], embargo_date="2024-09-03", embargo_time="17:00"))
    client.post(f"/staff/releases/{written}/finalise")
    frozen_clock.advance(hours=1)
    client.post(f"/staff/releases/{written}/edit", data=release_form(
        contact_id=people["author"], embargo_date="2024-09-03", embargo_time="17:00", body="Embargoed change."))
    with app.app_context():
        release = db.session.get(Release, written)
        slug, public_from = release.slug, release.public_from
        assert public_from == lift and len(approval.approvals(db.session, written)) == 0
    client.post("/staff/logout")
    assert client.get(f"/releases/{slug}").status_code == 404
    frozen_clock.set(lift + timedelta(minutes=5))
    page = client.get(f"/releases/{slug}").data.decode()
    assert "Embargoed change." in page and "Changes to this release" not in page
    sign_in(client, AUTHOR)
    client.post(f"/staff/releases/{written}/edit", data=release_form(
        contact_id=people["author"], embargo_date="2024-09-03", embargo_time="17:00", body="A public correction."))
    client.post("/staff/logout")
    page = client.get(f"/releases/{slug}").data.decode()
    assert "Changes to this release" in page and page.count("<li>Changed <time") == 1
    assert "17:05 BST" in page and "Embargoed change." not in page


# --- Access, route by route --------------------------------------------------------------------------------------

def approval_routes(app) -> list[tuple[str, str]]:
    endpoints = {"releases.versions_page", "releases.version", "releases.version_changes", "releases.approve",
                 "releases.approval_setting"}
    found = sorted((rule.rule, method) for rule in app.url_map.iter_rules() if rule.endpoint in endpoints
                   for method in rule.methods - {"HEAD", "OPTIONS"})
    assert {rule for rule, _ in found} == {
        "/staff/releases/<int:release_id>/versions", "/staff/releases/<int:release_id>/versions/<int:number>",
        "/staff/releases/<int:release_id>/versions/<int:number>/changes", "/staff/releases/<int:release_id>/approve",
        "/staff/releases/approval-setting"}
    return found


EDITORS_ONLY = {"/staff/releases/<int:release_id>/approve"}
ADMINS_ONLY = {"/staff/releases/approval-setting"}


@pytest.mark.parametrize("who", ["nobody", OFFICER, SECOND, ADMIN])
def test_every_approval_route_checks_its_role(app, client, people, written, who):
    client.post(f"/staff/releases/{written}/finalise")
    client.post(f"/staff/releases/{written}/edit", data=release_form(contact_id=people["author"], body="Two."))
    client.post("/staff/logout")
    if who != "nobody":
        sign_in(client, who)
    for rule, method in approval_routes(app):
        url = rule.replace("<int:release_id>", str(written)).replace("<int:number>", "1")
        response = client.open(url, method=method, data={})
        if who == "nobody":
            assert response.status_code == 302 and "/staff/login" in response.headers["Location"], url
        elif (rule in ADMINS_ONLY and who != ADMIN) or (rule in EDITORS_ONLY and who == OFFICER):
            assert response.status_code == 403, (url, who)
        else:
            assert response.status_code in (200, 302), (url, method, who)


# --- Safeguarding tags and the checklist ---------------------------------------------------------------------

CHILD_ANSWERS = {"item_child_identified": "no", "item_court_order": "Northshire Youth Court; a s.45 order is in force",
                 "item_family_proceedings": "no", "item_child_not_charged": "no",
                 "item_safeguarding_lead": "Pat Lead", "item_legal_sign_off": "Lee Legal, 3 September"}


@pytest.fixture
def tagged(client, people, written):
    """The author's draft, tagged as involving a child and a court case."""
    client.post(f"/staff/releases/{written}/edit", data=release_form(contact_id=people["author"],
                                                                     tags=["child", "court"]))
    return written


def test_tags_are_chosen_on_the_edit_form(app, client, tagged):
    page = client.get(f"/staff/releases/{tagged}/edit").data.decode()
    assert re.search(r'<input checked id="tags-0" name="tags" type="checkbox" value="child">', page)
    with app.app_context():
        assert db.session.get(Release, tagged).tags == ["child", "court"]
    shown = html.unescape(client.get(f"/staff/releases/{tagged}").data.decode())
    assert "Involves a child or young person (under 18); Court case or legal proceedings" in shown


def test_a_tagged_release_cannot_be_approved_until_its_checklist_is_complete(app, client, people, tagged, required):
    sign_in(client, SECOND)
    page = html.unescape(client.get(f"/staff/releases/{tagged}/approve").data.decode())
    assert "6 questions unanswered" in page and "Approve this version</button>" not in page
    assert "Children and Young Persons Act 1933 s.49" in page
    client.post(f"/staff/releases/{tagged}/approve", data={"content_hash": "0" * 64})
    assert approvals_of(app, tagged) == []
    # Half answered: each unanswered question says so beside it, and what was typed stays.
    response = client.post(f"/staff/releases/{tagged}/checklist", data={"item_child_identified": "no",
                                                                         "item_safeguarding_lead": "Pat Lead"})
    page = html.unescape(response.data.decode())
    assert response.status_code == 422 and "There is a problem" in page
    assert 'id="item_court_order-error"' in page and 'id="item_child_not_charged-error"' in page
    assert re.search(r">\s*Pat Lead</textarea>", page)
    assert 'id="item_safeguarding_lead-error"' not in page
    assert 'checked id="item_child_identified-1"' in page
    response = client.post(f"/staff/releases/{tagged}/checklist", data=CHILD_ANSWERS)
    assert response.status_code == 302
    approve(client, tagged)
    assert approvals_of(app, tagged) == [(people["second"], 1)]
    version = html.unescape(client.get(f"/staff/releases/{tagged}/versions/1").data.decode())
    assert "Safeguarding checklist for this version" in version and "Lee Legal, 3 September" in version
    assert "Sam Second" in version


def test_an_edit_needs_the_checklist_answering_again(app, client, people, tagged, required):
    sign_in(client, SECOND)
    client.post(f"/staff/releases/{tagged}/checklist", data=CHILD_ANSWERS)
    sign_in(client, AUTHOR)
    client.post(f"/staff/releases/{tagged}/edit", data=release_form(contact_id=people["author"], tags=["child", "court"],
                                                                    body="A new paragraph."))
    sign_in(client, SECOND)
    page = html.unescape(client.get(f"/staff/releases/{tagged}/approve").data.decode())
    assert "6 questions unanswered" in page
    form = html.unescape(client.get(f"/staff/releases/{tagged}/checklist").data.decode())
    assert "Pat Lead" not in form


def test_the_staff_role_cannot_answer_the_checklist(client, tagged):
    sign_in(client, OFFICER)
    assert client.get(f"/staff/releases/{tagged}/checklist").status_code == 403
    assert client.post(f"/staff/releases/{tagged}/checklist", data=CHILD_ANSWERS).status_code == 403


def test_an_untagged_release_has_no_checklist(client, written):
    page = client.get(f"/staff/releases/{written}/checklist").data.decode()
    assert "has no safeguarding tags" in page


def test_the_organisation_can_use_a_checklist_file_of_its_own(app_config, build_app, tmp_path, make_user):
    own = tmp_path / "checklist.toml"
    own.write_text('[tags]\nanimals = "Animal welfare"\n\n[[items]]\nid = "vet"\ntags = ["animals"]\n'
                   'question = "Has the vet agreed?"\nsource = "Our animal policy"\nanswer = "yes/no"\nrequired = true\n')
    app = build_app(PRESS_SAFEGUARDING_CHECKLIST=str(own))
    make_user("manager", email=AUTHOR)
    client = app.test_client()
    sign_in(client, AUTHOR)
    page = client.get("/staff/releases/new").data.decode()
    assert "Animal welfare" in page and "Involves a child" not in page
