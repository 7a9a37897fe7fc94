"""Unit tests for reading press releases: sample releases in many shapes, Word uploads and hostile input."""

import io
import time
import zipfile
from datetime import date, datetime
from pathlib import Path

import docx
import pytest
from docx.enum.style import WD_STYLE_TYPE
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import qn

from press.releases.docx_text import docx_to_text
from press.releases.parsing import ParsedRelease, parse_release_docx, parse_release_text

SAMPLES = Path(__file__).parent / "data" / "releases"


def read_sample(name: str) -> str:
    """A sample release decoded as the app decodes uploads, keeping its line endings as they are on disk."""
    return (SAMPLES / name).read_bytes().decode("utf-8")


EXPECTED = {
    "council_ref_ends_numbered_notes.txt": ParsedRelease(
        reference="NCC 2024/25-07",
        release_date=date(2024, 9, 4),
        headline="Northshire County Council Opens Three New Family Hubs",
        body=(
            "Families in Aldbridge, Fenwick and Marston will be able to get help with everything from infant feeding"
            " to debt advice under one roof from Monday.\n\n"
            "The three family hubs, funded through the council's £2.4 million Start for Life programme, bring health"
            " visitors, early help workers and library staff together in buildings that families already use.\n\n"
            "Councillor Ruth Okafor, Cabinet Member for Children and Families, said: \"Parents told us they were tired"
            " of repeating their story to five different services. The hubs mean one conversation, one place and one"
            " team.\"\n\n"
            "The hubs will be open from 9am to 5pm on weekdays, with Saturday morning sessions at Fenwick library."
        ),
        notes_to_editors=(
            "1. The family hubs are at Aldbridge Children's Centre, Fenwick Library and Marston Community Hall.\n"
            "2. The Start for Life programme is funded by the Department for Education and the Department of Health"
            " and Social Care.\n"
            "3. The council's family hubs strategy can be downloaded at"
            " https://www.northshire.example.gov.uk/family-hubs"
        ),
        contact_name="Jane Smith",
        contact_job_title="Communications Manager",
        contact_email="jane.smith@northshire.example.gov.uk",
        contact_phone="07700 900123",
    ),
    "childrens_trust_embargo_helpline.txt": ParsedRelease(
        reference="NCT 2024/25-112",
        release_date=date(2024, 9, 3),
        embargo=datetime(2024, 9, 4, 0, 1),
        headline="Review finds missed chances to protect baby Oliver",
        standfirst=(
            "An independent review has found that agencies missed four chances to act on concerns about a baby who"
            " died at his family home in 2023."
        ),
        body=(
            "Northshire Children's Trust\n\n"
            "The Local Child Safeguarding Practice Review, published today by the Northshire Safeguarding Children"
            " Partnership, examined the work of health, police and children's social care in the eight months before"
            " Oliver died.\n\n"
            "It makes six recommendations, including:\n\n"
            "- clearer guidance on sharing information about unborn babies\n"
            "- a single referral route for health visitors\n"
            "- training on working with fathers and male carers\n\n"
            "Trust chief executive Mark Evans said: \"We accept every one of the recommendations and have already"
            " made changes.\""
        ),
        notes_to_editors=(
            "The full review is available at https://www.northshire-scp.example.org.uk/reviews/oliver.\n\n"
            "The trust delivers children's social care services on behalf of Northshire County Council.\n\n"
            "Mobile: 07700 900 482"
        ),
        helpline=(
            "If you are worried about a child, or you are a parent who needs support, call the NSPCC helpline free on"
            " 0808 800 5000 or visit www.nspcc.org.uk.\n\n"
            "Children and young people can call Childline on 0800 1111."
        ),
        contact_name="Priya Patel",
        contact_job_title="Senior Communications Officer",
        contact_email="priya.patel@northshire-trust.example.org.uk",
        contact_phone="01632 960 481",
        warnings=[
            "“Northshire Children's Trust” above the release details was kept at the top of the body.",
            "Some lines of the media contact were not recognised and were added to the notes to editors:"
            " “Mobile: 07700 900 482”",
        ],
    ),
    "safeguarding_wrapped_crlf.txt": ParsedRelease(
        reference="SCP 2023/24-112",
        release_date=date(2024, 9, 4),
        embargo=datetime(2024, 9, 5, 0, 1),
        headline="Partnership publishes annual report on keeping children safe online",
        body=(
            "The Northshire Safeguarding Children Partnership has today published its annual report, which shows a"
            " sharp rise in the number of children referred because of harm that began online.\n\n"
            "Referrals linked to online harm rose from 212 in 2022/23 to 318 in 2023/24, an increase of 50 per cent."
            " Most involved children aged 11 to 15, and two in five involved images shared without consent.\n\n"
            "Dr Helen Marsh, the independent scrutineer, said: “The partnership’s agencies are working well together,"
            " but the pace of change online means we cannot stand still. Parents tell us they don’t know where to"
            " start.”\n\n"
            "The report also sets out the partnership’s priorities for 2024/25, which include a new guide for parents"
            " and training for 1,200 school staff."
        ),
        notes_to_editors=(
            "The annual report is published under Working Together to Safeguard Children 2023 and can be read at"
            " https://www.northshire-scp.example.org.uk/annual-report-2024"
        ),
        helpline=(
            "If you are worried that a child is being harmed online, you can report it to CEOP at www.ceop.police.uk"
            " or call Northshire Children’s Services on 01632 960 200."
        ),
        contact_name="Sam Brown",
        contact_job_title="Partnership Business Manager",
        contact_email="sam.brown@northshire-scp.example.org.uk",
        contact_phone="01632 960 123",
    ),
    "no_reference_immediate.txt": ParsedRelease(
        release_date=date(2024, 9, 4),
        headline="Libraries to stay open later during exam season",
        body=(
            "Students in Northshire will be able to revise in eight libraries until 9pm on weekdays from 16"
            " September, after the council extended opening hours for the exam period.\n\n"
            "The later opening will run until 20 June 2025 and includes free Wi-Fi, quiet study rooms and access to"
            " online revision resources.\n\n"
            "Councillor Tom Price, Cabinet Member for Communities, said: “Not every young person has a quiet place to"
            " work at home. Our libraries can be that place.”"
        ),
        notes_to_editors=(
            "The eight libraries are Aldbridge, Castleford, Fenwick, Harlow Green, Marston, Northtown Central, Rowley"
            " and Westmere."
        ),
        contact_name="Northshire Council press office",
        contact_email="press.office@northshire.example.gov.uk",
        contact_phone="01632 960000",
        warnings=["No reference found (such as “Ref: ABC 2024/25-01”)."],
    ),
    "hash_end_contact_oneliner.txt": ParsedRelease(
        reference="NBC 2025/26-003",
        release_date=date(2025, 4, 14),
        embargo=datetime(2025, 4, 15, 10, 0),
        headline="Borough sets out plan to end rough sleeping by 2027",
        standfirst=(
            "Northbridge Borough Council will open a 24-hour assessment hub and fund 40 new supported homes as part of"
            " a three-year plan agreed by the cabinet last night."
        ),
        body=(
            "The plan follows a count in November 2024 that found 37 people sleeping rough in the borough on a single"
            " night, up from 22 a year earlier.\n\n"
            "The assessment hub, in the former Station Road offices, will open in the autumn and will let outreach"
            " workers offer someone a bed on the night they are found.\n\n"
            "Council leader Amira Hassan said: \"Nobody should have to spend a night on the streets of Northbridge."
            " This plan gives us the means to make sure they don't.\""
        ),
        notes_to_editors=(
            "The cabinet report, Ending Rough Sleeping in Northbridge 2025-2028, is available on the council's"
            " website."
        ),
        contact_name="Jane Smith",
        contact_job_title="Head of Communications",
        contact_email="jane.smith@council.example.gov.uk",
        contact_phone="01234 567890",
    ),
    "no_ends.txt": ParsedRelease(
        reference="WCT 2024/25-88",
        release_date=date(2025, 3, 12),
        embargo=datetime(2025, 3, 12, 12, 0),
        headline="Young carers' festival returns to Westmere Park",
        body=(
            "More than 300 young carers and their families are expected at Westmere Park on Saturday 22 March for the"
            " fourth Young Carers' Festival, organised by Westmere Children's Trust.\n\n"
            "The free festival includes live music, sports taster sessions and a chill-out zone run by young carers"
            " themselves. Transport is available for families who need it.\n\n"
            "Young carer Lily, 14, who helped plan this year's event, said: \"It's one day where nobody asks us to"
            " look after anyone. We just get to have fun.\""
        ),
        helpline=(
            "If you need support as a young carer, talk to your school or call the Westmere Young Carers Service on"
            " 01632 960 777."
        ),
        contact_name="Chris Doyle",
        contact_job_title="Communications Officer",
        contact_email="c.doyle@westmere-trust.example.org.uk",
        contact_phone="01632 960 778",
        warnings=[
            "The embargo gives no date, so the release date was used.",
            "No ENDS line found: everything after the headline was treated as the body.",
        ],
    ),
    "bullets_and_lists.txt": ParsedRelease(
        reference="NCC 2024/25-031",
        release_date=date(2024, 9, 4),
        headline="WINTER GRITTING: WHAT YOU NEED TO KNOW",
        body=(
            "Northshire County Council is ready for winter, with 18,000 tonnes of salt in stock and 32 gritters on"
            " standby.\n\n"
            "This winter the council will:\n\n"
            "- grit 1,450 miles of priority roads before ice forms\n"
            "- fill 2,300 grit bins, including 150 new ones requested by parish councils\n"
            "- keep a reserve of 4,000 tonnes at the Marston depot\n\n"
            "How you can help:\n\n"
            "- check the gritting routes map before you travel\n"
            "- keep a shovel and a bag of grit at home\n"
            "- look in on elderly neighbours\n\n"
            "The council's priorities, in order, are:\n\n"
            "1. main roads and bus routes\n"
            "2. routes to hospitals, fire stations and schools\n"
            "3. steep hills and known trouble spots\n\n"
            "Cabinet Member for Highways Dave Kirby said: \"Our crews work around the clock when the temperature"
            " drops. Please give gritters room on the road.\""
        ),
        notes_to_editors=(
            "- Gritting routes: https://www.northshire.example.gov.uk/gritting\n"
            "- Photos of the new gritters are available on request."
        ),
        contact_name="Rachel Green",
        contact_job_title="Press Officer",
        contact_email="rachel.green@northshire.example.gov.uk",
        contact_phone="+44 (0)7700 900123",
    ),
    "notes_without_ends.txt": ParsedRelease(
        reference="NSAB 2024/25-05",
        release_date=date(2024, 10, 2),
        headline="New guide helps families spot financial abuse",
        body=(
            "Northshire Safeguarding Adults Board\n\n"
            "A new guide published today by Northshire Safeguarding Adults Board explains the warning signs of"
            " financial abuse and where families can get help.\n\n"
            "Financial abuse was the second most common type of abuse reported to the board last year, making up 23"
            " per cent of all concerns."
        ),
        notes_to_editors=(
            "1. The guide, Money Matters, is available in English, Polish, Urdu and easy read.\n"
            "2. Copies can be ordered from the board's website."
        ),
        helpline="Action Fraud: 0300 123 2040\n\nAge UK Advice Line: 0800 678 1602",
        contact_email="press@nsab.example.org.uk",
        contact_phone="01632 960 300",
        warnings=[
            "“Northshire Safeguarding Adults Board” above the release details was kept at the top of the body.",
            "No ENDS line found: the body was taken to end at the notes to editors.",
        ],
    ),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_release_parses_into_every_field(name: str) -> None:
    assert parse_release_text(read_sample(name)) == EXPECTED[name]


def test_every_sample_file_has_expectations() -> None:
    assert sorted(path.name for path in SAMPLES.glob("*.txt")) == sorted(EXPECTED)


def test_wrapped_sample_parses_the_same_with_windows_line_endings() -> None:
    # Git may rewrite line endings on checkout, so build the Windows form here rather than trust the file.
    text = read_sample("safeguarding_wrapped_crlf.txt").replace("\r\n", "\n")
    assert "\u00a0" in text and "’" in text
    assert parse_release_text(text.replace("\n", "\r\n")) == EXPECTED["safeguarding_wrapped_crlf.txt"]
    assert parse_release_text(text) == EXPECTED["safeguarding_wrapped_crlf.txt"]


def test_empty_text_gives_an_empty_release_with_a_warning() -> None:
    for text in ("", "  \r\n\n\u00a0\n"):
        parsed = parse_release_text(text)
        assert parsed == ParsedRelease(warnings=parsed.warnings)
        assert parsed.warnings == ["The release is empty: paste its text or upload it as a .docx file."]


def test_text_with_no_recognisable_parts_is_kept_and_warned_about() -> None:
    parsed = parse_release_text("Just a note\n\nsaying something")
    assert parsed.headline == "Just a note"
    assert parsed.body == "saying something"
    assert parsed.warnings == [
        "No reference found (such as “Ref: ABC 2024/25-01”).",
        "No release date found.",
        "No ENDS line found: everything after the headline was treated as the body.",
        "No media contact found.",
    ]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Date: 4 September 2024", date(2024, 9, 4)),
        ("4th September 2024", date(2024, 9, 4)),
        ("Wednesday 4 September 2024", date(2024, 9, 4)),
        ("Wed, 4th Sept 2024", date(2024, 9, 4)),
        ("04/09/2024", date(2024, 9, 4)),
        ("4.9.24", date(2024, 9, 4)),
        ("2024-09-04", date(2024, 9, 4)),
        ("Issued: September 4, 2024", date(2024, 9, 4)),
        ("Date of issue: 1 October 2025", date(2025, 10, 1)),
    ],
)
def test_release_date_forms(line: str, expected: date) -> None:
    parsed = parse_release_text(f"Ref: ABC 2024/25-01\n{line}\n\nHeadline here\n\nBody.\n\nENDS")
    assert parsed.release_date == expected
    assert parsed.headline == "Headline here"
    assert parsed.body == "Body."


