"""Time a 50,000-row contacts import and the staff contacts pages, against bare inserts and a bare Flask page."""

from __future__ import annotations

import argparse
import csv
import functools
import gc
import html
import io
import os
import platform
import random
import re
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import quote

from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import func, insert, select, text, update

# Run as a script, the project root is not on the path; the shared helpers live in bench/newsroom.py.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.newsroom import (
    QueryMeter, Sample, baseline_app, database_description, get_ok, measure, percentile, throwaway_database,
)
from press import create_app
from press.accounts import services as accounts
from press.contacts import cells, importing
from press.contacts.csvimport import clean_rows, guess_mapping, read_csv
from press.contacts.models import Contact, ContactStatus, MediaList, contact_lists
from press.extensions import db

IMPORT_TARGET_S = 20.0
PAGE_TARGET_MS = 100.0
SEARCH_TARGET_MS = 50.0
# The search is timed again on a database with this fraction of the contacts, to show how its time grows.
SMALL_SHARE = 4
DEEP_PAGES = 20
SEARCH_SURNAME = "Quennell"
SEARCH_ROWS = 100
FILTER_LIST = "Regional press"
IMPORT_LIST = "Imported contacts"
MANAGER_EMAIL = "bench.manager@northshire.example"
MANAGER_PASSWORD = "benchmark manager password"

