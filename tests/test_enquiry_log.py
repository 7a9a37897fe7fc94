"""The enquiry log: filters, search, both orders, keyset pages, overdue marking, the CSV export, and who sees what."""

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from press.accounts.models import User
from press.audit import AuditEvent
from press.enquiries import queries, services
from press.enquiries.models import Enquiry
from press.extensions import db
from press.releases.models import Release

# The frozen clock is 10:00 UTC (11:00 BST) on Tuesday 3 September 2024.
NOW = datetime(2024, 9, 3, 10, 0, tzinfo=UTC)
LOG = "/staff/enquiries/"
EXPORT = "/staff/enquiries/export.csv"


def change(app, enquiry_id: int, **values) -> None:
    """Set an enquiry's columns directly, as time and the press office would have."""
    with app.app_context():
        enquiry = db.session.get(Enquiry, enquiry_id)
        for name, value in values.items():
            setattr(enquiry, name, value)
        db.session.commit()


def reference(app, enquiry_id: int) -> str:
    with app.app_context():
        return db.session.get(Enquiry, enquiry_id).reference


def shown(response) -> list[int]:
    """The enquiry ids in the log's table, in the order shown."""
    assert response.status_code == 200
    return [int(n) for n in re.findall(r'<td><a href="/staff/enquiries/(\d+)">', response.get_data(as_text=True))]


def link(response, text: str) -> str | None:
    found = re.search(rf'<a [^>]*href="([^"]+)"[^>]*>{text}</a>', response.get_data(as_text=True))
    return found.group(1).replace("&amp;", "&") if found else None


@pytest.fixture
def staff(make_user, auth):
    """A signed-in press officer (staff role); returns their user id."""
    user_id = make_user("staff", email="officer@council.example", name="Olu Officer")
    auth.login("officer@council.example")
    return user_id


@pytest.fixture
def office(app, make_user, make_enquiry, frozen_clock):
    """Five enquiries in different states, with deadlines either side of now, for a signed-in manager."""
    other = make_user("staff", email="priya@council.example", name="Priya Press")
    ids = {
        "late": make_enquiry(subject="Bin collections", deadline_at=NOW - timedelta(hours=1)),
        "soon": make_enquiry(subject="Road closure", kind="interview", outlet="BBC Radio Northshire",
                             deadline_at=NOW + timedelta(minutes=90)),
        "later": make_enquiry(subject="School places", journalist_name="Amira Haddad", outlet="Northshire Echo",
                              deadline_at=NOW + timedelta(days=2)),
        "closed": make_enquiry(subject="Park bench", deadline_at=NOW - timedelta(days=3)),
        "mine": make_enquiry(subject="Library fines", deadline_at=NOW + timedelta(hours=5)),
    }
    change(app, ids["closed"], status="closed", outcome="statement")
    change(app, ids["later"], assignee_id=other, status="in_progress")
    return ids | {"other": other}


def test_anonymous_people_are_sent_to_sign_in(client):
    for url in (LOG, EXPORT, LOG + "?status=open"):
        response = client.get(url)
        assert response.status_code == 302
        assert "/staff/login" in response.headers["Location"]


def test_staff_read_the_log_but_cannot_export(client, staff, office):
    response = client.get(LOG)
    assert response.status_code == 200
    assert "Export these as CSV" not in response.get_data(as_text=True)
    assert client.get(EXPORT).status_code == 403
    assert client.get(EXPORT + "?status=any").status_code == 403


@pytest.mark.parametrize("role", ["manager", "admin"])
def test_managers_and_admins_export(client, make_user, auth, role):
    make_user(role, email=f"{role}@council.example")
    auth.login(f"{role}@council.example")
    page = client.get(LOG).get_data(as_text=True)
    assert "Export these as CSV" in page
    assert "Change the duty press officer" in page
    assert client.get(EXPORT).status_code == 200


def test_open_enquiries_soonest_deadline_first_by_default(client, manager, office):
    ids = shown(client.get(LOG))
    assert ids == [office["late"], office["soon"], office["mine"], office["later"]]
    page = client.get(LOG).get_data(as_text=True)
    assert "4 enquiries match" in page
    assert 'href="/staff/enquiries/new"' in page
    assert 'href="/staff/enquiries/dashboard"' in page


