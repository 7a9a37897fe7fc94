import pytest

from press.extensions import limiter


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
