"""Unit tests for reading contacts CSV files: messy sample exports, every rule for rows, the report, and speed."""

import codecs
import csv
import io
import random
import time
import zipfile
from pathlib import Path

import phonenumbers
import pytest
from email_validator import EmailNotValidError, validate_email

from press.contacts import cells
from press.contacts.csvimport import (
    ALL_FIELDS, CONTACT_FIELDS, FIELD_LABELS, LAWFUL_BASES, ContactRow, CsvTable, ImportFileError, ImportPlan,
    RowProblem, clean_rows, guess_mapping, read_csv, report_csv,
)

SAMPLES = Path(__file__).parent / "data" / "contacts"


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def plan_for(data: bytes, **kwargs) -> tuple[CsvTable, ImportPlan]:
    """Read a file and clean it under the guessed mapping, as the import does by default."""
    table = read_csv(data)
    return table, clean_rows(table, guess_mapping(table.headers), **kwargs)


def reasons(problems: list[RowProblem]) -> list[tuple[int, str]]:
    return [(problem.line, problem.reason) for problem in problems]


def one(text: str, header: str = "Name,Email,Phone,Notes,Lists,Lawful basis") -> tuple[ContactRow | None, ImportPlan]:
    """Clean a one-row file; the contact it gave, if any, and the whole plan."""
    _, plan = plan_for(f"{header}\n{text}\n".encode())
    return (plan.contacts[0] if plan.contacts else None), plan


# --- The sample files --------------------------------------------------------------------------------------

def test_excel_utf8_with_bom_and_crlf():
    data = sample("excel_bom_crlf.csv")
    assert data.startswith(codecs.BOM_UTF8) and b"\r\n" in data
    table, plan = plan_for(data)
    assert (table.encoding, table.delimiter, table.header_line) == ("utf-8-sig", ",", 1)
    assert table.headers == ["First Name", "Last Name", "E-mail Address", "Company", "Job Title", "Mobile Phone",
                             "Categories", "Notes", "", ""]
    assert guess_mapping(table.headers) == ["first_name", "last_name", "email", "outlet", "job_title", "phone",
                                            "lists", "notes", None, None]
    assert [line for line, _ in table.rows] == [2, 3, 4, 5]
    assert plan.contacts == [
        ContactRow(line=2, name="Zoë Okonkwo-Brown", email="zoe.okonkwo@bbc.co.uk", outlet="BBC Look North",
                   job_title="Health correspondent", phone="+447700900123", notes="Prefers calls before 11am",
                   lists=["Health", "Social care"]),
        ContactRow(line=3, name="Siân Llewellyn", email="sian.llewellyn@walesonline.co.uk", outlet="WalesOnline",
                   job_title="Political editor", phone="+442920180123",
                   notes='Covers the Senedd; "no embargoes" please', lists=["Politics"]),
        ContactRow(line=4, name="Tom Price", email="tom.price@nne.co.uk", outlet="The Northern Echo",
                   job_title="Chief reporter", phone="+441632960123",
                   notes='=HYPERLINK("http://evil.example/","Click me")'),
        ContactRow(line=5, name="", email="newsdesk@itv.com", outlet="ITV Tyne Tees", job_title="Newsdesk",
                   phone="+441914980000", notes="Charges £50 for archive footage", lists=["Broadcast"]),
    ]
    assert plan.rejected == [] and plan.skipped == []
    assert reasons(plan.warnings) == [(5, "Name is missing: the contact was imported without one.")]
    assert plan.warnings[0].values == ["", "", "newsdesk@itv.com", "ITV Tyne Tees", "Newsdesk", "0191 498 0000",
                                       "Broadcast", "Charges £50 for archive footage", "", ""]


def test_windows_1252_with_pound_accents_and_smart_quotes():
    data = sample("windows1252.csv")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    table, plan = plan_for(data)
    assert (table.encoding, table.delimiter) == ("cp1252", ",")
    assert guess_mapping(table.headers) == ["email", "first_name", "last_name", "outlet", "phone", "notes", "lists"]
    assert plan.contacts == [
        ContactRow(line=2, name="Renée Dubois", email="renee.dubois@lemonde.fr", outlet="Le Monde",
                   phone="+33142685300", notes="“Paris correspondent” – covers UK–EU trade", lists=["International"]),
        ContactRow(line=3, name="Gareth O’Neill", email="gareth.o'neill@walesonline.co.uk", outlet="WalesOnline",
                   phone="+442920180456", notes="Charges £50 for archive photos", lists=["Wales"]),
    ]
    assert plan.rejected == plan.skipped == plan.warnings == []


def test_semicolon_separated_with_quoted_list_cells():
    table, plan = plan_for(sample("semicolon.csv"))
    assert (table.encoding, table.delimiter) == ("utf-8", ";")
    assert guess_mapping(table.headers) == ["name", "email", "outlet", "phone", "lists", "lawful_basis"]
    assert plan.contacts == [
        ContactRow(line=2, name="Anna Kowalska", email="anna.kowalska@gazeta.pl", outlet="Gazeta Wyborcza",
                   phone="+48225550123", lawful_basis="legitimate_interests", lists=["Europe", "Trade"]),
        ContactRow(line=3, name="Ben Hughes", email="ben.hughes@bbc.co.uk", outlet="BBC Radio Newcastle",
                   phone="+441914980123", lawful_basis="consent", lists=["Health", "Education, Skills"]),
        ContactRow(line=4, name="Chloé Martin", email="chloe.martin@afp.com", outlet="AFP, Paris bureau",
                   lawful_basis="legitimate_interests", lists=["International"]),
        ContactRow(line=5, name="Dev Patel", email="dev.patel@pa.media", outlet="PA Media", phone="+447700900456",
                   notes="Lawful basis: we met at a conference", lists=["Politics", "Local government"]),
    ]
    assert plan.rejected == plan.skipped == []
    assert reasons(plan.warnings) == [(5, "Lawful basis 'we met at a conference' is not one the contacts list"
                                          " records (consent, contract, public task or legitimate interests), so it"
                                          " was added to the notes instead.")]