def test_overdue_and_due_soon_are_marked_in_words(client, manager, office):
    page = client.get(LOG).get_data(as_text=True)
    row_pattern = r'<tr[^>]*>\s*<td><a href="/staff/enquiries/(\d+)">(.*?)</tr>'
    rows = {int(n): row for n, row in re.findall(row_pattern, page, re.S)}
    assert "Overdue" in rows[office["late"]] and "Due soon" not in rows[office["late"]]
    assert "Due soon" in rows[office["soon"]] and "Overdue" not in rows[office["soon"]]
    assert "Overdue" not in rows[office["later"]] and "Due soon" not in rows[office["later"]]
    # Deadlines in UK time, with the zone named.
    assert "10:00 BST, Tue 3 Sep 2024" in rows[office["late"]]


def test_overdue_follows_the_clock(client, manager, office, frozen_clock):
    frozen_clock.advance(hours=2)
    assert shown(client.get(LOG + "?due=overdue")) == [office["late"], office["soon"]]


def test_a_closed_enquiry_is_never_overdue(client, manager, office):
    assert shown(client.get(LOG + "?due=overdue&status=any")) == [office["late"]]
    assert shown(client.get(LOG + "?due=soon")) == [office["soon"]]


@pytest.mark.parametrize(("status", "expected"), [
    ("any", ["closed", "late", "soon", "mine", "later"]),
    ("open", ["late", "soon", "mine", "later"]),
    ("new", ["late", "soon", "mine"]),
    ("in_progress", ["later"]),
    ("closed", ["closed"]),
    ("declined", []),
])
def test_filter_by_status(client, manager, office, status, expected):
    assert shown(client.get(LOG + f"?status={status}")) == [office[name] for name in expected]


def test_filter_by_assignee(app, client, manager, office):
    change(app, office["mine"], assignee_id=manager)
    change(app, office["soon"], assignee_id=None)
    assert shown(client.get(LOG + "?assignee=me")) == [office["mine"]]
    assert shown(client.get(LOG + f"?assignee={office['other']}")) == [office["later"]]
    assert shown(client.get(LOG + "?assignee=none")) == [office["late"], office["soon"]]


def test_filter_by_type_outlet_and_release(app, client, manager, make_release, make_enquiry, office):
    assert shown(client.get(LOG + "?kind=interview")) == [office["soon"]]
    assert shown(client.get(LOG + "?outlet=radio+NORTH")) == [office["soon"]]
    release_id = make_release(final=True, headline="Budget")
    about = make_enquiry(release_id=release_id, subject="Budget gap")
    with app.app_context():
        ref = db.session.get(Release, release_id).reference
    response = client.get(LOG, query_string={"release": ref.lower()})
    assert shown(response) == [about]
    assert ref in response.get_data(as_text=True)


def test_an_unknown_release_is_explained(client, manager, office):
    response = client.get(LOG + "?release=XYZ+1999/00-99")
    page = response.get_data(as_text=True)
    assert "No release has the reference XYZ 1999/00-99" in page
    assert len(shown(response)) == 4


def test_filter_by_uk_dates_received(app, client, manager, office):
    # 23:30 UTC on 2 September is 00:30 BST on 3 September: a UK 3 September enquiry.
    change(app, office["late"], received_at=datetime(2024, 9, 2, 23, 30, tzinfo=UTC))
    change(app, office["soon"], received_at=datetime(2024, 9, 2, 22, 59, tzinfo=UTC))
    change(app, office["mine"], received_at=datetime(2024, 9, 1, 12, 0, tzinfo=UTC))
    change(app, office["later"], received_at=datetime(2024, 8, 1, 12, 0, tzinfo=UTC))
    assert shown(client.get(LOG + "?received_from=2024-09-03")) == [office["late"]]
    assert shown(client.get(LOG + "?received_from=1/9/2024&received_to=2/9/2024")) == [office["soon"], office["mine"]]
    assert shown(client.get(LOG + "?received_to=2024-08-31")) == [office["later"]]


def test_received_to_before_received_from_is_explained(client, manager, office):
    response = client.get(LOG + "?received_from=2024-09-03&received_to=2024-09-01")
    assert "must be the same as or after" in response.get_data(as_text=True)


