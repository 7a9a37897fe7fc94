"""Demo data: a small council press office with a few releases, one still under embargo."""

from datetime import date, datetime, time, timedelta

from sqlalchemy.orm import Session

from press import clock, uktime
from press.accounts import services as accounts
from press.accounts.models import User
from press.enquiries import services as enquiries
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


def load_demo(session: Session, prefix: str) -> str:
    """Create the demo accounts and releases (once) and return the login line to print."""
    manager = accounts.find_user_by_email(session, DEMO_EMAIL)
    if manager is not None:
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
    return f"Sign in as {DEMO_EMAIL} with password {DEMO_PASSWORD}"


def load_demo_enquiries(session: Session, manager: User, release: Release) -> None:
    """A morning's enquiries: one about a release, one overdue, one answered, one closed."""
    now = clock.now()
    about = enquiries.submit_enquiry(
        session, release=release, journalist_name="Hannah Okafor", outlet="BBC Radio Northshire",
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


def make_release(
    session: Session, manager: User, prefix: str, item: dict, day: date, embargo_at: datetime | None
) -> Release:
    return releases.create_release(
        session, by=manager, prefix=prefix,
        headline=item["headline"], standfirst=item["standfirst"], body=item["body"],
        notes_to_editors=item["notes"], helpline=item.get("helpline", ""), release_date=day,
        embargo_at=embargo_at, contact_id=manager.id,
    )
