"""Writing, editing, finalising and withdrawing releases through the staff pages."""

from datetime import UTC, datetime

import pytest

from press.extensions import db
from press.releases.models import Release, ReleaseEvent
from tests.conftest import date_shown


def release_form(**overrides):
    return {
        "reference": "",
        "headline": "Council opens new library",
        "release_date": "2024-09-03",
        "standfirst": "",
        "body": "The council has opened a new library.",
        "notes_to_editors": "",
        "helpline": "",
        "embargo_date": "",
        "embargo_time": "",
    } | overrides


def get_release(app, release_id: int) -> Release:
    with app.app_context():
        release = db.session.get(Release, release_id)
        db.session.expunge(release)
        return release


def test_manager_creates_release_with_reference(app, client, manager, frozen_clock):
    response = client.post("/staff/releases/new", data=release_form(contact_id=manager))
    assert response.status_code == 302
    with app.app_context():
        release = db.session.scalar(db.select(Release))
        assert release.reference == "NCC 2024/25-01"
        assert release.status == "draft"
        assert release.contact_id == manager
    client.post("/staff/releases/new", data=release_form(contact_id=manager, release_date="2025-03-31"))
    client.post("/staff/releases/new", data=release_form(contact_id=manager, release_date="2025-04-01"))
    with app.app_context():
        refs = db.session.scalars(db.select(Release.reference).order_by(Release.id)).all()
    assert refs == ["NCC 2024/25-01", "NCC 2024/25-02", "NCC 2025/26-01"]


def test_reference_is_editable_and_unique(app, client, manager, frozen_clock):
    client.post("/staff/releases/new", data=release_form(contact_id=manager, reference="ABC 2024/25-07"))
    response = client.post("/staff/releases/new", data=release_form(contact_id=manager, reference="abc 2024/25-07"))
    assert response.status_code == 200
    assert b"already in use" in response.data
    assert b"Council opens new library" in response.data, "what was typed is kept"
    response = client.post("/staff/releases/new", data=release_form(contact_id=manager))
    with app.app_context():
        refs = db.session.scalars(db.select(Release.reference).order_by(Release.id)).all()
    assert refs == ["ABC 2024/25-07", "NCC 2024/25-01"]


def test_form_errors_are_shown_next_to_fields(client, manager):
    response = client.post("/staff/releases/new", data=release_form(contact_id=manager, headline="", body="",
                                                                    release_date="31/02/2024"))
    assert response.status_code == 200
    page = response.data.decode()
    assert "There is a problem" in page
    assert 'href="#headline"' in page and "Enter a headline." in page
    assert 'id="body-error"' in page
    assert 'id="release_date-error"' in page


def test_embargo_in_uk_time(app, client, manager, frozen_clock):
    client.post("/staff/releases/new", data=release_form(contact_id=manager, embargo_date="2024-09-04", embargo_time="00:01"))
    with app.app_context():
        release = db.session.scalar(db.select(Release))
        assert release.embargo_at == datetime(2024, 9, 3, 23, 1, tzinfo=UTC)
        page = client.get(f"/staff/releases/{release.id}").data.decode()
    assert "00:01 BST, Wednesday 4 September 2024" in page


def test_nonexistent_embargo_time_is_refused(client, manager):
    response = client.post("/staff/releases/new", data=release_form(contact_id=manager, embargo_date="2025-03-30", embargo_time="01:30"))
    assert b"does not exist" in response.data
    assert b'value="01:30"' in response.data