def test_sort_by_received_newest_first(app, client, manager, office):
    for hours, name in enumerate(["later", "late", "mine", "soon"]):
        change(app, office[name], received_at=NOW - timedelta(hours=hours))
    assert shown(client.get(LOG + "?sort=received")) == [office[n] for n in ["later", "late", "mine", "soon"]]


@pytest.mark.parametrize(("query", "expected"), [
    ("school", ["later"]),
    ("AMIRA", ["later"]),
    ("echo places", ["later"]),
    ("echo bins", []),
    ("opening hours", ["late", "soon", "mine", "later"]),
    ("100%", []),
])
def test_search_words_match_any_field(client, manager, office, query, expected):
    assert shown(client.get(LOG, query_string={"q": query})) == [office[name] for name in expected]


def test_search_by_reference(app, client, manager, office):
    ref = reference(app, office["mine"])
    assert shown(client.get(LOG, query_string={"q": ref.lower()})) == [office["mine"]]


def test_search_finds_emoji_and_right_to_left_text(app, client, manager, make_enquiry, frozen_clock):
    arabic = make_enquiry(journalist_name="سارة الحسن", outlet="الجزيرة", subject="Flood 🌊 warning")
    hebrew = make_enquiry(journalist_name="דוד כהן", subject="Housing")
    assert shown(client.get(LOG, query_string={"q": "الحسن"})) == [arabic]
    assert shown(client.get(LOG, query_string={"q": "🌊"})) == [arabic]
    assert shown(client.get(LOG, query_string={"q": "כהן"})) == [hebrew]
    page = client.get(LOG).get_data(as_text=True)
    assert "سارة الحسن" in page and "Flood 🌊 warning" in page


def walk(client, start: str, label: str) -> list[list[int]]:
    """Follow the Next (or Previous) page links from a URL, collecting each page's ids."""
    pages, url = [], start
    while url:
        response = client.get(url)
        pages.append(shown(response))
        url = link(response, label)
        assert len(pages) < 50
    return pages


@pytest.mark.parametrize("sort", ["deadline", "received"])
def test_pages_forwards_and_back_across_ties(app, client, manager, make_enquiry, frozen_clock, monkeypatch, sort):
    monkeypatch.setattr(queries, "PER_PAGE", 3)
    # Four share one deadline and one received time, so the pages must break ties by id.
    same = NOW + timedelta(hours=3)
    ids = [make_enquiry(deadline_at=same) for _ in range(4)]
    ids += [make_enquiry(deadline_at=NOW + timedelta(hours=h)) for h in (1, 5, 2, 8, 4, 3, 6)]
    for n, enquiry_id in enumerate(ids):
        change(app, enquiry_id, received_at=NOW - timedelta(hours=1 if n < 6 else n))
    with app.app_context():
        column = Enquiry.deadline_at if sort == "deadline" else Enquiry.received_at
        order = [column.asc(), Enquiry.id.asc()] if sort == "deadline" else [column.desc(), Enquiry.id.desc()]
        expected = list(db.session.scalars(select(Enquiry.id).order_by(*order)))
    forwards = walk(client, LOG + f"?sort={sort}", "Next page")
    assert [len(p) for p in forwards] == [3, 3, 3, 2]
    assert sum(forwards, []) == expected
    last = client.get(LOG + f"?sort={sort}")
    for _ in range(3):
        last = client.get(link(last, "Next page"))
    assert link(last, "Next page") is None
    backwards = walk(client, link(last, "Previous page"), "Previous page")
    assert backwards == forwards[-2::-1]
    first_again = client.get(link(last, "Previous page"))
    assert "sort=" + sort in link(first_again, "Next page")
    assert shown(client.get(link(first_again, "Next page"))) == forwards[-1]


def test_paging_keeps_the_filters(client, manager, office, monkeypatch):
    monkeypatch.setattr(queries, "PER_PAGE", 2)
    response = client.get(LOG + "?status=any&q=hours")
    assert shown(response) == [office["closed"], office["late"]]
    following = client.get(link(response, "Next page"))
    assert shown(following) == [office["soon"], office["mine"]]
    assert "status=any" in link(following, "Previous page")


