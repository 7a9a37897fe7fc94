"""Time media enquiries through gunicorn: submissions against a bare Flask-WTF form, the log and the CSV export.

(a) enquiry submissions per second, each a POST with the CSRF token of its session, divided by the rate of
    a bare Flask app under the same gunicorn settings and database whose form has the same fields and CSRF
    and writes the same rows with SQLAlchemy Core in one transaction; with the server CPU per submission
    (gunicorn and PostgreSQL) and the rows each one saved, counted in the database;
(b) the staff log's median response time with 100,000 enquiries and a filter applied;
(c) exporting the 100,000 enquiries as CSV: the time, and the gunicorn worker's peak memory against
    exporting the first 10,000 of them from the same process.
"""

from __future__ import annotations

import argparse
import http.client
import os
import platform
import random
import re
import secrets
import statistics
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import Enum
from http.cookies import SimpleCookie
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from flask import Flask, redirect, request
from flask_migrate import upgrade
from flask_wtf import CSRFProtect, FlaskForm
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import Engine, and_, bindparam, create_engine, func, insert, or_, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from wtforms import DateField, EmailField, RadioField, StringField, TextAreaField, TimeField
from wtforms.validators import Email, InputRequired, Length, Optional

# Run as a script, the project root is not on the path; the shared helpers live in bench/newsroom.py.
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.newsroom import database_description, throwaway_database  # noqa: E402
from press import clock, create_app, database, uktime  # noqa: E402
from press.config import database_uri  # noqa: E402
from press.accounts import services as accounts  # noqa: E402
from press.enquiries import services as enquiries  # noqa: E402
from press.accounts.models import User  # noqa: E402
from press.contacts.models import Contact  # noqa: E402
from press.database import UTCDateTime  # noqa: E402
from press.enquiries.models import (  # noqa: E402
    Channel, DutyOfficer, Enquiry, EnquiryCounter, EnquiryEvent, EnquiryKind, EnquiryStatus, Outcome,
)
from press.extensions import db  # noqa: E402
from press.outbox.models import Delivery  # noqa: E402
from press.releases import services as releases  # noqa: E402
from press.releases.models import Release  # noqa: E402

RATIO_TARGET = 0.7  # enquiry submissions per second / the bare form's per second, at least
LOG_TARGET_MS = 100.0  # the log's median response time with a filter applied, under
EXPORT_TARGET_S = 5.0  # exporting every enquiry as CSV, under
FLAT_MB = 16.0  # the export's peak memory may grow by this much at most for ten times the rows
LOCAL_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
PREFIX = "NCC"
PASSWORD = "benchmark staff password"
CHUNK = 5000  # rows per bulk insert
WARMUP = 5
ROUNDS = 3  # turns the app and the bare form take at posting enquiries in (a)
PRESS_LABEL, BARE_LABEL = "enquiry form (press)", "bare Flask-WTF form"
FORM_PATH = "/enquiries/new"
EXPORT_PATH = "/staff/enquiries/export.csv"
LOG_PATH = "/staff/enquiries/"
TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')

OFFICERS = ["Jane Smith", "Sam Patel", "Chris Evans", "Priya Nair", "Tom Brennan", "Helen Marsh", "Gareth Powell",
            "Amira Hussain", "David Okafor", "Sarah Llewellyn"]
OUTLETS = [
    ("Northshire Gazette", "gazette.example"), ("BBC Radio Northshire", "bbc.example"),
    ("Eastgate Echo", "echo.example"), ("Northshire Live", "live.example"), ("Press Association", "pa.example"),
    ("Yorkshire Post", "ypn.example"), ("ITV Calendar", "itv.example"), ("The Guardian", "guardian.example"),
    ("Local Government Chronicle", "lgc.example"), ("Inside Housing", "insidehousing.example"),
    ("Millbrook Mercury", "mercury.example"), ("Westmoor Advertiser", "advertiser.example"),
    ("Greatest Hits Radio", "ghr.example"), ("The Times", "times.example"), ("Freelance", "gmail.example"),
    ("Schools Week", "schoolsweek.example"), ("Sky News", "sky.example"), ("Kingsbridge Herald", "herald.example"),
    ("Municipal Journal", "mj.example"), ("Health Service Journal", "hsj.example"),
]
FIRST_NAMES = ["Oliver", "Amelia", "George", "Isla", "Harry", "Ava", "Noah", "Priya", "Rhys", "Siân", "Zoë",
               "Muhammad", "Niamh", "Callum", "Aisha", "Ffion", "Tom", "Helen", "Dafydd", "Mei"]
SURNAMES = ["Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Patel", "Khan", "O'Neill",
            "Hughes", "Clarke", "Begum", "Murphy", "Campbell", "Llewellyn", "Okafor", "Nair", "Ahmed", "Walsh"]
