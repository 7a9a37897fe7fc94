"""Time the public newsroom pages with thousands of releases, against a bare Flask page of the same size."""

from __future__ import annotations

import argparse
import math
import os
import platform
import random
import secrets
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as wall_time
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import event, insert, text
from sqlalchemy.engine import Engine

from press import create_app, uktime
from press.accounts import services as accounts
from press.extensions import db
from press.markdown_text import plain_text, render_markdown
from press.releases.models import Release, Status, Withdrawal, rendered_fields
from press.releases.services import slugify

TARGET_MS = 50.0
# A page is flat in the archive's size when four times the releases cost it at most this much more time.
FLAT_GROWTH = 1.3
PREFIX = "NCC"
SEARCH_WORD = "allotment"
SEARCH_LABEL = f"search {SEARCH_WORD!r}"
WARMUP = 5
CONTACT_PASSWORD = "benchmark contact password"

PLACES = [
    "Eastgate", "Northby", "Millbrook", "Castleford Green", "Westmoor", "Ashworth", "Kingsbridge",
    "Harrow Vale", "Stonecross", "Bramley Heath", "Riverside", "Oldfield", "Fenwick", "Highcliffe",
]
COUNCILLORS = [
    ("Amira Hussain", "children and families"), ("David Okafor", "highways and transport"),
    ("Sarah Llewellyn", "environment"), ("Tom Brennan", "housing"), ("Priya Nair", "adult social care"),
    ("Gareth Powell", "finance"), ("Helen Marsh", "communities and leisure"), ("Joe Whitaker", "planning"),
]
SUBJECTS = [
    "cycle lanes", "library opening hours", "school admissions", "allotment waiting list",
    "food waste collections", "winter gritting routes", "park improvements", "council tax support",
    "bus shelter upgrades", "flood defences", "care home inspections", "youth centre programme",
    "council housing repairs", "local plan consultation", "household recycling centre", "street lighting",
    "play area refurbishment", "adult learning courses", "road resurfacing", "air quality monitoring",
]
HEADLINES = [
    "Council announces new {subject} for {place}",
    "Residents invited to have their say on {subject} in {place}",
    "Work starts on {subject} in {place}",
    "Funding secured for {subject} across Northshire",
    "Changes to {subject} from {month}",
    "Record year for {subject} in {place}",
    "{Subject}: what {place} residents need to know",
    "Review of {subject} published",
]
SENTENCES = [
    "Northshire Council has confirmed that the {subject} scheme in {place} will go ahead this {season}.",
    "The decision follows a six-week consultation in which {number} residents and businesses took part.",
    "Officers will write to every household in {place} before any work begins.",
    "The council expects the project to cost £{money} million, "
    "funded from its capital programme and a government grant.",
    "Residents can find out more at a drop-in session at {place} community centre on {weekday} from 2pm to 7pm.",
    "The scheme was approved by the cabinet at its meeting on {weekday} after a report from the scrutiny committee.",
    "A full timetable, with maps of the affected streets, is available on the council's website.",
    "Work will take place between 9.30am and 3.30pm to keep disruption to the school run as low as possible.",
    "The council has worked with local ward members, parish councils and community groups to shape the plans.",
    "Figures published today show that demand has risen by {percent} per cent since last year.",
    "Anyone who needs information in another format, such as large print or Braille, "
    "can ask the customer services team.",
    "The changes will be reviewed after twelve months and the findings reported to councillors.",
    "Local businesses will be offered support and advice throughout the work.",
    "The council has committed to reaching net zero across its own estate by 2030.",
    "Contractors have been asked to keep footpaths open and to give at least seven days' notice of any closures.",
    "Northshire has {number} households on its register, more than any other district in the county.",
    "Feedback from the first phase showed that {percent} per cent of people who used the service would recommend it.",
    "The report also sets out where the council could do better and what it will change.",
]
ALLOTMENT_SENTENCES = [
    "The allotment waiting list in {place} has fallen from {number} names to under two hundred.",
    "New allotment plots will be marked out on council land next to the {place} recreation ground.",
    "Allotment holders will be offered half-size plots, which many newer growers have asked for.",
]
QUOTES = [
    "We listened carefully to what people told us, and the plans are better for it.",
    "This is a long-term investment in {place}, and residents will see the difference within months.",
    "I want to thank everyone who came to the drop-in sessions and gave us their views.",
    "Our priority is to get this right for the people who rely on these services every day.",
]
NEXT_STEPS = [
    "Letters to affected households go out next week.",
    "A second round of drop-in sessions will be held in {place}.",
    "Progress reports will be published every quarter.",
    "Residents can sign up for email updates on the council's website.",
    "The scrutiny committee will look at the results in the spring.",
]
NOTES = [
    "Photographs of the site are available on request from the press office.",
    "The cabinet report is published with the agenda for the meeting on the council's website.",
    "Northshire Council serves 320,000 residents across 14 towns and 60 parishes.",
    "Interviews with the cabinet member can be arranged through the press office.",
    "The consultation results are summarised in an appendix to the report.",
]
HELPLINE = (
    "If you need help, call the council's customer services team on **01632 960 000** "
    "(Monday to Friday, 8.30am to 5pm)."
)
MONTHS = [
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]
SEASONS = ["spring", "summer", "autumn", "winter"]


