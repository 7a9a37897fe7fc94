"""Pasting, uploading and importing a release from the command line."""

import io
import zipfile
from datetime import UTC, datetime

import docx

from press.extensions import db
from press.releases.models import Release

RELEASE = """\
Ref: NCC 2024/25-31
Date: 4 September 2024
EMBARGOED UNTIL 00:01 BST, Wednesday 4 September 2024

New family hub opens in Eastgate

Parents and carers in Eastgate can now get health and money advice under one roof.

The hub is open Monday to Friday from 9am to 5pm.

ENDS

Notes to editors
1. The hub is funded by the Family Hubs programme.

For media enquiries or interview requests contact Jane Smith, Communications Manager, on 07700 900123 or email jane.smith@council.example
"""


def test_pasted_release_prefills_the_form_without_saving(app, client, make_user, auth, frozen_clock):
    jane = make_user("manager", email="jane.smith@council.example", name="Jane Smith")
    auth.login("jane.smith@council.example")
    response = client.post("/staff/releases/import", data={"text": RELEASE})
    assert response.status_code == 200
    page = response.data.decode()
    assert 'value="NCC 2024/25-31"' in page
    assert 'value="New family hub opens in Eastgate"' in page
    assert 'value="2024-09-04"' in page and 'value="00:01"' in page
    assert "The hub is open Monday to Friday" in page
    assert "Family Hubs programme" in page
    assert f'<option selected value="{jane}">' in page or f'value="{jane}" selected' in page
    assert "Nothing is saved until" in page
    with app.app_context():
        assert db.session.scalar(db.select(Release)) is None


def test_unknown_contact_is_flagged(client, manager):
    response = client.post("/staff/releases/import", data={"text": RELEASE})
    assert b"has no staff account" in response.data


def test_uploaded_word_document(client, manager):
    document = docx.Document()
    for line in RELEASE.split("\n\n"):
        document.add_paragraph(line.strip())
    buffer = io.BytesIO()
    document.save(buffer)
    response = client.post(
        "/staff/releases/import",
        data={"document": (io.BytesIO(buffer.getvalue()), "release.docx")}, content_type="multipart/form-data",
    )
    page = response.data.decode()
    assert 'value="New family hub opens in Eastgate"' in page
    assert "Monday to Friday" in page


def test_uploaded_windows_text_file(client, manager):
    data = RELEASE.replace("\n", "\r\n").replace("Parents", "\u201cParents\u201d").encode("cp1252")
    response = client.post(
        "/staff/releases/import", data={"document": (io.BytesIO(data), "release.txt")}, content_type="multipart/form-data"
    )
    assert "\u201cParents\u201d" in response.data.decode()


