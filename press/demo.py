"""Demo data: a small council press office with releases (one under embargo), media contacts and enquiries."""

from datetime import date, datetime, time, timedelta

from flask import current_app
from sqlalchemy.orm import Session

from press import clock, uktime
from press.accounts import services as accounts
from press.accounts.models import User
from press.contacts import services as contacts, signups
from press.contacts.models import ContactStatus
from press.enquiries import foi_services, inbox, services as enquiries
from press.enquiries.models import EnquiryStatus, Outcome
from press.releases import services as releases
from press.releases.models import Release

DEMO_EMAIL = "priya.shah@northshire.example"
DEMO_PASSWORD = "demo-press-office"

HELPLINE = (
    "If you are worried about a child, or think a child is at risk of harm, ring Northshire Children's "
    "Services on **01632 960 123** (24 hours). In an emergency call **999**."
)

RELEASES = [
    {
        "headline": "New family hub opens in Eastgate",
        "standfirst": "Parents and carers in Eastgate can now get health, money and parenting advice under one roof.",
        "body": (
            "A new family hub has opened at the former Eastgate library, bringing health visitors, "
            "midwives, welfare advisers and the council's early help team together in one place.\n\n"
            "The hub is open Monday to Friday from 9am to 5pm, with a Saturday morning session for working "
            "parents. No appointment is needed for the drop-in sessions.\n\n"
            "Councillor Amira Hussain, cabinet member for children and families, said: \"Families told us "
            "they were tired of being sent from one office to another. The hub puts the help they need in "
            "one building, close to home.\""
        ),
        "notes": "1. The hub is funded by the Family Hubs and Start for Life programme.\n"
                 "2. Photographs of the opening are available on request.",
        "days_ago": 21,
    },
    {
        "headline": "Winter gritting routes published",
        "standfirst": "",
        "body": (
            "Northshire Council has published its gritting routes for the winter, covering 1,240 miles of road.\n\n"
            "Residents can check whether their street is on a priority route on the council's website. "
            "Grit bins have been refilled across the county.\n\n"
            "- Priority 1 routes are treated before every forecast frost.\n"
            "- Priority 2 routes are treated during prolonged cold spells."
        ),
        "notes": "The council's fleet of 32 gritters is based at three depots.",
        "days_ago": 14,
    },
    {
        "headline": "Safeguarding partnership publishes annual report",
        "standfirst": "The Northshire Safeguarding Children Partnership has published its annual report for 2023/24.",
        "body": (
            "The report sets out how the council, police and health services worked together to keep "
            "children safe over the last year.\n\n"
            "It records a 12 per cent rise in referrals from schools and describes the partnership's new "
            "approach to neglect.\n\n"
            "The independent scrutineer, Dr Helen Marsh, said: \"Partners have responded well to the "
            "rising demand, and the report is honest about where there is more to do.\""
        ),
        "notes": "The full report can be downloaded from the partnership's website.",
        "helpline": HELPLINE,
        "days_ago": 7,
    },
    {
        "headline": "Libraries extend opening hours during exam season",
        "standfirst": "",
        "body": (
            "Six Northshire libraries will stay open until 8pm on weekdays from 1 May to 21 June so that "
            "students have a quiet place to revise.\n\n"
            "Free wifi, study rooms and past papers are available at every branch."
        ),
        "notes": "",
        "days_ago": 3,
    },
]

EMBARGOED = {
    "headline": "Ofsted rates Northshire children's services good",
    "standfirst": "Inspectors found that children in Northshire get the help they need at the right time.",
    "body": (
        "Ofsted inspectors have rated Northshire Council's services for children as good overall, "
        "up from requires improvement at the last inspection.\n\n"
        "The report praises the council's early help offer and the stability of its social work teams.\n\n"
        "Director of Children's Services, Mark Ellis, said: \"This is the work of social workers, foster "
        "carers and partners who put children first every day.\""
    ),
    "notes": "The full inspection report will be published on the Ofsted website at the embargo time.",
    "helpline": HELPLINE,
}