SUBJECTS = [
    "cycle lanes", "library opening hours", "school admissions", "allotment waiting list", "food waste collections",
    "winter gritting routes", "park improvements", "council tax support", "bus shelter upgrades", "flood defences",
    "care home inspections", "youth centre programme", "council housing repairs", "local plan consultation",
    "household recycling centre", "street lighting", "play area refurbishment", "adult learning courses",
    "road resurfacing", "air quality monitoring", "potholes on the A61", "staff pay negotiations",
    "the budget gap", "the new leisure centre", "social care waiting lists", "a planning appeal",
]
QUESTIONS = [
    "Can you confirm the figures for {subject} in {place}, and how they compare with last year?",
    "We are running a story on {subject} and would like the council's response.",
    "Residents in {place} have contacted us about {subject}. Could you explain what is happening and when?",
    "Could someone from the council talk to us about {subject} for tonight's programme?",
    "Is it true that the council plans to change {subject}? If so, what is the reason and who will it affect?",
    "Please can you send background on {subject}, including any cabinet reports.",
]
PLACES = ["Eastgate", "Northby", "Millbrook", "Castleford Green", "Westmoor", "Ashworth", "Kingsbridge", "Oldfield"]
KINDS = [("comment", 45), ("information", 30), ("interview", 15), ("filming", 5), ("other", 5)]
CHANNELS = [(Channel.WEB, 60), (Channel.PHONE, 25), (Channel.EMAIL, 15)]
DEADLINES = [timedelta(hours=2), timedelta(hours=4), timedelta(hours=6), timedelta(days=1), timedelta(days=3)]


def weighted(rng: random.Random, pairs: Sequence[tuple[Any, int]]) -> Any:
    return rng.choices([value for value, _ in pairs], weights=[weight for _, weight in pairs])[0]


# --- HTTP ---------------------------------------------------------------------------------------


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes
    seconds: float
    size: int = 0
    rows: int = 0  # lines starting with an enquiry reference, counted when the body is not kept


class Browser:
    """One person's cookies against one server, on a fresh connection per request as sync workers need."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict[str, str] | None = None, keep: bool = True) -> Reply:
        """Send one request; with keep=False the body is read and counted but not kept."""
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())} if self.cookies else {}
        body = urlencode(form) if form is not None else None
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            size = rows = 0
            if keep:
                data = response.read()
            else:
                data, tail = b"", b""
                while chunk := response.read(65536):
                    size += len(chunk)
                    rows += (tail + chunk).count(b"\nENQ-")
                    tail = chunk[-4:]  # too short to hold a whole match, so none is counted twice
            seconds = time.perf_counter() - started
            for header in response.msg.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(header).items():
                    if morsel.value:
                        self.cookies[name] = morsel.value
                    else:
                        self.cookies.pop(name, None)
            return Reply(response.status, response.msg, data, seconds, size, rows)
        finally:
            connection.close()

    def token(self, path: str) -> str:
        """Open a form page and take its CSRF token (and the session cookie that goes with it)."""
        reply = self.request("GET", path)
        found = TOKEN.search(reply.body.decode())
        if reply.status != 200 or found is None:
            raise SystemExit(f"GET {path} answered {reply.status} without a form token: the benchmark cannot go on.")
        return found.group(1)

    def sign_in(self, email: str) -> None:
        token = self.token("/staff/login")
        reply = self.request("POST", "/staff/login", {"email": email, "password": PASSWORD, "csrf_token": token})
        if reply.status != 302:
            raise SystemExit(f"signing in as {email} answered {reply.status}, not a redirect")


class Gunicorn:
    """A gunicorn on a free loopback port, stopped when the block ends whatever happens."""

    def __init__(self, spec: str, env: dict[str, str], directory: Path, workers: int, ready_path: str) -> None:
        self.port = free_port()
        self.log = directory / f"gunicorn-{self.port}.log"
        command = [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind", f"127.0.0.1:{self.port}",
                   "--timeout", "120", spec]
        with self.log.open("wb") as output:
            self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=output,
                                            stderr=subprocess.STDOUT)
        self.workers = workers
        try:
            self.wait(ready_path)
        except BaseException:
            self.stop()
            raise

    def wait(self, path: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited with {self.process.returncode}:\n{self.output()}")
            try:
                if Browser(self.port).request("GET", path).status == 200 and len(self.worker_pids()) == self.workers:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise SystemExit(f"gunicorn did not answer within {timeout} s:\n{self.output()}")

    def worker_pids(self) -> list[int]:
        """The worker processes: children of the gunicorn master, read from /proc."""
        pids = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == self.process.pid:
                    pids.append(int(entry.name))
        return pids

    def cpu_seconds(self) -> float:
        """CPU time the master and its workers have used so far, user and system (see process_cpu)."""
        return process_cpu([self.process.pid, *self.worker_pids()])

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@contextmanager
def gunicorn(spec: str, env: dict[str, str], directory: Path, workers: int, ready_path: str) -> Iterator[Gunicorn]:
    server = Gunicorn(spec, env, directory, workers, ready_path)
    try:
        yield server
    finally:
        server.stop()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def process_stat(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name, or None once the process has gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def process_cpu(pids: Sequence[int]) -> float:
    """User and system CPU seconds used so far by these processes: steadier than wall time on a busy machine."""
    ticks = 0
    for pid in pids:
        fields = process_stat(pid)
        if fields is not None:
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


# A PostgreSQL backend's process title names its client, "127.0.0.1(54321)" or "[local]", after the database.
BACKEND_TITLE = re.compile(r" (\S+) (?:\S+\(\d+\)|\[local\])")


class DatabaseServer:
    """The CPU time of the PostgreSQL server's processes on this machine, read from /proc.

    Every process named postgres counts (the server, its WAL writer, checkpointer and autovacuum) except
    backends serving another database, which belong to whoever else shares the server. A process is told
    apart by its id and start time, so one that starts during a run counts in full and a reused id does not.
    """

    def __init__(self, database: str) -> None:
        self.database = database

    def snapshot(self) -> dict[tuple[int, int], float]:
        ticks = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                if (entry / "comm").read_text().strip() != "postgres":
                    continue
                title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            backend = BACKEND_TITLE.search(title)
            fields = process_stat(int(entry.name))
            if fields is None or (backend is not None and backend.group(1) != self.database):
                continue
            ticks[int(entry.name), int(fields[19])] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return ticks

    @staticmethod
    def used(before: dict[tuple[int, int], float], after: dict[tuple[int, int], float]) -> float:
        """CPU seconds used between two snapshots by the processes alive at the second."""
        return sum(seconds - before.get(key, 0.0) for key, seconds in after.items())


# --- The bare baseline ---------------------------------------------------------------------------

LONDON = ZoneInfo("Europe/London")
enquiry_table, event_table = Enquiry.__table__, EnquiryEvent.__table__
counter_table, delivery_table = EnquiryCounter.__table__, Delivery.__table__
user_table, release_table, duty_table, contact_table = (User.__table__, Release.__table__, DutyOfficer.__table__,
                                                        Contact.__table__)


class BareEnquiryForm(FlaskForm):
    """The enquiry form's fields and validators, on a plain Flask-WTF form (CSRF on)."""

    name = StringField(validators=[InputRequired(), Length(max=200)])
    outlet = StringField(validators=[InputRequired(), Length(max=200)])
    email = EmailField(validators=[InputRequired(), Email(), Length(max=254)])
    phone = StringField(validators=[Optional(), Length(max=40)])
    kind = RadioField(choices=[kind.value for kind in EnquiryKind], validators=[InputRequired()])
    release = StringField(validators=[Optional(), Length(max=40)])
    subject = StringField(validators=[InputRequired(), Length(max=300)])
    body = TextAreaField(validators=[InputRequired(), Length(max=20_000)])
    deadline_date = DateField(validators=[InputRequired()])
    deadline_time = TimeField(validators=[InputRequired()])
    deadline_zone = RadioField(choices=["BST", "GMT"], validators=[Optional()])
    interviewee = StringField(validators=[Optional(), Length(max=200)])
    interview_format = RadioField(choices=["tv", "radio", "print", "online"], validators=[Optional()])
    interview_mode = RadioField(choices=["live", "recorded"], validators=[Optional()])
    proposed_date = DateField(validators=[Optional()])
    proposed_time = TimeField(validators=[Optional()])
    proposed_zone = RadioField(choices=["BST", "GMT"], validators=[Optional()])
    proposed_place = StringField(validators=[Optional(), Length(max=300)])
    website = StringField(validators=[Optional(), Length(max=200)])


