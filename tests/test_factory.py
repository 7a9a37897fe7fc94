import importlib.util
import os
import stat
import subprocess
import sys

import pytest

from press import create_app, links
from press.factory import ROOT


def test_config_from_test_config(app):
    assert app.testing
    assert app.config["PRESS_REF_PREFIX"] == "NCC"


def test_refuses_to_start_without_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_debug_mode_is_no_reason_to_start_without_a_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("FLASK_DEBUG", "1")
    with pytest.raises(RuntimeError, match="SECRET_KEY is not set"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_the_refusal_says_what_to_do(tmp_path):
    """As gunicorn or flask would start it in debug mode, with no key: it stops and says how to set one."""
    env = {name: value for name, value in os.environ.items() if name != "SECRET_KEY"}
    env.update(FLASK_DEBUG="1", DATABASE_URL=f"sqlite:///{tmp_path / 'press.db'}")
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "app.py", "routes"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "SECRET_KEY is not set, so press will not start" in result.stderr
    assert "export SECRET_KEY=" in result.stderr and "instance/secret_key" in result.stderr
    assert not (tmp_path / "press.db").exists()


def test_a_test_app_without_a_key_signs_with_a_random_one(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    config = {"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"}
    keys = {create_app(config).config["SECRET_KEY"] for _ in range(2)}
    assert len(keys) == 2 and all(len(key) == 64 for key in keys)
    assert "development-only-not-secret" not in keys


def test_make_run_keeps_a_generated_key_the_app_starts_with(monkeypatch, tmp_path):
    spec = importlib.util.spec_from_file_location("run_script", ROOT / "scripts" / "run.py")
    run = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(run)
    monkeypatch.setattr(run, "ROOT", tmp_path)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    env = run.local_environment()
    key_file = tmp_path / "instance" / "secret_key"
    assert env["SECRET_KEY"] == key_file.read_text() and len(env["SECRET_KEY"]) == 64
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert run.local_environment()["SECRET_KEY"] == env["SECRET_KEY"], "the same key on every run"
    monkeypatch.setenv("SECRET_KEY", env["SECRET_KEY"])
    monkeypatch.setenv("FLASK_DEBUG", "1")
    assert create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}).config["SECRET_KEY"] == env["SECRET_KEY"]


def test_environment_is_read(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "from-env")
    monkeypatch.setenv("PRESS_REF_PREFIX", "ABC")
    monkeypatch.setenv("DATABASE_URL", "postgres://user@db.example/press")
    app = create_app({"PRESS_UPLOAD_DIR": str(tmp_path)})
    assert app.config["SECRET_KEY"] == "from-env"
    assert app.config["PRESS_REF_PREFIX"] == "ABC"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://user@db.example/press"


def test_every_press_setting_can_be_set_from_the_environment(monkeypatch, tmp_path):
    from press import config

    readable = set(config.TEXT_SETTINGS + config.INT_SETTINGS + config.FLOAT_SETTINGS + config.BOOL_SETTINGS)
    assert {name for name in config.DEFAULTS if name.startswith("PRESS_")} <= readable
    monkeypatch.setenv("SECRET_KEY", "from-env")
    monkeypatch.setenv("PRESS_IMPORT_DIR", str(tmp_path / "imports"))
    monkeypatch.setenv("PRESS_RELEASES_PER_PAGE", "7")
    monkeypatch.setenv("PRESS_SIGNUP_CONFIRM_DAYS", "3")
    app = create_app({"PRESS_UPLOAD_DIR": str(tmp_path), "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["PRESS_IMPORT_DIR"] == str(tmp_path / "imports")
    assert app.config["PRESS_RELEASES_PER_PAGE"] == 7
    assert app.config["PRESS_SIGNUP_CONFIRM_DAYS"] == 3


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


def test_the_worker_app_links_to_the_pages_the_views_route(app, app_config):
    from press.factory import EMAIL_LINKS, create_worker_app

    worker_app = create_worker_app(app_config)
    full = {rule.endpoint: rule for rule in app.url_map.iter_rules()}
    lean = {rule.endpoint: rule for rule in worker_app.url_map.iter_rules()}
    assert set(lean) == set(EMAIL_LINKS)
    for endpoint, rule in lean.items():
        assert full[endpoint].rule == rule.rule, endpoint
        assert full[endpoint].arguments == rule.arguments, endpoint
    values = {"slug": "a-release", "attachment_id": 7, "filename": "photo.jpg", "token": "t0k3n",
              "distribution_id": 3, "enquiry_id": 9}
    for endpoint, rule in lean.items():
        wanted = {name: values[name] for name in rule.arguments}
        with app.app_context():
            expected = links.absolute_url(endpoint, **wanted)
        with worker_app.app_context():
            assert links.absolute_url(endpoint, **wanted) == expected


def test_a_worker_process_loads_no_views_forms_or_web_extensions(tmp_path):
    """As each process of `flask press worker --processes N` builds it (the User model brings Flask-Login's
    small mixin module, which is allowed)."""
    env = dict(os.environ, SECRET_KEY="k" * 64, DATABASE_URL=f"sqlite:///{tmp_path / 'press.db'}")
    script = ("import sys; from press.factory import create_worker_app; create_worker_app(); "
              "from press.outbox import kinds; print(sorted(kinds.KINDS)); "
              "print(sorted(m for m in sys.modules if m.startswith(('flask_wtf', 'wtforms', 'flask_limiter', "
              "'limits')) or m.endswith(('.views', '.forms', '.public'))))")
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=60, check=True)
    registered, loaded = result.stdout.splitlines()
    assert "'release'" in registered and "'enquiry-acknowledgement'" in registered
    assert "'signup-confirmation'" in registered
    assert loaded == "[]"