@pytest.mark.parametrize("query", [
    "status=bogus", "assignee=99999999999999999999999999999999", "assignee=-1", "kind=poem",
    "due=yesterday", "sort=sideways", "received_from=31/02/2024", "received_from=2024-13-45",
    "received_to=99999-01-01", "received_from=1066-10-14", "received_to=9999-12-31",
    "after=1_1000000000000000000000000000000", "after=junk", "after=99999999999999999999999_1",
    "before=1725357600000000_-5", "before=-99999999999999999_2", "after=1725357600000000_1&before=1_1",
    "q=" + "x" * 500, "release=" + "R" * 300, "q=\x01\x1f", "outlet=%E2%80%AE",
    "q=%25_%5C", "status=open&status=closed",
])
def test_bad_filters_never_break_the_page(client, manager, office, query):
    response = client.get(LOG + "?" + query)
    assert response.status_code == 200
    assert "<h1>Enquiries</h1>" in response.get_data(as_text=True)


@pytest.mark.parametrize("query", ["status=%00", "received_from=%00", "after=1725357600000000_1%00", "q=%00"])
@pytest.mark.parametrize("url", [LOG, EXPORT])
def test_nul_bytes_are_refused_plainly(client, manager, office, url, query):
    assert client.get(url + "?" + query).status_code == 400


def test_bad_values_are_explained_and_left_out(client, manager, office):
    page = client.get(LOG + "?status=bogus&received_from=2024-02-31&kind=poem").get_data(as_text=True)
    assert "There is a problem" in page
    assert "That is not one of the choices for “Status”" in page
    assert "Received from must be a real date: February 2024 has 29 days." in page
    assert "4 enquiries match" in page


def test_bad_filters_never_break_the_export(client, manager, office):
    response = client.get(EXPORT + "?status=bogus&received_to=junk&q=%01&assignee=10000000000000000000000")
    assert response.status_code == 200
    assert len(list(csv.reader(io.StringIO(response.get_data(as_text=True))))) == 5


def test_the_duty_officer_is_named(app, client, manager, office):
    assert "No duty press officer is set" in client.get(LOG).get_data(as_text=True)
    with app.app_context():
        services.set_duty_officer(db.session, db.session.get(User, office["other"]), by=None)
        db.session.commit()
    assert "Duty press officer: <strong>Priya Press</strong>" in client.get(LOG).get_data(as_text=True)


def read_export(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    body = response.get_data()
    assert body.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_export_everything_a_manager_needs(app, client, manager, office):
    change(app, office["closed"], journalist_name="=HYPERLINK(\"http://evil.example\")", outlet="+44 Gazette",
           subject=" -2+3", coverage_url="https://gazette.example/1",
           first_response_at=NOW - timedelta(days=4), closed_at=NOW - timedelta(days=3))
    rows = read_export(client.get(EXPORT + "?status=any"))
    header, data = rows[0], rows[1:]
    assert header[:4] == ["Reference", "Received (UK time)", "Channel", "Journalist"]
    for name in ("Email", "Phone", "Enquiry", "Interviewee", "Assigned to", "Outcome", "First response (UK time)",
                 "Closed (UK time)", "Coverage link", "Release"):
        assert name in header
    assert len(data) == 5
    closed = dict(zip(header, data[0], strict=True))
    assert closed["Journalist"] == "'=HYPERLINK(\"http://evil.example\")"
    assert closed["Outlet"] == "'+44 Gazette"
    assert closed["Subject"] == "' -2+3"
    assert closed["Status"] == "Closed" and closed["Outcome"] == "Statement issued"
    assert closed["Closed (UK time)"] == "2024-08-31 11:00 BST"
    assert closed["Coverage link"] == "https://gazette.example/1"
    assert closed["Enquiry"] == "Can you confirm the opening hours of the new library?"
    assert closed["Email"] == "sam.reporter@gazette.example"


def test_export_keeps_the_filters_and_is_audited(app, client, manager, office):
    page = client.get(LOG + "?kind=interview&status=open")
    url = link(page, "Export these as CSV")
    assert "kind=interview" in url
    rows = read_export(client.get(url))
    assert [row[0] for row in rows[1:]] == [reference(app, office["soon"])]
    assert rows[1][rows[0].index("Type")] == "Interview request"
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "enquiries exported")).one()
        assert event.user_id == manager
        assert event.details == {"filters": {"kind": "interview", "status": "open"}, "rows": 1}