def test_messy_file_every_row_accounted_for():
    table, plan = plan_for(sample("messy.csv"))
    assert table.headers == ["Surname", "Organisation", "E-mail", "Telephone", "Forename", "Notes", "Lists", "Source"]
    assert guess_mapping(table.headers) == ["last_name", "outlet", "email", "phone", "first_name", "notes", "lists",
                                            "source"]
    assert [line for line, _ in table.rows] == [2, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]
    assert plan.contacts == [
        ContactRow(line=2, name="Aisha Khan", email="aisha.khan@ypn.co.uk", outlet="Yorkshire Post",
                   phone="+441134960123",
                   notes="Met at budget briefing.\nWants embargoed copy.\nAlso covers transport.",
                   source="Council press list 2023", lists=["Politics", "Transport"], merged_lines=[7]),
        ContactRow(line=4, name="Tomasz Nowak", email="tomasz.nowak@hartlepoolmail.co.uk", outlet="Hartlepool Mail",
                   lists=["Local"]),
        ContactRow(line=10, name="Megan Hughes", email="megan.hughes@reachplc.com", outlet="Teesside Live",
                   phone="+447700900321", source="Referral", lists=["Health"]),
        ContactRow(line=11, name="Sam Wright", email="sam.wright@nne.co.uk", outlet="The Northern Echo",
                   phone="+447700900654"),
        ContactRow(line=12, name="Jo Clarke", email="j.clarke@sunderlandecho.com", outlet="Sunderland Echo",
                   phone="+447700900111", notes="Phone: 07700 900111 ext 22"),
        ContactRow(line=13, name="Priya Sharma", email="priya@sharma-media.co.uk", outlet="Freelance"),
    ]
    assert reasons(plan.rejected) == [
        (6, "Email address 'not-an-email' is not valid: an email address must have an @-sign."),
        (8, "Email address is missing."),
    ]
    assert reasons(plan.skipped) == [(5, "Blank line."), (7, "Same email as line 2: merged into it."),
                                     (9, "Blank line.")]
    assert reasons(plan.warnings) == [
        (4, "Phone number '0123' is not a valid UK number and was left out."),
        (7, "Outlet 'YPN' differs from line 2 and was left out."),
        (10, "The line has more cells than there are columns; 'extra value' was not imported."),
        (12, "Phone number '07700 900111 ext 22' has an extension, which the phone field cannot hold: +447700900111"
             " was used and the number as written was added to the notes."),
    ]
    # Rows keep their raw cells, padded to the columns, for the report.
    assert plan.rejected[1].values == ["Roberts", "Radio Tees", "", "", "", "", "", ""]
    assert plan.warnings[2].values[8:] == ["extra value", ""]
    assert [p.outcome for p in plan.rejected + plan.skipped + plan.warnings] == (
        ["rejected"] * 2 + ["skipped"] * 3 + ["warning"] * 4)


def test_report_round_trips_and_neutralises_formulas():
    table, plan = plan_for(sample("messy.csv"))
    plan.warnings.append(RowProblem(4, "=1+2", ["=cmd|' /C calc'!A0", "+44", "-1", "@SUM(A1)", "\tx", "\rx",
                                                "  =1", "fine"]))
    extra = [RowProblem(2, "Erased at the owner's request; not added again.", [], outcome="suppressed")]
    report = report_csv(plan, table.headers, extra)
    rows = list(csv.reader(io.StringIO(report, newline="")))
    assert rows[0] == ["line", "outcome", "reason", *table.headers, "Extra column 1", "Extra column 2"]
    assert [(row[0], row[1]) for row in rows[1:]] == [
        ("2", "suppressed"), ("4", "warning"), ("4", "warning"), ("5", "skipped"), ("6", "rejected"),
        ("7", "skipped"), ("7", "warning"), ("8", "rejected"), ("9", "skipped"), ("10", "warning"), ("12", "warning"),
    ]
    assert rows[3][2:] == ["'=1+2", "'=cmd|' /C calc'!A0", "'+44", "'-1", "'@SUM(A1)", "'\tx", "'\rx", "'  =1",
                           "fine", "", ""]
    assert rows[2][3:] == ["Nowak", "Hartlepool Mail", "tomasz.nowak@hartlepoolmail.co.uk", "0123", "Tomasz", "",
                           "Local", "", "", ""]
    assert rows[10][3:] == ["Hughes", "Teesside Live", "megan.hughes@reachplc.com", "'+44 7700 900 321", "Megan", "",
                            "Health", "Referral", "extra value", ""]
    assert all(len(row) == len(rows[0]) for row in rows)
    # A multi-line cell survives the trip intact.
    merged = [row for row in rows if row[:2] == ["7", "skipped"]][0]
    assert merged[3:] == ["KHAN", "YPN", "Aisha.Khan@YPN.co.uk", "", "Aisha", "Also covers transport.",
                          "Transport; politics", "", "", ""]


def test_report_of_formula_cell_from_sample_file():
    table, plan = plan_for(sample("excel_bom_crlf.csv"))
    plan.warnings.append(RowProblem(4, "Checked by hand.", table.rows[2][1], "note"))
    rows = list(csv.reader(io.StringIO(report_csv(plan, table.headers), newline="")))
    assert rows[1][:3] == ["4", "note", "Checked by hand."]
    assert rows[1][10] == "'=HYPERLINK(\"http://evil.example/\",\"Click me\")"
    assert rows[1][8] == "(01632) 960123"


def test_report_with_nothing_to_say_is_just_the_header():
    assert report_csv(ImportPlan(), ["Name", "=Email"]) == "line,outcome,reason,Name,'=Email\r\n"


# --- Reading the file --------------------------------------------------------------------------------------

@pytest.mark.parametrize("newline", ["\r\n", "\n", "\r"])
def test_line_endings_and_quoted_newlines_keep_line_numbers(newline):
    text = newline.join([
        "Name,Email,Notes",
        'Ann Lee,ann@x.co.uk,"Two',
        'lines, with ""quotes"""',
        "",
        'Bo Yi,bo@x.co.uk,"Three',
        "",
        'lines"',
        "Cy Ma,cy@x.co.uk,",
    ]) + newline
    table, plan = plan_for(text.encode())
    assert table.rows == [(2, ["Ann Lee", "ann@x.co.uk", f'Two{newline}lines, with "quotes"']),
                          (4, ["", "", ""]),
                          (5, ["Bo Yi", "bo@x.co.uk", f"Three{newline}{newline}lines"]),
                          (8, ["Cy Ma", "cy@x.co.uk", ""])]
    assert [(c.line, c.notes) for c in plan.contacts] == [(2, 'Two\nlines, with "quotes"'), (5, "Three\n\nlines"),
                                                         (8, "")]
    assert reasons(plan.skipped) == [(4, "Blank line.")]


