"""The enquiries dashboard: every figure checked against hand-made enquiries at known times."""

from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from press.accounts.models import User
from press.enquiries import services, stats
from press.enquiries.models import Enquiry, EnquiryStatus, Outcome
from press.enquiries.retention import purge_enquiries
from press.extensions import db

URL = "/staff/enquiries/dashboard"
# The frozen clock starts at 11:00 BST on Tuesday 3 September 2024; the 12-week period from Monday 10 June.
NOW = datetime(2024, 9, 3, 10, 0, tzinfo=UTC)


def at(text: str) -> datetime:
    """A UTC moment written as 'YYYY-MM-DD HH:MM'."""
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=UTC)


class Page(HTMLParser):
    """The parts of the dashboard the tests read: tables (caption, cells, links), SVG charts, key figures."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tables: list[dict] = []
        self.svgs: list[dict] = []
        self.ids: dict[str, str] = {}
        self.selected: list[str] = []
        self._table: dict | None = None
        self._svg: dict | None = None
        self._row: list | None = None
        self._cell: list[str] | None = None
        self._capture: tuple[str, str | None] | None = None
        self._text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attrs = dict(attrs)
        if tag == "option" and "selected" in attrs:
            self.selected.append(attrs["value"])
        if tag == "table":
            self._table = {"id": attrs.get("id"), "caption": "", "rows": [], "links": []}
        elif tag == "svg":
            self._svg = {"attrs": attrs, "texts": []}
        elif tag == "tr" and self._table is not None:
            self._row = []
            self._table["rows"].append(self._row)
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag == "a" and self._table is not None:
            self._table["links"].append(attrs["href"])
        if tag in ("caption", "title", "desc", "text", "span") and (tag != "span" or attrs.get("id")):
            self._capture, self._text = (tag, attrs.get("id")), []

    def handle_endtag(self, tag: str) -> None:
        if self._capture and tag == self._capture[0]:
            text = " ".join("".join(self._text).split())
            name, ident = self._capture
            if ident:
                self.ids[ident] = text
            if name == "caption":
                self._table["caption"] = text
            elif name == "text" and self._svg is not None:
                self._svg["texts"].append(text)
            self._capture = None
        if tag in ("td", "th") and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "table":
            self.tables.append(self._table)
            self._table = None
        elif tag == "svg":
            self.svgs.append(self._svg)
            self._svg = None

    def handle_data(self, data: str) -> None:
        if self._capture:
            self._text.append(data)
        if self._cell is not None:
            self._cell.append(data)

    def table(self, ident: str) -> dict:
        return next(table for table in self.tables if table["id"] == ident)

    def body_rows(self, ident: str) -> list[tuple[str, str]]:
        """The (label, count) rows of a chart's table, without its heading and total."""
        return [tuple(row) for row in self.table(ident)["rows"][1:-1]]


@pytest.fixture
def officer(make_user, auth):
    """A signed-in press officer with the staff role; returns their user id."""
    user_id = make_user("staff", email="officer@council.example", name="Olive Officer")
    auth.login("officer@council.example")
    return user_id


@pytest.fixture
def received(frozen_clock, make_enquiry):
    """Log an enquiry at a given moment: received("2024-09-02 09:00", deadline_at=..., outlet=...)."""

    def make(moment: str, hours: float = 6, **fields) -> int:
        frozen_clock.set(at(moment))
        fields.setdefault("deadline_at", at(moment) + timedelta(hours=hours))
        return make_enquiry(**fields)

    return make


@pytest.fixture
def work(app, frozen_clock):
    """Answer, move on or close an enquiry at a given moment, through the same services the pages use."""

    def act(enquiry_id: int, moment: str, how: str = "respond", by: int | None = None,
            outcome: Outcome = Outcome.STATEMENT) -> None:
        frozen_clock.set(at(moment))
        with app.app_context():
            enquiry = db.session.get(Enquiry, enquiry_id)
            user = db.session.get(User, by) if by else db.session.scalars(select(User).limit(1)).one()
            if how == "respond":
                services.record_response(db.session, enquiry, "Our statement.", by=user)
            elif how in ("responded", "in_progress"):
                services.change_status(db.session, enquiry, EnquiryStatus(how), by=user)
            elif how == "close":
                services.close_enquiry(db.session, enquiry, outcome, by=user)
            elif how == "assign":
                services.assign_enquiry(db.session, enquiry, user, by=user)
            db.session.commit()

    return act