FIRST_NAMES = [
    "Oliver", "George", "Harry", "Jack", "Jacob", "Noah", "Charlie", "Muhammad", "Thomas", "Oscar", "William",
    "James", "Leo", "Alfie", "Henry", "Joshua", "Freddie", "Archie", "Ethan", "Isaac", "Alexander", "Joseph",
    "Edward", "Samuel", "Max", "Daniel", "Arthur", "Lucas", "Mohammed", "Logan", "Theo", "Harrison", "Benjamin",
    "Mason", "Sebastian", "Finley", "Adam", "Dylan", "Zachary", "Riley", "Teddy", "Theodore", "David", "Elijah",
    "Jake", "Toby", "Louie", "Reuben", "Arlo", "Hugo", "Jaxon", "Luca", "Matthew", "Harvey", "Reggie", "Tommy",
    "Jenson", "Ronnie", "Rory", "Gareth", "Rhys", "Dafydd", "Iwan", "Callum", "Euan", "Fraser", "Ciaran", "Seamus",
    "Olivia", "Amelia", "Isla", "Ava", "Emily", "Isabella", "Mia", "Poppy", "Ella", "Lily", "Evie", "Grace",
    "Sophia", "Charlotte", "Freya", "Jessica", "Florence", "Daisy", "Alice", "Sophie", "Sienna", "Ruby", "Matilda",
    "Phoebe", "Willow", "Imogen", "Harriet", "Eleanor", "Rosie", "Chloe", "Esme", "Hannah", "Holly", "Millie",
    "Layla", "Zara", "Aisha", "Fatima", "Priya", "Anjali", "Mei", "Yasmin", "Niamh", "Aoife", "Siobhan", "Catrin",
    "Ffion", "Eilidh", "Morag", "Helen", "Sarah", "Rachel", "Claire", "Joanne", "Nicola", "Karen", "Susan",
    "Deborah", "Julie", "Alison", "Fiona", "Gillian", "Lorraine", "Siân", "Zoë", "Chloé", "Séamus", "Ruairí",
]
SURNAMES = [
    "Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson", "Thomas", "Johnson", "Roberts",
    "Robinson", "Thompson", "Wright", "Walker", "White", "Edwards", "Hughes", "Green", "Hall", "Lewis", "Harris",
    "Clarke", "Patel", "Jackson", "Wood", "Turner", "Martin", "Cooper", "Hill", "Ward", "Morris", "Moore", "Clark",
    "Lee", "King", "Baker", "Harrison", "Morgan", "Allen", "James", "Scott", "Phillips", "Watson", "Davis", "Parker",
    "Price", "Bennett", "Young", "Griffiths", "Mitchell", "Kelly", "Cook", "Carter", "Richardson", "Bailey",
    "Collins", "Bell", "Shaw", "Murphy", "Miller", "Cox", "Richards", "Khan", "Marshall", "Anderson", "Simpson",
    "Ellis", "Adams", "Singh", "Begum", "Wilkinson", "Foster", "Chapman", "Powell", "Webb", "Rogers", "Gray",
    "Mason", "Ali", "Hunt", "Hussain", "Campbell", "Matthews", "Owen", "Palmer", "Holmes", "Mills", "Barnes",
    "Knight", "Lloyd", "Butler", "Russell", "Barker", "Fisher", "Stevens", "Jenkins", "Murray", "Dixon", "Harvey",
    "Graham", "Pearson", "Ahmed", "Fletcher", "Walsh", "Kaur", "Gibson", "Howard", "Andrews", "Stewart", "Elliott",
    "Reynolds", "Saunders", "Payne", "Fox", "Ford", "Pearce", "Day", "Brooks", "West", "Lawrence", "Cole", "Atkinson",
    "Bradley", "Spencer", "Gill", "Dawson", "Ball", "Burton", "O'Brien", "Watts", "Rose", "Booth", "Perry", "Ryan",
    "Grant", "Wells", "Armstrong", "Francis", "Rees", "Hayes", "Hart", "Hudson", "Newman", "Barrett", "Webster",
    "Hunter", "Gregory", "Carr", "Lowe", "Page", "Marsh", "Riley", "Dunn", "Woods", "Parsons", "Berry", "Stone",
    "Reid", "Holland", "Hawkins", "Harding", "Porter", "Robertson", "Newton", "Oliver", "Reed", "Kennedy", "Williamson",
    "Bird", "Gardner", "Shah", "Dean", "Lane", "Cooke", "Bates", "Henderson", "Parry", "Burgess", "Bishop", "Walton",
    "Burns", "Nicholson", "Shepherd", "Ross", "Cross", "Long", "Freeman", "Warren", "Nicholls", "Hamilton", "Byrne",
    "Sutton", "McDonald", "Yates", "Hodgson", "Robson", "Curtis", "Hopkins", "O'Connor", "Harper", "Coleman",
    "Watkins", "Moss", "McCarthy", "Chambers", "Griffin", "Sharp", "Hardy", "Wheeler", "Potter", "Osborne",
    "Johnston", "Gordon", "Doyle", "Wallace", "George", "Jordan", "Hutchinson", "Rowe", "Burke", "May", "Pritchard",
    "Gilbert", "Willis", "Higgins", "Read", "Miles", "Stevenson", "Stephenson", "Hammond", "Arnold", "Buckley",
    "Walters", "Hewitt", "Barber", "Nelson", "Slater", "Austin", "Sullivan", "Whitehead", "Mann", "Frost",
    "Lambert", "Stephens", "Blake", "Akhtar", "Lynch", "Goodwin", "Barton", "Woodward", "Thomson", "Cunningham",
    "Quinn", "Barnett", "Baxter", "Bibi", "Clayton", "Nash", "Greenwood", "Jennings", "Holt", "Kemp", "Poole",
    "Gallagher", "Bond", "Stokes", "Tucker", "Davidson", "Fowler", "Heath", "Norman", "Middleton", "Lawson",
    "Banks", "French", "Stanley", "Jarvis", "Gibbs", "Ferguson", "Hayward", "Carroll", "Wong", "Nowak", "Kowalski",
    "Ó Briain", "Llewellyn", "ap Rhys", "MacLeod", "Okafor", "Adeyemi", "Mensah", "Chowdhury", "Nguyen", "Zhang",
]
TOWNS = [
    "Northshire", "Eastgate", "Northby", "Millbrook", "Castleford", "Westmoor", "Ashworth", "Kingsbridge",
    "Harrow Vale", "Stonecross", "Bramley", "Riverside", "Oldfield", "Fenwick", "Highcliffe", "Leeds", "Manchester",
    "Bristol", "Sheffield", "Nottingham", "Leicester", "Derby", "Coventry", "Norwich", "Exeter", "Cardiff",
    "Swansea", "Glasgow", "Aberdeen", "Belfast", "Newcastle", "Sunderland", "York", "Hull", "Lincoln", "Ipswich",
]
PAPERS = ["Echo", "Gazette", "Advertiser", "Herald", "Evening Post", "Chronicle", "Mercury", "Observer", "Star",
          "Courier", "Journal", "Times", "News", "Telegraph"]
