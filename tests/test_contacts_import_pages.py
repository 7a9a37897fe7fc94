"""Importing contacts through the staff pages: upload, preview and mapping, the run, the report, and who may see it."""

import csv
import io
import os
import re

import pytest
from sqlalchemy import func, select

from press.contacts import services
from press.audit import AuditEvent
from press.contacts.models import Contact, ContactImport, MediaList
from press.extensions import db

MESSY_CSV = "\r\n".join([
    '"E-mail Address";"Full Name";Publication;Mobile;Comments;Region',
    "jane@gazette.example;Jane Reporter;Northshire Gazette;07700 900123;Health desk;North",
    "JANE@Gazette.example;Jane R;;;Prefers email;North",
    "not-an-address;Bob Baker;Daily Post;;;South",
    ";;;;;",
    "zoe@echo.example;Zoë Ångström;Southshire Echo;not a phone;;South",
    "existing@news.example;Existing Person;Trade Weekly;;;East",
    "carl@post.example;Carl Cook;\"Post; Evening\";;;West",
]).encode("utf-8-sig")

USER_MAPPING = {"column_0": "email", "column_1": "name", "column_2": "outlet", "column_3": "", "column_4": "notes",
                "column_5": "lists"}


def upload(client, data: bytes, filename: str = "contacts.csv", **fields):
    """Upload a file as the form asks, with legitimate interests as the lawful basis unless told otherwise."""
    return client.post("/staff/contacts/import",
                       data={"document": (io.BytesIO(data), filename), "lawful_basis": "legitimate_interests"} | fields,
                       content_type="multipart/form-data")


def uploaded(client, data: bytes = MESSY_CSV, **fields) -> int:
    response = upload(client, data, **fields)
    assert response.status_code == 302, response.data.decode()
    return int(re.fullmatch(r"/staff/contacts/import/(\d+)", response.headers["Location"]).group(1))


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_messy_file_imported_end_to_end(app, client, manager, frozen_clock):
    with app.app_context():
        health = MediaList(name="Health")
        db.session.add(health)
        services.create_contact(db.session, by=None, name="Existing Person", email="existing@news.example")
        db.session.commit()
        health_id = health.id
    import_id = uploaded(client, lists=[str(health_id)], new_lists="Regional press, ")

    page = client.get(f"/staff/contacts/import/{import_id}").data.decode()
    assert "UTF-8 (with a byte-order mark)" in page and "semicolons" in page
    assert "Health, Regional press" in page
    assert "Zoë Ångström" in page and "Post; Evening" in page
    assert re.search(r'<select id="column_0" name="column_0">.*?<option selected value="email">', page, re.S)
    assert re.search(r'<select id="column_3" name="column_3">.*?<option selected value="phone">', page, re.S)
    assert re.search(r'<select id="column_5" name="column_5">\s*<option selected value="">Ignore', page)
    assert 'for="column_0">E-mail Address</label>' in page

    response = client.post(f"/staff/contacts/import/{import_id}", data=USER_MAPPING)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/staff/contacts/import/{import_id}/done"
    page = client.get(response.headers["Location"]).data.decode()
    assert "3 added, 1 updated, 2 skipped, 1 rejected." in page

    with app.app_context():
        jane = services.find_contact_by_email(db.session, "jane@gazette.example")
        assert jane.name == "Jane Reporter" and jane.phone == "", "the phone column was set to Ignore"
        assert jane.notes == "Health desk\nPrefers email"
        assert sorted(m.name for m in jane.lists) == ["Health", "North", "Regional press"]
        zoe = services.find_contact_by_email(db.session, "zoe@echo.example")
        assert zoe.name == "Zoë Ångström" and zoe.outlet == "Southshire Echo"
        assert services.find_contact_by_email(db.session, "carl@post.example").outlet == "Post; Evening"
        assert services.find_contact_by_email(db.session, "existing@news.example").outlet == "Trade Weekly"
        contact_import = db.session.get(ContactImport, import_id)
        assert contact_import.user_id == manager and contact_import.finished_at == frozen_clock()
        assert contact_import.mapping == ["email", "name", "outlet", None, "notes", "lists"]

    response = client.get(f"/staff/contacts/import/{import_id}/report.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == f'attachment; filename="import-{import_id}-report.csv"'
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][:4] == ["line", "outcome", "reason", "E-mail Address"]
    outcomes = {(row[0], row[1]) for row in rows[1:]}
    assert {("3", "skipped"), ("4", "rejected"), ("5", "skipped")} <= outcomes
    assert not {line for line, _ in outcomes} & {"2", "7", "8"}, "rows imported cleanly are not in the report"
    assert next(row for row in rows if row[0] == "4")[3] == "not-an-address"

    # A finished import is never run twice.
    response = client.post(f"/staff/contacts/import/{import_id}", data=USER_MAPPING)
    assert response.headers["Location"] == f"/staff/contacts/import/{import_id}/done"
    assert client.get(f"/staff/contacts/import/{import_id}").status_code == 302
    assert count(app, Contact) == 4
    with app.app_context():
        assert db.session.scalar(select(func.count()).where(AuditEvent.action == "contacts imported")) == 1