@dataclass
class Dataset:
    """The rows to insert and what the measurements need to know about them."""

    rows: list[dict[str, Any]]
    listed_slugs: list[str]
    public: int
    drafts: int
    embargoed: int
    withdrawn: int
    search_hits: int


@dataclass
class Sample:
    """Timings of one page: wall time, size and database work per request."""

    label: str
    path: str
    times: list[float] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    db_times: list[float] = field(default_factory=list)
    required: bool = False
    flat: bool = False


class QueryMeter:
    """Count statements and the time spent inside cursor.execute on one engine."""

    def __init__(self, engine: Engine) -> None:
        self.count = 0
        self.seconds = 0.0
        self._started: list[float] = []
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, *_args: Any) -> None:
        self._started.append(time.perf_counter())

    def _after(self, *_args: Any) -> None:
        self.seconds += time.perf_counter() - self._started.pop()
        self.count += 1

    def reset(self) -> None:
        """Start counting from zero."""
        self.count = 0
        self.seconds = 0.0


def fill(rng: random.Random, template: str, place: str, subject: str) -> str:
    """Put a place, a subject and plausible numbers into a sentence template."""
    return template.format(
        place=place, subject=subject, Subject=subject.capitalize(), month=rng.choice(MONTHS),
        season=rng.choice(SEASONS), weekday=rng.choice(WEEKDAYS), number=f"{rng.randint(200, 9000):,}",
        money=f"{rng.randint(1, 40)}.{rng.randint(0, 9)}", percent=rng.randint(3, 60),
    )


def make_body(rng: random.Random, place: str, subject: str) -> str:
    """A Markdown release body of several paragraphs, 2 to 4 KB long."""
    target = rng.randint(2000, 3900)
    pool = SENTENCES + (ALLOTMENT_SENTENCES * 2 if "allotment" in subject else [])
    councillor, portfolio = rng.choice(COUNCILLORS)
    quote_text = fill(rng, rng.choice(QUOTES), place, subject)
    paragraphs: list[str] = []
    while sum(len(p) + 2 for p in paragraphs) < target:
        if len(paragraphs) == 2:
            paragraphs.append(f'Councillor {councillor}, cabinet member for {portfolio}, said: "{quote_text}"')
        elif len(paragraphs) == 4 and rng.random() < 0.5:
            steps = "\n".join(f"- {fill(rng, s, place, subject)}" for s in rng.sample(NEXT_STEPS, 3))
            paragraphs.append(f"## What happens next\n\n{steps}")
        else:
            sentences = [fill(rng, s, place, subject) for s in rng.sample(pool, rng.randint(2, 4))]
            if rng.random() < 0.2:
                sentences.append("More details are on the [council's website](https://www.northshire.example/news).")
            paragraphs.append(" ".join(sentences))
    return "\n\n".join(paragraphs)