def test_file_without_final_line_break_and_with_leading_blank_lines():
    table = read_csv(b"\n\r\n,,\nName,Email\nAnn,ann@x.co.uk")
    assert table.header_line == 4
    assert table.headers == ["Name", "Email"]
    assert table.rows == [(5, ["Ann", "ann@x.co.uk"])]


@pytest.mark.parametrize(("text", "delimiter", "headers"), [
    ("Name\tEmail\tOutlet\nAnn\tann@x.co.uk\tBBC, Leeds\n", "\t", ["Name", "Email", "Outlet"]),
    ("Name;Email;Outlet\nAnn;ann@x.co.uk;BBC, Leeds\n", ";", ["Name", "Email", "Outlet"]),
    ('"Name, full";Email\n"Lee, Ann";ann@x.co.uk\n', ";", ["Name, full", "Email"]),
    ('Name,"Lists; several",Email\nAnn,"a;b",ann@x.co.uk\n', ",", ["Name", "Lists; several", "Email"]),
    # One of each in the header: the separator that splits the next lines into as many cells wins.
    ("Name (last, first);Email\nLee, Ann, PhD;ann@x.co.uk\nMa;cy@x.co.uk\n", ";", ["Name (last, first)", "Email"]),
    ("Name,Email;work\nAnn,ann@x.co.uk\n", ",", ["Name", "Email;work"]),
    ("Email\nann@x.co.uk\n", ",", ["Email"]),
])
def test_separator_detected_from_the_header_line(text, delimiter, headers):
    table = read_csv(text.encode())
    assert (table.delimiter, table.headers) == (delimiter, headers)


def test_excel_sep_line_sets_the_separator():
    table = read_csv(b"sep=;\r\nName,Email;Outlet\r\nAnn, Lee;ann@x.co.uk;BBC\r\n")
    assert (table.delimiter, table.header_line, table.headers) == (";", 2, ["Name,Email", "Outlet"])
    assert table.rows == [(3, ["Ann, Lee", "ann@x.co.uk", "BBC"])]


def test_utf16_unicode_text_with_bom_is_read():
    text = "Name\tEmail\tOutlet\r\nRenée Dubois\trenee@lemonde.fr\tLe Monde\r\n"
    table, plan = plan_for(text.encode("utf-16"))
    assert (table.encoding, table.delimiter) == ("utf-16", "\t")
    assert [(c.name, c.email, c.outlet) for c in plan.contacts] == [("Renée Dubois", "renee@lemonde.fr", "Le Monde")]


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_is_recognised(codec):
    table = read_csv("Name,Email\nZoë,zoe@x.co.uk\n".encode(codec))
    assert (table.encoding, table.rows) == ("utf-16", [(2, ["Zoë", "zoe@x.co.uk"])])


def test_short_rows_padded_and_trailing_empty_cells_are_not_extra():
    table, plan = plan_for(b"Name,Email,Outlet\nAnn,ann@x.co.uk\nBo,bo@x.co.uk,BBC,,,\n")
    assert table.rows == [(2, ["Ann", "ann@x.co.uk", ""]), (3, ["Bo", "bo@x.co.uk", "BBC", "", "", ""])]
    assert len(plan.contacts) == 2 and plan.warnings == []


def test_extra_cells_on_a_rejected_row_hint_at_missing_quotes():
    _, plan = plan_for(b"Name,Email,Outlet\nLee, Ann,ann@x.co.uk,BBC\nBo,bo@x.co.uk,BBC,x,y\n")
    assert reasons(plan.rejected) == [(2, "Email address 'Ann' is not valid: an email address must have an @-sign."
                                          " The line has 1 more cell than there are columns: check for a separator"
                                          " that should be inside quotes.")]
    assert reasons(plan.warnings) == [(3, "The line has more cells than there are columns; 'x', 'y' were not"
                                          " imported.")]


def test_nul_and_control_characters_are_removed():
    data = b"Na\x00me,Email,Notes\nAnn\x07 \x00Lee\xe2\x80\x8b,ann@x.co.uk\x1f,\"a\tb\x0bc\r\nd\x00\"\n"
    table, plan = plan_for(data)
    assert table.headers == ["Name", "Email", "Notes"]
    assert [(c.name, c.email, c.notes) for c in plan.contacts] == [("Ann Lee", "ann@x.co.uk", "a bc\nd")]


def test_zero_width_and_non_breaking_spaces_in_emails():
    contact, _ = one("Ann,\u00a0\u200bann@x.co.uk\u00a0,,,,")
    assert contact.email == "ann@x.co.uk"


def test_undefined_windows_1252_bytes_refuse_the_file():
    with pytest.raises(ImportFileError) as err:
        read_csv(b"Name,Email\nAnn,ann@x.co.uk\nB\x81o,bo@x.co.uk\n")
    assert str(err.value) == ("The file is not UTF-8, and line 3 has a character that is not Windows-1252 either, so"
                              " its encoding is unknown: in Excel choose File > Save As > CSV UTF-8 and upload that"
                              " file.")


def test_mixed_encodings_refuse_the_file():
    with pytest.raises(ImportFileError) as err:
        read_csv("Name,Email\nZoë,zoe@x.co.uk\n".encode() + "Renée,renee@x.fr\n".encode("cp1252"))
    assert str(err.value).startswith("Line 2 is written in UTF-8 but line 3 is not: the file mixes two text"
                                     " encodings")


def test_bom_followed_by_bytes_that_are_not_utf8():
    with pytest.raises(ImportFileError, match="^The file says it is UTF-8 but line 2 is not"):
        read_csv(codecs.BOM_UTF8 + "Name,Email\nRenée,r@x.fr\n".encode("cp1252"))


def _zip(*names: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, "<xml/>")
    return buffer.getvalue()


