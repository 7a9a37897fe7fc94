"""The public newsroom: list, release page, search, feed, sitemap, withdrawal."""

import xml.etree.ElementTree as ET
from datetime import datetime, timedelta

from sqlalchemy import event

from press.extensions import db
from press.releases.models import Release

ATOM = "{http://www.w3.org/2005/Atom}"


def slug_of(app, release_id: int) -> str:
    with app.app_context():
        return db.session.get(Release, release_id).slug


def test_newsroom_lists_public_releases_newest_first(app, client, make_release, frozen_clock):
    make_release(headline="First release", final=True)
    frozen_clock.advance(hours=1)
    make_release(headline="Second release", final=True)
    make_release(headline="Still a draft")
    page = client.get("/").data.decode()
    assert page.index("Second release") < page.index("First release")
    assert "Still a draft" not in page


def test_newsroom_is_paginated(app, client, make_release, frozen_clock):
    app.config["PRESS_RELEASES_PER_PAGE"] = 2
    for n in range(5):
        make_release(headline=f"Release number {n}", final=True)
        frozen_clock.advance(minutes=1)
    first = client.get("/").data.decode()
    assert "Release number 4" in first and "Release number 3" in first and "Release number 2" not in first
    assert "Page 1" in first and 'href="/?page=2" rel="next"' in first and 'rel="prev"' not in first
    last = client.get("/?page=3").data.decode()
    assert "Release number 0" in last and "Release number 1" not in last
    assert 'href="/?page=2" rel="prev"' in last and 'rel="next"' not in last
    # Nothing counts the archive, so a page past the end is found only by asking for it.
    for beyond in ("4", "99", "0", "-1", "9" * 30):
        assert client.get(f"/?page={beyond}").status_code == 404, beyond
    assert client.get("/?page=abc").status_code == 200


def test_newsroom_list_never_counts_the_archive(app, client, make_release):
    for n in range(3):
        make_release(headline=f"Story {n}", final=True)
    statements = []

    def remember(_conn, _cursor, statement, *_args):
        statements.append(statement)

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", remember)
        try:
            for url in ("/", "/?page=1", "/feed.atom"):
                assert client.get(url).status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", remember)
    assert statements and not [s for s in statements if "count(" in s.lower()]


def test_release_page_has_contact_helpline_and_enquiry_link(app, client, make_user, make_release):
    contact = make_user("manager", email="jane@council.example", name="Jane Smith",
                        job_title="Communications Manager", phone="07700 900123")
    release_id = make_release(contact_id=contact, helpline="If you are worried about a child ring 01632 960 123.",
                              notes_to_editors="The full report is at https://council.example/report.", final=True)
    with app.app_context():
        release = db.session.get(Release, release_id)
        slug, reference = release.slug, release.reference
    page = client.get(f"/releases/{slug}").data.decode()
    assert "For media enquiries or interview requests contact Jane Smith, Communications Manager" in page
    assert "jane@council.example" in page and "07700 900123" in page
    assert "If you are worried about a child" in page
    assert "Notes to editors" in page and "ENDS" in page
    assert f'href="/enquiries/new?release={reference.replace(" ", "%20")}"' in page
    assert 'media="print"' in page


def test_release_body_html_is_sanitised(app, client, make_release):
    release_id = make_release(body="Hello <script>alert(1)</script> [x](javascript:alert(2)) <img src=x onerror=alert(3)>",
                              final=True)
    page = client.get(f"/releases/{slug_of(app, release_id)}").data.decode()
    assert "<script>alert" not in page and "javascript:" not in page and "onerror" not in page


def test_search_finds_words_in_headline_and_body(client, make_release):
    make_release(headline="Gritting routes published", body="Lorries will treat 1,240 miles of road.", final=True)
    make_release(headline="Library opens", body="Books and computers.", final=True)
    assert "Gritting routes" in client.get("/?q=gritting").data.decode()
    page = client.get("/?q=computers").data.decode()
    assert "Library opens" in page and "Gritting" not in page
    assert "1 release found" in page
    assert "Library opens" not in client.get("/?q=100%25").data.decode()
    assert client.get("/?q=" + "x" * 5000).status_code == 200