def test_bad_upload_is_a_field_error(client, manager):
    response = client.post(
        "/staff/releases/import",
        data={"document": (io.BytesIO(b"PK\x03\x04 not really a docx"), "release.docx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    assert b"There is a problem" in response.data


def test_word_document_of_too_many_files_is_refused_as_attachments_are(client, manager):
    document = docx.Document()
    document.add_paragraph(RELEASE)
    original = io.BytesIO()
    document.save(original)
    padded = io.BytesIO()
    with (zipfile.ZipFile(io.BytesIO(original.getvalue())) as source,
          zipfile.ZipFile(padded, "w", compression=zipfile.ZIP_DEFLATED) as archive):
        for item in source.infolist():
            archive.writestr(item.filename, source.read(item))
        for n in range(1000):
            archive.writestr(f"word/parts/part{n}.xml", b"")
    response = client.post(
        "/staff/releases/import", data={"document": (io.BytesIO(padded.getvalue()), "release.docx")},
        content_type="multipart/form-data",
    )
    page = response.data.decode()
    assert "There is a problem" in page and "it holds more than 1000 files" in page
    assert "New family hub opens in Eastgate" not in page


def test_empty_import_asks_for_text(client, manager):
    response = client.post("/staff/releases/import", data={"text": "   "})
    assert b"Paste the release or choose a file." in response.data


def test_cli_import_release(app, runner, make_user, tmp_path, frozen_clock):
    make_user("manager", email="jane.smith@council.example", name="Jane Smith")
    path = tmp_path / "release.txt"
    path.write_text(RELEASE)
    result = runner.invoke(args=["press", "import-release", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "NCC 2024/25-31"
    with app.app_context():
        release = db.session.scalar(db.select(Release))
        assert release.status == "draft"
        assert release.embargo_at == datetime(2024, 9, 3, 23, 1, tzinfo=UTC)
        assert release.contact.email == "jane.smith@council.example"


def test_cli_import_final_with_embargo_option(app, runner, make_user, tmp_path, frozen_clock):
    make_user("manager", email="press@council.example")
    path = tmp_path / "release.txt"
    path.write_text(RELEASE.replace("Ref: NCC 2024/25-31\n", ""))
    result = runner.invoke(args=["press", "import-release", str(path), "--contact", "press@council.example",
                                 "--embargo", "2024-10-27 01:30 GMT", "--final"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "NCC 2024/25-01"
    with app.app_context():
        release = db.session.scalar(db.select(Release))
        assert release.status == "final"
        assert release.embargo_at == release.public_from == datetime(2024, 10, 27, 1, 30, tzinfo=UTC)


def test_cli_import_final_without_embargo_is_public_at_once(app, runner, client, make_user, tmp_path, frozen_clock):
    make_user("manager", email="jane.smith@council.example", name="Jane Smith")
    path = tmp_path / "release.txt"
    path.write_text(RELEASE.replace("EMBARGOED UNTIL 00:01 BST, Wednesday 4 September 2024\n", ""))
    result = runner.invoke(args=["press", "import-release", str(path), "--final"])
    assert result.exit_code == 0, result.output
    assert "New family hub opens in Eastgate" in client.get("/").data.decode()


def test_cli_import_refuses_ambiguous_and_unknown(runner, make_user, tmp_path):
    make_user("manager", email="press@council.example")
    path = tmp_path / "release.txt"
    path.write_text(RELEASE)
    result = runner.invoke(args=["press", "import-release", str(path), "--contact", "press@council.example",
                                 "--embargo", "2024-10-27 01:30"])
    assert result.exit_code != 0 and "happens twice" in result.output
    result = runner.invoke(args=["press", "import-release", str(path), "--contact", "nobody@council.example"])
    assert result.exit_code != 0 and "No staff account" in result.output
    result = runner.invoke(args=["press", "import-release", str(path)])
    assert result.exit_code != 0 and "--contact" in result.output


def test_demo_loads_once(app, runner, client):
    result = runner.invoke(args=["press", "demo"])
    assert result.exit_code == 0 and "priya.shah@northshire.example" in result.output
    again = runner.invoke(args=["press", "demo"])
    assert again.exit_code == 0 and "already loaded" in again.output
    with app.app_context():
        releases = db.session.scalars(db.select(Release)).all()
    assert len(releases) == 5
    assert sum(1 for r in releases if r.under_embargo()) == 1
    page = client.get("/").data.decode()
    assert page.count('class="release-meta"') == 4
    assert "Ofsted" not in page


def test_demo_has_a_morning_of_enquiries(app, runner):
    from press.enquiries.models import Enquiry
    from press.enquiries.services import duty_officer

    runner.invoke(args=["press", "demo"])
    with app.app_context():
        found = db.session.scalars(db.select(Enquiry).order_by(Enquiry.id)).all()
        assert [e.status for e in found] == ["in_progress", "new", "responded", "closed"]
        assert found[0].release is not None and found[0].assignee.email == "priya.shah@northshire.example"
        assert duty_officer(db.session).email == "tom.reed@northshire.example"
        assert found[1].assignee == duty_officer(db.session) and found[1].is_overdue()