def bare_statements(dialect: str) -> dict[str, Any]:
    """The baseline's SQL, written out by hand with Core and built once."""
    dialect_insert = pg_insert if dialect == "postgresql" else sqlite_insert
    bump = dialect_insert(counter_table).values(year=bindparam("year"), last=1)
    return {
        "release": select(release_table.c.id, user_table.c.id, user_table.c.name, user_table.c.email)
        .outerjoin(user_table, and_(user_table.c.id == release_table.c.contact_id, user_table.c.active))
        .where(release_table.c.reference == bindparam("reference"),
               release_table.c.status.in_(["final", "withdrawn"]),
               release_table.c.public_from <= bindparam("now", type_=UTCDateTime),
               or_(release_table.c.withdrawal_kind.is_(None), release_table.c.withdrawal_kind != "removed")),
        "duty": select(user_table.c.id, user_table.c.name, user_table.c.email)
        .join(duty_table, duty_table.c.user_id == user_table.c.id)
        .where(user_table.c.active).order_by(duty_table.c.id.desc()).limit(1),
        "counter": bump.on_conflict_do_update(index_elements=[counter_table.c.year],
                                              set_={"last": counter_table.c.last + 1}).returning(counter_table.c.last),
        "enquiry": insert(enquiry_table).values(
            contact_id=select(contact_table.c.id).where(contact_table.c.email == bindparam("contact_email"))
            .scalar_subquery()).returning(enquiry_table.c.id),
        "events": insert(event_table),
        "deliveries": insert(delivery_table),
    }