def dashboard(client, frozen_clock, now: datetime = NOW, **args) -> Page:
    frozen_clock.set(now)
    response = client.get(URL, query_string=args)
    assert response.status_code == 200
    return Page(response.get_data(as_text=True))


# --- Weeks ------------------------------------------------------------------------------------------------------

def test_weeks_start_at_midnight_on_monday_in_london():
    period = stats.period_ending(at("2024-11-05 10:00"), 4)
    assert [str(monday) for monday in period.mondays] == ["2024-10-14", "2024-10-21", "2024-10-28", "2024-11-04"]
    # BST weeks start at 23:00 UTC on the Sunday; GMT weeks at midnight UTC.
    assert period.boundaries == (at("2024-10-13 23:00"), at("2024-10-20 23:00"), at("2024-10-28 00:00"),
                                 at("2024-11-04 00:00"), at("2024-11-11 00:00"))


def test_enquiries_per_week_across_the_autumn_clock_change(client, officer, received, frozen_clock):
    received("2024-10-13 22:59")  # 23:59 BST on Sunday 13 October: before the period
    received("2024-10-13 23:00")  # 00:00 BST on Monday 14 October
    received("2024-10-20 22:30")  # 23:30 BST on Sunday 20 October
    received("2024-10-20 23:30")  # 00:30 BST on Monday 21 October
    received("2024-10-27 23:30")  # 23:30 GMT on Sunday 27 October, after the clocks went back
    received("2024-10-28 00:30")  # 00:30 GMT on Monday 28 October
    received("2024-11-05 09:00")
    page = dashboard(client, frozen_clock, at("2024-11-05 10:00"), weeks=4)
    assert page.body_rows("chart-weeks-table") == [
        ("14 Oct 2024", "2"), ("21 Oct 2024", "2"), ("28 Oct 2024", "1"), ("4 Nov 2024 (so far)", "1"),
    ]
    assert page.table("chart-weeks-table")["rows"][-1] == ["Total", "6"]
    assert page.ids["figure-total"] == "6"


def test_enquiries_per_week_across_the_spring_clock_change(client, officer, received, frozen_clock):
    received("2024-03-24 23:30")  # 23:30 GMT on Sunday 24 March
    received("2024-03-25 00:00")  # 00:00 GMT on Monday 25 March
    received("2024-03-31 22:30")  # 23:30 BST on Sunday 31 March, after the clocks went forward
    received("2024-03-31 23:30")  # 00:30 BST on Monday 1 April
    page = dashboard(client, frozen_clock, at("2024-04-09 10:00"), weeks=4)
    assert page.body_rows("chart-weeks-table") == [
        ("18 Mar 2024", "1"), ("25 Mar 2024", "2"), ("1 Apr 2024", "1"), ("8 Apr 2024 (so far)", "0"),
    ]


# --- Types and outlets ------------------------------------------------------------------------------------------

def test_enquiries_by_type_list_every_type_in_order(client, officer, received, frozen_clock):
    received("2024-09-02 09:00", kind="interview")
    received("2024-09-02 10:00", kind="interview")
    received("2024-09-02 11:00", kind="comment")
    received("2024-06-01 11:00", kind="filming")  # before the period
    page = dashboard(client, frozen_clock)
    assert page.body_rows("chart-kinds-table") == [
        ("Interview request", "2"), ("Request for comment or statement", "1"), ("Information or background", "0"),
        ("Filming or photography", "0"), ("Other", "0"),
    ]