def test_day_of_week_that_disagrees_with_the_date_is_warned_about() -> None:
    parsed = parse_release_text("Thursday 4 September 2024\nHeadline\n\nBody.\nENDS")
    assert parsed.release_date == date(2024, 9, 4)
    assert "4 September 2024 is a Wednesday, not the day of the week written beside it." in parsed.warnings


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Ref: ABC 2021/22-01", "ABC 2021/22-01"),
        ("Our ref: NCC 2024/25-07", "NCC 2024/25-07"),
        ("Reference: SCP 2023/24-112", "SCP 2023/24-112"),
        ("Ref no. ncc 2024/25 - 7", "NCC 2024/25-7"),
        ("NSCP 2025/26-0003", "NSCP 2025/26-0003"),
    ],
)
def test_reference_forms(line: str, expected: str) -> None:
    parsed = parse_release_text(f"{line}\nDate: 4 September 2024\nHeadline\n\nBody.\nENDS")
    assert parsed.reference == expected
    assert parsed.headline == "Headline"


def test_reference_that_is_not_a_financial_year_is_kept_with_a_warning() -> None:
    parsed = parse_release_text("Ref: ABC 2024/26-01\nHeadline\n\nBody.")
    assert parsed.reference == "ABC 2024/26-01"
    assert "The reference ABC 2024/26-01 does not name a financial year such as 2024/25." in parsed.warnings


