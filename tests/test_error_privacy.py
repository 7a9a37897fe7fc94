"""Errors never print personal data: commands end with one line, and logs and pages never show a statement's values."""

import csv
import logging
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import insert, text

from press import clock, create_app
from press.contacts.models import Contact, ContactStatus, new_unsubscribe_key
from press.extensions import db
from tests.conftest import base_config, migrate_to_head

ROOT = Path(__file__).resolve().parent.parent
CONTACTS = 600
# secrets.token_urlsafe(24), as unsubscribe keys are made.
UNSUBSCRIBE_KEY = re.compile(r"[A-Za-z0-9_-]{32}")


def write_contacts(path: Path) -> list[tuple[str, str]]:
    """A CSV of contacts with names and addresses found nowhere else, and notes long enough to fill pages."""
    people = [(f"Zephyrine Quillfeather-{n:03d}", f"zq{n:03d}.private@hushmail-{n:03d}.example")
              for n in range(CONTACTS)]
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Name", "Email", "Outlet", "Notes"])
        for n, (name, email) in enumerate(people):
            writer.writerow([name, email, f"Quiet Outlet {n:03d}", f"Met at the {n:03d} conference. " * 150])
    return people


def assert_tells_no_one(output: str, people: list[tuple[str, str]]) -> None:
    assert "Traceback" not in output and "[parameters" not in output and "conference" not in output
    for name, email in people:
        assert name not in output and email not in output
    assert "Quillfeather" not in output and "hushmail" not in output
    assert not UNSUBSCRIBE_KEY.search(output), output


def test_import_contacts_on_a_full_disk_says_one_line_and_writes_nothing(small_disk, tmp_path):
    template = tmp_path / "template.db"
    migrate_to_head(f"sqlite:///{template}", tmp_path)
    database = small_disk.path / "press.db"
    shutil.copy(template, database)
    people = write_contacts(tmp_path / "contacts.csv")
    small_disk.fill(leave=64 * 1024)

    environment = {
        "PATH": os.environ["PATH"], "FLASK_APP": "app.py", "DATABASE_URL": f"sqlite:///{database}",
        "SECRET_KEY": "test-secret-key", "PRESS_IMPORT_DIR": str(tmp_path / "imports"),
    }
    result = subprocess.run(
        [sys.executable, "-m", "flask", "press", "import-contacts", str(tmp_path / "contacts.csv")],
        env=environment, cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode != 0
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert re.fullmatch(r"Error: the database could not save the import \((database or disk is full|disk I/O error)\): "
                        r"nothing was written\. Free some space or check the database, then run the command again\.",
                        lines[0]), lines[0]
    assert_tells_no_one(result.stdout + result.stderr, people)

    small_disk.free()
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT count(*) FROM contacts").fetchone() == (0,)
        assert connection.execute("SELECT count(*) FROM contact_imports").fetchone() == (0,)
    connection.close()


def test_import_contacts_says_so_when_the_report_cannot_be_written(app, runner, tmp_path):
    """The import is saved before the report is written: the line says it was, and where to get the report."""
    people = write_contacts(tmp_path / "contacts.csv")
    imports = Path(app.config["PRESS_IMPORT_DIR"])
    # The report's path is taken by a folder, as a file that cannot be written would be.
    (imports / "contacts-import-1-report.csv").mkdir(parents=True)
    result = runner.invoke(args=["press", "import-contacts", str(tmp_path / "contacts.csv")])
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: the import was saved ({CONTACTS} added, 0 updated, 0 skipped, "
                                    "0 rejected), but its report could not be written to ")
    assert "http://press.test/staff/contacts/import/1/report.csv" in result.output
    assert_tells_no_one(result.output, people)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Contact)) == CONTACTS


def test_commands_on_a_database_that_cannot_be_opened_say_one_line(tmp_path):
    app = create_app(base_config(f"sqlite:///{tmp_path / 'gone' / 'press.db'}", tmp_path))
    try:
        write_contacts(tmp_path / "contacts.csv")
        result = app.test_cli_runner().invoke(args=["press", "import-contacts", str(tmp_path / "contacts.csv")])
        assert result.exit_code == 1
        assert result.output == ("Error: the database could not save the import (unable to open database file): "
                                 "nothing was written. Free some space or check the database, then run the command "
                                 "again.\n")
        result = app.test_cli_runner().invoke(args=["press", "purge-enquiries"])
        assert result.exit_code == 1
        assert result.output.startswith("Error: the database could not anonymise the enquiries")
    finally:
        with app.app_context():
            db.engine.dispose()


def test_commands_with_the_postgresql_server_stopped_say_one_line(own_postgres, tmp_path):
    migrate_to_head(own_postgres.url, tmp_path)
    app = create_app(base_config(own_postgres.url, tmp_path))
    try:
        people = write_contacts(tmp_path / "contacts.csv")
        own_postgres.stop()
        result = app.test_cli_runner().invoke(args=["press", "import-contacts", str(tmp_path / "contacts.csv")])
        assert result.exit_code == 1
        assert result.output.startswith("Error: the database could not save the import "
                                        "(the database server cannot be reached): nothing was written.")
        assert_tells_no_one(result.output, people)
    finally:
        with app.app_context():
            db.engine.dispose()


def test_the_engine_hides_parameters(app):
    with app.app_context():
        with pytest.raises(Exception) as caught:
            db.session.execute(text("SELECT * FROM no_such_table WHERE email = :email"),
                               {"email": "hidden.person@private.example"})
        db.session.rollback()
    assert "no_such_table" in str(caught.value)
    assert "hidden.person@private.example" not in str(caught.value)


def test_engine_options_of_a_deployment_keep_parameters_hidden(tmp_path):
    app = create_app(base_config(f"sqlite:///{tmp_path / 'x.db'}", tmp_path)
                     | {"SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": False}})
    try:
        with app.app_context():
            assert db.engine.hide_parameters
    finally:
        with app.app_context():
            db.engine.dispose()


SECRET = {"name": "Ottoline Verrinder-Pask", "email": "ottoline.vp@secret-inbox.example",
          "outlet": "Hidden Quarterly", "unsubscribe_key": new_unsubscribe_key()}


@pytest.mark.parametrize("statement", ["duplicate", "no such table"])
def test_a_database_error_in_a_request_logs_and_shows_no_values(build_app, caplog, statement):
    app = build_app(PROPAGATE_EXCEPTIONS=False)

    @app.post("/clash")
    def clash():
        now = clock.now()
        row = SECRET | {"status": ContactStatus.ACTIVE, "created_at": now, "updated_at": now}
        if statement == "duplicate":
            db.session.execute(insert(Contact), [row])
            db.session.execute(insert(Contact), [row])
        else:
            db.session.execute(text("SELECT * FROM no_such_table WHERE email = :email AND name = :name"), row)
        return "written"

    with caplog.at_level(logging.ERROR):
        response = app.test_client().post("/clash")
    assert response.status_code == 500
    logged = caplog.text
    assert "Traceback" in logged and "Exception on /clash [POST]" in logged
    assert ("IntegrityError" if statement == "duplicate" else "no_such_table") in logged
    for value in SECRET.values():
        assert value not in logged, logged
        assert value not in response.data.decode()
    # Nothing that formats a record afresh from the exception can find the values either.
    for record in caplog.records:
        assert record.exc_info is None