def test_feed_is_valid_atom(app, client, make_release):
    make_release(headline="Fish & chips <festival>", body="A **great** day.", final=True)
    response = client.get("/feed.atom")
    assert response.mimetype == "application/atom+xml"
    root = ET.fromstring(response.data)
    assert root.tag == f"{ATOM}feed"
    for name in ("id", "title", "updated"):
        assert root.find(f"{ATOM}{name}") is not None
    entry = root.find(f"{ATOM}entry")
    assert entry.find(f"{ATOM}title").text == "Fish & chips <festival>"
    assert entry.find(f"{ATOM}link").get("href").startswith("http://press.test/releases/")
    assert "<strong>great</strong>" in entry.find(f"{ATOM}content").text
    for name in ("id", "updated", "published"):
        datetime.strptime(entry.find(f"{ATOM}{name}").text if name != "id" else "2000-01-01T00:00:00Z",
                          "%Y-%m-%dT%H:%M:%SZ")


def test_empty_feed_is_valid(client):
    root = ET.fromstring(client.get("/feed.atom").data)
    assert root.find(f"{ATOM}updated").text.endswith("Z")


def test_sitemap_and_robots(app, client, make_release):
    release_id = make_release(final=True)
    root = ET.fromstring(client.get("/sitemap.xml").data)
    locs = [el.text for el in root.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    assert f"http://press.test/releases/{slug_of(app, release_id)}" in locs
    assert "Disallow: /staff/" in client.get("/robots.txt").data.decode()


def test_previous_and_next_links(app, client, make_release, frozen_clock):
    ids = []
    for n in range(3):
        ids.append(make_release(headline=f"Story {n}", final=True))
        frozen_clock.advance(minutes=5)
    page = client.get(f"/releases/{slug_of(app, ids[1])}").data.decode()
    assert "Newer: Story 2" in page and "Older: Story 0" in page


def test_superseded_release_keeps_text_under_banner(app, client, manager, make_release):
    release_id = make_release(contact_id=manager, headline="Bin collections change", body="New days from May.", final=True)
    client.post(f"/staff/releases/{release_id}/withdraw", data={"kind": "superseded", "reason": "See the newer release."})
    client.post("/staff/logout")
    page = client.get(f"/releases/{slug_of(app, release_id)}").data.decode()
    assert "This release has been withdrawn" in page and "See the newer release." in page
    assert "New days from May." in page
    assert "Bin collections change" in client.get("/").data.decode()


def test_removed_release_leaves_only_the_notice(app, client, manager, make_release, tmp_path):
    release_id = make_release(contact_id=manager, headline="Defamatory headline", body="Secret body text.", final=True)
    client.post(f"/staff/releases/{release_id}/attachments",
                data={"document": (__import__("io").BytesIO(b"%PDF-1.4 report"), "report.pdf")},
                content_type="multipart/form-data")
    with app.app_context():
        release = db.session.get(Release, release_id)
        slug, attachment = release.slug, release.attachments[0]
        download = f"/releases/{slug}/files/{attachment.id}/{attachment.filename}"
    with client.get(download) as response:
        assert response.status_code == 200 and response.data == b"%PDF-1.4 report"
    client.post(f"/staff/releases/{release_id}/withdraw", data={"kind": "removed", "reason": "Published in error."})
    client.post("/staff/logout")
    page = client.get(f"/releases/{slug}").data.decode()
    assert "Published in error." in page
    assert "Defamatory headline" not in page and "Secret body text." not in page
    assert client.get(download).status_code == 404
    for url in ["/", "/feed.atom", "/sitemap.xml", "/?q=Secret"]:
        body = client.get(url).data.decode()
        assert "Defamatory" not in body and "Secret body" not in body and slug not in body, url


def test_withdrawing_before_the_embargo_leaves_nothing_public(app, client, manager, make_release, frozen_clock):
    release_id = make_release(contact_id=manager, embargo_at=frozen_clock() + timedelta(hours=2), final=True)
    client.post(f"/staff/releases/{release_id}/withdraw", data={"kind": "superseded", "reason": "Cancelled."})
    client.post("/staff/logout")
    frozen_clock.advance(hours=3)
    assert client.get(f"/releases/{slug_of(app, release_id)}").status_code == 404


def test_unknown_release_is_404(client):
    response = client.get("/releases/no-such-release")
    assert response.status_code == 404
    assert b"Page not found" in response.data