def test_unreadable_labelled_details_stay_in_the_body() -> None:
    parsed = parse_release_text("Ref: to follow\nDate: TBC\n\nHeadline\n\nBody text.\n\nENDS")
    assert parsed.reference is None and parsed.release_date is None
    assert parsed.headline == "Headline"
    assert parsed.body == "Ref: to follow\n\nDate: TBC\n\nBody text."
    kept = "could not be read, or differs from details already found: it was left at the top of the body."
    assert f"“Ref: to follow” {kept}" in parsed.warnings
    assert f"“Date: TBC” {kept}" in parsed.warnings


def test_a_second_different_detail_is_kept_in_the_body() -> None:
    parsed = parse_release_text(
        "Embargoed until 10am 4 Sept 2024\nDate: 3 September 2024\nHeadline\n\n"
        "Embargoed until 11am 4 Sept 2024\nDate: 3 September 2024\n\nBody.\nENDS"
    )
    assert (parsed.embargo, parsed.release_date) == (datetime(2024, 9, 4, 10, 0), date(2024, 9, 3))
    assert parsed.body == "Embargoed until 11am 4 Sept 2024\n\nBody."


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("EMBARGOED UNTIL 00:01 BST, Wednesday 4 September 2024", datetime(2024, 9, 4, 0, 1)),
        ("Embargo: 00.01 hrs Thursday 5 September 2024", datetime(2024, 9, 5, 0, 1)),
        ("Under embargo until 10am on 12 March 2025", datetime(2025, 3, 12, 10, 0)),
        ("Embargoed until 10.30am, 12 March 2025", datetime(2025, 3, 12, 10, 30)),
        ("Embargoed until 2.15 p.m. on 12 March 2025", datetime(2025, 3, 12, 14, 15)),
        ("Embargoed until 12 noon, 12/03/2025", datetime(2025, 3, 12, 12, 0)),
        ("Embargoed until midday on 12 March", datetime(2025, 3, 12, 12, 0)),
        ("STRICTLY EMBARGOED: 0001 hrs 12 March 2025", datetime(2025, 3, 12, 0, 1)),
        ("Not for publication before 10:30 GMT 12 March 2025", datetime(2025, 3, 12, 10, 30)),
        ("Embargoed until 10:30", datetime(2025, 3, 11, 10, 30)),
    ],
)
def test_embargo_forms_give_naive_local_times(line: str, expected: datetime) -> None:
    parsed = parse_release_text(f"Ref: ABC 2024/25-01\nDate: 11 March 2025\n{line}\n\nHeadline\n\nBody.\nENDS")
    assert parsed.embargo == expected
    assert parsed.embargo.tzinfo is None
    assert parsed.headline == "Headline"
    assert parsed.body == "Body."