@pytest.mark.parametrize(("data", "message"), [
    (_zip("[Content_Types].xml", "xl/workbook.xml", "xl/worksheets/sheet1.xml"),
     "This looks like an Excel workbook (.xlsx), not a CSV file: in Excel choose File > Save As > CSV UTF-8."),
    (_zip("[Content_Types].xml", "word/document.xml"),
     "This looks like a Word document (.docx), not a CSV file: export the contacts from a spreadsheet instead (in"
     " Excel choose File > Save As > CSV UTF-8)."),
    (_zip("contacts.csv"), "This is a zip archive, not a CSV file: unzip it and upload the CSV file inside."),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600),
     "This looks like an old Excel workbook (.xls), not a CSV file: in Excel choose File > Save As > CSV UTF-8."),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n",
     "This is a PDF document, not a CSV file: export the contacts from the spreadsheet or system they came from (in"
     " Excel choose File > Save As > CSV UTF-8)."),
    (b"\x89PNG\r\n\x1a\n" + bytes(100), "This is an image, not a CSV file."),
    (b"<!DOCTYPE html><html><table><tr><td>Email</td></tr></table></html>",
     "This is a web page (HTML), not a CSV file: open it in Excel, then choose File > Save As > CSV UTF-8."),
    (bytes(range(256)) * 4, "This file is not a text file, so it cannot be a CSV file: in Excel choose File > Save"
                            " As > CSV UTF-8."),
    (b"", "The file is empty."),
    (codecs.BOM_UTF8 + b"\r\n \r\n", "The file is empty."),
    (b",,,\r\n,,,\r\n", "The file is empty."),
    (b"Name,Email\r\n", "The file has column names but no rows of contacts under them."),
    (b"Name,Email\r\n,\r\n\r\n", "The file has column names but no rows of contacts under them."),
    (b'Name,Email\nAnn,ann@x.co.uk\nBo,"bo@x.co.uk\nCy,cy@x.co.uk\n',
     "Line 3 opens a quoted cell that is never closed, so everything after it would be read as one cell: check the"
     " quote marks on that line."),
])
def test_files_that_cannot_be_read_say_why(data, message):
    with pytest.raises(ImportFileError) as err:
        read_csv(data)
    assert str(err.value) == message


def test_row_limit_names_the_limit():
    data = b"Name,Email\n" + b"".join(b"P%d,p%d@x.co.uk\n" % (i, i) for i in range(11))
    assert len(read_csv(data, max_rows=11).rows) == 11
    with pytest.raises(ImportFileError) as err:
        read_csv(data, max_rows=10)
    assert str(err.value) == ("The file has more than 10 rows, the most one import can take: split it into smaller"
                              " files.")
    with pytest.raises(ImportFileError, match="more than 200,000 rows"):
        read_csv(b"Email\n" + b"a@x.co.uk\n" * 200_001)


def test_runaway_cell_is_reported_with_its_line():
    data = b'Name,Email\nAnn,ann@x.co.uk\nBo,"' + b"x" * (csv.field_size_limit() + 10) + b'"\n'
    with pytest.raises(ImportFileError) as err:
        read_csv(data)
    assert str(err.value) == ("Line 3 has a cell longer than 131,072 characters, so a quote mark is probably not"
                              " closed there.")


def test_quote_left_open_mid_file_is_flagged():
    data = b'Name,Outlet,Email\nAnn,"BBC,ann@x.co.uk\nBo,ITV",bo@x.co.uk\nCy,Sky,cy@x.co.uk\n'
    _, plan = plan_for(data)
    assert [(c.line, c.name, c.outlet) for c in plan.contacts] == [(2, "Ann", "BBC,ann@x.co.uk Bo,ITV"),
                                                                   (4, "Cy", "Sky")]
    assert reasons(plan.warnings) == [(2, "Outlet runs over several lines of the file and holds the separator ',', so"
                                          " a closing quote mark may be missing: check this line.")]
    _, plan = plan_for(b'Name,Email,Outlet\nAnn,"ann@x.co.uk,BBC\nBo,bo@x.co.uk",ITV\n')
    assert reasons(plan.rejected) == [(2, "Email cell runs over several lines of the file, so a closing quote mark is"
                                          " probably missing.")]


# --- Column mapping ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("header", "field"), [
    *((h, "email") for h in ("email", "Email", "E-mail", "EMAIL ADDRESS", "e-mail address", "E-mail Address", "mail",
                             "Work email", "work_email", " Email Address ", "E-mail 1 - Value", "Contact email",
                             "Email (personal)")),
    *((h, "name") for h in ("name", "Full Name", "full_name", "Contact name", "CONTACT", "Display Name")),
    *((h, "first_name") for h in ("First Name", "first_name", "Forename", "Given Name")),
    *((h, "last_name") for h in ("Last Name", "Surname", "SURNAME", "Family Name", "last-name")),
    *((h, "outlet") for h in ("Outlet", "Organisation", "organization", "Company", "Publication", "Media outlet",
                              "Title (publication)", "Newspaper", "Station", "Employer", "Outlet Name")),
    *((h, "job_title") for h in ("Job title", "JOB TITLE", "Title", "Position", "Role", "Beat", "Job title or beat",
                                 "Desk", "job-title")),
    *((h, "phone") for h in ("Phone", "Telephone", "Tel", "Tel.", "Mobile", "Mobile Phone", "Phone number",
                             "Direct line", "Business Phone", "Mobile phone (work)")),
    *((h, "notes") for h in ("Notes", "Comments", "note", "NOTES ")),
    *((h, "source") for h in ("Source", "How we got this", "how-we-got-this")),
    *((h, "lawful_basis") for h in ("Lawful basis", "Legal basis", "GDPR basis", "basis", "GDPR-Basis")),
    *((h, "lists") for h in ("Lists", "List", "Groups", "Tags", "TAGS", "Segments", "Categories")),
    *((h, None) for h in ("", "Address", "Twitter", "Middle Name", "E-mail Type", "E-mail Display Name", "Postcode",
                          "Date added", "Email opt-in", "Phone type")),
])
def test_guess_mapping_recognises_common_spellings(header, field):
    assert guess_mapping([header]) == [field]


