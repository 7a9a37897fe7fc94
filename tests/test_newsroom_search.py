"""Releases store their rendered Markdown when saved, and the newsroom search goes through an index."""

from datetime import timedelta

import pytest
from sqlalchemy import delete, insert, select

from press import clock
from press.extensions import db
from press.markdown_text import plain_text, render_markdown
from press.releases import services as releases
from press.releases.models import Release, rendered_fields

HOSTILE = (
    "Hello <script>alert(1)</script> [x](javascript:alert(2)) <img src=x onerror=alert(3)> "
    '<a href="https://ok.example" onclick="steal()">link</a> <iframe src="https://evil.example"></iframe> '
    '<svg onload=alert(4)></svg> [data](data:text/html;base64,PHNjcmlwdD4=) <p style="color:red">styled</p>'
)


def stored(app, release_id: int) -> Release:
    with app.app_context():
        release = db.session.get(Release, release_id)
        db.session.expunge(release)
        return release


def assert_harmless(html: str) -> None:
    lowered = html.lower()
    for danger in ("<script", "javascript:", "onerror", "onclick", "onload", "<iframe", "<svg", "<img",
                   "data:text", "style="):
        assert danger not in lowered, (danger, html)


def test_a_saved_release_stores_its_markdown_sanitised(app, make_release):
    release = stored(app, make_release(body=HOSTILE, helpline=HOSTILE, notes_to_editors=HOSTILE, final=True))
    for html in (release.body_html, release.helpline_html, release.notes_html):
        assert_harmless(html)
        assert 'href="https://ok.example"' in html and "noopener" in html
        assert html == render_markdown(HOSTILE), "exactly what the page used to render"
    assert "<" not in release.summary.replace("<script>", "").replace("</script>", "")
    assert release.summary.startswith("Hello")


def test_hostile_markdown_is_harmless_on_every_page_that_shows_it(app, client, make_release):
    release_id = make_release(headline="Hostile", body=HOSTILE, helpline=HOSTILE, notes_to_editors=HOSTILE, final=True)
    slug = stored(app, release_id).slug
    for url in (f"/releases/{slug}", "/feed.atom", "/"):
        page = client.get(url).data.decode()
        assert "<script>alert" not in page and "javascript:" not in page and "onerror=" not in page, url
        assert "onclick=" not in page and "<iframe" not in page, url


def test_stored_html_follows_every_edit(app, make_release):
    release_id = make_release(standfirst="", body="First **version**.", helpline="Ring *us*.")
    with app.app_context():
        release = db.session.get(Release, release_id)
        assert release.body_html == "<p>First <strong>version</strong>.</p>"
        assert release.summary == "First version."
        releases.update_release(db.session, release, by=None, body="Second _version_.", standfirst="A standfirst.")
        db.session.commit()
    release = stored(app, release_id)
    assert release.body_html == "<p>Second <em>version</em>.</p>"
    assert release.helpline_html == "<p>Ring <em>us</em>.</p>", "unchanged fields keep their HTML"
    assert release.summary == "A standfirst.", "the standfirst, when there is one, is the summary"


def test_rendered_fields_give_core_inserts_what_the_orm_stores(app, make_release, make_user):
    orm_id = make_release(standfirst="", body="Para one.\n\n- a *list*", helpline="", notes_to_editors="1. Note.")
    with app.app_context():
        orm = db.session.get(Release, orm_id)
        row = {
            "reference": "NCC 2024/25-99", "slug": "core-inserted", "headline": "Core inserted",
            "standfirst": "", "body": orm.body, "notes_to_editors": orm.notes_to_editors, "helpline": "",
            "release_date": orm.release_date, "status": "final", "public_from": clock.now(),
            "contact_id": orm.contact_id, "withdrawal_reason": "",
        }
        db.session.execute(insert(Release.__table__), [row | rendered_fields(row)])
        db.session.commit()
        core = db.session.scalar(select(Release).where(Release.slug == "core-inserted"))
        for name in ("body_html", "helpline_html", "notes_html", "summary"):
            assert getattr(core, name) == getattr(orm, name), name


def test_a_long_summary_is_cut_at_a_word_on_each_page(app, client, make_release):
    body = " ".join(f"word{n}" for n in range(200))
    release_id = make_release(body=body, final=True)
    slug = stored(app, release_id).slug
    # The same cuts as rendering the Markdown on every request made.
    assert f"<p>{plain_text(body, 200)}</p>" in client.get("/").data.decode()
    assert f'<meta name="description" content="{plain_text(body, 160)}">' in client.get(f"/releases/{slug}").data.decode()
    assert f"<summary>{plain_text(body, 300)}</summary>" in client.get("/feed.atom").data.decode()
    assert plain_text(body, 160).endswith("…") and len(plain_text(body, 160)) <= 160