def test_enquiries_by_outlet_show_the_top_ten_then_the_rest(client, officer, received, frozen_clock):
    for outlet in ("BBC News", "BBC News", "bbc news ", "Northshire Gazette", "Northshire Gazette", ""):
        received("2024-09-02 09:00", outlet=outlet)
    for n in range(1, 11):
        received("2024-09-02 10:00", outlet=f"Outlet {n:02d}")
    page = dashboard(client, frozen_clock)
    rows = page.body_rows("chart-outlets-table")
    # Spellings differing only in case and spaces are one outlet.
    assert rows[0][0].lower() == "bbc news" and rows[0][1] == "3"
    assert rows[1:] == [
        ("Northshire Gazette", "2"), ("No outlet given", "1"),
        *[(f"Outlet {n:02d}", "1") for n in range(1, 8)],
        ("All other outlets", "3"),
    ]
    assert page.table("chart-outlets-table")["rows"][-1] == ["Total", "16"]


# --- Time to first response -------------------------------------------------------------------------------------

@pytest.fixture
def three_answered(received, work):
    """Three enquiries first answered in the period after 45 min, 2 h 15 min and 3 h 15 min, in different ways."""
    work(received("2024-08-10 09:00"), "2024-08-10 09:05")  # answered before the 4-week period began
    work(received("2024-08-20 09:00"), "2024-08-20 09:45")
    work(received("2024-08-21 09:00"), "2024-08-21 11:15", how="responded")
    work(received("2024-08-22 09:00"), "2024-08-22 12:15", how="close")
    received("2024-08-23 09:00")  # never answered


def test_median_time_to_first_response_with_an_odd_count(app, client, officer, three_answered, frozen_clock):
    page = dashboard(client, frozen_clock, weeks=4)
    assert page.ids["figure-median"] == "2 h 15 min"
    with app.app_context():
        median = stats.median_response(db.session, stats.period_ending(NOW, 4))
    assert median.count == 3 and median.seconds == pytest.approx(8100, abs=0.01)


def test_median_time_to_first_response_with_an_even_count(app, client, officer, three_answered, received, work,
                                                          frozen_clock):
    # Received before the period but first answered in it, 9 hours later: it counts.
    work(received("2024-08-11 20:00"), "2024-08-12 05:00")
    page = dashboard(client, frozen_clock, weeks=4)
    assert page.ids["figure-median"] == "2 h 45 min"
    with app.app_context():
        median = stats.median_response(db.session, stats.period_ending(NOW, 4))
    assert median.count == 4 and median.seconds == pytest.approx(9900, abs=0.01)


@pytest.mark.parametrize(("seconds", "text"), [
    (0, "under 1 min"), (29, "under 1 min"), (59, "1 min"), (2700, "45 min"), (8100, "2 h 15 min"),
    (10800, "3 h"), (90000, "25 h"),
])
def test_durations_are_written_as_hours_and_minutes(seconds, text):
    assert stats.format_duration(seconds) == text


# --- Answered by the deadline -----------------------------------------------------------------------------------

def test_share_answered_by_the_deadline(client, officer, received, work, frozen_clock):
    work(received("2024-09-02 09:00", hours=6), "2024-09-02 10:00")  # met
    work(received("2024-09-02 09:00", hours=2), "2024-09-02 12:00")  # answered late
    received("2024-09-02 09:00", hours=1)  # deadline passed, never answered: missed
    received("2024-09-03 09:00", hours=48)  # deadline still to come: not judged yet
    work(received("2024-09-02 09:00", hours=1), "2024-09-02 11:00", how="close",
         outcome=Outcome.NO_RESPONSE)  # needed no response: left out
    work(received("2024-09-02 09:00", hours=3), "2024-09-02 10:00", how="close")  # closed with a statement: met
    work(received("2024-09-02 09:00", hours=3), "2024-09-02 10:00", how="close",
         outcome=Outcome.DECLINED)  # declining is an answer: met
    work(received("2024-09-02 09:00", hours=2), "2024-09-02 11:00")  # exactly at the deadline: met
    work(received("2024-05-01 09:00", hours=6), "2024-05-01 10:00")  # before the period
    frozen_clock.set(NOW)
    html = client.get(URL).get_data(as_text=True)
    assert Page(html).ids["figure-deadline"] == "67%" and "(4 of 6)" in html