def bare_app() -> Flask:
    """A bare Flask app that takes the enquiry form the plain way and writes the rows the real intake writes.

    Flask's signed cookie session and Flask-WTF's CSRF, as the app has; the same fields and validators; then,
    in one transaction with SQLAlchemy Core: the release's contact (or the duty officer), the year's counter,
    the enquiry (linked to the journalist's contact record), its two timeline entries and its two emails.
    It answers 303 to a signed confirmation link. No rate limit, login, security headers or templates.
    """
    app = Flask(__name__)
    app.config.update(SECRET_KEY=os.environ["SECRET_KEY"], WTF_CSRF_TIME_LIMIT=None)
    CSRFProtect(app)
    confirmation = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="enquiry-sent")
    url = database_uri(os.environ["BENCH_DATABASE_URL"])
    sqlite = url.startswith("sqlite")
    engine = create_engine(url, pool_pre_ping=True, hide_parameters=True,
                           connect_args={"timeout": 15} if sqlite else {"prepare_threshold": None})
    if sqlite:
        database.listen_sqlite(engine)  # WAL, busy timeout and synchronous=NORMAL, as the app has
    sql = bare_statements(engine.dialect.name)

    @app.route("/enquiries/new", methods=["GET", "POST"])
    def new():
        form = BareEnquiryForm()
        if request.method == "GET" or not form.validate():
            return f"<form method=post>{form.csrf_token}</form>", 200 if request.method == "GET" else 422
        now = datetime.now(UTC)
        deadline = datetime.combine(form.deadline_date.data, form.deadline_time.data, LONDON).astimezone(UTC)
        if not now < deadline < now + timedelta(days=366):
            return "Your deadline must be in the future.", 422
        if form.kind.data == EnquiryKind.INTERVIEW and not (form.interviewee.data and form.interview_format.data):
            return "Say who you would like to interview, and how.", 422
        if form.website.data:
            return redirect("/enquiries/sent/received", 303)
        email = form.email.data.strip().lower()
        with engine.begin() as conn, database.prepared_statements(conn):  # as the enquiry form's writes are
            if form.release.data:
                found = conn.execute(sql["release"], {"reference": form.release.data, "now": now}).first()
                if found is None:
                    return "Choose a press release from the list, or none.", 422
                release_id, assignee, routed = found[0], found[1:] if found[1] is not None else None, "release"
            else:
                release_id, assignee, routed = None, conn.execute(sql["duty"]).first(), "duty"
            year = now.astimezone(LONDON).year
            sequence = conn.execute(sql["counter"], {"year": year}).scalar_one()
            enquiry_id = conn.execute(sql["enquiry"], {
                "reference": f"ENQ-{year}-{sequence:04d}", "year": year, "sequence": sequence, "channel": "web",
                "received_at": now, "updated_at": now, "journalist_name": " ".join(form.name.data.split()),
                "outlet": " ".join(form.outlet.data.split()), "email": email, "phone": form.phone.data.strip(),
                "kind": form.kind.data, "release_id": release_id, "subject": " ".join(form.subject.data.split()),
                "body": form.body.data.strip(), "deadline_at": deadline, "status": "new",
                "assignee_id": assignee[0] if assignee else None, "contact_email": email,
            }).scalar_one()
            events = [{"enquiry_id": enquiry_id, "at": now, "kind": "received", "details": {"channel": "web"}}]
            due = max(deadline, now + timedelta(hours=1))
            emails = [{"kind": "enquiry-acknowledgement", "to_address": email, "payload": {"enquiry_id": enquiry_id},
                       "next_attempt_at": now, "deadline_at": due, "created_at": now}]
            if assignee is not None:
                user_id, name, address = assignee
                events.append({"enquiry_id": enquiry_id, "at": now, "kind": "assigned",
                               "details": {"to": name, "to_id": user_id, "routed": routed}})
                emails.insert(0, {"kind": "enquiry-assigned", "to_address": address, "next_attempt_at": now,
                                  "payload": {"enquiry_id": enquiry_id, "user_id": user_id}, "deadline_at": due,
                                  "created_at": now})
            conn.execute(sql["events"], events)
            conn.execute(sql["deliveries"], emails)
        return redirect(f"/enquiries/sent/{confirmation.dumps(enquiry_id)}", 303)

    return app


# --- Data ---------------------------------------------------------------------------------------


@dataclass
class Office:
    """The people and releases the data refers to."""

    officer_ids: list[int]
    officer_emails: list[str]
    manager_email: str
    release_ids: list[int]
    release_references: list[str]


def build_office(app: Flask) -> Office:
    """Migrate, then add the press officers, a manager, twenty public releases and a duty officer."""
    with app.app_context():
        upgrade()
        officers = []
        for name in OFFICERS:
            email = name.lower().replace(" ", ".") + "@northshire.example"
            officers.append(accounts.create_user(db.session, email=email, name=name, role="staff", password=PASSWORD,
                                                 job_title="Press Officer", phone="07700 900123"))
        manager = accounts.create_user(db.session, email="bench.manager@northshire.example", name="Mary Manager",
                                       role="manager", password=PASSWORD, job_title="Head of Communications",
                                       phone="07700 900124")
        made = []
        for n, subject in enumerate(SUBJECTS[:20]):
            release = releases.create_release(
                db.session, by=None, prefix=PREFIX, headline=f"Update on {subject}", standfirst="",
                body=f"The council has published an update on {subject}.", notes_to_editors="", helpline="",
                release_date=clock.now().date(), embargo_at=None, contact_id=officers[n % len(officers)].id,
            )
            releases.finalise_release(db.session, release, by=None)
            made.append(release)
        enquiries.set_duty_officer(db.session, officers[1], by=manager)
        db.session.commit()
        office = Office([u.id for u in officers], [u.email for u in officers], manager.email,
                        [r.id for r in made], [r.reference for r in made])
        db.session.remove()
        return office


