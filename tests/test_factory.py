import pytest

from press import create_app


def test_config_from_test_config(app):
    assert app.testing
    assert app.config["PRESS_REF_PREFIX"] == "NCC"


def test_refuses_to_start_without_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_environment_is_read(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "from-env")
    monkeypatch.setenv("PRESS_REF_PREFIX", "ABC")
    monkeypatch.setenv("DATABASE_URL", "postgres://user@db.example/press")
    app = create_app({"PRESS_UPLOAD_DIR": str(tmp_path)})
    assert app.config["SECRET_KEY"] == "from-env"
    assert app.config["PRESS_REF_PREFIX"] == "ABC"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://user@db.example/press"


def test_https_base_url_makes_cookies_secure(tmp_path):
    app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://", "PRESS_BASE_URL": "https://news.example"})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_healthz_reports_unreachable_database(tmp_path):
    app = create_app({
        "TESTING": True, "SECRET_KEY": "x",
        "SQLALCHEMY_DATABASE_URI": "postgresql://nobody@127.0.0.1:1/none",
        "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"connect_timeout": 1}},
    })
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