def test_export_streams_in_chunks(app, client, manager, make_enquiry, frozen_clock, monkeypatch):
    from press.enquiries import log

    monkeypatch.setattr(log, "EXPORT_CHUNK", 2)
    for n in range(5):
        make_enquiry(subject=f"Question {n}")
    response = client.get(EXPORT)
    assert response.is_streamed
    assert len(read_export(response)) == 6


def test_a_long_count_stops_at_a_limit(client, manager, office, monkeypatch):
    monkeypatch.setattr(queries, "COUNT_UP_TO", 3)
    assert "More than 3 enquiries match" in client.get(LOG).get_data(as_text=True)
    assert "1 enquiry matches" in client.get(LOG + "?kind=interview").get_data(as_text=True)


def test_a_search_past_one_page_is_not_counted(client, manager, office, monkeypatch):
    monkeypatch.setattr(queries, "PER_PAGE", 2)
    assert "More than 2 enquiries match" in client.get(LOG + "?q=hours").get_data(as_text=True)
    assert "1 enquiry matches" in client.get(LOG + "?q=school").get_data(as_text=True)


def test_open_enquiries_are_asked_for_as_the_partial_index_states_them(app):
    """The default page can use ix_enquiries_open_deadline only if its SQL says what the index's WHERE says."""
    with app.app_context():
        query = select(Enquiry.id).where(*queries.conditions(queries.LogFilters(), NOW))
        sql = str(query.compile(db.engine, compile_kwargs={"render_postcompile": True}))
    assert "status IN ('new', 'in_progress')" in sql


# --- The log on a phone: cards, and the filters folded away ---------------------------------------------------

def filter_disclosure(page: str) -> str:
    """The opening tag of the details element that holds the filters."""
    found = re.search(r'<details class="filter-disclosure"[^>]*>\s*<summary>Filter enquiries</summary>', page)
    assert found, "the filters are behind a 'Filter enquiries' disclosure"
    return found.group(0)


def test_the_filters_are_folded_until_one_is_in_use(client, manager, office):
    assert " open" not in filter_disclosure(client.get(LOG).get_data(as_text=True))
    assert " open" not in filter_disclosure(client.get(LOG + "?sort=received").get_data(as_text=True)), \
        "the order is not a filter"
    for query in ("?q=bins", "?status=any", "?due=overdue", "?assignee=me", "?outlet=Echo"):
        page = client.get(LOG + query).get_data(as_text=True)
        assert " open" in filter_disclosure(page), query


def test_a_filter_that_needs_putting_right_is_shown_open(client, manager, office):
    page = client.get(LOG + "?received_from=31/2/2024").get_data(as_text=True)
    assert "There is a problem" in page and 'href="#received_from-day"' in page
    assert " open" in filter_disclosure(page)


def test_each_cell_says_what_it_is_for_the_card_layout(client, manager, office):
    page = client.get(LOG).get_data(as_text=True)
    row = re.search(rf'<tr[^>]*>\s*<td><a href="/staff/enquiries/{office["soon"]}">(.*?)</tr>', page, re.S).group(1)
    for name, label in (("journalist", "Journalist"), ("deadline", "Deadline"), ("status", "Status"),
                        ("kind", "Type"), ("assignee", "Assigned to"), ("received", "Received")):
        assert re.search(rf'<td class="cell-{name}"><span class="cell-label" aria-hidden="true">{label}</span>', row), name
    assert "<th scope=\"col\">Deadline</th>" in page, "screen readers still have the column headings"


def test_the_log_names_its_part_and_leaves_the_dashboard_to_the_navigation(client, manager, office):
    page = client.get(LOG).get_data(as_text=True)
    assert '<p class="staff-part"><span class="visually-hidden">You are in: </span>Enquiries</p>' in page
    assert page.count('href="/staff/enquiries/dashboard"') == 1
    assert 'aria-current="page" href="/staff/enquiries/"' in page
