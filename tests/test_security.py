"""Headers on every response, CSRF on every form, and input that must never cause a 500."""

import re

import pytest

from press.extensions import db
from press.releases.models import Release


def assert_security_headers(response) -> None:
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


@pytest.mark.parametrize("url", ["/", "/feed.atom", "/healthz", "/staff/login", "/no-such-page", "/releases/x",
                                 "/static/css/site.css"])
def test_security_headers_on_every_response(client, url):
    with client.get(url) as response:
        assert_security_headers(response)


def test_security_headers_on_errors(client):
    response = client.post("/")
    assert response.status_code == 405
    assert_security_headers(response)


def test_security_headers_on_server_errors(build_app):
    app = build_app(PROPAGATE_EXCEPTIONS=False)

    @app.get("/boom")
    def boom():
        raise RuntimeError("boom")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    assert b"Sorry, there is a problem with the service" in response.data
    assert_security_headers(response)


def test_hsts_only_over_https(client):
    assert "Strict-Transport-Security" not in client.get("/").headers
    response = client.get("/", base_url="https://press.test")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_pages_use_no_inline_script_or_style(client, manager, make_release):
    release_id = make_release(final=True, contact_id=manager)
    for url in ["/", "/staff/releases/", "/staff/releases/new", f"/staff/releases/{release_id}",
                f"/staff/releases/{release_id}/preview", "/staff/releases/import"]:
        page = client.get(url).data.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)", page), url
        assert "<style" not in page and " style=" not in page and " onclick=" not in page, url
        assert not re.search(r'(src|<link[^>]*href)="(https?:)?//', page), f"{url} loads something from elsewhere"


@pytest.fixture
def csrf_app(build_app):
    return build_app(WTF_CSRF_ENABLED=True)


def post_routes(app):
    return sorted(
        rule.rule for rule in app.url_map.iter_rules() if "POST" in rule.methods
    )


def test_every_form_needs_a_csrf_token(csrf_app, make_user, make_release):
    make_user("manager", email="m@council.example")
    release_id = make_release(final=True)
    client = csrf_app.test_client()
    page = client.get("/staff/login").data.decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/staff/login", data={"email": "m@council.example", "password": "correct horse battery staple"})
    assert response.status_code == 400 and b"The form has expired" in response.data
    response = client.post("/staff/login", data={"email": "m@council.example", "password": "correct horse battery staple",
                                                  "csrf_token": token})
    assert response.status_code == 302
    for rule in post_routes(csrf_app):
        if rule in CSRF_EXEMPT:
            continue
        url = re.sub(r"<int:[a-z_]+>", "1", rule.replace("<int:release_id>", str(release_id)))
        url = re.sub(r"<[a-z_:]+>", "x", url)
        response = client.post(url, data={})
        assert response.status_code == 400, f"{url} accepted a POST without a CSRF token"


# RFC 8058: mail providers post the one-click unsubscribe without a session; the signed token is the credential.
CSRF_EXEMPT = {"/unsubscribe/<token>"}


def test_only_the_one_click_unsubscribe_is_exempt(csrf_app):
    views = csrf_app.view_functions
    exempt = {rule.rule for rule in csrf_app.url_map.iter_rules()
              if f"{views[rule.endpoint].__module__}.{views[rule.endpoint].__name__}"
              in csrf_app.extensions["csrf"]._exempt_views}
    assert exempt == CSRF_EXEMPT


def test_forms_render_a_csrf_token(csrf_app, make_user, make_release):
    make_user("manager", email="m@council.example")
    release_id = make_release(final=True)
    client = csrf_app.test_client()
    page = client.get("/staff/login").data.decode()
    assert page.count("<form") == page.count('name="csrf_token"') == 1
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/staff/login", data={"email": "m@council.example", "password": "correct horse battery staple",
                                      "csrf_token": token})
    for url in ["/staff/releases/new", "/staff/releases/import", f"/staff/releases/{release_id}",
                f"/staff/releases/{release_id}/withdraw"]:
        page = client.get(url).data.decode()
        assert page.count("<form") == page.count('name="csrf_token"'), url


HOSTILE = ["", "\x00", "' OR 1=1 --", "<script>alert(1)</script>", "%", "\u202e\u05e9\u05dc\u05d5\u05dd", "😀" * 500,
           "../../etc/passwd", "a" * 100_000]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_input_never_causes_a_server_error(client, manager, value):
    checks = [
        client.get("/", query_string={"q": value, "page": value}),
        client.get("/releases/" + (value.replace("/", "") or "x")),
        client.post("/staff/releases/new", data={"headline": value, "body": value, "release_date": value,
                                                  "contact_id": value, "embargo_date": value, "embargo_time": value,
                                                  "embargo_zone": value, "reference": value}),
        client.post("/staff/releases/import", data={"text": value}),
        client.post("/staff/login", data={"email": value, "password": value}),
    ]
    for response in checks:
        assert response.status_code < 500, response.request.path


def test_nul_bytes_are_stripped_from_forms_and_refused_in_addresses(app, client, manager):
    response = client.post("/staff/releases/new", data={"headline": "Nul\x00 headline", "body": "Body\x00 text",
                                                          "release_date": "2024-09-03", "contact_id": manager})
    assert response.status_code == 302
    with app.app_context():
        release = db.session.scalar(db.select(Release))
        assert release.headline == "Nul headline" and release.body == "Body text"
    assert client.get("/?q=%00").status_code == 400
    assert client.get("/releases/a%00b").status_code == 400


def test_an_anonymous_visitors_session_cookie_is_written_once(csrf_app):
    client = csrf_app.test_client()
    first = client.get("/enquiries/new")
    assert any(cookie.startswith("press_session=") for cookie in first.headers.getlist("Set-Cookie"))
    # Public pages never ask who is signed in, so nothing rewrites the cookie (or caches less).
    for url in ["/enquiries/new", "/", "/feed.atom"]:
        response = client.get(url)
        assert response.status_code == 200
        assert response.headers.getlist("Set-Cookie") == [], url
        assert "no-store" not in response.headers.get("Cache-Control", ""), url


def test_the_sign_in_page_leaves_an_anonymous_visitors_session_alone(csrf_app):
    client = csrf_app.test_client()
    first = client.get("/staff/login")
    assert any(cookie.startswith("press_session=") for cookie in first.headers.getlist("Set-Cookie"))
    for _ in range(2):
        again = client.get("/staff/login")
        assert again.status_code == 200
        assert again.headers.getlist("Set-Cookie") == [], "nothing to protect, so nothing rewritten"


def test_a_signed_in_session_used_from_another_browser_is_emptied(client, manager):
    assert client.get("/staff/releases/").status_code == 200  # the browser that signed in
    stolen = client.get("/staff/releases/", headers={"User-Agent": "Another browser"})
    assert stolen.status_code == 302 and "/staff/login" in stolen.headers["Location"]
    assert client.get("/staff/releases/").status_code == 302, "the session was emptied, not just refused once"