def make_rows(rng: random.Random, now: datetime, count: int, office: Office) -> list[dict[str, Any]]:
    """Invent two years of enquiries, oldest first: most long since closed, a few still open or overdue."""
    span = timedelta(days=730)
    moments = sorted(now - span * rng.random() for _ in range(count))
    sequences: dict[int, int] = {}
    rows = []
    for received in moments:
        year = uktime.to_london(received).year
        sequences[year] = sequence = sequences.get(year, 0) + 1
        outlet, domain = OUTLETS[min(len(OUTLETS) - 1, int(rng.paretovariate(1.2)) - 1)]
        first, last = rng.choice(FIRST_NAMES), rng.choice(SURNAMES)
        subject = rng.choice(SUBJECTS)
        place = rng.choice(PLACES)
        kind = weighted(rng, KINDS)
        channel = weighted(rng, CHANNELS)
        assignee = rng.choice(office.officer_ids) if rng.random() < 0.98 else None
        deadline = received + rng.choice(DEADLINES)
        age = now - received
        if age < timedelta(days=2):
            status = weighted(rng, [(EnquiryStatus.NEW, 45), (EnquiryStatus.IN_PROGRESS, 30),
                                    (EnquiryStatus.RESPONDED, 15), (EnquiryStatus.CLOSED, 10)])
        elif age < timedelta(days=14):
            status = weighted(rng, [(EnquiryStatus.NEW, 5), (EnquiryStatus.IN_PROGRESS, 15),
                                    (EnquiryStatus.RESPONDED, 30), (EnquiryStatus.CLOSED, 45),
                                    (EnquiryStatus.DECLINED, 5)])
        else:
            status = weighted(rng, [(EnquiryStatus.NEW, 1), (EnquiryStatus.IN_PROGRESS, 1),
                                    (EnquiryStatus.RESPONDED, 8), (EnquiryStatus.CLOSED, 82),
                                    (EnquiryStatus.DECLINED, 8)])
        answered = closed = outcome = None
        if status not in (EnquiryStatus.NEW, EnquiryStatus.IN_PROGRESS):
            # Most are answered before the deadline; some after it.
            answered = received + (deadline - received) * rng.uniform(0.1, 1.3)
            if status == EnquiryStatus.DECLINED:
                outcome, closed = Outcome.DECLINED, answered
            elif status == EnquiryStatus.CLOSED:
                outcome = weighted(rng, [(Outcome.STATEMENT, 50), (Outcome.BACKGROUND, 25), (Outcome.INTERVIEW, 15),
                                         (Outcome.NO_RESPONSE, 10)])
                closed = answered + timedelta(hours=rng.uniform(0, 48))
        interview = kind == "interview"
        rows.append({
            "reference": enquiries.reference_for(year, sequence), "year": year, "sequence": sequence,
            "channel": channel, "received_at": received, "journalist_name": f"{first} {last}", "outlet": outlet,
            "email": f"{first[0].lower()}.{re.sub(r'[^a-z]', '', last.lower())}@{domain}",
            "phone": f"01632 96{rng.randint(0, 9999):04d}", "kind": kind,
            "release_id": rng.choice(office.release_ids) if rng.random() < 0.3 else None,
            "subject": subject[0].upper() + subject[1:],
            "body": " ".join(rng.choice(QUESTIONS).format(subject=subject, place=place) for _ in range(2)),
            "deadline_at": deadline,
            "interviewee": "The cabinet member" if interview else "",
            "interview_format": rng.choice(["tv", "radio", "print", "online"]) if interview else "",
            "interview_mode": rng.choice(["live", "recorded"]) if interview else "",
            "proposed_at": deadline - timedelta(hours=1) if interview else None,
            "proposed_place": f"{place} town hall" if interview else "",
            "assignee_id": assignee, "status": status, "outcome": outcome,
            "coverage_url": f"https://{domain}/news/{sequence}" if outcome == Outcome.STATEMENT else "",
            "first_response_at": answered, "closed_at": closed, "contact_id": None,
            "logged_by_id": assignee if channel != Channel.WEB else None, "anonymised_at": None,
            "updated_at": closed or answered or received,
        })
    return rows