NATIONALS = [
    ("BBC News", "bbc.co.uk"), ("The Guardian", "theguardian.com"), ("The Times", "thetimes.co.uk"),
    ("Financial Times", "ft.com"), ("The Independent", "independent.co.uk"), ("Daily Mail", "dailymail.co.uk"),
    ("The Telegraph", "telegraph.co.uk"), ("Sky News", "sky.uk"), ("ITV News", "itv.com"),
    ("Channel 4 News", "itn.co.uk"), ("Press Association", "pa.media"), ("Reuters", "thomsonreuters.com"),
    ("The Mirror", "mirror.co.uk"), ("The Sun", "news.co.uk"), ("LBC", "global.com"), ("Local Government Chronicle",
    "lgcplus.com"), ("Municipal Journal", "themj.co.uk"), ("Nursing Times", "emap.com"), ("Inside Housing",
    "insidehousing.co.uk"), ("Schools Week", "schoolsweek.co.uk"), ("Construction News", "constructionnews.co.uk"),
    ("Health Service Journal", "hsj.co.uk"), ("Transport Network", "transport-network.co.uk"),
]
FREELANCE_DOMAINS = ["gmail.com", "outlook.com", "hotmail.co.uk", "yahoo.co.uk", "btinternet.com", "icloud.com",
                     "protonmail.com", "sky.com"]
JOB_TITLES = [
    "Reporter", "Senior Reporter", "Chief Reporter", "News Editor", "Deputy News Editor", "Editor",
    "Political Editor", "Local Democracy Reporter", "Health Correspondent", "Education Correspondent",
    "Transport Correspondent", "Environment Correspondent", "Business Editor", "Features Editor", "Producer",
    "Senior Producer", "Broadcast Journalist", "Presenter", "Planning Editor", "Digital Editor", "Content Editor",
    "Picture Editor", "Photographer", "Freelance Journalist", "Trainee Reporter", "Community Reporter",
    "Home Affairs Correspondent", "Social Affairs Correspondent", "Data Journalist", "Newsdesk",
]
LISTS = ["Regional press", "National press", "Broadcast", "Trade press", "Health and social care", "Education",
         "Transport", "Environment"]
NOTES = [
    "Prefers email to phone calls.", "Covers council meetings in person.", "Met at the budget briefing.",
    "Does not work Fridays.", "Ask for the newsdesk if no answer.", "Interested in planning stories.",
    "Send embargoed copy the day before.", "Freelance: pitches to several nationals.",
]
LANDLINE_AREAS = ["020 7", "020 8", "0113 2", "0113 3", "0161 2", "0161 4", "0121 2", "0121 4", "0117 9", "0114 2",
                  "0115 9", "0116 2", "0191 2", "0131 2", "0141 2", "029 20", "01632 9"]
CSV_HEADERS = ["First name", "Last name", "Email", "Outlet", "Job title", "Phone", "Lists", "Notes"]


@dataclass
class ContactsFile:
    """A generated contacts file and what it holds."""

    data: bytes
    rows: int
    invalid_emails: int
    duplicate_emails: int
    search_rows: int