def test_ambiguous_embargo_time_must_be_resolved(app, client, manager):
    data = release_form(contact_id=manager, embargo_date="2024-10-27", embargo_time="01:30")
    response = client.post("/staff/releases/new", data=data)
    assert b"happens twice" in response.data
    assert b'name="embargo_zone"' in response.data
    response = client.post("/staff/releases/new", data=data | {"embargo_zone": "GMT"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(db.select(Release.embargo_at)) == datetime(2024, 10, 27, 1, 30, tzinfo=UTC)


def test_embargo_needs_date_and_time(client, manager):
    response = client.post("/staff/releases/new", data=release_form(contact_id=manager, embargo_time="09:00"))
    assert b"Enter the embargo date as well as the time." in response.data


def test_edit_records_who_changed_what(app, client, manager, make_release, frozen_clock):
    release_id = make_release(contact_id=manager, body="The council has opened a new library.", notes_to_editors="")
    response = client.post(f"/staff/releases/{release_id}/edit", data=release_form(
        contact_id=manager, headline="Council opens two new libraries", reference="NCC 2024/25-01"))
    assert response.status_code == 302
    with app.app_context():
        events = db.session.scalars(db.select(ReleaseEvent).order_by(ReleaseEvent.id)).all()
        assert [e.action for e in events] == ["created", "edited"]
        assert events[1].user_id == manager
        assert events[1].changes["headline"] == ["Council opens new library", "Council opens two new libraries"]
        assert set(events[1].changes) == {"headline"}
    page = client.get(f"/staff/releases/{release_id}").data.decode()
    assert "Edited" in page and "Mary Manager" in page


def test_preview_is_not_cached(client, manager, make_release):
    release_id = make_release(contact_id=manager, embargo_at=datetime(2099, 1, 1, tzinfo=UTC), final=True)
    response = client.get(f"/staff/releases/{release_id}/preview")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert b"Embargoed until" in response.data


def test_finalise_without_embargo_is_public_at_once(app, client, manager, make_release, frozen_clock):
    release_id = make_release(contact_id=manager)
    client.post(f"/staff/releases/{release_id}/finalise")
    release = get_release(app, release_id)
    assert release.status == "final" and release.public_from == frozen_clock()
    assert client.get(f"/releases/{release.slug}").status_code == 200


def test_return_to_draft_only_before_public(app, client, manager, make_release, frozen_clock):
    embargoed = make_release(contact_id=manager, embargo_at=datetime(2024, 9, 4, tzinfo=UTC), final=True)
    client.post(f"/staff/releases/{embargoed}/draft")
    assert get_release(app, embargoed).status == "draft"
    public = make_release(contact_id=manager, final=True)
    response = client.post(f"/staff/releases/{public}/draft", follow_redirects=True)
    assert b"not yet public" in response.data
    assert get_release(app, public).status == "final"


def test_staff_cannot_change_releases(client, auth, make_user, make_release):
    release_id = make_release()
    make_user("staff", email="s@council.example")
    auth.login("s@council.example")
    assert client.get("/staff/releases/").status_code == 200
    assert client.get(f"/staff/releases/{release_id}").status_code == 200
    for url in ["/staff/releases/new", f"/staff/releases/{release_id}/edit", "/staff/releases/import",
                f"/staff/releases/{release_id}/withdraw"]:
        assert client.get(url).status_code == 403, url
    for url in [f"/staff/releases/{release_id}/finalise", f"/staff/releases/{release_id}/draft",
                f"/staff/releases/{release_id}/attachments"]:
        assert client.post(url).status_code == 403, url


def test_anonymous_visitors_are_sent_to_login(client, make_release):
    release_id = make_release()
    for url in ["/staff/releases/", f"/staff/releases/{release_id}", f"/staff/releases/{release_id}/preview"]:
        response = client.get(url)
        assert response.status_code == 302 and response.headers["Location"].startswith("/staff/login?next=")


def test_unknown_release_is_404_for_staff(client, manager):
    assert client.get("/staff/releases/999").status_code == 404
    assert client.get("/staff/releases/999/edit").status_code == 404


@pytest.mark.parametrize("kind", ["superseded", "removed"])
def test_withdraw_needs_a_reason_and_is_recorded(app, client, manager, make_release, kind):
    release_id = make_release(contact_id=manager, final=True)
    response = client.post(f"/staff/releases/{release_id}/withdraw", data={"kind": kind, "reason": ""})
    assert b"Give the public reason" in response.data
    client.post(f"/staff/releases/{release_id}/withdraw", data={"kind": kind, "reason": "Figures were wrong."})
    release = get_release(app, release_id)
    assert release.status == "withdrawn" and release.withdrawal_kind == kind
    with app.app_context():
        event = db.session.scalar(db.select(ReleaseEvent).where(ReleaseEvent.action == "withdrawn"))
        assert event.changes == {"kind": kind, "reason": "Figures were wrong."}
    assert client.get(f"/staff/releases/{release_id}/edit").status_code == 302


def test_double_submit_of_new_release_does_not_reuse_a_reference(app, client, manager, frozen_clock):
    for _ in range(3):
        client.post("/staff/releases/new", data=release_form(contact_id=manager))
    with app.app_context():
        refs = db.session.scalars(db.select(Release.reference)).all()
        slugs = db.session.scalars(db.select(Release.slug)).all()
    assert len(set(refs)) == 3 and len(set(slugs)) == 3


def test_release_date_defaults_to_today_in_london(client, manager, frozen_clock):
    frozen_clock.set(datetime(2024, 9, 3, 23, 30, tzinfo=UTC))
    page = client.get("/staff/releases/new").data.decode()
    assert date_shown("release_date", "2024-09-04").search(page)


def test_staff_list_filters_by_state_and_words(client, manager, make_release, frozen_clock):
    make_release(contact_id=manager, headline="Draft about parks")
    make_release(contact_id=manager, headline="Public about roads", final=True)
    make_release(contact_id=manager, headline="Embargoed about schools",
                 embargo_at=datetime(2024, 9, 4, tzinfo=UTC), final=True)
    everything = client.get("/staff/releases/").data.decode()
    assert all(h in everything for h in ("Draft about parks", "Public about roads", "Embargoed about schools"))
    for show, expected in [("draft", "Draft about parks"), ("public", "Public about roads"),
                           ("embargoed", "Embargoed about schools")]:
        page = client.get(f"/staff/releases/?show={show}").data.decode()
        assert expected in page and "1 release<" in page, show
    page = client.get("/staff/releases/?q=roads").data.decode()
    assert "Public about roads" in page and "Draft about parks" not in page
    assert client.get("/staff/releases/?show=nonsense&page=-4").status_code == 200


def test_editing_to_a_reference_in_use_is_refused(app, client, manager, make_release, frozen_clock):
    make_release(contact_id=manager, reference="NCC 2024/25-01")
    second = make_release(contact_id=manager, headline="Second")
    response = client.post(f"/staff/releases/{second}/edit", data=release_form(
        contact_id=manager, headline="Second, renamed", reference="ncc 2024/25-01"))
    assert response.status_code == 200
    assert b"already in use" in response.data and b'value="Second, renamed"' in response.data
    assert get_release(app, second).headline == "Second"


def test_public_release_embargo_cannot_move(app, client, manager, make_release, frozen_clock):
    release_id = make_release(contact_id=manager, final=True)
    release = get_release(app, release_id)
    response = client.post(f"/staff/releases/{release_id}/edit", data=release_form(
        contact_id=manager, reference=release.reference, embargo_date="2024-09-10", embargo_time="09:00"))
    assert b"already public" in response.data and b'id="embargo_date-error"' in response.data
    assert get_release(app, release_id).embargo_at is None


def test_editing_an_embargoed_release_moves_its_public_time(app, client, manager, make_release, frozen_clock):
    release_id = make_release(contact_id=manager, embargo_at=datetime(2024, 9, 4, tzinfo=UTC), final=True)
    release = get_release(app, release_id)
    client.post(f"/staff/releases/{release_id}/edit", data=release_form(
        contact_id=manager, reference=release.reference, embargo_date="2024-09-10", embargo_time="09:00"))
    release = get_release(app, release_id)
    assert release.embargo_at == release.public_from == datetime(2024, 9, 10, 8, 0, tzinfo=UTC)


def test_history_names_fields_as_the_form_does(app, client, manager, make_user, make_release, frozen_clock):
    other = make_user("manager", email="sam@council.example", name="Sam Other")
    release_id = make_release(contact_id=manager, notes_to_editors="")
    response = client.post(f"/staff/releases/{release_id}/edit", data=release_form(
        contact_id=other, reference="NCC 2024/25-01", notes_to_editors="1. Background.",
        helpline="Ring 0800 000 000."))
    assert response.status_code == 302
    page = client.get(f"/staff/releases/{release_id}").data.decode()
    assert "<li>Notes to editors: – → 1. Background.</li>" in page
    assert "<li>Media contact: Mary Manager → Sam Other</li>" in page
    assert "<li>Helpline or public-safety box: – → Ring 0800 000 000.</li>" in page
    assert "notes to editors:" not in page and "contact id" not in page.lower()


def test_web_addresses_in_notes_to_editors_become_links(app, client, manager, make_release, frozen_clock):
    release_id = make_release(final=True, contact_id=manager, notes_to_editors=(
        "1. The full report is at https://example.org/report.pdf.\n"
        "2. Not a link: javascript:alert(1) and `https://code.example/x`.\n"
        "3. Already a link: [the summary](https://example.org/summary)."))
    release = get_release(app, release_id)
    page = client.get(f"/releases/{release.slug}").data.decode()
    assert ('<a href="https://example.org/report.pdf" rel="noopener noreferrer nofollow">'
            'https://example.org/report.pdf</a>.') in page
    assert '<a href="https://example.org/summary" rel="noopener noreferrer nofollow">the summary</a>' in page
    assert "<code>https://code.example/x</code>" in page
    assert 'href="javascript' not in page
    email = client.get(f"/staff/releases/{release_id}/send/preview.html").data.decode()
    assert '<a href="https://example.org/report.pdf" rel="noopener noreferrer nofollow">' in email