def test_search_matches_the_beginnings_of_words(client, make_release):
    make_release(headline="Library opens in Eastgate", body="Books and computers.", final=True)
    make_release(headline="Gritting routes", body="Lorries will treat 1,240 miles of road.", final=True)
    assert "Library opens" in client.get("/?q=librar").data.decode()
    assert "Library opens" in client.get("/?q=LIBRARY").data.decode()
    page = client.get("/?q=eastgate+comput").data.decode()
    assert "Library opens" in page and "1 release found" in page
    assert "0 releases found" in client.get("/?q=eastgate+lorries").data.decode(), "every word must match"
    assert "Gritting routes" in client.get("/?q=1,240").data.decode()


@pytest.mark.parametrize("q", [
    '"', '""', "*", "AND", "OR", "NOT", "NEAR(", "NEAR(a b", "-", ":", "headline:", "^", "(", ")", "a OR",
    "'; DROP TABLE releases; --", "%", "_", "\\", "{a b}", "+", "lib*", '"unclosed', "a" * 200, "x " * 100,
    "ÆØÅ ü 漢字", "\u200b", "\t",
])
def test_hostile_search_input_is_never_an_error(client, make_release, q):
    make_release(headline="Library opens", body='Books, "quotes" and - dashes: * stars.', final=True)
    response = client.get("/", query_string={"q": q})
    assert response.status_code == 200, q
    assert b"found for" in response.data or not q.strip()


def test_a_nul_in_a_search_is_refused_not_a_server_error(client):
    assert client.get("/?q=%00library").status_code == 400


def test_search_never_shows_a_release_before_its_time(app, client, make_release, frozen_clock):
    make_release(headline="Public wombat story", final=True)
    embargoed = make_release(headline="Secret wombat plans", body="Wombat numbers.",
                             embargo_at=frozen_clock() + timedelta(hours=2), final=True)
    make_release(headline="Draft wombat notes")
    for q in ("wombat", "secret", "plans", "numbers"):
        page = client.get(f"/?q={q}").data.decode()
        assert "Secret wombat" not in page and "Draft wombat" not in page, q
    assert "1 release found" in client.get("/?q=wombat").data.decode()
    frozen_clock.advance(hours=2)
    page = client.get("/?q=wombat+plans").data.decode()
    assert "Secret wombat plans" in page and "1 release found" in page
    with app.app_context():
        releases.withdraw_release(db.session, db.session.get(Release, embargoed), by=None,
                                  kind="removed", reason="Published in error.")
        db.session.commit()
    assert "0 releases found" in client.get("/?q=secret").data.decode()


def test_search_follows_edits_and_deletions(app, client, make_release):
    release_id = make_release(headline="Allotment waiting list", body="Plots.")
    with app.app_context():
        release = db.session.get(Release, release_id)
        releases.update_release(db.session, release, by=None, headline="Orchard planting", body="Trees.")
        releases.finalise_release(db.session, release, by=None)
        db.session.commit()
    assert "0 releases found" in client.get("/?q=allotment").data.decode()
    assert "Orchard planting" in client.get("/?q=trees").data.decode()
    with app.app_context():
        db.session.execute(delete(Release).where(Release.id == release_id))
        db.session.commit()
    assert "0 releases found" in client.get("/?q=orchard").data.decode()


def test_search_results_are_paged_newest_first(app, client, make_release, frozen_clock):
    app.config["PRESS_RELEASES_PER_PAGE"] = 2
    for n in range(5):
        make_release(headline=f"Heron sighting {n}", final=True)
        frozen_clock.advance(minutes=1)
    make_release(headline="Unrelated", final=True)
    first = client.get("/?q=heron").data.decode()
    assert "5 releases found" in first
    assert first.index("Heron sighting 4") < first.index("Heron sighting 3")
    assert 'href="/?page=2&amp;q=heron" rel="next"' in first
    last = client.get("/?q=heron&page=3").data.decode()
    assert "Heron sighting 0" in last and 'rel="next"' not in last
    assert client.get("/?q=heron&page=4").status_code == 404


@pytest.mark.sqlite
def test_sqlite_search_uses_the_full_text_index(app, make_release):
    with app.app_context():
        assert db.engine.dialect.name == "sqlite"
        make_release(headline="Kingfisher survey", final=True)
        from press.newsroom.queries import listed_releases

        statements = []
        from sqlalchemy import event

        def remember(_conn, _cursor, statement, *_args):
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", remember)
        try:
            page = listed_releases(db.session, clock.now(), page=1, per_page=20, q="kingfish")
        finally:
            event.remove(db.engine, "before_cursor_execute", remember)
        assert [r.headline for r in page.items] == ["Kingfisher survey"]
        assert any("releases_search MATCH" in s for s in statements)
        assert not any("LIKE" in s.upper() for s in statements)