@dataclass
class Stopwatch:
    """Seconds spent in each named step, summed over the calls."""

    seconds: dict[str, float] = field(default_factory=dict)
    calls: dict[str, int] = field(default_factory=dict)

    def wrap(self, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        """The function, timed under ``name`` each time it runs."""

        @functools.wraps(function)
        def timed(*args: Any, **kwargs: Any) -> Any:
            """Call the function and add the time it took to the step's total."""
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started
                self.calls[name] = self.calls.get(name, 0) + 1

        return timed


@dataclass
class ImportTiming:
    """One timed run of import_file and its commit."""

    seconds: float
    steps: Stopwatch
    commit: float
    statements: int
    db_seconds: float
    added: int
    updated: int
    skipped: int
    rejected: int


def mobile(rng: random.Random) -> str:
    """A UK mobile number written the usual way, 07xxx xxxxxx."""
    digits = f"07{rng.choice('45789')}{rng.randint(0, 99_999_999):08d}"
    return f"{digits[:5]} {digits[5:]}"


def landline(rng: random.Random) -> str:
    """A UK landline number with its area code, spaced as people write them."""
    area = rng.choice(LANDLINE_AREAS)
    number = area.replace(" ", "") + "".join(str(rng.randint(0, 9)) for _ in range(11 - len(area.replace(" ", ""))))
    if number.startswith("02"):
        return f"{number[:3]} {number[3:7]} {number[7:]}"
    if number.startswith("01632"):
        return f"{number[:5]} {number[5:]}"
    return f"{number[:4]} {number[4:7]} {number[7:]}"


def typed_phone(rng: random.Random) -> str:
    """A phone cell as people fill it in: several spellings, a few extensions, words and placeholders, many blank."""
    roll = rng.random()
    number = mobile(rng)
    national = number.replace(" ", "")
    if roll < 0.30:
        return number
    if roll < 0.40:
        return national
    if roll < 0.48:
        return f"+44 {national[1:5]} {national[5:]}"
    if roll < 0.53:
        return f"+44 (0){national[1:5]} {national[5:]}"
    if roll < 0.66:
        return landline(rng)
    if roll < 0.70:
        line = landline(rng).split(" ", 1)
        return f"({line[0]}) {line[1]}"
    if roll < 0.73:
        return f"{national[:5]}-{national[5:8]}-{national[8:]}"
    if roll < 0.75:
        return f"0044 {national[1:5]} {national[5:]}"
    if roll < 0.77:
        return f"mob: {number}"
    if roll < 0.78:
        return f"{landline(rng)} ext {rng.randint(100, 999)}"
    if roll < 0.79:
        return f"{number} / {landline(rng)}"
    if roll < 0.80:
        return rng.choice(["n/a", "-", "TBC"])
    return ""


def broken_email(rng: random.Random, local: str, domain: str) -> str:
    """An address mistyped in one of the ways that make it unusable."""
    return rng.choice([
        f"{local}@", f"{local}.{domain}", f"{local[:3]} {local[3:]}@{domain}", f"{local}@@{domain}",
        f"{local}@{domain.split('.')[0]}", f"{local}@{domain.replace('.', ',', 1)}",
    ])


def make_contacts_file(rng: random.Random, rows: int) -> ContactsFile:
    """A contacts CSV as a newsroom's spreadsheet would export it, with the usual mistakes and duplicates."""
    outlets = [(f"{town} {paper}", f"{town.lower().replace(' ', '')}{paper.lower().replace(' ', '')}.co.uk")
               for town in TOWNS for paper in rng.sample(PAPERS, 3)]
    outlets += [(f"BBC Radio {town}", "bbc.co.uk") for town in TOWNS[:12]]
    outlets += [(f"{town} FM", f"{town.lower().replace(' ', '')}fm.co.uk") for town in TOWNS[:10]]
    outlets += NATIONALS * 3
    duplicates = rows * 2 // 100
    invalid = rows // 100
    originals = rows - duplicates
    search_at = set(rng.sample(range(originals), SEARCH_ROWS))
    invalid_at = set(rng.sample([i for i in range(originals) if i not in search_at], invalid))

    used: set[str] = set()
    records: list[list[str]] = []
    for index in range(originals):
        first = rng.choice(FIRST_NAMES)
        last = SEARCH_SURNAME if index in search_at else rng.choice(SURNAMES)
        plain_first = first.translate(str.maketrans("âëéíóú", "aeeiou")).lower()
        plain_last = re.sub(r"[^a-z]", "", last.translate(str.maketrans("Óâëéíóú", "Oaeeiou")).lower())
        if rng.random() < 0.12:
            outlet, domain = "Freelance", rng.choice(FREELANCE_DOMAINS)
            job_title = "Freelance Journalist"
        else:
            outlet, domain = rng.choice(outlets)
            job_title = rng.choice(JOB_TITLES)
        shape = rng.random()
        local = (f"{plain_first}.{plain_last}" if shape < 0.6 else f"{plain_first[0]}{plain_last}" if shape < 0.8
                 else f"{plain_first}{plain_last}" if shape < 0.9 else f"{plain_first}_{plain_last}")
        email, suffix = f"{local}@{domain}", 1
        while email in used:
            suffix += 1
            email = f"{local}{suffix}@{domain}"
        used.add(email)
        if index in invalid_at:
            email = broken_email(rng, email.split("@")[0], domain)
        if rng.random() < 0.03:
            email = email.capitalize()
        lists = "; ".join(rng.sample(LISTS, rng.choice((2, 2, 3))))
        notes = rng.choice(NOTES) if rng.random() < 0.05 else ""
        records.append([first, last, email, outlet, job_title, typed_phone(rng), lists, notes])

    # Each repeat goes somewhere after its first copy, as when two spreadsheets were pasted together.
    placed = [(float(index), record) for index, record in enumerate(records)]
    valid = [index for index in range(originals) if index not in invalid_at]
    for index in rng.sample(valid, duplicates):
        again = list(records[index])
        again[2] = again[2].title() if rng.random() < 0.5 and again[2].title() != again[2] else again[2].upper()
        again[5] = typed_phone(rng) if rng.random() < 0.5 else ""
        again[6] = "; ".join(rng.sample(LISTS, 2))
        placed.append((rng.uniform(index + 0.5, originals), again))
    placed.sort(key=lambda item: item[0])
    records = [record for _, record in placed]

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADERS)
    writer.writerows(records)
    return ContactsFile(data=out.getvalue().encode("utf-8-sig"), rows=len(records), invalid_emails=invalid,
                        duplicate_emails=duplicates, search_rows=SEARCH_ROWS)