def london_moment(day: date, hour: int, minute: int) -> datetime:
    """A UTC instant from a London wall-clock time that always exists and is never repeated."""
    return uktime.london_to_utc(day, wall_time(hour, minute))


def make_dataset(rng: random.Random, now: datetime, public: int, contact_ids: Sequence[int]) -> Dataset:
    """Invent public releases over four years, plus drafts, future embargoes and a few withdrawals."""
    drafts = max(1, public * 3 // 100)
    embargoed = max(1, min(12, public // 500))
    span = timedelta(days=4 * 365)
    withdrawn_indexes = set(rng.sample(range(public), public * 3 // 1000))

    plans: list[tuple[str, datetime]] = []
    for index in range(public):
        plans.append(("withdrawn" if index in withdrawn_indexes else "final", now - span * rng.random()))
    for _ in range(embargoed):
        plans.append(("embargoed", now - timedelta(hours=rng.randint(1, 72))))
    for _ in range(drafts):
        # Most drafts are recent; some were abandoned long ago.
        back = timedelta(days=rng.randint(0, 45)) if rng.random() < 0.8 else span * rng.random()
        plans.append(("draft", now - back))
    plans.sort(key=lambda plan: plan[1])

    rows: list[dict[str, Any]] = []
    listed_slugs: list[str] = []
    used_slugs: set[str] = set()
    numbers: dict[str, int] = {}
    search_hits = 0
    for kind, moment in plans:
        place, subject = rng.choice(PLACES), rng.choice(SUBJECTS)
        headline = fill(rng, rng.choice(HEADLINES), place, subject)
        release_date = uktime.to_london(moment).date()
        embargo_at = None
        public_from = None
        if kind == "embargoed":
            # Still under embargo: public at one minute past midnight, London time, on a later day.
            release_date = uktime.to_london(now).date() + timedelta(days=rng.randint(1, 14))
            embargo_at = public_from = london_moment(release_date, 0, 1)
        elif kind in ("final", "withdrawn"):
            # Two in five went out under an embargo lifted at 00:01; the rest on being marked final.
            midnight = london_moment(release_date, 0, 1)
            if rng.random() < 0.4 and midnight <= moment:
                embargo_at = public_from = midnight
            else:
                public_from = moment
        year = uktime.financial_year(release_date)
        numbers[year] = numbers.get(year, 0) + 1
        slug = base = f"{release_date:%Y-%m-%d}-{slugify(headline)}"
        suffix = 1
        while slug in used_slugs:
            suffix += 1
            slug = f"{base}-{suffix}"
        used_slugs.add(slug)
        standfirst = fill(rng, rng.choice(SENTENCES), place, subject) if rng.random() < 0.6 else ""
        body = make_body(rng, place, subject)
        last_change = min(public_from or moment, now)
        created_at = last_change - timedelta(hours=rng.randint(1, 96))
        row: dict[str, Any] = {
            "reference": f"{PREFIX} {year}-{numbers[year]:04d}",
            "slug": slug,
            "headline": headline,
            "standfirst": standfirst,
            "body": body,
            "notes_to_editors": "\n".join(f"{n}. {note}" for n, note in enumerate(rng.sample(NOTES, 3), start=1)),
            "helpline": HELPLINE if rng.random() < 0.1 else "",
            "release_date": release_date,
            "embargo_at": embargo_at,
            "status": Status.DRAFT if kind == "draft" else Status.FINAL,
            "public_from": public_from,
            "contact_id": rng.choice(contact_ids),
            "withdrawn_at": None,
            "withdrawal_kind": None,
            "withdrawal_reason": "",
            "created_at": created_at,
            "updated_at": last_change,
        }
        if kind == "withdrawn":
            row["status"] = Status.WITHDRAWN
            row["withdrawn_at"] = min(now, public_from + timedelta(days=rng.randint(1, 30)))
            row["withdrawal_kind"] = rng.choice([Withdrawal.SUPERSEDED, Withdrawal.REMOVED])
            row["withdrawal_reason"] = "The figures in this release have been corrected."
            row["updated_at"] = row["withdrawn_at"]
        if kind == "final":
            listed_slugs.append(slug)
        listed = public_from is not None and public_from <= now and row["withdrawal_kind"] != Withdrawal.REMOVED
        if listed and SEARCH_WORD in " ".join((headline, standfirst, body)).lower():
            search_hits += 1
        rows.append(row)
    return Dataset(rows, listed_slugs, public, drafts, embargoed, len(withdrawn_indexes), search_hits)


def admin_url(url: str) -> str:
    """The server URL in the form psycopg accepts."""
    for scheme in ("postgresql+psycopg://", "postgres://"):
        if url.startswith(scheme):
            return "postgresql://" + url[len(scheme):]
    return url


@contextmanager
def throwaway_database(url: str | None) -> Iterator[str]:
    """Give the URL of an empty database: a new SQLite file, or a new PostgreSQL database dropped afterwards."""
    if url is None:
        with tempfile.TemporaryDirectory(prefix="press-bench-") as directory:
            yield f"sqlite:///{Path(directory) / 'press.db'}"
        return
    if not url.startswith(("postgres://", "postgresql://", "postgresql+psycopg://")):
        yield url
        return
    server = admin_url(url)
    name = f"press_bench_{secrets.token_hex(4)}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(urlsplit(server)._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def build_database(app: Flask, rng: random.Random, releases: int) -> Dataset:
    """Run the migrations, add the press contacts and bulk-insert the releases with their stored HTML."""
    with app.app_context():
        upgrade()
        contact_ids = []
        for name, job in [("Jane Contact", "Communications Manager"), ("Sam Patel", "Press Officer"),
                          ("Chris Evans", "Senior Press Officer")]:
            email = name.lower().replace(" ", ".") + "@northshire.example"
            user = accounts.create_user(db.session, email=email, name=name, role="manager",
                                        password=CONTACT_PASSWORD, job_title=job, phone="07700 900123")
            contact_ids.append(user.id)
        db.session.commit()
        dataset = make_dataset(rng, datetime.now(UTC), releases, contact_ids)
        # What saving each release through the app would store; Markdown is slow, so both CPUs share it.
        with ProcessPoolExecutor(max_workers=min(2, os.cpu_count() or 1)) as pool:
            rendered = list(pool.map(rendered_fields, dataset.rows, chunksize=250))
        for row, fields in zip(dataset.rows, rendered, strict=True):
            row.update(fields)
        for start in range(0, len(dataset.rows), 1000):
            db.session.execute(insert(Release.__table__), dataset.rows[start:start + 1000])
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            # What autovacuum would have done on a live server that had gathered these rows over years.
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
        elif db.engine.dialect.name == "sqlite":
            # The bulk insert leaves its pages in the write-ahead log; a live file has long had them copied back.
            db.session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        db.session.remove()
    return dataset


def database_description(app: Flask) -> str:
    """Name the database engine and its version."""
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            return f"SQLite {sqlite3.sqlite_version} (file {engine.url.database})"
        version = db.session.scalar(text("SHOW server_version"))
        db.session.remove()
        return f"PostgreSQL {version} (database {engine.url.database} on {engine.url.host}:{engine.url.port})"


def get_ok(client: FlaskClient, path: str) -> bytes:
    """Fetch a page and insist on 200."""
    response = client.get(path)
    data = response.get_data()
    response.close()
    if response.status_code != 200:
        raise SystemExit(f"GET {path} answered {response.status_code}, not 200: the benchmark cannot go on.")
    return data


def empty_caches() -> None:
    """Forget what the process has kept between requests, as a newly started worker would have."""
    render_markdown.cache_clear()
    plain_text.cache_clear()


def measure(client: FlaskClient, label: str, paths: Sequence[str], repeat: int, meter: QueryMeter | None = None,
            required: bool = False, flat: bool = False, cold: bool = False) -> Sample:
    """Warm up, then time ``repeat`` requests cycling through ``paths``; cold empties the caches before each."""
    sample = Sample(label=label, path=paths[0] if len(paths) == 1 else f"{len(paths)} pages like {paths[0]}",
                    required=required, flat=flat)
    for index in range(WARMUP):
        get_ok(client, paths[-1 - index % len(paths)])
    for index in range(repeat):
        path = paths[index % len(paths)]
        if cold:
            empty_caches()
        if meter:
            meter.reset()
        started = time.perf_counter()
        data = get_ok(client, path)
        sample.times.append(time.perf_counter() - started)
        sample.sizes.append(len(data))
        if meter:
            sample.queries.append(meter.count)
            sample.db_times.append(meter.seconds)
    return sample


BASELINE_TEMPLATE = """<!doctype html>
<html lang="en-GB">
<head><meta charset="utf-8"><title>{{ title }}</title></head>
<body>
<main>
<h1>{{ title }}</h1>
{% for paragraph in paragraphs %}
<p class="{{ loop.cycle('odd', 'even') }}">{{ paragraph }}</p>
{% endfor %}
</main>
</body>
</html>
"""
BASELINE_PARAGRAPH = (
    "Northshire Council has confirmed that the scheme will go ahead this summer, after a consultation "
    "in which thousands of residents took part. Officers will write to every household before work begins, "
    "and drop-in sessions will be held at the community centre."
)


def baseline_app(target_bytes: int) -> Flask:
    """A bare Flask app whose only page is a Jinja-rendered HTML page of about ``target_bytes`` bytes."""
    app = Flask(__name__)
    # Compiled once, as Flask's loader caches the app's own templates.
    template = app.jinja_env.from_string(BASELINE_TEMPLATE)

    def render(paragraphs: list[str]) -> str:
        return template.render(title="Baseline page", paragraphs=paragraphs)

    empty = len(render([]).encode())
    per_paragraph = len(render([BASELINE_PARAGRAPH]).encode()) - empty
    count = max(0, (target_bytes - empty) // per_paragraph)
    paragraphs = [BASELINE_PARAGRAPH] * count
    shortfall = target_bytes - len(render(paragraphs).encode()) - (per_paragraph - len(BASELINE_PARAGRAPH))
    if shortfall > 0:
        paragraphs.append(BASELINE_PARAGRAPH[:shortfall])

    @app.get("/")
    def page() -> str:
        return render(paragraphs)

    return app


def percentile(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile of the values."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


@dataclass
class Run:
    """Every page timed at one archive size: warm and cold samples under the same labels."""

    public: int
    warm: list[Sample]
    cold: list[Sample]
    baseline: Sample


def median_ms(sample: Sample) -> float:
    return statistics.median(sample.times) * 1000


def report_run(run: Run) -> None:
    """Print the timing table of one archive size."""
    base = median_ms(run.baseline)
    print(f"{'page':<30} {'warm ms':>8} {'cold ms':>8} {'cold p95':>8} {'bytes':>7} {'ratio':>6} "
          f"{'queries':>7} {'db ms':>7}  path")
    for warm, cold in zip(run.warm, run.cold, strict=True):
        queries = f"{statistics.median(cold.queries):.0f}" if cold.queries else "-"
        db_ms = f"{statistics.median(cold.db_times) * 1000:.2f}" if cold.db_times else "-"
        print(
            f"{cold.label:<30} {median_ms(warm):>8.2f} {median_ms(cold):>8.2f} "
            f"{percentile(cold.times, 0.95) * 1000:>8.2f} {statistics.median(cold.sizes):>7.0f} "
            f"{median_ms(cold) / base:>6.1f} {queries:>7} {db_ms:>7}  {cold.path}"
        )
    print(f"{run.baseline.label:<30} {base:>8.2f} {'-':>8} {percentile(run.baseline.times, 0.95) * 1000:>8.2f} "
          f"{statistics.median(run.baseline.sizes):>7.0f} {1.0:>6.1f} {'-':>7} {'-':>7}  {run.baseline.path}")
    print("(warm: the process's Markdown caches kept between requests; cold: emptied before every timed")
    print(" request, as in a newly started worker. ratio = cold median / baseline median; queries and db ms")
    print(" are per cold request, db ms being the time inside cursor.execute, which on SQLite leaves out")
    print(" rows fetched after the first)")
    print()


def report_verdicts(runs: Sequence[Run]) -> None:
    """One verdict per page on time at the largest size, and, given two sizes, one per page on growth."""
    largest = runs[-1]
    for sample in largest.cold:
        median = median_ms(sample)
        verdict = "PASS" if median < TARGET_MS else "FAIL" if sample.required else "SLOW"
        scope = "in the target" if sample.required else "not in the target"
        sign = "<" if median < TARGET_MS else ">="
        print(f"verdict  {sample.label:<30} {verdict}  cold median {median:.2f} ms {sign} {TARGET_MS:.0f} ms "
              f"at {largest.public:,} releases ({scope})")
    if len(runs) < 2:
        print("(growth needs two archive sizes: see --sizes)")
        return
    smallest = runs[0]
    print()
    print(f"Growth from {smallest.public:,} to {largest.public:,} public releases (cold medians); flat means a "
          f"ratio of at most {FLAT_GROWTH}:")
    for small, large in zip(smallest.cold, largest.cold, strict=True):
        growth = median_ms(large) / median_ms(small)
        in_target = small.flat
        verdict = "PASS" if growth <= FLAT_GROWTH else "FAIL" if in_target else "GROWS"
        sign = "<=" if growth <= FLAT_GROWTH else ">"
        scope = "in the target" if in_target else "not in the target"
        print(f"verdict  growth {small.label:<23} {verdict}  {median_ms(small):.2f} -> {median_ms(large):.2f} ms, "
              f"x{growth:.2f} {sign} {FLAT_GROWTH} ({scope})")


def parse_sizes(text: str) -> list[int]:
    """Read a list of archive sizes such as 10000,40000."""
    try:
        sizes = sorted({int(part) for part in text.split(",") if part.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a list of numbers: {text!r}") from None
    if not sizes or sizes[0] < 1:
        raise argparse.ArgumentTypeError("sizes must be at least 1")
    return sizes


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__)
    sizes = parser.add_mutually_exclusive_group()
    sizes.add_argument("--sizes", type=parse_sizes, default=[10_000, 40_000],
                       help="public releases in each archive timed, smallest first (default 10000,40000)")
    sizes.add_argument("--releases", type=int, help="time one archive of this many public releases only")
    parser.add_argument("--repeat", type=int, default=50, help="timed requests per page, warm and cold (default 50)")
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL server URL such as postgresql://postgres@127.0.0.1:5432/postgres (a throwaway "
             "database is created on it for each size and dropped after), or any other URL naming an empty "
             "database, with --releases only; default: a fresh SQLite file in a temporary directory",
    )
    parser.add_argument("--seed", type=int, default=2024, help="random seed for the generated releases")
    arguments = parser.parse_args(argv)
    if arguments.releases is not None:
        arguments.sizes = [arguments.releases]
    if arguments.sizes[0] < 1 or arguments.repeat < 1:
        parser.error("--releases, --sizes and --repeat must be at least 1")
    url = arguments.database_url
    if url and len(arguments.sizes) > 1 and not url.startswith(("postgres://", "postgresql://", "postgresql+psycopg")):
        parser.error("a --database-url naming one empty database takes --releases, not several sizes")
    return arguments


def time_archive(arguments: argparse.Namespace, public: int) -> Run:
    """Build one archive in a throwaway database and time every page on it, warm and then cold."""
    rng = random.Random(arguments.seed)
    with (
        throwaway_database(arguments.database_url) as url,
        tempfile.TemporaryDirectory(prefix="press-bench-files-") as files,
    ):
        app = create_app({
            "TESTING": False,
            "SECRET_KEY": secrets.token_hex(32),
            "SQLALCHEMY_DATABASE_URI": url,
            "PRESS_BASE_URL": "https://news.northshire.example",
            "PRESS_REF_PREFIX": PREFIX,
            "PRESS_UPLOAD_DIR": files,
        })
        try:
            started = time.perf_counter()
            dataset = build_database(app, rng, public)
            print(f"Database: {database_description(app)}")
            print(
                f"Releases: {dataset.public:,} public (of which {dataset.withdrawn} withdrawn), "
                f"{dataset.drafts:,} drafts, {dataset.embargoed} under embargo; "
                f"{len(dataset.rows):,} rows in all, built in {time.perf_counter() - started:.1f} s"
            )
            # The same deep page at every size (half way through the smallest), so its growth compares like with like.
            deep = min(250, max(1, math.ceil(arguments.sizes[0] / app.config["PRESS_RELEASES_PER_PAGE"]) // 2))
            with app.app_context():
                meter = QueryMeter(db.engine)
            client = app.test_client()
            slugs = rng.sample(dataset.listed_slugs, min(arguments.repeat, len(dataset.listed_slugs)))
            release_paths = [f"/releases/{quote(slug)}" for slug in slugs]
            release_sizes = [len(get_ok(client, path)) for path in release_paths]
            found = get_ok(client, f"/?q={SEARCH_WORD}").decode()
            if f"{dataset.search_hits} releases found" not in found:
                print(f"warning: the search page does not report the {dataset.search_hits} matches inserted")
            # (label, paths, median in the target, flat in the target)
            pages = [
                ("newsroom list, page 1", ["/"], True, True),
                (f"newsroom list, page {deep}", [f"/?page={deep}"], False, True),
                (SEARCH_LABEL, [f"/?q={SEARCH_WORD}"], True, False),
                ("release page", release_paths, True, False),
                ("Atom feed", ["/feed.atom"], True, True),
            ]
            warm = [measure(client, label, paths, arguments.repeat, meter, required, flat)
                    for label, paths, required, flat in pages]
            cold = [measure(client, label, paths, arguments.repeat, meter, required, flat, cold=True)
                    for label, paths, required, flat in pages]
            bare = baseline_app(int(statistics.median(release_sizes)))
            baseline = measure(bare.test_client(), "baseline (bare Flask)", ["/"], arguments.repeat)
            run = Run(dataset.public, warm, cold, baseline)
            print(f"(the search for {SEARCH_WORD!r} finds {dataset.search_hits:,} releases)")
            report_run(run)
            return run
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    """Build each archive, time every page on it and print the results, the growth and the verdicts."""
    arguments = parse_arguments(argv)
    print(
        f"Python {platform.python_version()} ({platform.python_implementation()}) on {platform.system()}; "
        f"Flask {metadata.version('flask')}, SQLAlchemy {metadata.version('sqlalchemy')}"
    )
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"Machine: {os.cpu_count()} CPUs, load average {load} (other work on the machine skews timings)")
    print(
        f"Requests: {WARMUP} warm-up then {arguments.repeat} timed per page, warm and cold; "
        f"target: median under {TARGET_MS:.0f} ms at {arguments.sizes[-1]:,} releases"
    )
    print()
    runs = [time_archive(arguments, size) for size in arguments.sizes]
    report_verdicts(runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