def test_guess_mapping_gives_each_field_to_the_first_column_only():
    headers = ["Email", "Work email", "E-mail 2 Address", "Name", "First name", "Last name", "Contact", "Phone",
               "Mobile", "Home phone", "Position", "Title", "Organisation", "Company", "Notes", "Comments"]
    assert guess_mapping(headers) == ["email", None, None, "name", "first_name", "last_name", None, "phone", None,
                                      None, "job_title", None, "outlet", None, "notes", None]


def test_guess_mapping_prefers_a_plain_name_to_an_ambiguous_one():
    outlook = ["Title", "First Name", "Middle Name", "Last Name", "Company", "Job Title", "Business Phone",
               "Mobile Phone", "E-mail Address", "E-mail Type", "E-mail Display Name", "Notes", "Categories"]
    assert guess_mapping(outlook) == [None, "first_name", None, "last_name", "outlet", "job_title", "phone", None,
                                      "email", None, None, "notes", "lists"]
    google = ["Name", "Given Name", "Family Name", "Notes", "Group Membership", "E-mail 1 - Type", "E-mail 1 - Value",
              "Phone 1 - Type", "Phone 1 - Value", "Organization 1 - Name", "Organization 1 - Title"]
    assert guess_mapping(google) == ["name", "first_name", "last_name", "notes", "lists", None, "email", None,
                                     "phone", "outlet", "job_title"]
    assert guess_mapping(["Contact", "Mail", "Title", "Basis"]) == ["name", "email", "job_title", "lawful_basis"]
    assert guess_mapping(["Contact", "Full name", "Mail", "Email"]) == [None, "name", None, "email"]


def test_field_names_and_labels():
    assert CONTACT_FIELDS == ("name", "email", "outlet", "job_title", "phone", "notes", "source", "lawful_basis",
                              "lists")
    assert ALL_FIELDS == (*CONTACT_FIELDS, "first_name", "last_name")
    assert [FIELD_LABELS[f] for f in ALL_FIELDS] == ["Name", "Email", "Outlet", "Job title or beat", "Phone", "Notes",
                                                     "Source", "Lawful basis", "Lists", "First name", "Last name"]


def test_no_email_column_refuses_the_file():
    table = read_csv(b"Name,Outlet\nAnn,BBC\n")
    with pytest.raises(ImportFileError) as err:
        clean_rows(table, guess_mapping(table.headers))
    assert str(err.value) == "No column holds email addresses: choose which column is the email."


def test_chosen_mapping_with_two_columns_for_one_field_is_refused():
    table = read_csv(b"Email,Work email,Notes,More notes,Tags,Lists\nann@x.co.uk,a@y.co.uk,One,Two,a,b\n")
    with pytest.raises(ImportFileError) as err:
        clean_rows(table, ["email", "email", None, None, None, None])
    assert str(err.value) == "Columns 'Email' and 'Work email' are both set to Email: choose one."
    # Notes and lists may come from several columns.
    plan = clean_rows(table, ["email", None, "notes", "notes", "lists", "lists"])
    assert [(c.notes, c.lists) for c in plan.contacts] == [("One\nTwo", ["a", "b"])]


def test_mapping_must_fit_the_columns():
    table = read_csv(b"Email,Name\nann@x.co.uk,Ann\n")
    with pytest.raises(ValueError, match="2 columns"):
        clean_rows(table, ["email"])
    with pytest.raises(ValueError, match="Unknown contact field 'mobile'"):
        clean_rows(table, ["email", "mobile"])


def test_header_line_that_is_really_a_contact_is_reported():
    table = read_csv(b"Ann Lee,ann@x.co.uk\nBo Yi,bo@x.co.uk\n")
    assert guess_mapping(table.headers) == [None, None]
    plan = clean_rows(table, ["name", "email"])
    assert [c.email for c in plan.contacts] == ["bo@x.co.uk"]
    assert reasons(plan.rejected) == [(1, "This line was read as the column names but holds an email address, so it"
                                          " was not imported: add a line of column names at the top of the file.")]
    assert plan.rejected[0].values == ["Ann Lee", "ann@x.co.uk"]


def test_table_built_by_hand_with_short_rows():
    table = CsvTable("utf-8", ",", ["Name", "Email", "Phone"], [(2, ["Ann", "ann@x.co.uk"]), (3, [])])
    plan = clean_rows(table, ["name", "email", "phone"])
    assert [(c.name, c.phone) for c in plan.contacts] == [("Ann", "")]
    assert reasons(plan.skipped) == [(3, "Blank line.")]


# --- Emails ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("cell", "email"), [
    ("  Jane.Smith@Example.COM ", "jane.smith@example.com"),
    ("mailto:jane@example.com", "jane@example.com"),
    ("MAILTO:Jane@Example.com?subject=Hello", "jane@example.com"),
    ("<jane@example.com>", "jane@example.com"),
    ("'jane@example.com'", "jane@example.com"),
    ('"jane@example.com"', "jane@example.com"),
    ("jane@example.com;", "jane@example.com"),
    ("Postmaster@Example.com", "postmaster@example.com"),
    ("o'connor+press@bbc.co.uk", "o'connor+press@bbc.co.uk"),
    ("Zoë@Bücher.DE", "zoë@bücher.de"),
    ("jo@XN--BCHER-KVA.de", "jo@bücher.de"),
])
def test_email_cells_are_cleaned_and_lower_cased(cell, email):
    contact, plan = one(f'Ann,"{cell.replace(chr(34), chr(34) * 2)}",,,,')
    assert contact.email == email
    assert plan.warnings == []


def test_display_name_form_supplies_the_name_when_there_is_none():
    contact, plan = one('," Jane Smith "" <Jane.Smith@Example.com>",,,,')
    assert (contact.name, contact.email) == ("Jane Smith", "jane.smith@example.com")
    assert plan.warnings == []
    contact, _ = one('Jane S.,Jane Smith <jane@example.com>,,,,')
    assert contact.name == "Jane S."