def test_embargo_without_a_time_assumes_midnight_with_a_warning() -> None:
    parsed = parse_release_text("Embargoed until Wednesday 4 September 2024\nHeadline\n\nBody.\nENDS")
    assert parsed.embargo == datetime(2024, 9, 4, 0, 0)
    assert parsed.release_date == date(2024, 9, 4)
    assert "The embargo gives no time, so 00:00 was assumed." in parsed.warnings
    assert "No release date found, so the embargo date was used." in parsed.warnings


def test_immediate_release_has_no_embargo() -> None:
    parsed = parse_release_text("FOR IMMEDIATE RELEASE\nDate: 4 September 2024\nHeadline\n\nBody.\nENDS")
    assert parsed.embargo is None
    assert parsed.headline == "Headline"


def test_embargo_with_no_date_anywhere_stays_in_the_body() -> None:
    parsed = parse_release_text("Embargoed until 10am\nHeadline\n\nBody.\nENDS")
    assert parsed.embargo is None
    assert parsed.body == "Embargoed until 10am\n\nBody."
    assert "Could not read the embargo “Embargoed until 10am”: it was left at the top of the body." in parsed.warnings


@pytest.mark.parametrize("marker", ["ENDS", "-ENDS-", "– ENDS –", "Ends", "###", "- ends -", "[ENDS]"])
def test_end_markers(marker: str) -> None:
    parsed = parse_release_text(f"Headline\n\nBody.\n\n{marker}\n\nNotes to editors\nBackground.")
    assert parsed.body == "Body."
    assert parsed.notes_to_editors == "Background."