def is_server_url(url: str | None) -> bool:
    """Whether the URL names a PostgreSQL server, on which throwaway databases are made."""
    return url is not None and url.startswith(("postgres://", "postgresql://", "postgresql+psycopg://"))


def bench_app(url: str, files: str) -> Flask:
    """The press app on the given database, with CSRF checks off so the benchmark can sign in."""
    return create_app({
        "TESTING": False,
        "SECRET_KEY": secrets.token_hex(32),
        "SQLALCHEMY_DATABASE_URI": url,
        "PRESS_BASE_URL": "https://news.northshire.example",
        "PRESS_UPLOAD_DIR": files,
        "PRESS_IMPORT_DIR": files,
        "WTF_CSRF_ENABLED": False,
    })


def analyse(app: Flask) -> None:
    """On PostgreSQL, gather the statistics autovacuum would have gathered on a live server."""
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
        db.session.remove()


@contextmanager
def instrumented(stopwatch: Stopwatch) -> Iterator[None]:
    """Time the steps import_file takes, by wrapping the functions the importing module calls."""
    names = ("read_csv", "clean_rows", "apply_import", "report_csv")
    saved = {name: getattr(importing, name) for name in names}
    try:
        for name in names:
            setattr(importing, name, stopwatch.wrap(name, saved[name]))
        yield
    finally:
        for name, function in saved.items():
            setattr(importing, name, function)


def timed_import(app: Flask, meter: QueryMeter, contacts_file: ContactsFile, directory: str) -> ImportTiming:
    """Run import_file and commit, as ``flask press import-contacts`` does, and time it."""
    steps = Stopwatch()
    # The command line imports in a fresh process: start without the phone and domain caches a run fills.
    cells._parse_phone.cache_clear()
    cells._checked_domain.cache_clear()
    gc.collect()
    with app.app_context(), instrumented(steps):
        meter.reset()
        started = time.perf_counter()
        result = importing.import_file(db.session, contacts_file.data, filename="media-contacts.csv",
                                       list_names=[IMPORT_LIST], by=None, directory=directory)
        before_commit = time.perf_counter()
        db.session.commit()
        finished = time.perf_counter()
        timing = ImportTiming(
            seconds=finished - started, steps=steps, commit=finished - before_commit, statements=meter.count,
            db_seconds=meter.seconds, added=result.added, updated=result.updated, skipped=result.skipped,
            rejected=result.rejected,
        )
        db.session.remove()
    return timing


def cleaned_rows(contacts_file: ContactsFile) -> list[dict[str, str]]:
    """The file's contacts as the importer cleans them, as rows for a bare Core insert."""
    table = read_csv(contacts_file.data)
    plan = clean_rows(table, guess_mapping(table.headers))
    return [
        {"email": row.email, "name": row.name, "outlet": row.outlet, "job_title": row.job_title, "phone": row.phone,
         "unsubscribe_key": secrets.token_urlsafe(24)}
        for row in plan.contacts
    ]


def bare_insert(app: Flask, rows: list[dict[str, str]]) -> float:
    """Write the rows into an empty schema with a bare Core loop, the fastest way the importer could: INSERT ...
    RETURNING of 2,000 rows at a time, which SQLAlchemy sends as a few statements of many rows each, as the
    importer's own inserts go. The seconds it took."""
    with app.app_context():
        upgrade()
        statement = insert(Contact.__table__).returning(Contact.id)
        started = time.perf_counter()
        with db.engine.begin() as conn:
            for start in range(0, len(rows), 2000):
                conn.execute(statement, rows[start:start + 2000]).all()
        seconds = time.perf_counter() - started
        db.session.remove()
    return seconds