@pytest.mark.parametrize(("cell", "reason"), [
    ("jane@", "Email address 'jane@' is not valid: there must be something after the @-sign."),
    ("jane", "Email address 'jane' is not valid: an email address must have an @-sign."),
    ("jane smith@example.com", "Email address 'jane smith@example.com' is not valid: the email address contains"
                               " invalid characters before the @-sign: SPACE."),
    ("jane@@example.com", "Email address 'jane@@example.com' is not valid: the part after the @-sign contains invalid"
                          " characters: '@'."),
    ("jane..smith@example.com", "Email address 'jane..smith@example.com' is not valid: an email address cannot have"
                                " two periods in a row."),
    ("jane@localhost", "Email address 'jane@localhost' is not valid: the part after the @-sign is not valid. It"
                       " should have a period."),
    ("jane@[192.0.2.1]", "Email address 'jane@[192.0.2.1]' is not valid: a bracketed IP address after the @-sign is"
                         " not allowed here."),
    ("mailto:", "Email address is missing."),
    ("<>", "Email address is missing."),
    ("a" * 300 + "@example.com", f"Email address '{'a' * 80}…' is not valid: the email address is too long (58"
                                 " characters too many)."),
])
def test_invalid_emails_are_rejected_with_the_validators_reason(cell, reason):
    contact, plan = one(f"Ann,{cell},,,,")
    assert contact is None
    assert reasons(plan.rejected) == [(2, reason)]


def test_several_addresses_in_one_cell_keep_the_others_in_notes():
    contact, plan = one('Ann,"ann@x.co.uk; Ann Lee <ann.lee@y.co.uk>",,Met at conference,,')
    assert contact.email == "ann@x.co.uk"
    assert contact.notes == "Met at conference\nOther email addresses: ann.lee@y.co.uk"
    assert reasons(plan.warnings) == [(2, "Only the first email address in the cell was used: 'ann.lee@y.co.uk' was"
                                          " added to the notes.")]
    contact, _ = one("Ann,ann@x.co.uk bo@x.co.uk / cy@x.co.uk,,,,")
    assert contact.notes == "Other email addresses: bo@x.co.uk, cy@x.co.uk"


def test_fast_email_check_agrees_with_email_validator():
    rng = random.Random(7)
    alphabet = "abcXYZ09.-_+'!#$%&*/=?^`{|}~@ \"(),:;<>[\\]éü"
    addresses = ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 14))) + rng.choice(
        ["@example.com", "@x.co.uk", "@bad..dom", "@-x.com", "@x.test", "@xn--bcher-kva.de", "@X.CO.UK", "", "@a"])
        for _ in range(5000)]
    addresses += ["a" * 64 + "@x.com", "a" * 65 + "@x.com", "a@" + "b" * 63 + ".com", "a@" + "b" * 64 + ".com",
                  "a@" + ".".join(["b" * 60] * 4) + ".com", ("a" * 60 + ".") * 3 + "@" + "b" * 60 + ".co.uk"]
    for address in addresses:
        try:
            expected = validate_email(address, check_deliverability=False).normalized.lower()
        except EmailNotValidError:
            expected = ""
        assert cells.normalise_email(address)[0] == expected, address


# --- Phones ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("cell", "e164"), [
    ("07700 900123", "+447700900123"),
    ("07700900123", "+447700900123"),
    ("+44 (0)7700 900123", "+447700900123"),
    ("+44(0)7700900123", "+447700900123"),
    ("0044 7700 900123", "+447700900123"),
    ("(01632) 960123", "+441632960123"),
    ("07700-900-123", "+447700900123"),
    ("Mob: 07700 900123", "+447700900123"),
    ("020 7946 0000", "+442079460000"),
    ("0115 496 0123", "+441154960123"),
    ("0800 123 4567", "+448001234567"),
    ("+1 202 555 0143", "+12025550143"),
    ("+33 1 42 68 53 00", "+33142685300"),
    ("n/a", ""),
    ("-", ""),
    ("", ""),
])
def test_phone_numbers_as_people_type_them(cell, e164):
    contact, plan = one(f"Ann,ann@x.co.uk,{cell},,,")
    assert contact.phone == e164
    assert plan.warnings == []


@pytest.mark.parametrize(("cell", "reason"), [
    ("0123", "Phone number '0123' is not a valid UK number and was left out."),
    ("07700 90012", "Phone number '07700 90012' is not a valid UK number and was left out."),
    ("ask the newsdesk", "Phone number 'ask the newsdesk' is not a valid UK number and was left out."),
    ("+44 1234", "Phone number '+44 1234' is not a valid number and was left out."),
    ("00 1 555", "Phone number '00 1 555' is not a valid number and was left out."),
])
def test_invalid_phone_numbers_are_left_out_with_a_warning(cell, reason):
    contact, plan = one(f"Ann,ann@x.co.uk,{cell},,,")
    assert (contact.email, contact.phone) == ("ann@x.co.uk", "")
    assert reasons(plan.warnings) == [(2, reason)]


def test_phone_cell_with_two_numbers_keeps_the_first_and_notes_the_cell():
    contact, plan = one("Ann,ann@x.co.uk,0123 / 07700 900123 or 020 7946 0000,Desk,,")
    assert (contact.phone, contact.notes) == ("+447700900123", "Desk\nPhone: 0123 / 07700 900123 or 020 7946 0000")
    assert reasons(plan.warnings) == [(2, "Phone cell '0123 / 07700 900123 or 020 7946 0000' holds more than one"
                                          " number: +447700900123 was used and the cell was added to the notes.")]


@pytest.mark.parametrize(("cell", "e164", "what"), [
    ("07700 900123 (after 6pm)", "+447700900123", "words besides the number"),
    ("Jo: 07700 900123", "+447700900123", "words besides the number"),
    ("after 6pm 020 7946 0000", "+442079460000", "words besides the number"),
    ("07700 900123; 07700 900124", "+447700900123", "more than one number"),
    # Two numbers with only spaces between are not read as one long number.
    ("07700 900123 07700 900124", "+447700900124", "more than one number"),
])
def test_phone_cell_with_more_than_a_number_keeps_the_cell_in_notes(cell, e164, what):
    contact, plan = one(f"Ann,ann@x.co.uk,{cell},,,")
    assert (contact.phone, contact.notes) == (e164, f"Phone: {cell}")
    assert reasons(plan.warnings) == [(2, f"Phone cell '{cell}' holds {what}: {e164} was used and the cell was added"
                                          " to the notes.")]


@pytest.mark.parametrize("cell", ["Mob: 07700 900123", "Tel. 07700 900123", "M 07700 900123",
                                  "Direct line 07700 900123"])