# The media lists, by name: their description and whether newsroom sign-ups join them.
LISTS = {
    "Local press": ("Northshire's papers and news websites. Journalists who sign up in the newsroom join this list.",
                    True),
    "Broadcast": ("Radio and television newsrooms and programme teams.", False),
    "National": ("National papers, agencies and freelances who write for them.", False),
    "Trade": ("Trade and professional titles: local government, social care, highways, libraries.", False),
}

# Media contacts, all fictional: name, outlet, job title, email, phone and the lists they are on.
CONTACTS = [
    ("Leo Marsh", "Northshire Gazette", "Local Democracy Reporter", "leo.marsh@gazette.example", "01632 960201",
     ["Local press"]),
    ("Grace Whitfield", "Northshire Gazette", "News Editor", "grace.whitfield@gazette.example", "01632 960202",
     ["Local press"]),
    ("Daniel Osei", "Northshire Gazette", "Education Correspondent", "daniel.osei@gazette.example", "01632 960203",
     ["Local press"]),
    ("Aisha Rahman", "Northshire Live", "Senior Reporter", "aisha@live.example", "01632 960211", ["Local press"]),
    ("Callum Byrne", "Northshire Live", "Digital Editor", "callum.byrne@live.example", "01632 960212",
     ["Local press"]),
    ("Megan Price", "Eastgate Echo", "Editor", "megan.price@eastgate-echo.example", "01632 960221", ["Local press"]),
    ("Tariq Aziz", "Eastgate Echo", "Reporter", "tariq.aziz@eastgate-echo.example", "01632 960222", ["Local press"]),
    # Left the paper; the local mail catcher bounces the reserved domain, so a send shows a bounce handled.
    ("Owen Pryce", "Eastgate Echo", "Reporter (left)", "owen.pryce@bounce.invalid", "", ["Local press"]),
    ("Joanna Kerr", "Westbury Mercury", "Chief Reporter", "joanna.kerr@mercury.example", "01632 960231",
     ["Local press"]),
    ("Sam Whitaker", "Westbury Mercury", "Photographer", "sam.whitaker@mercury.example", "07700 900231",
     ["Local press"]),
    ("Hannah Okafor", "Radio Northshire", "Breakfast Show Producer", "hannah.okafor@radio.example", "01632 960555",
     ["Broadcast", "Local press"]),
    ("Ravi Menon", "Radio Northshire", "News Editor", "ravi.menon@radio.example", "01632 960556", ["Broadcast"]),
    ("Beth Llewellyn", "Radio Northshire", "Political Reporter", "beth.llewellyn@radio.example", "01632 960557",
     ["Broadcast"]),
    ("Marcus Hale", "Midshire Television", "Planning Editor", "planning@midshire-tv.example", "01632 960301",
     ["Broadcast"]),
    ("Chloe Dunn", "Midshire Television", "Regional Correspondent", "chloe.dunn@midshire-tv.example",
     "07700 900301", ["Broadcast"]),
    ("Femi Adeyemi", "Midshire Television", "Camera Operator", "femi.adeyemi@midshire-tv.example", "07700 900302",
     ["Broadcast"]),
    ("Lucy Tran", "Vale FM", "Newsreader", "lucy.tran@valefm.example", "01632 960311", ["Broadcast"]),
    ("Patrick Doyle", "Vale FM", "Head of News", "patrick.doyle@valefm.example", "01632 960312", ["Broadcast"]),
    ("Eleanor Voss", "The Daily Courier", "Social Affairs Editor", "eleanor.voss@courier.example", "020 7946 0101",
     ["National"]),
    ("Jack Morrow", "The Daily Courier", "Local Government Correspondent", "jack.morrow@courier.example",
     "020 7946 0102", ["National"]),
    ("Nadia Karim", "The National Herald", "Education Editor", "nadia.karim@herald.example", "020 7946 0201",
     ["National"]),
    ("Oliver Grant", "The National Herald", "News Desk", "newsdesk@herald.example", "020 7946 0202", ["National"]),
    ("Sophie Achterberg", "Sunday Ledger", "Investigations Reporter", "sophie.a@ledger.example", "020 7946 0301",
     ["National"]),
    ("Imran Qureshi", "Albion News Agency", "Midlands and North Reporter", "imran.qureshi@albion-news.example",
     "020 7946 0401", ["National", "Broadcast"]),
    ("Owen Price", "Freelance", "Freelance Journalist", "owen.price@freelance.example", "07700 900777",
     ["National", "Broadcast"]),
    ("Ruth Ellison", "Local Government Weekly", "Deputy Editor", "ruth.ellison@lgweekly.example", "020 7946 0501",
     ["Trade"]),
    ("Ben Castellano", "Local Government Weekly", "Reporter", "ben.castellano@lgweekly.example", "020 7946 0502",
     ["Trade"]),
    ("Priti Desai", "Social Care Review", "News Editor", "priti.desai@socialcare-review.example", "020 7946 0601",
     ["Trade"]),
    ("Gareth Lloyd", "Roads and Highways Journal", "Editor", "gareth.lloyd@roadsjournal.example", "020 7946 0701",
     ["Trade"]),
    ("Alice Fenwick", "Library World Monthly", "Features Editor", "alice.fenwick@libraryworld.example",
     "020 7946 0801", ["Trade"]),
    ("Kwame Mensah", "Public Sector Digest", "Reporter", "kwame.mensah@psdigest.example", "020 7946 0901",
     ["Trade", "National"]),
]