def test_share_answered_by_the_deadline_shows_the_counts(app, client, officer, received, work, frozen_clock):
    work(received("2024-09-02 09:00", hours=6), "2024-09-02 10:00")
    received("2024-09-02 09:00", hours=1)
    frozen_clock.set(NOW)
    html = client.get(URL).get_data(as_text=True)
    assert "50%" in html and "(1 of 2)" in html
    with app.app_context():
        assert stats.received(db.session, stats.period_ending(NOW, 12)).share == stats.DeadlineShare(met=1, judged=2)


# --- Open and overdue per person --------------------------------------------------------------------------------

def test_open_and_overdue_per_person_link_to_the_log(app, client, officer, make_user, received, work,
                                                     frozen_clock):
    alice = make_user("staff", name="Alice Able")
    bob = make_user("staff", name="Bob Baker")
    received("2024-09-03 08:00", hours=6)  # no duty officer yet: unassigned
    with app.app_context():
        services.set_duty_officer(db.session, db.session.get(User, alice), by=None)
        db.session.commit()
    received("2024-09-03 08:00", hours=6)
    received("2024-09-03 08:00", hours=1)  # overdue at 10:00
    work(received("2024-09-03 08:00", hours=6), "2024-09-03 08:30", how="in_progress", by=alice)
    for hours in (1, 1):
        work(received("2024-09-03 07:00", hours=hours), "2024-09-03 07:30", how="assign", by=bob)
    done = received("2024-09-03 07:00", hours=1)
    work(done, "2024-09-03 07:10", how="assign", by=bob)
    work(done, "2024-09-03 07:20", how="close", by=bob)  # closed: not counted
    page = dashboard(client, frozen_clock)
    table = next(table for table in page.tables if table["caption"].startswith("Open and overdue"))
    assert table["rows"] == [
        ["Person", "Open", "Overdue"],
        ["Bob Baker", "2 open: Bob Baker", "2 overdue: Bob Baker"],
        ["Alice Able", "3 open: Alice Able", "1 overdue: Alice Able"],
        ["Unassigned", "1 open: Unassigned", "0"],
        ["Everyone", "6 open in all", "3 overdue in all"],
    ]
    links = [(urlsplit(href).path, parse_qs(urlsplit(href).query)) for href in table["links"]]
    assert links == [
        ("/staff/enquiries/", {"assignee": [str(bob)], "status": ["open"]}),
        ("/staff/enquiries/", {"assignee": [str(bob)], "due": ["overdue"]}),
        ("/staff/enquiries/", {"assignee": [str(alice)], "status": ["open"]}),
        ("/staff/enquiries/", {"assignee": [str(alice)], "due": ["overdue"]}),
        ("/staff/enquiries/", {"assignee": ["none"], "status": ["open"]}),
        ("/staff/enquiries/", {"status": ["open"]}),
        ("/staff/enquiries/", {"due": ["overdue"]}),
    ]
    for href in table["links"]:
        assert client.get(href).status_code == 200, href


# --- Charts and tables ------------------------------------------------------------------------------------------

def test_each_chart_is_an_accessible_svg_with_its_numbers_in_a_table(client, officer, received, frozen_clock):
    received("2024-08-20 09:00", kind="interview", outlet="Radio Northshire")
    received("2024-09-02 09:00", kind="comment", outlet="Northshire Gazette")
    received("2024-09-02 10:00", kind="comment", outlet="Northshire Gazette")
    page = dashboard(client, frozen_clock)
    assert len(page.svgs) == 3
    for svg in page.svgs:
        attrs = svg["attrs"]
        assert attrs["role"] == "img"
        assert page.ids[attrs["aria-labelledby"]]
        assert page.ids[attrs["aria-describedby"]]
        chart = attrs["aria-labelledby"].removesuffix("-title")
        rows = page.body_rows(f"{chart}-table")
        assert page.table(f"{chart}-table")["caption"]
        # The chart's text is each bar's label then its value, in the table's order.
        assert svg["texts"][1::2] == [value for _, value in rows]
        assert len(svg["texts"][0::2]) == len(rows)
        for drawn, (label, _) in zip(svg["texts"][0::2], rows, strict=True):
            assert drawn == label or (drawn.endswith("…") and label.startswith(drawn[:-1]))
    assert page.ids["chart-weeks-title"] == "Enquiries received per week"
    assert "3 enquiries in all" in page.ids["chart-weeks-desc"]
    assert "The most, 2, from Northshire Gazette" in page.ids["chart-outlets-desc"]