def print_import(label: str, timing: ImportTiming, rows: int) -> None:
    """Print one import's total, rate, outcome and where its time went."""
    steps = timing.steps.seconds
    other = timing.seconds - timing.commit - sum(steps.get(name, 0.0) for name in ("read_csv", "clean_rows",
                                                                                     "apply_import", "report_csv"))
    print(f"{label}: {timing.seconds:.2f} s, {rows / timing.seconds:,.0f} rows/s "
          f"({timing.added:,} added, {timing.updated:,} updated, {timing.skipped:,} skipped, "
          f"{timing.rejected:,} rejected)")
    apply_python = steps.get("apply_import", 0.0) - timing.db_seconds
    print(f"  read_csv        {steps.get('read_csv', 0.0):6.2f} s  (called {timing.steps.calls.get('read_csv', 0)}"
          " times by import_file)")
    print(f"  clean_rows      {steps.get('clean_rows', 0.0):6.2f} s")
    print(f"  database write  {steps.get('apply_import', 0.0) + timing.commit:6.2f} s  (apply_import "
          f"{steps.get('apply_import', 0.0):.2f} s + commit {timing.commit:.2f} s; {timing.statements:,} statements, "
          f"{timing.db_seconds:.2f} s inside cursor.execute, so ~{apply_python:.2f} s of Python in apply_import)")
    print(f"  report_csv      {steps.get('report_csv', 0.0):6.2f} s")
    print(f"  the rest        {other:6.2f} s  (storing the upload, ContactImport bookkeeping)")


def shown_total(page: bytes) -> int:
    """The number of contacts a contacts page says it found."""
    match = re.search(rb'<p role="status">([\d,]+) contacts?', page)
    if match is None:
        raise SystemExit("The contacts page does not say how many contacts it found: the benchmark cannot go on.")
    return int(match.group(1).replace(b",", b""))


def next_page(page: bytes) -> str:
    """The address of the page's "Next page" link."""
    match = re.search(rb'<a href="([^"]+)" rel="next">', page)
    if match is None:
        raise SystemExit("The contacts page has no Next page link: the benchmark cannot go on.")
    return html.unescape(match.group(1).decode())


def sign_in(app: Flask) -> FlaskClient:
    """A test client signed in as a newly created manager."""
    with app.app_context():
        accounts.create_user(db.session, email=MANAGER_EMAIL, name="Bench Manager", role="manager",
                             password=MANAGER_PASSWORD)
        db.session.commit()
        db.session.remove()
    client = app.test_client()
    response = client.post("/staff/login", data={"email": MANAGER_EMAIL, "password": MANAGER_PASSWORD})
    response.close()
    if response.status_code != 302:
        raise SystemExit(f"Signing in answered {response.status_code}, not 302: the benchmark cannot go on.")
    return client


def unsubscribe_some(app: Flask) -> int:
    """Mark one contact in fifty unsubscribed; how many were."""
    with app.app_context():
        result = db.session.execute(
            update(Contact).where(Contact.id % 50 == 0).values(status=ContactStatus.UNSUBSCRIBED)
        )
        db.session.commit()
        db.session.remove()
    return result.rowcount


def page_facts(app: Flask) -> tuple[int, int, int]:
    """The number of contacts, and the id and size of the list the filters use."""
    with app.app_context():
        contacts = db.session.scalar(select(func.count()).select_from(Contact)) or 0
        list_id = db.session.scalar(select(MediaList.id).where(MediaList.name == FILTER_LIST))
        members = db.session.scalar(
            select(func.count()).select_from(contact_lists).where(contact_lists.c.list_id == list_id)
        ) or 0
        db.session.remove()
    if list_id is None:
        raise SystemExit(f"The import made no list called {FILTER_LIST!r}: the benchmark cannot go on.")
    return contacts, list_id, members


