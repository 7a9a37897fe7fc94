"""Pasting, uploading and importing a release from the command line."""

import io
import zipfile
from datetime import UTC, datetime

import docx
import pytest

from press.extensions import db
from press.releases.models import Release
from tests.conftest import date_shown

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
    assert date_shown("release_date", "2024-09-04").search(page) and date_shown("embargo_date", "2024-09-04").search(page)
    assert 'value="00:01"' in page
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
        assert [e.status for e in found] == ["in_progress", "new", "responded", "closed", "new", "new"]
        assert [e.channel for e in found][-2:] == ["email", "web"] and found[-1].request_law == "foi"
        assert found[0].release is not None and found[0].assignee.email == "priya.shah@northshire.example"
        assert duty_officer(db.session).email == "tom.reed@northshire.example"
        assert found[1].assignee == duty_officer(db.session) and found[1].is_overdue()


# --- A release naming someone with no account -----------------------------------------------------------------

NAMED = {"named-named_name": "Jane Smith", "named-named_job_title": "Communications Manager",
         "named-named_email": "jane.smith@council.example", "named-named_phone": "07700 900123"}


def saved_form(**overrides) -> dict:
    """The release form as the import fills it for a release naming Jane Smith, who has no account."""
    return {"reference": "NCC 2024/25-31", "headline": "New family hub opens in Eastgate", "release_date": "2024-09-04",
            "standfirst": "", "body": "Parents and carers can get advice.", "notes_to_editors": "", "helpline": "",
            "embargo_date": "", "embargo_time": "", "contact_id": "", **NAMED,
            "named-name": "Jane Smith", "named-job_title": "Communications Manager",
            "named-email": "jane.smith@council.example", "named-phone": "07700 900123"} | overrides


def test_release_naming_someone_without_an_account_says_so_at_the_contact_field(app, client, manager):
    page = client.post("/staff/releases/import", data={"text": RELEASE}).data.decode()
    assert ("This release names Jane Smith, Communications Manager (jane.smith@council.example), who has no staff"
            " account here.") in page
    assert "chosen instead" not in page, "nobody else is put in their place"
    assert '<label for="named-choice-0">Add Jane Smith as a user</label>' in page
    assert '<label for="named-choice-1">Choose an existing user</label>' in page
    assert 'name="named-email" spellcheck="false" type="email" value="jane.smith@council.example"' in page
    assert 'name="named-phone" type="tel" value="07700 900123"' in page
    assert 'name="named-job_title" type="text" value="Communications Manager"' in page
    assert '<label class="label" for="contact_id">Existing user</label>' in page
    assert '<option selected value="">Choose a user</option>' in page
    assert "cannot sign in until a password is set" in page


def test_saving_is_refused_until_the_contact_is_chosen_and_what_was_typed_is_kept(app, client, manager):
    response = client.post("/staff/releases/new", data=saved_form())
    assert response.status_code == 200
    page = response.data.decode()
    assert ('<a href="#named-choice-0">Choose whether to add Jane Smith as a user or to choose an existing user.</a>'
            in page)
    assert 'id="named-choice-error"' in page and 'value="New family hub opens in Eastgate"' in page
    assert "This release names Jane Smith" in page

    response = client.post("/staff/releases/new", data=saved_form(**{"named-choice": "existing"}))
    page = response.data.decode()
    assert response.status_code == 200
    assert '<p class="error-message" id="contact_id-error"><span class="visually-hidden">Error:</span> Choose the user' \
           ' who is the media contact, or add Jane Smith as a user.' in page
    assert 'value="existing" checked' in page or 'checked id="named-choice-1"' in page
    with app.app_context():
        assert db.session.scalar(db.select(Release)) is None


def test_choosing_an_existing_user_saves_them_as_the_contact(app, client, manager):
    response = client.post("/staff/releases/new", data=saved_form(**{"named-choice": "existing",
                                                                       "contact_id": str(manager)}))
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(db.select(Release)).contact_id == manager