@pytest.mark.parametrize("heading", ["Notes to editors", "Note to editors", "NOTES TO EDITORS:", "Editor's notes"])
def test_notes_headings_are_dropped(heading: str) -> None:
    parsed = parse_release_text(f"Headline\n\nBody.\n\nENDS\n\n{heading}\n1. Background.\n2. More.")
    assert parsed.notes_to_editors == "1. Background.\n2. More."


def test_capitals_headline_over_two_lines_is_joined() -> None:
    parsed = parse_release_text("COUNCIL LAUNCHES NEW\nFOSTERING CAMPAIGN\n\nBody.\nENDS")
    assert parsed.headline == "COUNCIL LAUNCHES NEW FOSTERING CAMPAIGN"
    assert parsed.body == "Body."


def test_headline_label_and_press_release_title_line() -> None:
    parsed = parse_release_text("Press release\n\nHeadline:  Council   sets budget\nSummary:\nA summary.\n\nBody.")
    assert parsed.headline == "Council sets budget"
    assert parsed.standfirst == "A summary."
    assert parsed.body == "Body."


@pytest.mark.parametrize(
    ("line", "name", "title", "email", "phone"),
    [
        (
            "For media enquiries or interview requests contact Jane Smith, Communications Manager, on 07700 900123"
            " or email jane.smith@example.gov.uk",
            "Jane Smith", "Communications Manager", "jane.smith@example.gov.uk", "07700 900123",
        ),
        (
            "Contact: Jane Smith, Head of Communications, 01234 567890, jane.smith@council.gov.uk",
            "Jane Smith", "Head of Communications", "jane.smith@council.gov.uk", "01234 567890",
        ),
        (
            "Media contact:\nJane Smith\nCommunications Manager\nE: <mailto:JANE.SMITH@council.gov.uk>\n"
            "T: (01234) 567 890",
            "Jane Smith", "Communications Manager", "jane.smith@council.gov.uk", "(01234) 567 890",
        ),
        (
            "For more information contact:\n\nJane Smith, Communications Manager\nTel: +44 (0)1234 567890\n\n"
            "Email: jane.smith@council.gov.uk",
            "Jane Smith", "Communications Manager", "jane.smith@council.gov.uk", "+44 (0)1234 567890",
        ),
        (
            "For further information, please contact Jane Smith on 07700900123.",
            "Jane Smith", None, None, "07700900123",
        ),
    ],
)
def test_media_contact_forms(line: str, name: str, title: str | None, email: str | None, phone: str) -> None:
    parsed = parse_release_text(f"Headline\n\nBody.\n\nENDS\n\n{line}")
    assert (parsed.contact_name, parsed.contact_job_title) == (name, title)
    assert (parsed.contact_email, parsed.contact_phone) == (email, phone)
    assert parsed.body == "Body."
    assert parsed.notes_to_editors == ""