def test_an_empty_period_says_so(client, officer, received, frozen_clock):
    received("2024-01-02 09:00")
    frozen_clock.set(NOW)
    html = client.get(URL, query_string={"weeks": 4}).get_data(as_text=True)
    assert html.count("No enquiries in this period.") == 3
    assert "<svg" not in html
    assert "None answered" in html and "Nothing to judge yet" in html
    # The old one is still open (and overdue), whatever the period.
    assert "No open enquiries." not in html


def test_no_enquiries_at_all(client, officer, frozen_clock):
    html = client.get(URL).get_data(as_text=True)
    assert html.count("No enquiries in this period.") == 3 and "No open enquiries." in html


# --- Retention, access, bad input -------------------------------------------------------------------------------

def test_anonymised_enquiries_still_count(app, client, officer, received, work, frozen_clock):
    work(received("2024-07-01 09:00", outlet="Northshire Gazette", kind="interview"), "2024-07-01 10:30")
    work(received("2024-07-02 09:00", outlet="Radio Northshire", hours=1), "2024-07-02 11:00")
    received("2024-07-03 09:00", outlet="Radio Northshire")
    before = dashboard(client, frozen_clock, weeks=26)
    with app.app_context():
        assert purge_enquiries(db.session, 1, run_by="test").anonymised == 3
        db.session.commit()
    after = dashboard(client, frozen_clock, weeks=26)
    assert after.tables == before.tables
    assert after.ids == before.ids
    assert after.ids["figure-median"] == "1 h 45 min" and after.ids["figure-deadline"] == "33%"


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and response.headers["Location"].startswith("/staff/login?next=")


@pytest.mark.parametrize("role", ["staff", "manager", "admin"])
def test_staff_and_above_see_the_dashboard(client, auth, make_user, role):
    make_user(role, email=f"{role}@council.example")
    auth.login(f"{role}@council.example")
    assert client.get(URL).status_code == 200


@pytest.mark.parametrize("weeks", [
    "", "abc", "0", "-4", "3", "13", "99999999999999999999999", "%2500", "1e3", "12.5", "\u0664", " 4", "04",
])
def test_a_bad_period_falls_back_to_twelve_weeks(client, officer, received, frozen_clock, weeks):
    received("2024-09-02 09:00")
    page = dashboard(client, frozen_clock, weeks=weeks)
    assert page.selected == ["12"]
    assert len(page.body_rows("chart-weeks-table")) == 12


def test_a_nul_byte_in_the_period_is_a_bad_request(client, officer):
    assert client.get(URL, query_string={"weeks": "4\x00"}).status_code == 400


@pytest.mark.parametrize("weeks", ["4", "12", "26", "52"])
def test_each_offered_period_is_chosen(client, officer, received, frozen_clock, weeks):
    received("2024-09-02 09:00")
    page = dashboard(client, frozen_clock, weeks=weeks)
    assert page.selected == [weeks]
    assert len(page.body_rows("chart-weeks-table")) == int(weeks)


def test_someone_who_has_left_still_shows_their_open_enquiries(app, client, officer, make_user, received, work,
                                                               frozen_clock):
    leaver = make_user("staff", name="Lee Leaver")
    work(received("2024-09-03 07:00", hours=1), "2024-09-03 07:30", how="assign", by=leaver)
    with app.app_context():
        db.session.get(User, leaver).active = False
        db.session.commit()
    page = dashboard(client, frozen_clock)
    table = next(table for table in page.tables if table["caption"].startswith("Open and overdue"))
    assert table["rows"][1] == ["Lee Leaver Account not active", "1", "1"]
    # No link for them: the log filters only by people who can still be given enquiries.
    assert all(f"assignee={leaver}" not in href for href in table["links"])