def test_adding_the_named_person_makes_an_account_that_cannot_sign_in_yet(app, client, auth, manager):
    response = client.post("/staff/releases/new", data=saved_form(**{"named-choice": "add", "named-role": "staff",
                                                                       "named-phone": "07700 900999"}))
    assert response.status_code == 302, response.data.decode()
    page = client.get(response.headers["Location"]).data.decode()
    assert "Jane Smith is now a user, and cannot sign in until a password is set for them." in page
    assert "Jane Smith, Communications Manager" in page
    with app.app_context():
        from press.accounts.models import User
        from press.accounts.services import authenticate

        jane = db.session.scalar(db.select(User).where(User.email == "jane.smith@council.example"))
        assert (jane.name, jane.role, jane.job_title, jane.phone) == (
            "Jane Smith", "staff", "Communications Manager", "07700 900999")
        assert db.session.scalar(db.select(Release)).contact_id == jane.id
        assert authenticate(db.session, "jane.smith@council.example", "!") is None
        assert authenticate(db.session, "jane.smith@council.example", "") is None
    auth.logout()
    auth.login("jane.smith@council.example", "!")
    assert client.get("/staff/releases/").status_code == 302, "still signed out"


def test_adding_the_person_checks_their_details_next_to_each_field(app, client, manager, make_user):
    response = client.post("/staff/releases/new", data=saved_form(**{"named-choice": "add", "named-email": "nope",
                                                                       "named-name": " "}))
    page = response.data.decode()
    assert response.status_code == 200
    assert 'id="named-name-error"' in page and "Enter the name of the person to add." in page
    assert 'id="named-email-error"' in page and "Enter an email address like name@example.com." in page
    assert 'id="named-role-error"' in page and "Choose what they may do here." in page
    assert 'value="nope"' in page

    make_user("staff", email="taken@council.example", name="Someone Else")
    response = client.post("/staff/releases/new", data=saved_form(**{"named-choice": "add", "named-role": "manager",
                                                                       "named-email": "Taken@council.example"}))
    page = response.data.decode()
    assert response.status_code == 200
    assert "There is already an account for taken@council.example" in page
    assert 'value="Taken@council.example"' in page
    with app.app_context():
        assert db.session.scalar(db.select(Release)) is None


@pytest.mark.parametrize("overrides", [
    {"named-choice": "add", "named-role": "admin"},
    {"named-choice": "nonsense"},
    {"named-choice": "existing", "contact_id": "abc"},
    {"named-choice": "existing", "contact_id": "99999"},
    {"named-choice": "add", "named-role": "staff", "named-name": "x" * 500, "named-named_name": "y" * 500},
])
def test_odd_answers_about_the_contact_are_field_errors_and_never_make_an_admin(app, client, manager, overrides):
    response = client.post("/staff/releases/new", data=saved_form(**overrides))
    assert response.status_code == 200
    assert b"There is a problem" in response.data
    with app.app_context():
        from press.accounts.models import User

        assert db.session.scalar(db.select(Release)) is None
        assert db.session.scalar(db.select(User).where(User.email == "jane.smith@council.example")) is None


def test_a_release_date_left_over_from_an_older_document_is_flagged(client, manager, frozen_clock):
    old = RELEASE.replace("Date: 4 September 2024", "Date: 4 September 2023")
    page = client.post("/staff/releases/import", data={"text": old}).data.decode()
    assert ("The release date is Monday 4 September 2023; the embargo is Wednesday 4 September 2024. "
            "Check the release date.") in page


def test_a_release_date_after_its_embargo_is_flagged(client, manager, frozen_clock):
    late = RELEASE.replace("Date: 4 September 2024", "Date: 6 September 2024")
    page = client.post("/staff/releases/import", data={"text": late}).data.decode()
    assert ("The release date is Friday 6 September 2024, after the embargo (Wednesday 4 September 2024): "
            "check both.") in page


def test_a_current_release_date_is_not_flagged(client, manager, frozen_clock):
    page = client.post("/staff/releases/import", data={"text": RELEASE}).data.decode()
    assert "The release date is" not in page