def test_helpline_box_before_ends_is_taken_out_of_the_body() -> None:
    parsed = parse_release_text(
        "Headline\n\nBody.\n\nIf you need support\n\nCall Samaritans free on 116 123.\n\n"
        "- Childline: 0800 1111\n- NSPCC: 0808 800 5000\n\nENDS"
    )
    assert parsed.body == "Body."
    assert parsed.helpline == "Call Samaritans free on 116 123.\n\n- Childline: 0800 1111\n- NSPCC: 0808 800 5000"


def build_docx() -> bytes:
    """A release laid out as communications teams write them in Word."""
    document = docx.Document()
    document.add_paragraph("Ref: NCC 2024/25-019")
    document.add_paragraph("Date: Thursday 5 September 2024")
    document.add_heading("Council to plant 10,000 trees this winter", level=1)
    document.add_paragraph().add_run(
        "Volunteers are invited to help plant trees at twelve sites across the county."
    ).bold = True
    intro = document.add_paragraph("The planting is part of the council’s pledge to double tree cover by 2045. ")
    add_hyperlink(intro, "Read the tree strategy", "https://www.northshire.example.gov.uk/trees")
    document.add_heading("Where the trees will go", level=2)
    for site in ("Aldbridge Country Park", "Fenwick recreation ground", "Marston school fields"):
        document.add_paragraph(site, style="List Bullet")
    box = document.add_table(rows=1, cols=1).cell(0, 0)
    box.text = "If you are worried about a tree on council land, call 01632 960 100."
    document.add_paragraph("ENDS")
    document.add_heading("Notes to editors", level=2)
    document.add_paragraph("Photographs are available on request.", style="List Number")
    table = document.add_table(rows=4, cols=2)
    details = [
        ("Media contact", "Jane Smith"),
        ("Job title", "Communications Manager"),
        ("Email", "jane.smith@northshire.example.gov.uk"),
        ("Phone", "01632 960 555"),
    ]
    for row, (label, value) in zip(table.rows, details, strict=True):
        row.cells[0].text, row.cells[1].text = label, value
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def add_hyperlink(paragraph, text: str, url: str) -> None:
    """Add a link run to a paragraph; python-docx has no call for writing one."""
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), paragraph.part.relate_to(url, RT.HYPERLINK, is_external=True))
    run = OxmlElement("w:r")
    words = OxmlElement("w:t")
    words.text = text
    run.append(words)
    link.append(run)
    paragraph._p.append(link)