def test_windows_file_with_tabs_is_described(client, manager):
    data = "Email\tName\tOrganisation\r\nrene@presse.example\tRené Lefèvre\tLe Monde\r\n".encode("cp1252")
    page = client.get(f"/staff/contacts/import/{uploaded(client, data)}").data.decode()
    assert "Windows-1252 (Western European)" in page and "tabs" in page and "René Lefèvre" in page


def test_mapping_mistakes_are_shown_next_to_the_select(app, client, manager):
    import_id = uploaded(client)
    response = client.post(f"/staff/contacts/import/{import_id}", data=USER_MAPPING | {"column_2": "name"})
    assert response.status_code == 200
    page = response.data.decode()
    assert 'id="column_2-error"' in page and 'id="column_1-error"' not in page
    assert "Column &#39;Full Name&#39; is already set to Name" in page
    assert re.search(r'<select aria-describedby="column_2-error" aria-invalid="true" id="column_2" name="column_2">'
                     r'.*?<option selected value="name">', page, re.S), "the choice made is kept"

    response = client.post(f"/staff/contacts/import/{import_id}", data=USER_MAPPING | {"column_0": ""})
    assert "Choose which column holds the email addresses." in response.data.decode()
    response = client.post(f"/staff/contacts/import/{import_id}", data=USER_MAPPING | {"column_4": "favourite colour"})
    assert 'id="column_4-error"' in response.data.decode()
    # Several columns may feed the notes.
    response = client.post(f"/staff/contacts/import/{import_id}", data=USER_MAPPING | {"column_2": "notes"})
    assert response.status_code == 302
    assert count(app, Contact) == 4


@pytest.mark.parametrize(("data", "message"), [
    (b"PK\x03\x04" + b"\x00" * 20 + b"xl/workbook.xml", "looks like an Excel workbook"),
    (b"", "The file is empty."),
    (b"\xef\xbb\xbf\r\n \r\n", "The file is empty."),
    (b"Email,Name\r\n", "no rows of contacts"),
])
def test_unreadable_files_are_refused_on_the_upload_form(app, client, manager, data, message):
    response = upload(client, data)
    assert response.status_code == 200
    page = response.data.decode()
    assert 'id="document-error"' in page and message in page
    assert 'href="#document"' in page
    assert count(app, ContactImport) == 0


def test_a_file_must_be_chosen(client, manager):
    response = client.post("/staff/contacts/import", data={"document": (io.BytesIO(b""), "")},
                           content_type="multipart/form-data")
    assert 'id="document-error"' in response.data.decode()
    assert "Choose the CSV file to upload." in response.data.decode()


def test_a_file_that_has_gone_is_asked_for_again(app, client, manager):
    import_id = uploaded(client)
    with app.app_context():
        stored = db.session.get(ContactImport, import_id).stored_name
    os.remove(os.path.join(app.config["PRESS_IMPORT_DIR"], stored))
    response = client.get(f"/staff/contacts/import/{import_id}", follow_redirects=True)
    assert "no longer available" in response.data.decode()


def test_only_the_uploader_or_an_admin_sees_an_import(app, client, auth, make_user, manager):
    import_id = uploaded(client)
    client.post(f"/staff/contacts/import/{import_id}", data=USER_MAPPING)
    urls = [f"/staff/contacts/import/{import_id}", f"/staff/contacts/import/{import_id}/done",
            f"/staff/contacts/import/{import_id}/report.csv"]

    make_user("manager", email="other@council.example")
    auth.logout()
    auth.login("other@council.example")
    for url in urls:
        assert client.get(url).status_code == 404, url
    assert client.post(urls[0], data=USER_MAPPING).status_code == 404

    make_user("admin", email="admin@council.example")
    auth.logout()
    auth.login("admin@council.example")
    assert client.get(urls[0]).status_code == 302
    for url in urls[1:]:
        assert client.get(url).status_code == 200, url

    make_user("staff", email="staff@council.example")
    auth.logout()
    auth.login("staff@council.example")
    for url in [*urls, "/staff/contacts/import"]:
        assert client.get(url).status_code == 403, url


def test_unknown_imports_are_not_found(client, manager):
    for url in ["/staff/contacts/import/999", "/staff/contacts/import/999/done", "/staff/contacts/import/0/report.csv",
                "/staff/contacts/import/99999999999999999999"]:
        assert client.get(url).status_code == 404, url