def test_labels_beside_a_phone_number_are_dropped(cell):
    contact, plan = one(f"Ann,ann@x.co.uk,{cell},,,")
    assert (contact.phone, contact.notes, plan.warnings) == ("+447700900123", "", [])


def test_phone_extension_goes_to_notes():
    contact, plan = one("Ann,ann@x.co.uk,01632 960 123 ext 4,,,")
    assert (contact.phone, contact.notes) == ("+441632960123", "Phone: 01632 960 123 ext 4")
    assert len(plan.warnings) == 1


def test_fast_uk_phone_path_agrees_with_phonenumbers():
    rng = random.Random(3)
    shapes = ["0{}", "+44{}", "+44 (0){}", "0044 {}", "(0{})", "0{} ", "+44(0) {}"]
    for _ in range(3000):
        digits = str(rng.randint(10**7, 10**10 - 1))
        text = rng.choice(shapes).format(" ".join([digits[:4], digits[4:]]))
        number = phonenumbers.parse(text, "GB")
        valid = phonenumbers.is_valid_number(number) or cells._fictional(number)
        expected = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) if valid else ""
        assert cells._parse_phone(text) == (expected, ""), text


# --- Other fields ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("cell", "code"), [
    ("Legitimate interests", "legitimate_interests"), ("legitimate interest", "legitimate_interests"),
    ("LI", "legitimate_interests"), ("legitimate_interests", "legitimate_interests"),
    ("Art. 6(1)(f)", "legitimate_interests"), ("6(1)(a)", "consent"), ("Consent", "consent"),
    ("Opted in", "consent"), ("Public task", "public_task"), ("Contract", "contract"), ("", ""),
])
def test_lawful_basis_is_stored_as_a_code(cell, code):
    contact, plan = one(f"Ann,ann@x.co.uk,,,,{cell}")
    assert contact.lawful_basis == code
    assert code == "" or code in LAWFUL_BASES
    assert plan.warnings == []


@pytest.mark.parametrize("cell", ["Legal obligation", "Art. 6(1)(c)", "GDPR", "yes"])
def test_lawful_basis_not_recorded_goes_to_notes(cell):
    contact, plan = one(f"Ann,ann@x.co.uk,,Desk,,{cell}")
    assert (contact.lawful_basis, contact.notes) == ("", f"Desk\nLawful basis: {cell}")
    assert len(plan.warnings) == 1


@pytest.mark.parametrize(("cell", "lists"), [
    ("Health; Education", ["Health", "Education"]),
    ("Health|Education|health", ["Health", "Education"]),
    ("Health, Social Care; Education", ["Health, Social Care", "Education"]),
    ("Health, Education ,, ", ["Health", "Education"]),
    ("Health\nEducation", ["Health", "Education"]),
    ("  Local   democracy ", ["Local democracy"]),
    ("* myContacts ::: Press ::: Health", ["* myContacts", "Press", "Health"]),
])
def test_list_cells_split_on_the_strongest_separator(cell, lists):
    contact, _ = one(f'Ann,ann@x.co.uk,,,"{cell}",')
    assert contact.lists == lists


def test_default_lists_are_added_once():
    _, plan = plan_for(b"Email,Lists\nann@x.co.uk,Health\nbo@x.co.uk,\n",
                       default_lists=[" press  office ", "HEALTH", "Press Office", ""])
    assert [c.lists for c in plan.contacts] == [["Health", "press office"], ["press office", "HEALTH"]]


def test_long_cells_are_cut_with_a_warning():
    header = "Name,Email,Outlet,Job title,Notes,Source,Lists"
    row = ",".join(["N" * 201, "ann@x.co.uk", "O" * 250, "J" * 200, "n" * 5001, "S" * 300, "L" * 101])
    contact, plan = one(row, header)
    assert [len(v) for v in (contact.name, contact.outlet, contact.job_title, contact.notes, contact.source)] == [
        200, 200, 200, 5000, 200]
    assert contact.lists == ["L" * 100]
    assert [reason for _, reason in reasons(plan.warnings)] == [
        f"List name '{'L' * 80}…' was longer than 100 characters and was cut to 100.",
        "Name was longer than 200 characters and was cut to 200.",
        "Outlet was longer than 200 characters and was cut to 200.",
        "Notes was longer than 5,000 characters and was cut to 5,000.",
        "Source was longer than 200 characters and was cut to 200.",
    ]


def test_name_column_wins_over_first_and_last_names():
    _, plan = plan_for(b"First name,Last name,Name,Email\nAnn,Lee,Dr Ann Lee,ann@x.co.uk\n"
                       b"Bo,,,bo@x.co.uk\n,Yi,,yi@x.co.uk\n  Cy  , Ma ,,cy@x.co.uk\n")
    assert [c.name for c in plan.contacts] == ["Dr Ann Lee", "Bo", "Yi", "Cy Ma"]


# --- Duplicates --------------------------------------------------------------------------------------------

def test_duplicates_merge_into_the_first_row():
    data = (b"Name,Email,Outlet,Job title,Phone,Notes,Source,Lawful basis,Lists\n"
            b"Ann Lee,ann@x.co.uk,,Health,,First note,,,Health\n"
            b"ann lee,ANN@X.CO.UK,BBC,Crime,07700 900123,Second note,Event,consent,HEALTH;Crime\n"
            b"Ann Lee,Ann@x.co.uk,ITV,,020 7946 0000,First note,,legitimate interests,Politics\n"
            b"A. Lee,mailto:ann@X.co.uk,,,,Second note,,,\n")
    _, plan = plan_for(data)
    assert plan.contacts == [ContactRow(
        line=2, name="Ann Lee", email="ann@x.co.uk", outlet="BBC", job_title="Health", phone="+447700900123",
        notes="First note\nSecond note", source="Event", lawful_basis="consent", lists=["Health", "Crime", "Politics"],
        merged_lines=[3, 4, 5])]
    assert reasons(plan.skipped) == [(n, "Same email as line 2: merged into it.") for n in (3, 4, 5)]
    assert reasons(plan.warnings) == [
        (3, "Job title or beat 'Crime' differs from line 2 and was left out."),
        (4, "Outlet 'ITV' differs from line 2 and was left out."),
        (4, "Phone '+442079460000' differs from line 2 and was left out."),
        (4, "Lawful basis 'legitimate_interests' differs from line 2 and was left out."),
        (5, "Name 'A. Lee' differs from line 2 and was left out."),
    ]