def test_docx_becomes_text_shaped_like_a_paste() -> None:
    assert docx_to_text(build_docx()) == (
        "Ref: NCC 2024/25-019\n\n"
        "Date: Thursday 5 September 2024\n\n"
        "Council to plant 10,000 trees this winter\n\n"
        "Volunteers are invited to help plant trees at twelve sites across the county.\n\n"
        "The planting is part of the council’s pledge to double tree cover by 2045. Read the tree strategy"
        " (https://www.northshire.example.gov.uk/trees)\n\n"
        "Where the trees will go\n\n"
        "- Aldbridge Country Park\n"
        "- Fenwick recreation ground\n"
        "- Marston school fields\n\n"
        "If you are worried about a tree on council land, call 01632 960 100.\n\n"
        "ENDS\n\n"
        "Notes to editors\n\n"
        "1. Photographs are available on request.\n\n"
        "Media contact: Jane Smith\n"
        "Job title: Communications Manager\n"
        "Email: jane.smith@northshire.example.gov.uk\n"
        "Phone: 01632 960 555"
    )


def test_docx_release_parses_into_every_field() -> None:
    assert parse_release_docx(build_docx()) == ParsedRelease(
        reference="NCC 2024/25-019",
        release_date=date(2024, 9, 5),
        headline="Council to plant 10,000 trees this winter",
        standfirst="Volunteers are invited to help plant trees at twelve sites across the county.",
        body=(
            "The planting is part of the council’s pledge to double tree cover by 2045. Read the tree strategy"
            " (https://www.northshire.example.gov.uk/trees)\n\n"
            "Where the trees will go\n\n"
            "- Aldbridge Country Park\n"
            "- Fenwick recreation ground\n"
            "- Marston school fields"
        ),
        notes_to_editors="1. Photographs are available on request.",
        helpline="If you are worried about a tree on council land, call 01632 960 100.",
        contact_name="Jane Smith",
        contact_job_title="Communications Manager",
        contact_email="jane.smith@northshire.example.gov.uk",
        contact_phone="01632 960 555",
    )


def test_docx_bold_paragraph_is_not_the_standfirst_when_the_next_is_bold_too() -> None:
    document = docx.Document()
    document.add_paragraph("Headline")
    document.add_paragraph().add_run("First bold paragraph.").bold = True
    document.add_paragraph().add_run("Second bold paragraph.").bold = True
    buffer = io.BytesIO()
    document.save(buffer)
    parsed = parse_release_docx(buffer.getvalue())
    assert parsed.standfirst == ""
    assert parsed.body == "First bold paragraph.\n\nSecond bold paragraph."


def test_docx_bold_from_a_character_style_counts() -> None:
    document = docx.Document()
    style = document.styles.add_style("Standfirst Char", WD_STYLE_TYPE.CHARACTER)
    style.font.bold = True
    document.add_paragraph("Headline")
    document.add_paragraph().add_run("A standfirst in a style.", style="Standfirst Char")
    document.add_paragraph("Body.")
    buffer = io.BytesIO()
    document.save(buffer)
    parsed = parse_release_docx(buffer.getvalue())
    assert (parsed.standfirst, parsed.body) == ("A standfirst in a style.", "Body.")


def test_docx_text_boxes_content_controls_and_tracked_changes() -> None:
    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    namespaces = (
        f'{w} xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"'
        ' xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape"'
        ' xmlns:v="urn:schemas-microsoft-com:vml"'
    )
    box = f"<w:txbxContent {w}><w:p><w:r><w:t>Helpline: 0808 800 5000</w:t></w:r></w:p></w:txbxContent>"
    document = docx.Document()
    document.element.body.insert(0, parse_xml(
        f"<w:sdt {w}><w:sdtContent><w:p><w:r><w:t>Date: 4 September 2024</w:t></w:r></w:p></w:sdtContent></w:sdt>"
    ))
    # Word saves a text box twice, the second copy for older readers; it must be read once.
    document.add_paragraph("Before the box.")._p.append(parse_xml(
        f'<w:r {namespaces}><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing><wps:wsp><wps:txbx>{box}'
        f"</wps:txbx></wps:wsp></w:drawing></mc:Choice><mc:Fallback><w:pict><v:shape><v:textbox>{box}"
        "</v:textbox></v:shape></w:pict></mc:Fallback></mc:AlternateContent></w:r>"
    ))
    paragraph = document.add_paragraph("Kept ")._p
    paragraph.append(parse_xml(f'<w:del {w} w:id="1" w:author="A"><w:r><w:delText>deleted </w:delText></w:r></w:del>'))
    paragraph.append(parse_xml(f'<w:ins {w} w:id="2" w:author="A"><w:r><w:t>inserted </w:t></w:r></w:ins>'))
    paragraph.append(parse_xml(f"<w:sdt {w}><w:sdtContent><w:r><w:t>in a control</w:t></w:r></w:sdtContent></w:sdt>"))
    buffer = io.BytesIO()
    document.save(buffer)
    assert docx_to_text(buffer.getvalue()) == (
        "Date: 4 September 2024\n\nBefore the box.\n\nHelpline: 0808 800 5000\n\nKept inserted in a control"
    )


