"""`flask press import-contacts`: a summary, a per-row report, lists, and 50,000 rows in one go."""

import csv
import io
import re
from pathlib import Path

from press.audit import AuditEvent
from press.contacts.models import Contact, MediaList
from press.extensions import db

MESSY = """\ufeffName;E-mail;Organisation;Phone;Lists\r
Ann Lee;Ann.Lee@Gazette.example;Northshire Gazette;07700 900123;Local press\r
;not-an-email;Nowhere;;\r
\r
Bob Roe;bob@radio.example;Radio Northshire;12345;Broadcast|Local press\r
Ann Again;ann.lee@gazette.EXAMPLE;;;National\r
"""


def run_import(runner, path: Path, *lists: str):
    args = ["press", "import-contacts", str(path)]
    for name in lists:
        args += ["--list", name]
    return runner.invoke(args=args)


def test_cli_import_reports_every_row(app, runner, tmp_path):
    path = tmp_path / "contacts.csv"
    path.write_bytes(MESSY.encode("utf-8"))
    result = run_import(runner, path, "Everyone")
    assert result.exit_code == 0, result.output
    assert "2 added, 0 updated, 2 skipped, 1 rejected" in result.output
    report_path = Path(re.search(r"Report: (\S+)", result.output).group(1))
    rows = list(csv.DictReader(io.StringIO(report_path.read_text(encoding="utf-8-sig"))))
    outcomes = [(int(row["line"]), row["outcome"], row["reason"]) for row in rows]
    assert [(line, outcome) for line, outcome, _ in outcomes] == [
        (3, "rejected"), (4, "skipped"), (5, "warning"), (6, "skipped"), (6, "warning")]
    assert "not-an-email" in outcomes[0][2] and "12345" in outcomes[2][2] and "line 2" in outcomes[3][2]
    with app.app_context():
        ann = db.session.scalar(db.select(Contact).where(Contact.email == "ann.lee@gazette.example"))
        assert ann.phone == "+447700900123"
        assert sorted(m.name for m in ann.lists) == ["Everyone", "Local press", "National"]
        bob = db.session.scalar(db.select(Contact).where(Contact.email == "bob@radio.example"))
        assert bob.phone == "" and sorted(m.name for m in bob.lists) == ["Broadcast", "Everyone", "Local press"]
        assert db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "contacts imported")) is not None


def test_second_import_merges_and_never_doubles(app, runner, tmp_path):
    path = tmp_path / "contacts.csv"
    path.write_bytes(MESSY.encode("utf-8"))
    run_import(runner, path)
    path.write_text("email,name,outlet,notes\nANN.LEE@gazette.example,,The Times,Moved to The Times\n"
                    "bob@radio.example,Bob Roe,Radio Northshire,\n")
    result = run_import(runner, path)
    assert "0 added, 1 updated, 1 skipped, 0 rejected" in result.output
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Contact)) == 2
        ann = db.session.scalar(db.select(Contact).where(Contact.email == "ann.lee@gazette.example"))
        assert ann.name == "Ann Lee", "an empty cell never wipes what is held"
        assert ann.outlet == "The Times" and "Moved to The Times" in ann.notes


def test_import_keeps_unsubscribed_contacts_unsubscribed_and_erased_ones_out(app, runner, tmp_path):
    from press.contacts import services

    with app.app_context():
        gone = services.create_contact(db.session, by=None, email="gone@paper.example", name="Gone")
        left = services.create_contact(db.session, by=None, email="left@paper.example", name="Left")
        services.unsubscribe(db.session, left, how="link")
        services.erase_contact(db.session, gone, by=None)
        db.session.commit()
    path = tmp_path / "contacts.csv"
    path.write_text("email,name\ngone@paper.example,Gone Again\nleft@paper.example,Left\n")
    result = run_import(runner, path)
    assert "0 added, 0 updated, 2 skipped, 0 rejected" in result.output
    report = Path(re.search(r"Report: (\S+)", result.output).group(1)).read_text(encoding="utf-8-sig")
    assert "erased at its owner's request" in report
    with app.app_context():
        assert db.session.scalar(db.select(Contact).where(Contact.email == "gone@paper.example")) is None
        assert db.session.scalar(db.select(Contact.status).where(Contact.email == "left@paper.example")) == "unsubscribed"


def test_unreadable_file_is_refused_clearly(runner, tmp_path):
    path = tmp_path / "contacts.csv"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    result = run_import(runner, path)
    assert result.exit_code != 0 and "not a CSV file" in result.output


def test_fifty_thousand_rows(app, runner, tmp_path):
    path = tmp_path / "big.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Name", "Email", "Outlet", "Phone", "Lists"])
        for n in range(50_000):
            writer.writerow([f"Reporter {n}", f"reporter{n}@outlet{n % 300}.example", f"Outlet {n % 300}",
                             f"07700 9{n % 100000:05d}", "Local press" if n % 2 else "National"])
        writer.writerow(["Duplicate", "REPORTER7@outlet7.example", "", "", ""])
        writer.writerow(["Broken", "broken@", "", "", ""])
    result = run_import(runner, path)
    assert result.exit_code == 0, result.output
    assert "50000 added, 0 updated, 1 skipped, 1 rejected" in result.output
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Contact)) == 50_000
        assert {m.name for m in db.session.scalars(db.select(MediaList))} == {"Local press", "National"}