def insert_rows(app: Flask, rows: Sequence[dict[str, Any]]) -> None:
    """Bulk-insert enquiries, then move each year's counter past the last reference used.

    SQLite takes Core inserts in chunks; PostgreSQL takes COPY, several times faster than executemany there.
    """
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            columns = list(rows[0])
            cursor = db.session.connection().connection.driver_connection.cursor()
            with cursor.copy(f"COPY enquiries ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([value.value if isinstance(value, Enum) else value for value in row.values()])
        else:
            for start in range(0, len(rows), CHUNK):
                db.session.execute(insert(Enquiry.__table__), list(rows[start:start + CHUNK]))
        table = EnquiryCounter.__table__
        dialect_insert = pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
        last: dict[int, int] = {}
        for row in rows:
            last[row["year"]] = max(last.get(row["year"], 0), row["sequence"])
        for year, sequence in last.items():
            statement = dialect_insert(table).values(year=year, last=sequence)
            db.session.execute(statement.on_conflict_do_update(index_elements=[table.c.year],
                                                               set_={"last": statement.excluded.last}))
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            # What autovacuum would have done on a live server that had gathered these rows over two years.
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
        db.session.remove()


# --- (a) Submissions ----------------------------------------------------------------------------


# What one submission writes, by table, and how the report names each table's rows.
SAVED = {"enquiries": "enquiries", "enquiry_events": "timeline entries", "deliveries": "emails"}


@dataclass
class Rate:
    label: str
    requests: int
    seconds: float
    server_cpu: float  # gunicorn's master and workers
    database_cpu: float | None  # the PostgreSQL server's processes; None on SQLite, which runs in the workers
    statuses: dict[int, int] = field(default_factory=dict)
    saved: dict[str, int] = field(default_factory=dict)  # rows added to each table in SAVED

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    @property
    def server_ms(self) -> float:
        return self.server_cpu / self.requests * 1000

    @property
    def database_ms(self) -> float:
        return (self.database_cpu or 0.0) / self.requests * 1000

    @property
    def cpu_ms(self) -> float:
        """Server CPU per submission: gunicorn's, and the database server's when it has processes of its own."""
        return self.server_ms + self.database_ms

    def cpu_text(self) -> str:
        if self.database_cpu is None:
            return f"{self.cpu_ms:.1f} ms (gunicorn)"
        return f"{self.cpu_ms:.1f} ms (gunicorn {self.server_ms:.1f} + PostgreSQL {self.database_ms:.1f})"

    def __add__(self, other: Rate) -> Rate:
        """Two runs of the same app taken together."""
        database_cpu = None if self.database_cpu is None else self.database_cpu + (other.database_cpu or 0.0)
        statuses = {status: self.statuses.get(status, 0) + other.statuses.get(status, 0)
                    for status in self.statuses | other.statuses}
        saved = {table: self.saved[table] + other.saved[table] for table in SAVED}
        return Rate(self.label, self.requests + other.requests, self.seconds + other.seconds,
                    self.server_cpu + other.server_cpu, database_cpu, statuses, saved)

    def saved_text(self) -> str:
        return ", ".join(f"{self.saved[table]:,} {name}" for table, name in SAVED.items())


def saved_rows(engine: Engine) -> dict[str, int]:
    """How many rows each table the intake writes holds now."""
    with engine.connect() as conn:
        return {table: conn.scalar(select(func.count()).select_from(db.metadata.tables[table])) for table in SAVED}


def answers(n: int, release: str) -> dict[str, str]:
    tomorrow = uktime.to_london(clock.now() + timedelta(days=1)).date()
    outlet, domain = OUTLETS[n % len(OUTLETS)]
    subject = SUBJECTS[n % len(SUBJECTS)]
    return {
        "name": f"{FIRST_NAMES[n % len(FIRST_NAMES)]} {SURNAMES[n // len(FIRST_NAMES) % len(SURNAMES)]}",
        "outlet": outlet, "email": f"reporter{n}@{domain}", "phone": "01632 960001", "kind": "comment",
        "release": release, "subject": subject[0].upper() + subject[1:],
        "body": QUESTIONS[n % len(QUESTIONS)].format(subject=subject, place=PLACES[n % len(PLACES)]),
        "deadline_date": tomorrow.isoformat(), "deadline_time": "16:30",
    }


def submit_all(server: Gunicorn, database_server: DatabaseServer | None, engine: Engine, label: str, clients: int,
               count: int, releases_offered: Sequence[str], first: int) -> Rate:
    """Each client takes its session's token from the form first; then all post their share at once, timed.

    The rows in the database are counted before and after, outside the CPU readings: a 303 proves nothing,
    since the honeypot answers 303 too, so every enquiry posted must be found saved.
    """
    browsers = [Browser(server.port) for _ in range(clients)]
    tokens = [browser.token(FORM_PATH) for browser in browsers]
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)

    def run(index: int) -> None:
        start.wait()
        for n in range(first + index, first + count, clients):
            release = releases_offered[n % len(releases_offered)] if n % 3 == 0 else ""
            reply = browsers[index].request("POST", FORM_PATH, answers(n, release) | {"csrf_token": tokens[index]})
            with lock:
                statuses[reply.status] = statuses.get(reply.status, 0) + 1

    threads = [threading.Thread(target=run, args=(index,)) for index in range(clients)]
    for thread in threads:
        thread.start()
    rows_before = saved_rows(engine)
    database_before = database_server.snapshot() if database_server else {}
    cpu = server.cpu_seconds()
    start.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    cpu = server.cpu_seconds() - cpu
    database_cpu = DatabaseServer.used(database_before, database_server.snapshot()) if database_server else None
    rows_after = saved_rows(engine)
    saved = {table: rows_after[table] - rows_before[table] for table in SAVED}
    if saved["enquiries"] != count:
        raise SystemExit(f"{label}: {count} enquiries posted ({statuses} answers) but {saved['enquiries']} saved")
    return Rate(label, count, seconds, cpu, database_cpu, statuses, saved)


def measure_submissions(arguments: argparse.Namespace, env: dict[str, str], directory: Path, url: str,
                        office: Office) -> tuple[Rate, Rate]:
    """Post the enquiries to the app and to the bare form, each under its own gunicorn on the same database.

    The two take turns over a few rounds, each posting the same enquiries in a round, and each going first
    in every other round: a change in the machine's load while they run then falls on both alike.
    """
    warm = arguments.clients * WARMUP
    rounds = min(ROUNDS, arguments.submissions)
    shares = [arguments.submissions // rounds + (n < arguments.submissions % rounds) for n in range(rounds)]
    engine = create_engine(database_uri(url))
    database_server = DatabaseServer(engine.url.database) if engine.dialect.name == "postgresql" else None
    app_env = env | {"BENCH_DATABASE_URL": url}
    totals: dict[str, Rate] = {}
    try:
        with (gunicorn("press:create_app()", app_env, directory, arguments.workers, FORM_PATH) as press_server,
              gunicorn("bench.enquiries:bare_app()", app_env, directory, arguments.workers, FORM_PATH) as bare_server):
            servers = [(PRESS_LABEL, press_server), (BARE_LABEL, bare_server)]
            for label, server in servers:
                submit_all(server, database_server, engine, f"{label} warm-up", arguments.clients, warm,
                           office.release_references, 0)
            first = warm
            for turn, share in enumerate(shares):
                for label, server in servers if turn % 2 == 0 else servers[::-1]:
                    rate = submit_all(server, database_server, engine, label, arguments.clients, share,
                                      office.release_references, first)
                    totals[label] = totals[label] + rate if label in totals else rate
                first += share
    finally:
        engine.dispose()
    press, bare = totals[PRESS_LABEL], totals[BARE_LABEL]
    if bare.saved != press.saved:
        raise SystemExit(f"the bare form saved {bare.saved_text()} where the app saved {press.saved_text()}: "
                         "the baseline must write the same rows")
    return press, bare


# --- (b) The log and (c) the export -------------------------------------------------------------


@dataclass
class LogTiming:
    path: str
    times: list[float]
    shown: int

    @property
    def median_ms(self) -> float:
        return statistics.median(self.times) * 1000


def time_log(browser: Browser, path: str, repeat: int) -> LogTiming | None:
    """Median of repeated GETs of one filtered log page; None while the log is still a placeholder."""
    for _ in range(WARMUP):
        reply = browser.request("GET", path)
        if reply.status != 200:
            raise SystemExit(f"GET {path} answered {reply.status}:\n{reply.body[:2000].decode(errors='replace')}")
    shown = len(set(re.findall(rb"ENQ-\d{4}-\d{4,}", reply.body)))
    if shown == 0:
        return None
    times = [browser.request("GET", path).seconds for _ in range(repeat)]
    return LogTiming(path, times, shown)


@dataclass
class Export:
    rows: int
    seconds: float
    size: int
    rss_before_mb: float
    peak_mb: float

    @property
    def growth_mb(self) -> float:
        return self.peak_mb - self.rss_before_mb


def memory_mb(pid: int, field_name: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1]) / 1024
    raise SystemExit(f"/proc/{pid}/status has no {field_name}")