# Contacts who have opted out, so the demo shows who a send leaves out and why.
UNSUBSCRIBED = {"sophie.a@ledger.example"}


def load_demo(session: Session, prefix: str) -> str:
    """Create the demo accounts, releases, contacts and lists (each once) and return the login line to print."""
    manager = accounts.find_user_by_email(session, DEMO_EMAIL)
    if manager is not None:
        load_demo_contacts(session, manager)
        return f"Demo data is already loaded. Sign in as {DEMO_EMAIL} with password {DEMO_PASSWORD}"
    manager = accounts.create_user(
        session, email=DEMO_EMAIL, name="Priya Shah", role="manager", password=DEMO_PASSWORD,
        job_title="Communications Manager", phone="07700 900123",
    )
    officer = accounts.create_user(
        session, email="tom.reed@northshire.example", name="Tom Reed", role="staff", password=DEMO_PASSWORD,
        job_title="Press Officer", phone="07700 900456",
    )
    enquiries.set_duty_officer(session, officer, by=manager)
    now = clock.now()
    published = []
    for item in RELEASES:
        day = uktime.to_london(now - timedelta(days=item["days_ago"])).date()
        release = make_release(session, manager, prefix, item, day, embargo_at=None)
        releases.finalise_release(session, release, by=manager)
        release.public_from = now - timedelta(days=item["days_ago"])
        published.append((item["days_ago"], release))
    lift = uktime.to_london(now + timedelta(days=2)).date()
    release = make_release(session, manager, prefix, EMBARGOED, lift, embargo_at=uktime.london_to_utc(lift, time(0, 1)))
    releases.finalise_release(session, release, by=manager)
    load_demo_enquiries(session, manager, min(published, key=lambda pair: pair[0])[1])
    load_demo_contacts(session, manager)
    return f"Sign in as {DEMO_EMAIL} with password {DEMO_PASSWORD}"


def load_demo_contacts(session: Session, manager: User) -> None:
    """The four media lists and a few dozen contacts across outlets; what is already there is left as it is."""
    existing = {media_list.name: media_list for media_list in contacts.lists_named(session, list(LISTS))}
    for name, (description, for_signups) in LISTS.items():
        if name not in existing:
            # Another list may have been chosen for sign-ups since: the demo does not take that back.
            takes_signups = for_signups and signups.signup_list(session) is None
            existing[name] = contacts.save_list(session, None, name=name, description=description,
                                                for_signups=takes_signups)
    for name, outlet, job_title, email, phone, lists in CONTACTS:
        if contacts.find_contact_by_email(session, email) is not None:
            continue
        try:
            contact = contacts.create_contact(
                session, by=manager, name=name, email=email, outlet=outlet, job_title=job_title, phone=phone,
                source="Demo data", lawful_basis="legitimate_interests", lists=[existing[n] for n in lists],
            )
        except contacts.ErasedAddressError:
            continue  # erased at its owner's request: it stays erased
        if email in UNSUBSCRIBED:
            contacts.set_status(session, contact, ContactStatus.UNSUBSCRIBED,
                                reason="Asked to stop receiving releases", by=manager)


