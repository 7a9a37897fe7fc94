import pytest

from press.extensions import limiter
from tests.conftest import PASSWORD


@pytest.fixture
def app_config(app_config):
    app_config.update(RATELIMIT_ENABLED=True, PRESS_LOGIN_RATE_LIMIT="3 per minute")
    return app_config


def test_login_is_rate_limited(app, client):
    with app.app_context():
        limiter.reset()
    attempts = [
        client.post("/staff/login", data={"email": "x@council.example", "password": "nope nope nope"}).status_code
        for _ in range(5)
    ]
    assert attempts == [200, 200, 200, 429, 429]
    response = client.post("/staff/login", data={"email": "x@council.example", "password": "nope nope nope"})
    assert b"Too many attempts" in response.data
    assert "Content-Security-Policy" in response.headers
    assert client.get("/staff/login").status_code == 200, "only attempts are limited"


def sign_in(client, email: str, password: str = "nope nope nope", forwarded_for: str | None = None):
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return client.post("/staff/login", data={"email": email, "password": password}, headers=headers)


def from_address(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def test_sign_in_is_limited_per_account_wherever_the_guesses_come_from(app, make_user):
    make_user("manager", email="victim@council.example")
    make_user("manager", email="other@council.example")
    app.config.update(PRESS_LOGIN_RATE_LIMIT="100 per minute", PRESS_LOGIN_ACCOUNT_RATE_LIMIT="3 per minute")
    with app.app_context():
        limiter.reset()
    spellings = ["victim@council.example", " Victim@Council.EXAMPLE", "VICTIM@council.example"]
    guesses = [sign_in(from_address(app, f"198.51.100.{n}"), email).status_code for n, email in enumerate(spellings)]
    assert guesses == [200, 200, 200]
    response = sign_in(from_address(app, "203.0.113.9"), "victim@council.example", PASSWORD)
    assert response.status_code == 429, "a fourth try from a fourth address, even the right password, waits"
    page = response.data.decode()
    assert "Too many attempts to sign in to this account" in page and "<h1>Sign in to the press office</h1>" in page
    assert 'value="victim@council.example"' in page and PASSWORD not in page
    assert sign_in(from_address(app, "198.51.100.0"), "other@council.example", PASSWORD).status_code == 302, (
        "other accounts are not held back")


def test_one_address_hammering_does_not_lock_out_others_behind_a_proxy(build_app, make_user):
    make_user("manager", email="colleague@council.example")
    app = build_app(PRESS_TRUSTED_PROXIES=1)
    with app.app_context():
        limiter.reset()
    proxy = "10.0.0.1"
    hammering = [sign_in(from_address(app, proxy), f"guess{n}@council.example", forwarded_for="203.0.113.5")
                 for n in range(4)]
    assert [response.status_code for response in hammering] == [200, 200, 200, 429]
    assert "Too many attempts to sign in from your network" in hammering[-1].data.decode()
    colleague = sign_in(from_address(app, proxy), "colleague@council.example", PASSWORD,
                        forwarded_for="198.51.100.20")
    assert colleague.status_code == 302, "another visitor through the same proxy signs in"