def broken_docx_files() -> dict[str, bytes]:
    """Files that look like uploads but are not readable Word documents."""
    good = build_docx()
    other_zip = io.BytesIO()
    with zipfile.ZipFile(other_zip, "w") as archive:
        archive.writestr("notes.txt", "not a document")
    bad_xml = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as source, zipfile.ZipFile(bad_xml, "w") as archive:
        for item in source.infolist():
            archive.writestr(item, b"<w:document" if item.filename == "word/document.xml" else source.read(item))
    return {
        "empty": b"",
        "text": b"Ref: ABC 2024/25-01\nHeadline",
        "truncated": good[: len(good) // 2],
        "other zip": other_zip.getvalue(),
        "broken xml": bad_xml.getvalue(),
        "old .doc": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512),
    }


@pytest.mark.parametrize("name", sorted(broken_docx_files()))
def test_broken_docx_raises_a_clear_value_error(name: str) -> None:
    data = broken_docx_files()[name]
    with pytest.raises(ValueError, match=r"\.docx|empty"):
        docx_to_text(data)
    with pytest.raises(ValueError, match=r"\.docx|empty"):
        parse_release_docx(data)


MEGABYTE = 1024 * 1024


@pytest.mark.parametrize(
    "text",
    [
        "a" * MEGABYTE,
        "a\n" * (MEGABYTE // 2),
        "- item\n" * (MEGABYTE // 7),
        ("x" * 60 + "@") * (MEGABYTE // 61),
        "0 " * (MEGABYTE // 2),
        "EMBARGOED UNTIL " + "1 " * (MEGABYTE // 2),
        "ENDS\nFor media enquiries contact " + "Jane, " * (MEGABYTE // 6),
        "ENDS\nMedia contact:\n" + "jane@x.example 01234 567890\n" * (MEGABYTE // 28),
        "Ref: ABC 2024/25-01\nDate: 4 September 2024\n" * (MEGABYTE // 44),
        "Helpline\n0808 800 5000\n\n" * (MEGABYTE // 24),
        ("For " + "x " * 40 + "\n") * (MEGABYTE // 86),
        "Wednesday 4 September 2024 " * (MEGABYTE // 27),
    ],
    ids=lambda text: repr(text[:20]),
)
def test_a_megabyte_of_hostile_text_parses_quickly(text: str) -> None:
    started = time.perf_counter()
    parsed = parse_release_text(text)
    # It takes about 0.3 s here; a regex that backtracks catastrophically takes minutes on a megabyte,
    # so this bound catches that while leaving room for a machine busy with other work.
    assert time.perf_counter() - started < 5.0
    assert isinstance(parsed, ParsedRelease)


def test_a_partner_organisation_after_the_job_title_is_read_as_the_contacts_organisation() -> None:
    parsed = parse_release_text(
        "Partnership opens a new clinic\n\nThe clinic opens on Monday.\n\nENDS\n\n"
        "For media enquiries contact Sam Rivers, Communications Manager, Eastgate Health Partnership, on "
        "07700 900456 or email sam.rivers@partnership.example\n")
    assert (parsed.contact_name, parsed.contact_job_title, parsed.contact_organisation) == (
        "Sam Rivers", "Communications Manager", "Eastgate Health Partnership")
    assert parsed.contact_phone == "07700 900456" and parsed.contact_email == "sam.rivers@partnership.example"
    assert "Eastgate Health Partnership" not in parsed.notes_to_editors
    assert not any("not recognised" in warning for warning in parsed.warnings)