def small_search(url: str, files: str, rows: list[dict[str, str]], repeat: int) -> Sample:
    """Time the surname search on its own database holding only these contacts, written with bare inserts."""
    app = bench_app(url, files)
    try:
        bare_insert(app, rows)
        analyse(app)
        client = sign_in(app)
        path = f"/staff/contacts/?q={quote(SEARCH_SURNAME)}"
        hits = shown_total(get_ok(client, path))
        return measure(client, f"search {SEARCH_SURNAME!r} ({hits:,})", [path], repeat)
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def report_growth(small: Sample, small_rows: int, large: Sample, large_rows: int) -> None:
    """Print the search's median and p95 at the two sizes, and how much its median grew."""
    print(f"Search for {SEARCH_SURNAME!r} at two sizes:")
    for sample, rows in ((small, small_rows), (large, large_rows)):
        print(f"  {rows:>7,} contacts  median {statistics.median(sample.times) * 1000:7.2f} ms  "
              f"p95 {percentile(sample.times, 0.95) * 1000:7.2f} ms  {sample.label}")
    growth = statistics.median(large.times) / statistics.median(small.times)
    print(f"  growth: the median is {growth:.2f} times as long with {large_rows / small_rows:.1f} times the contacts "
          "(a scan of every contact grows with their number; an index lookup much less)")
    print()


def report_pages(samples: Sequence[Sample], baseline: Sample, targets: Sequence[float]) -> None:
    """Print the page timing table and one verdict line per page, against that page's target."""
    base = statistics.median(baseline.times)
    print(f"{'page':<34} {'median ms':>9} {'p95 ms':>8} {'bytes':>7} {'ratio':>6} {'queries':>7} {'db ms':>7}  path")
    for sample in [*samples, baseline]:
        median = statistics.median(sample.times)
        queries = f"{statistics.median(sample.queries):.0f}" if sample.queries else "-"
        db_ms = f"{statistics.median(sample.db_times) * 1000:.2f}" if sample.db_times else "-"
        print(
            f"{sample.label:<34} {median * 1000:>9.2f} {percentile(sample.times, 0.95) * 1000:>8.2f} "
            f"{statistics.median(sample.sizes):>7.0f} {median / base:>6.1f} {queries:>7} {db_ms:>7}  {sample.path}"
        )
    print("(ratio = median / baseline median; db ms = median time inside cursor.execute per request,")
    print(" which on SQLite leaves out rows fetched after the first)")
    print()
    for sample, target in zip(samples, targets, strict=True):
        median = statistics.median(sample.times) * 1000
        verdict = "PASS" if median < target else "FAIL"
        sign = "<" if median < target else ">="
        print(f"verdict  {sample.label:<34} {verdict}  median {median:.2f} ms {sign} {target:.0f} ms "
              f"(p95 {percentile(sample.times, 0.95) * 1000:.2f} ms)")


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=50_000, help="rows in the generated CSV file (default 50000)")
    parser.add_argument("--repeat", type=int, default=50, help="timed requests per page (default 50)")
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL server URL such as postgresql://postgres@127.0.0.1:5432/postgres (throwaway databases "
             "are created on it and dropped at the end), or any other URL naming an empty database; "
             "default: a fresh SQLite file in a temporary directory",
    )
    parser.add_argument("--seed", type=int, default=2024, help="random seed for the generated contacts")
    arguments = parser.parse_args(argv)
    if arguments.rows < 1000 or arguments.repeat < 1:
        parser.error("--rows must be at least 1000 and --repeat at least 1")
    return arguments