# --- Rejected and merged rows on screen, and the lawful basis asked ----------------------------------------------

def with_existing_person(app) -> None:
    with app.app_context():
        services.create_contact(db.session, by=None, name="Existing Person", email="existing@news.example",
                                lawful_basis="public_task")
        db.session.commit()


def table_rows(page: str, title: str) -> list[list[str]]:
    """The cells of each body row of the table a heading names, as text."""
    found = re.search(rf'<h3 id="(\w+)-title">{re.escape(title)}</h3>\s*<table.*?<tbody>(.*?)</tbody>', page, re.S)
    assert found, f"no table under {title!r}"
    return [[re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", found.group(2), re.S)]


def test_preview_lists_rejected_and_merged_rows_before_anything_is_written(app, client, manager):
    with_existing_person(app)
    import_id = uploaded(client)
    page = client.get(f"/staff/contacts/import/{import_id}").data.decode()

    assert "Nothing has been imported yet." in page
    assert "3 new contacts will be added" in page
    assert "2 rows will be merged (1 into contacts already held)" in page
    assert "1 row will be rejected" in page and "1 blank line will be skipped" in page
    rejected = table_rows(page, "Rows that will be rejected")
    assert len(rejected) == 1 and rejected[0][:2] == ["4", "not-an-address"]
    assert rejected[0][2].startswith("Email address") and "is not valid" in rejected[0][2]
    merged = table_rows(page, "Rows that will be merged")
    assert [row[0] for row in merged] == ["3", "7"]
    assert merged[0][1] == "Line 2 of the file (jane@gazette.example)"
    assert merged[1][1] == "Existing Person (existing@news.example)"
    assert "Outlet" in merged[1][2] and "Notes" not in merged[1][2]
    assert "Lawful basis for new contacts</dt><dd>Legitimate interests" in page
    assert count(app, Contact) == 1, "the preview writes nothing"


def test_checking_again_shows_the_rows_under_the_columns_chosen_without_importing(app, client, manager):
    import_id = uploaded(client)
    mapping = USER_MAPPING | {"column_0": "", "column_1": "email"}
    page = client.post(f"/staff/contacts/import/{import_id}", data=mapping | {"check": "1"}).data.decode()
    # Names are not addresses: every row but the blank one is rejected, and the select keeps what was chosen.
    assert "6 rows will be rejected" in page
    assert re.search(r'<select id="column_1" name="column_1">.*?<option selected value="email">', page, re.S)
    assert count(app, Contact) == 0
    with app.app_context():
        assert db.session.get(ContactImport, import_id).finished_at is None


def test_lawful_basis_is_asked_next_to_its_choices_and_the_file_asked_for_again(app, client, manager):
    response = client.post("/staff/contacts/import", data={"document": (io.BytesIO(MESSY_CSV), "press.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 200
    page = response.data.decode()
    assert re.search(r'<fieldset aria-describedby="lawful_basis-hint lawful_basis-error">\s*<legend class="label">'
                     r'Lawful basis for holding these contacts</legend>.*?<p class="error-message" id="lawful_basis-error">'
                     r'<span class="visually-hidden">Error:</span> Choose the lawful basis for holding these contacts.',
                     page, re.S)
    assert '<a href="#lawful_basis-0">Choose the lawful basis for holding these contacts.</a>' in page
    assert "You chose press.csv: choose it again below." in page
    assert count(app, ContactImport) == 0


def test_chosen_lawful_basis_is_kept_by_new_contacts_and_the_result_lists_the_rows(app, client, manager):
    with_existing_person(app)
    import_id = uploaded(client, lawful_basis="consent")
    response = client.post(f"/staff/contacts/import/{import_id}", data=USER_MAPPING)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).data.decode()

    rejected = table_rows(page, "Rows that were rejected")
    assert [row[:2] for row in rejected] == [["4", "not-an-address"]]
    merged = table_rows(page, "Rows that were merged")
    assert [(row[0], row[1], row[3]) for row in merged] == [
        ("3", "Line 2 of the file (jane@gazette.example)", "Merged into the earlier line"),
        ("7", "Existing Person (existing@news.example)", "Updated"),
    ]
    assert "Adds to the lists: East" in merged[1][2]
    assert "Lawful basis for new contacts</dt><dd>Consent" in page
    assert f'href="/staff/contacts/import/{import_id}/report.csv"' in page
    with app.app_context():
        assert services.find_contact_by_email(db.session, "zoe@echo.example").lawful_basis == "consent"
        assert services.find_contact_by_email(db.session, "existing@news.example").lawful_basis == "public_task"


def test_an_unknown_lawful_basis_is_refused(app, client, manager):
    response = upload(client, MESSY_CSV, lawful_basis="because")
    assert response.status_code == 200 and b"Not a valid choice" in response.data
    assert count(app, ContactImport) == 0