def export(browser: Browser, pid: int) -> Export | None:
    """Stream the whole log as CSV; the worker's high-water mark is reset first, so its peak is this export's."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")
    before = memory_mb(pid, "VmRSS")
    reply = browser.request("GET", f"{EXPORT_PATH}?status=any", keep=False)
    if reply.status == 404:
        return None
    if reply.status != 200:
        raise SystemExit(f"GET {EXPORT_PATH} answered {reply.status}")
    return Export(reply.rows, reply.seconds, reply.size, before, memory_mb(pid, "VmHWM"))


def measure_log_and_export(arguments: argparse.Namespace, app: Flask, env: dict[str, str], directory: Path,
                           office: Office, rows: list[dict[str, Any]]) -> tuple[Export | None, Export | None, list]:
    """Export the first rows, add the rest, export them all, then time the log; one sync worker throughout."""
    with gunicorn("press:create_app()", env, directory, 1, "/staff/login") as server:
        [pid] = server.worker_pids()
        manager = Browser(server.port)
        manager.sign_in(office.manager_email)
        export(manager, pid)  # the first export loads what every later one uses
        small = export(manager, pid)
        insert_rows(app, rows[arguments.small:])
        large = export(manager, pid)

        staff = Browser(server.port)
        staff.sign_in(office.officer_emails[0])
        busiest = statistics.mode(row["assignee_id"] for row in rows if row["assignee_id"])
        pages = [
            ("open, by deadline", {"status": "open", "sort": "deadline"}),
            ("search 'library'", {"status": "any", "q": "library"}),
            ("one assignee, any status", {"status": "any", "assignee": busiest}),
            ("one release, by received", {"status": "any", "release": office.release_references[3],
                                          "sort": "received"}),
            ("overdue", {"status": "open", "due": "overdue"}),
        ]
        paths = [(label, f"{LOG_PATH}?{urlencode(query)}") for label, query in pages]
        timings = [(label, path, time_log(staff, path, arguments.repeat)) for label, path in paths]
    return small, large, timings


# --- Report -------------------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def print_environment(app: Flask) -> None:
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"Python {platform.python_version()} ({platform.python_implementation()}) on {platform.system()}; "
          f"Flask {metadata.version('flask')}, SQLAlchemy {metadata.version('sqlalchemy')}, "
          f"gunicorn {metadata.version('gunicorn')}")
    print(f"Machine: {os.cpu_count()} CPUs, load average {load} (other work on the machine skews timings)")
    print(f"Database: {database_description(app)}")


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite",
                        help="a fresh SQLite file (default), or a throwaway database on a PostgreSQL server")
    parser.add_argument("--database-url", default=os.environ.get("TEST_DATABASE_URL") or LOCAL_POSTGRES,
                        help="the PostgreSQL server to make the throwaway database on "
                             "(default: $TEST_DATABASE_URL, else %(default)s)")
    parser.add_argument("--enquiries", type=int, default=100_000, help="enquiries in the log (default 100000)")
    parser.add_argument("--small", type=int, default=10_000,
                        help="enquiries in the first, smaller export that memory is compared with (default 10000)")
    parser.add_argument("--submissions", type=int, default=600, help="timed POSTs to each app (default 600)")
    parser.add_argument("--clients", type=int, default=8, help="client threads posting at once (default 8)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers for (a) (default 4)")
    parser.add_argument("--repeat", type=int, default=20, help="timed requests per log page (default 20)")
    parser.add_argument("--seed", type=int, default=2024, help="random seed for the generated enquiries")
    arguments = parser.parse_args(argv)
    if min(arguments.enquiries, arguments.small, arguments.submissions, arguments.clients, arguments.workers,
           arguments.repeat) < 1 or arguments.small >= arguments.enquiries:
        parser.error("every size must be at least 1, and --small less than --enquiries")
    return arguments


def main(argv: Sequence[str] | None = None) -> int:
    """Build the database, run the three measurements and print them with their verdicts."""
    arguments = parse_arguments(argv)
    rng = random.Random(arguments.seed)
    server_url = arguments.database_url if arguments.database == "postgresql" else None
    with throwaway_database(server_url) as url, tempfile.TemporaryDirectory(prefix="press-bench-") as directory:
        folder = Path(directory)
        secret = secrets.token_hex(32)
        config = {"SECRET_KEY": secret, "SQLALCHEMY_DATABASE_URI": url, "PRESS_REF_PREFIX": PREFIX,
                  "PRESS_UPLOAD_DIR": str(folder / "uploads"), "PRESS_IMPORT_DIR": str(folder / "imports")}
        app = create_app(config)
        env = dict(os.environ) | {
            "DATABASE_URL": url, "SECRET_KEY": secret, "PRESS_REF_PREFIX": PREFIX,
            "PRESS_UPLOAD_DIR": config["PRESS_UPLOAD_DIR"], "PRESS_IMPORT_DIR": config["PRESS_IMPORT_DIR"],
            "PRESS_BASE_URL": "http://127.0.0.1",
            # Every client is 127.0.0.1: the per-address limits would stop the benchmark, not a person.
            "PRESS_ENQUIRY_RATE_LIMIT": "1000000 per minute", "PRESS_LOGIN_RATE_LIMIT": "1000 per minute",
        }
        try:
            print_environment(app)
            started = time.perf_counter()
            office = build_office(app)
            rows = make_rows(rng, clock.now(), arguments.enquiries, office)
            insert_rows(app, rows[:arguments.small])
            small, large, timings = measure_log_and_export(arguments, app, env, folder, office, rows)
            print(f"Data: {arguments.enquiries:,} enquiries over two years, "
                  f"{sum(row['status'] in ('new', 'in_progress') for row in rows):,} still open, "
                  f"{len(office.officer_ids)} press officers, {len(office.release_ids)} releases; "
                  f"built, exported and the log timed in {time.perf_counter() - started:.1f} s")
            press, bare = measure_submissions(arguments, env, folder, url, office)
            report(arguments, press, bare, timings, small, large)
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
    return 0


def report(arguments: argparse.Namespace, press: Rate, bare: Rate, timings: list[tuple[str, str, LogTiming | None]],
           small: Export | None, large: Export | None) -> None:
    print()
    print(f"(a) Submissions: {arguments.submissions} POSTs to each from {arguments.clients} client threads in "
          f"{min(ROUNDS, arguments.submissions)} turns each, "
          f"gunicorn --workers {arguments.workers} (sync)")
    for rate in (press, bare):
        answered = ", ".join(f"{count} x {status}" for status, count in sorted(rate.statuses.items()))
        print(f"    {rate.label:<24} {rate.per_second:>8.1f} /s  ({rate.seconds:.2f} s; answered {answered}; "
              f"saved {rate.saved_text()})")
        print(f"    {'':<24} server CPU per submission {rate.cpu_text()}")
    ratio = press.per_second / bare.per_second
    clean = set(press.statuses) == {303} and set(bare.statuses) == {303}
    print(f"    ratio {ratio:.2f} (target >= {RATIO_TARGET}); by server CPU per submission "
          f"{bare.cpu_ms / press.cpu_ms:.2f}{'' if clean else '; some answers were not 303'}")
    print()
    print(f"(b) The log with {arguments.enquiries:,} enquiries, signed in as staff: {WARMUP} warm-up then "
          f"{arguments.repeat} timed GETs per filter")
    measured = [timing for _label, _path, timing in timings if timing is not None]
    for label, path, timing in timings:
        if timing is None:
            print(f"    {label:<26} not measured: the page lists no enquiries (still a placeholder?)  {path}")
        else:
            p95 = sorted(timing.times)[max(0, int(len(timing.times) * 0.95) - 1)] * 1000
            print(f"    {label:<26} median {timing.median_ms:>7.1f} ms  p95 {p95:>7.1f} ms  "
                  f"{timing.shown:>3} shown  {path}")
    print()
    print(f"(c) CSV export ({EXPORT_PATH}?status=any) as a manager, one sync worker")
    for expected, run in ((arguments.small, small), (arguments.enquiries, large)):
        label = f"{expected:,} enquiries"
        if run is not None and run.rows != expected:
            print(f"    warning: the export of {label} held {run.rows:,} rows starting with a reference")
        if run is None:
            print(f"    {label:<20} not measured: the export answered 404 (not built yet?)")
        else:
            print(f"    {label:<20} {run.seconds:>6.2f} s  {run.rows:>7,} rows, {run.size / 1e6:>5.1f} MB  worker RSS "
                  f"{run.rss_before_mb:.1f} MB before, peak {run.peak_mb:.1f} MB (+{run.growth_mb:.1f} MB)")
    print()
    print(f"verdict  (a) submissions / bare form       {verdict(ratio >= RATIO_TARGET and clean)}  "
          f"{ratio:.2f} (target >= {RATIO_TARGET})")
    if measured:
        label, worst = max(((label, timing) for label, _path, timing in timings if timing is not None),
                           key=lambda pair: pair[1].median_ms)
        print(f"verdict  (b) log median, worst filter      {verdict(worst.median_ms < LOG_TARGET_MS)}  "
              f"{worst.median_ms:.1f} ms, {label} (target < {LOG_TARGET_MS:.0f} ms)")
    else:
        print("verdict  (b) log median                   SKIP  the log lists no enquiries yet")
    if small is not None and large is not None:
        print(f"verdict  (c) export time                   {verdict(large.seconds < EXPORT_TARGET_S)}  "
              f"{large.seconds:.2f} s for {arguments.enquiries:,} (target < {EXPORT_TARGET_S:.0f} s)")
        extra = large.growth_mb - small.growth_mb
        print(f"verdict  (c) export memory flat            {verdict(extra < FLAT_MB)}  "
              f"peak growth {large.growth_mb:.1f} MB for {arguments.enquiries:,} against {small.growth_mb:.1f} MB "
              f"for {arguments.small:,} (target: under {FLAT_MB:.0f} MB more)")
    else:
        print("verdict  (c) export                       SKIP  the export is not there yet (404)")


if __name__ == "__main__":
    sys.exit(main())