def main(argv: Sequence[str] | None = None) -> int:
    """Generate the file, time the imports and the pages, and print the results."""
    arguments = parse_arguments(argv)
    rng = random.Random(arguments.seed)
    bare_server = arguments.database_url if is_server_url(arguments.database_url) else None
    with (
        throwaway_database(arguments.database_url) as url,
        throwaway_database(bare_server) as bare_url,
        throwaway_database(bare_server) as small_url,
        tempfile.TemporaryDirectory(prefix="press-bench-files-") as files,
    ):
        app = bench_app(url, files)
        bare = bench_app(bare_url, files)
        try:
            print(
                f"Python {platform.python_version()} ({platform.python_implementation()}) on {platform.system()}; "
                f"Flask {metadata.version('flask')}, SQLAlchemy {metadata.version('sqlalchemy')}"
            )
            load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
            print(f"Machine: {os.cpu_count()} CPUs, load average {load} (other work on the machine skews timings)")
            with app.app_context():
                upgrade()
                db.session.remove()
            print(f"Database: {database_description(app)}")
            print(f"Bare-insert baseline: {database_description(bare)}")
            started = time.perf_counter()
            contacts_file = make_contacts_file(rng, arguments.rows)
            print(
                f"File: {contacts_file.rows:,} rows, {len(contacts_file.data) / 1e6:.1f} MB "
                f"({contacts_file.invalid_emails:,} invalid emails, {contacts_file.duplicate_emails:,} repeated "
                f"emails in another case, {contacts_file.search_rows} people called {SEARCH_SURNAME}), "
                f"made in {time.perf_counter() - started:.1f} s"
            )
            print(f"Target: the import finishes in under {IMPORT_TARGET_S:.0f} s; each contacts page answers in "
                  f"under {PAGE_TARGET_MS:.0f} ms at the median, and each search in under {SEARCH_TARGET_MS:.0f} ms")
            print()

            with app.app_context():
                meter = QueryMeter(db.engine)
            first = timed_import(app, meter, contacts_file, files)
            print_import("First import (empty database)", first, contacts_file.rows)
            # A second import usually comes later, when autovacuum has gathered statistics on the new rows.
            analyse(app)
            second = timed_import(app, meter, contacts_file, files)
            print_import("Second import of the same file (after VACUUM ANALYZE on PostgreSQL)", second,
                         contacts_file.rows)
            rows = cleaned_rows(contacts_file)
            bare_rows, bare_seconds = len(rows), bare_insert(bare, rows)
            import_rate = contacts_file.rows / first.seconds
            bare_rate = bare_rows / bare_seconds
            print(f"Bare Core insert: {bare_rows:,} contacts in {bare_seconds:.2f} s, {bare_rate:,.0f} rows/s")
            print(f"Ratio import rate / bare insert rate: {import_rate / bare_rate:.3f} "
                  f"(the import runs at 1/{bare_rate / import_rate:.0f} of bare insert speed)")
            print()
            for label, timing in (("first import", first), ("second import", second)):
                passed = timing.seconds < IMPORT_TARGET_S
                print(f"verdict  {label:<34} {'PASS' if passed else 'FAIL'}  {timing.seconds:.2f} s "
                      f"{'<' if passed else '>='} {IMPORT_TARGET_S:.0f} s")
            print()

            unsubscribed = unsubscribe_some(app)
            analyse(app)
            contacts, list_id, members = page_facts(app)
            client = sign_in(app)
            surname = quote(SEARCH_SURNAME)
            paths = {
                "first page": "/staff/contacts/",
                "search": f"/staff/contacts/?q={surname}",
                "list filter": f"/staff/contacts/?list={list_id}",
                "status filter": "/staff/contacts/?status=unsubscribed",
                "search + list": f"/staff/contacts/?q={surname}&list={list_id}",
            }
            hits = {label: shown_total(get_ok(client, path)) for label, path in paths.items()}
            deep = paths["first page"]
            for _ in range(DEEP_PAGES):
                deep = next_page(get_ok(client, deep))
            print(f"Contacts: {contacts:,} ({unsubscribed:,} unsubscribed); list {FILTER_LIST!r} has {members:,}; "
                  f"{hits['search']} found for {SEARCH_SURNAME!r}")
            print(f"Requests: 5 warm-up then {arguments.repeat} timed per page, signed in as a manager")
            print()
            labels = {
                "first page": f"contacts, first page ({hits['first page']:,})",
                "search": f"search {SEARCH_SURNAME!r} ({hits['search']:,})",
                "list filter": f"list filter ({hits['list filter']:,})",
                "status filter": f"unsubscribed ({hits['status filter']:,})",
                "search + list": f"search + list ({hits['search + list']:,})",
            }
            samples = [measure(client, labels[key], [path], arguments.repeat, meter) for key, path in paths.items()]
            samples.append(measure(client, f"page {DEEP_PAGES + 1} ({DEEP_PAGES} x Next page)", [deep],
                                   arguments.repeat, meter))
            targets = [SEARCH_TARGET_MS if key.startswith("search") else PAGE_TARGET_MS for key in paths]
            baseline_page = baseline_app(int(statistics.median(samples[0].sizes)))
            baseline = measure(baseline_page.test_client(), "baseline (bare Flask)", ["/"], arguments.repeat)
            small_rows = rows[:len(rows) // SMALL_SHARE]
            small = small_search(small_url, files, small_rows, arguments.repeat)
            report_growth(small, len(small_rows), samples[list(paths).index("search")], contacts)
            report_pages(samples, baseline, [*targets, PAGE_TARGET_MS])
        finally:
            for each in (app, bare):
                with each.app_context():
                    db.session.remove()
                    db.engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