def test_merged_notes_are_cut_at_the_limit():
    data = "Name,Email,Notes\n" + f"Ann,ann@x.co.uk,{'a' * 4000}\n" + f"Ann,ANN@x.co.uk,{'b' * 4000}\n"
    _, plan = plan_for(data.encode())
    assert plan.contacts[0].notes == "a" * 4000 + "\n" + "b" * 999
    assert reasons(plan.warnings) == [(3, "Notes was longer than 5,000 characters and was cut to 5,000.")]


def test_missing_name_filled_by_a_later_duplicate_needs_no_warning():
    _, plan = plan_for(b"Name,Email\n,ann@x.co.uk\nAnn Lee,ANN@x.co.uk\n,bo@x.co.uk\n")
    assert [(c.name, c.merged_lines) for c in plan.contacts] == [("Ann Lee", [3]), ("", [])]
    assert reasons(plan.warnings) == [(4, "Name is missing: the contact was imported without one.")]


def test_invalid_emails_are_never_merged():
    _, plan = plan_for(b"Name,Email\nAnn,ann@\nBo,ANN@\n")
    assert plan.contacts == [] and plan.skipped == []
    assert [line for line, _ in reasons(plan.rejected)] == [2, 3]


def test_every_row_of_random_input_is_accounted_for():
    rng = random.Random(11)
    alphabet = b'ab@.,;\t"\r\n x\x00\xe9\xc3\xa9=+-|<>:0179()'
    for _ in range(2000):
        noise = bytes(rng.choice(alphabet) for _ in range(rng.randint(0, 120)))
        data = b"Name,Email,Phone,Notes,Lists,Lawful basis\n" + noise
        try:
            table = read_csv(data)
        except ImportFileError:
            continue
        plan = clean_rows(table, guess_mapping(table.headers))
        used = [c.line for c in plan.contacts] + [p.line for p in plan.rejected + plan.skipped]
        assert sorted(used) == [line for line, _ in table.rows], data
        report = list(csv.reader(io.StringIO(report_csv(plan, table.headers), newline="")))
        assert len(report) == 1 + len(plan.rejected) + len(plan.skipped) + len(plan.warnings)


# --- A large file ------------------------------------------------------------------------------------------

FIRST = ("Amelia Oliver Isla George Ava Arthur Mia Noah Ivy Leo Freya Oscar Aisha Mohammed Siobhan Dafydd Niamh"
         " Callum Priya Tomasz Zoë Renée").split()
LAST = ("Smith Jones Taylor Brown Williams Wilson Johnson Davies Patel Wright O'Connor Nowak Khan Evans Thomas Roberts"
        " Hughes McDonald Ahmed Clarke Llewellyn").split()
OUTLETS = ["BBC Look North", "The Northern Echo", "ITV Tyne Tees", "Yorkshire Post", "Local Democracy Reporting",
           "PA Media", "Hartlepool Mail", "BBC Radio Newcastle", "The Guardian", "The MJ", "Teesside Live"]
DOMAINS = ["bbc.co.uk", "nne.co.uk", "itv.com", "ypn.co.uk", "reachplc.com", "pa.media", "theguardian.com",
           "gmail.com", "nationalworld.com", "hgluk.com"]
# Ofcom's numbers for drama, so no real person's number is in the tests.
EXCHANGES = ["0113 496 0", "0114 496 0", "0115 496 0", "0121 496 0", "0131 496 0", "0141 496 0", "0151 496 0",
             "0161 496 0", "020 7946 0", "07700 900", "01632 960"]
BAD_EMAILS = ["newsdesk.bbc.co.uk", "jo@", "jo smith@x.co.uk", "@nne.co.uk", "jo@@itv.com", "jo@x..com"]


def _big_file(rows: int) -> tuple[bytes, int, int]:
    """A realistic export with ~1% invalid emails and ~2% repeats in other case; the counts of each."""
    rng = random.Random(2024)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["Full name", "Email address", "Publication", "Job title", "Telephone", "Tags"])
    written: list[list[str]] = []
    invalid = repeats = 0
    for n in range(rows):
        if n % 100 == 7:
            row = ["Jo Bloggs", rng.choice(BAD_EMAILS), "Freelance", "", "", ""]
            invalid += 1
        elif n % 50 == 13:
            row = list(rng.choice(written))
            row[1] = row[1].upper()
            repeats += 1
        else:
            first, last = rng.choice(FIRST), rng.choice(LAST)
            exchange = rng.choice(EXCHANGES)
            phone = f"{exchange}{rng.randrange(1000):03d}"
            row = [f"{first} {last}", f"{first}.{last}.{n}@{rng.choice(DOMAINS)}".lower().replace("'", ""),
                   rng.choice(OUTLETS), rng.choice(["Reporter", "Health correspondent", "Newsdesk", "Editor"]),
                   rng.choice([phone, phone.replace("0", "+44 ", 1), ""]),
                   rng.choice(["Health; Education", "Politics", "", "Crime|Courts"])]
            written.append(row)
        writer.writerow(row)
    return out.getvalue().encode(), invalid, repeats


def test_fifty_thousand_rows_are_quick_and_exact():
    data, invalid, repeats = _big_file(50_000)
    started = time.perf_counter()
    table = read_csv(data)
    plan = clean_rows(table, guess_mapping(table.headers), default_lists=["Imported"])
    elapsed = time.perf_counter() - started
    assert (invalid, repeats) == (500, 1000)
    assert len(table.rows) == 50_000
    assert len(plan.contacts) == 48_500
    assert len(plan.rejected) == 500
    assert len(plan.skipped) == 1000
    assert all(p.reason.startswith("Same email as line ") for p in plan.skipped)
    assert plan.warnings == []
    assert sum(len(c.merged_lines) for c in plan.contacts) == 1000
    used = [c.line for c in plan.contacts] + [p.line for p in plan.rejected + plan.skipped]
    assert sorted(used) == list(range(2, 50_002))
    assert all(c.lists[-1] == "Imported" and c.email == c.email.lower() for c in plan.contacts)
    assert elapsed < 10