DEMO_EMAIL_ENQUIRY = """\
From: Sam Carter <sam.carter@gazette.example>
To: Northshire Council Press Office <press@northshire.example>
Subject: Question on {reference}
Message-ID: <demo-enquiry-1@mail.gazette.example>
Content-Type: text/plain; charset=utf-8

Hello,

I am writing up your release {reference} and would like to know how much the scheme costs,
and who is paying for it.

My deadline is 4pm today.

Thanks,
Sam Carter
Northshire Gazette
"""


def load_demo_enquiries(session: Session, manager: User, release: Release) -> None:
    """A morning's enquiries: one about a release, one overdue, one answered, one closed, one that came by
    email, and a freedom of information request."""
    now = clock.now()
    about = enquiries.submit_enquiry(
        session, release=release, journalist_name="Hannah Okafor", outlet="Radio Northshire",
        email="hannah.okafor@radio.example", phone="01632 960555", kind="interview",
        subject=f"Interview about: {release.headline}", deadline_at=now + timedelta(hours=3),
        body="Could someone come on the breakfast programme tomorrow to talk about this?",
        interviewee="The cabinet member or a spokesperson", interview_format="radio", interview_mode="live",
        proposed_place="Studio 2, or down the line",
    )
    enquiries.change_status(session, about, EnquiryStatus.IN_PROGRESS, by=manager)
    enquiries.add_note(session, about, "Checking the cabinet member's diary.", by=manager)
    enquiries.submit_enquiry(
        session, journalist_name="Leo Marsh", outlet="Northshire Gazette", email="leo.marsh@gazette.example",
        kind="comment", subject="Pothole claims on the A614", deadline_at=now - timedelta(minutes=30),
        body="Readers say claims for pothole damage are being refused. Can the council comment?",
    )
    answered = enquiries.submit_enquiry(
        session, journalist_name="Aisha Rahman", outlet="Northshire Live", email="aisha@live.example",
        kind="information", subject="School places figures", deadline_at=now + timedelta(days=1),
        body="How many families got their first choice of primary school this year?",
    )
    enquiries.record_response(session, answered, "Sent the published figures: 91% got their first choice.",
                              by=manager)
    closed = enquiries.submit_enquiry(
        session, journalist_name="Owen Price", outlet="Freelance", email="owen.price@freelance.example",
        kind="filming", subject="Filming at the new library", deadline_at=now + timedelta(days=2),
        body="I would like to film the new library for a regional news package.",
    )
    enquiries.close_enquiry(session, closed, Outcome.INTERVIEW, by=manager,
                            text="Filming arranged for Thursday at 10:00 with the library manager.")
    # One came in by email, read as the mailbox reader reads one: its deadline is in its words, to confirm.
    inbox.file_message(session, DEMO_EMAIL_ENQUIRY.replace("{reference}", release.reference).encode(),
                       current_app.config)
    request = enquiries.submit_enquiry(
        session, journalist_name="Grace Lin", outlet="The Northshire Eye", email="grace.lin@eye.example",
        kind="information", subject="Spending on agency staff since 2023", deadline_at=now + timedelta(days=5),
        body="Under the Freedom of Information Act, please send the council's spending on agency staff by month "
             "since April 2023.",
    )
    foi_services.flag_request(session, request, "foi", by=manager)


def make_release(
    session: Session, manager: User, prefix: str, item: dict, day: date, embargo_at: datetime | None
) -> Release:
    return releases.create_release(
        session, by=manager, prefix=prefix,
        headline=item["headline"], standfirst=item["standfirst"], body=item["body"],
        notes_to_editors=item["notes"], helpline=item.get("helpline", ""), release_date=day,
        embargo_at=embargo_at, contact_id=manager.id,
    )
