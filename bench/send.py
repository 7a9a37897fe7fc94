"""Time the outbox worker: its rate against a bare smtplib loop, its use of a slow relay, its memory, and how soon
mail queued to an idle worker reaches the relay."""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import re
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unicodedata
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import event, func, insert, select, text
from sqlalchemy.engine import Engine

# Run as a script, the project root is not on the path; the shared helpers live in bench/newsroom.py.
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.newsroom import database_description, throwaway_database  # noqa: E402
from press import clock, create_app  # noqa: E402
from press.accounts import services as accounts  # noqa: E402
from press.contacts.models import Contact, ContactStatus, MediaList, contact_lists, new_unsubscribe_key  # noqa: E402
from press.outbox.models import Delivery, DeliveryStatus  # noqa: E402
from press.outbox.processes import shares  # noqa: E402
from press.distribution.services import create_distribution  # noqa: E402
from press.outbox.worker import Worker  # noqa: E402
from press.outbox.queue import enqueue  # noqa: E402
from press.distribution.emails import RELEASE_TEST  # noqa: E402
from tests.mailserver import MailServer  # noqa: E402
from press.extensions import db  # noqa: E402
from press.releases import services as releases  # noqa: E402
from press.releases.models import Release  # noqa: E402

RATIO_TARGET = 0.9  # worker rate / bare smtplib loop rate, the same number of processes on each side, at least
CPU_TARGET = 1.10  # worker CPU per message / the loop's, both counting the database server, at most
SLOW_TARGET = 1.3  # elapsed / ideal against a relay that takes 100 ms per message, at most
MEMORY_TARGET_MB = 200.0  # the worker's peak resident memory, under
LATENCY_TARGET = 2.0  # seconds from the commit that queued a message to the relay's 250, at worst, at most
IDLE_GAP = (0.2, 1.2)  # seconds the worker is left idle before each message of (d), drawn at random
ACCEPT_DELAY = 0.1
PREFIX = "NCC"
SENDER = "Northshire Council Press Office <press@northshire.example>"
BASE_URL = "https://news.northshire.example"
CONTACT_PASSWORD = "benchmark contact password"
CHUNK = 5000  # rows per bulk insert: well under PostgreSQL's 65,535 parameters per statement

FIRST_NAMES = ["Oliver", "Amelia", "George", "Isla", "Harry", "Ava", "Noah", "Priya", "Rhys", "Siân", "Zoë",
               "Muhammad", "Niamh", "Callum", "Aisha", "Ffion", "Tom", "Helen", "Dafydd", "Mei"]
SURNAMES = ["Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Patel", "Khan", "O'Neill",
            "Hughes", "Clarke", "Begum", "Murphy", "Campbell", "Llewellyn", "Okafor", "Nair", "Ahmed", "Walsh"]
OUTLETS = [("Northshire Gazette", "gazette.example"), ("BBC Radio Northshire", "bbc.example"),
           ("Eastgate Echo", "echo.example"), ("Press Association", "pa.example"),
           ("Northshire Live", "live.example"), ("Yorkshire Post", "ypn.example")]
BODY = (
    "Northshire Council has confirmed that the new library in Eastgate will open on Monday, after two years "
    "of building work and a consultation in which 4,210 residents took part.\n\n"
    "The library will be open every day from 9am to 8pm, with a children's area, a makerspace, study rooms "
    "and free wifi. Officers have written to every household in Eastgate with details of the opening week.\n\n"
    'Councillor Helen Marsh, cabinet member for communities and leisure, said: "This is a long-term '
    'investment in Eastgate, and residents will see the difference from the first day."\n\n'
    "## What happens next\n\n"
    "- Library cards can be renewed online from today.\n"
    "- A programme of events for the opening week is on the council's website.\n"
    "- Progress reports will be published every quarter.\n\n"
    "The project cost £6.4 million, funded from the council's capital programme and a government grant. "
    "The building is heated by air-source heat pumps and has solar panels on its roof.\n"
)


@dataclass
class Bench:
    """The app that sends to smtp-sink, the data made for it and where it all lives."""

    app: Flask
    release_id: int
    lists: dict[str, int]
    directory: Path
    url: str
    secret: str


@dataclass
class Throughput:
    label: str
    messages: int
    seconds: float
    cpu_seconds: float  # this process's CPU time, every thread: steadier than wall time on a busy machine
    queries: int = 0
    query_seconds: float = 0.0
    database_cpu_seconds: float | None = None  # the PostgreSQL server's, where it was measured

    @property
    def rate(self) -> float:
        """Messages a second; none when no time passed between the first and the last (one message, or none
        arrived before a busy machine's time limit), rather than a division by zero."""
        return self.messages / self.seconds if self.seconds > 0 else 0.0


@dataclass
class WorkerRun:
    """`flask press worker --once` run as a command: what the sink saw, and the processes' memory."""

    label: str
    sent: int = 0
    seconds: float = 0.0  # the whole command, from starting it until it exited
    first_at: float | None = None  # seconds from the start until the sink had the first message
    last_at: float | None = None  # ... and the last
    cpu_seconds: float = 0.0  # the command and every process it started, all threads, start-up included
    database_cpu_seconds: float = 0.0  # the PostgreSQL server's processes meanwhile (none for SQLite)
    peaks: dict[tuple[int, str], float] = field(default_factory=dict)  # (pid, what it is): VmHWM MB
    # The highest sum, at one moment, of the peaks of the processes alive at that moment: the worker's peak.
    together: float = 0.0
    samples: list[tuple[float, int, float]] = field(default_factory=list)  # (seconds, sent, RSS of all, MB)
    exit_code: int | None = None

    @property
    def window(self) -> float:
        """Seconds from the sink's first message to its last."""
        return (self.last_at or 0.0) - (self.first_at or 0.0)

    @property
    def sending_rate(self) -> float:
        """Messages a second between the first and the last, which leaves out starting the processes."""
        return (self.sent - 1) / self.window if self.sent > 1 and self.window > 0 else 0.0

    def worker_peaks(self) -> list[float]:
        return [peak for (_, what), peak in self.peaks.items() if what == "worker"]

    def throughput(self) -> Throughput:
        """As a row of the table: timed between the sink's first and last message."""
        return Throughput(self.label, self.sent, self.window * self.sent / max(1, self.sent - 1), self.cpu_seconds,
                          database_cpu_seconds=self.database_cpu_seconds)

    def cpu_per_message(self) -> float:
        """CPU seconds per message of every process on this side and of the database server."""
        return (self.cpu_seconds + self.database_cpu_seconds) / max(1, self.sent)


class StatementMeter:
    """Count SQL statements and the time spent inside cursor.execute, from any thread."""

    def __init__(self, engine: Engine) -> None:
        self.count = 0
        self.seconds = 0.0
        self.lock = threading.Lock()
        self.engine = engine
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        conn.info["bench_started"] = time.perf_counter()

    def _after(self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        elapsed = time.perf_counter() - conn.info.pop("bench_started", time.perf_counter())
        with self.lock:
            self.count += 1
            self.seconds += elapsed

    def take(self) -> tuple[int, float]:
        """The counts so far, and start again from zero."""
        with self.lock:
            counts = (self.count, self.seconds)
            self.count, self.seconds = 0, 0.0
        return counts

    def close(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._before)
        event.remove(self.engine, "after_cursor_execute", self._after)


# --- Sinks --------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the sink exited with {process.returncode} before it listened")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"nothing listened on 127.0.0.1:{port} after {timeout} s")


def find_smtp_sink() -> str:
    found = shutil.which("smtp-sink") or ("/usr/sbin/smtp-sink" if os.access("/usr/sbin/smtp-sink", os.X_OK) else None)
    if found is None:
        raise SystemExit("smtp-sink is not installed; it comes with Postfix: "
                         "apt-get install -y postfix (the mail service itself need not run)")
    return found


class Sink:
    """A sink process on loopback that counts what it accepted."""

    process: subprocess.Popen

    def received(self) -> int:
        raise NotImplementedError

    def wait_for(self, count: int, timeout: float = 10) -> int:
        deadline = time.monotonic() + timeout
        while self.received() < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.received()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
        self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


class SmtpSink(Sink):
    """Postfix's smtp-sink on loopback: accepts every message and keeps nothing, counting them."""

    def __init__(self, binary: str, directory: Path) -> None:
        self.port = free_port()
        self.counters = directory / f"smtp-sink-{self.port}.out"
        command = [binary, "-c", f"127.0.0.1:{self.port}", "1000"]
        if os.geteuid() == 0:
            command[1:1] = ["-u", "nobody"]  # smtp-sink refuses to keep root privileges
        with self.counters.open("wb") as output:
            self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT)
        wait_for_port(self.port, self.process)

    def received(self) -> int:
        """Messages accepted so far: the last "mesg=N" of its running counters (only their tail is read)."""
        with self.counters.open("rb") as counters:
            counters.seek(max(0, counters.seek(0, os.SEEK_END) - 256))
            found = re.findall(rb"mesg=(\d+)", counters.read())
        return int(found[-1]) if found else 0


class SlowSink(Sink):
    """tests/mailserver.py as a process, taking ACCEPT_DELAY seconds to accept each message."""

    def __init__(self, directory: Path) -> None:
        self.log = directory / "slow-sink.jsonl"
        self.log.touch()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.mailserver", "--port", "0", "--accept-delay", str(ACCEPT_DELAY),
             "--lenient", "--discard", "--log", str(self.log)],
            cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )
        assert self.process.stdout is not None
        first = self.process.stdout.readline().strip()
        if not first.isdigit():
            self.stop()
            raise SystemExit("python -m tests.mailserver did not print its port")
        self.port = int(first)
        self.read_to, self.lines = 0, 0

    def received(self) -> int:
        """Lines in its log so far, counting only what was added since the last call."""
        with self.log.open("rb") as log:
            log.seek(self.read_to)
            added = log.read()
        complete = added.rfind(b"\n") + 1
        self.read_to += complete
        self.lines += added.count(b"\n", 0, complete)
        return self.lines



# --- Data ---------------------------------------------------------------------------------------


def plain(name: str) -> str:
    """A name as the ASCII letters of an email address: Siân becomes sian, O'Neill oneill."""
    return re.sub(r"[^a-z]", "", unicodedata.normalize("NFKD", name).lower())


def build(app: Flask, sizes: dict[str, int]) -> tuple[int, dict[str, int]]:
    """Migrate, add a media contact, a final release and as many contacts as the largest list, bulk-inserted.

    Each list holds the first N contacts; a distribution to it is made only when its part runs.
    """
    with app.app_context():
        upgrade()
        user = accounts.create_user(db.session, email="jane.contact@northshire.example", name="Jane Contact",
                                    role="manager", password=CONTACT_PASSWORD, job_title="Communications Manager",
                                    phone="07700 900123")
        release = releases.create_release(
            db.session, by=None, prefix=PREFIX, headline="New library opens in Eastgate on Monday",
            standfirst="The library will be open every day, with a children's area and a makerspace.",
            body=BODY, notes_to_editors="1. Photographs are available on request.\n2. Interviews can be arranged.",
            helpline="", release_date=clock.now().date(), embargo_at=None, contact_id=user.id,
        )
        releases.finalise_release(db.session, release, by=None)
        db.session.commit()
        release_id = release.id
        now = clock.now()
        total = max(sizes.values())
        for start in range(0, total, CHUNK):
            rows = []
            for n in range(start, min(total, start + CHUNK)):
                first, last = FIRST_NAMES[n % len(FIRST_NAMES)], SURNAMES[n // len(FIRST_NAMES) % len(SURNAMES)]
                outlet, domain = OUTLETS[n % len(OUTLETS)]
                local = ".".join(plain(part) for part in (first, last))
                rows.append({"name": f"{first} {last}", "email": f"{local}{n}@{domain}", "outlet": outlet,
                             "status": ContactStatus.ACTIVE, "unsubscribe_key": new_unsubscribe_key(),
                             "created_at": now, "updated_at": now})
            db.session.execute(insert(Contact.__table__), rows)
        lists = {}
        for name, size in sizes.items():
            media_list = MediaList(name=name)
            db.session.add(media_list)
            db.session.flush()
            first_contacts = select(Contact.id, media_list.id).order_by(Contact.id).limit(size)
            db.session.execute(insert(contact_lists).from_select(["contact_id", "list_id"], first_contacts))
            lists[name] = media_list.id
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
        db.session.remove()
        return release_id, lists


def distribute(bench: Bench, list_name: str) -> int:
    """A distribution of the release to one list, committed; returns how many deliveries it wrote."""
    with bench.app.app_context():
        release = db.session.get(Release, bench.release_id)
        distribution = create_distribution(
            db.session, release, list_ids=[bench.lists[list_name]], contact_ids=[], at=None, stop_after=None,
            request_key=f"bench-{secrets.token_hex(8)}", by=None,
        )
        db.session.commit()
        written = db.session.scalar(select(func.count()).select_from(Delivery)
                                    .where(Delivery.distribution_id == distribution.id))
        db.session.remove()
        return written


def unfinished(app: Flask) -> dict[str, int]:
    """Deliveries in any state other than sent, by state."""
    with app.app_context():
        rows = db.session.execute(select(Delivery.status, func.count()).where(Delivery.status != DeliveryStatus.SENT)
                                  .group_by(Delivery.status)).all()
        db.session.remove()
        return {str(status): n for status, n in rows}


# --- (a) The worker against a bare smtplib loop -------------------------------------------------


def drain(app: Flask, meter: StatementMeter, label: str, expected: int, sink: Sink,
          connections: int | None = None) -> Throughput:
    """Send everything due with Worker(app).run(once=True), in this process, and check it all arrived."""
    config = app.config
    default_connections = config["PRESS_SMTP_CONNECTIONS"]
    if connections is not None:
        config["PRESS_SMTP_CONNECTIONS"] = connections
    try:
        before = sink.received()
        meter.take()
        started, cpu = time.perf_counter(), time.process_time()
        handled = Worker(app).run(once=True)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        queries, query_seconds = meter.take()
    finally:
        config["PRESS_SMTP_CONNECTIONS"] = default_connections
    arrived = sink.wait_for(before + expected) - before
    left = unfinished(app)
    if handled != expected or arrived != expected or left:
        raise SystemExit(f"{label}: the worker handled {handled} of {expected}, the sink counted {arrived}, "
                         f"and deliveries not sent: {left or 'none'}")
    return Throughput(label, expected, seconds, cpu, queries, query_seconds)


# --- (d) Latency at idle ------------------------------------------------------------------------


def latencies(bench: Bench, count: int) -> list[float]:
    """Run `flask press worker` (one process, as deployed) and queue `count` messages one at a time, each
    after the worker has been idle for a while; each message's seconds from its commit to the relay's 250.

    The relay is tests/mailserver.py in this process, which notes the time of each message as it answers
    250 to its DATA; the commit's time is taken as it returns. One message first, not counted, waits for the
    worker to start.
    """
    server = MailServer(strict=False)
    server.start()
    env = worker_environment(bench, server.port, None)
    log = bench.directory / "latency-worker.log"
    with log.open("wb") as output:
        process = subprocess.Popen([sys.executable, "-m", "flask", "press", "worker"], cwd=ROOT, env=env,
                                   stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT)
    seconds: list[float] = []
    try:
        for number in range(count + 1):
            if number:
                time.sleep(random.uniform(*IDLE_GAP))
            with bench.app.app_context():
                enqueue(db.session, kind=RELEASE_TEST, to_address=f"latency{number}@gazette.example",
                        payload={"release_id": bench.release_id})
                db.session.commit()
                committed = time.time()
                db.session.remove()
            try:
                arrived = server.wait_for(number + 1, timeout=60 if number == 0 else 30)[-1]
            except TimeoutError:
                raise SystemExit(f"(d): message {number} did not arrive:\n{log.read_text(errors='replace')[-2000:]}") from None
            if number:
                seconds.append(arrived.received_at - committed)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        server.stop()
    return seconds


# --- (c) Memory of a worker process -------------------------------------------------------------


def memory_status(pid: int) -> tuple[float, float]:
    """VmRSS and VmHWM (the peak) of a live process, in MB; zeros once it has gone."""
    values = {"VmRSS": 0.0, "VmHWM": 0.0}
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                name, _, rest = line.partition(":")
                if name in values:
                    values[name] = int(rest.split()[0]) / 1024
    except (FileNotFoundError, ProcessLookupError, ValueError):
        pass
    return values["VmRSS"], values["VmHWM"]


def process_tree(pid: int) -> list[int]:
    """A process and all its descendants, read from /proc."""
    found, waiting = [], [pid]
    while waiting:
        current = waiting.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                waiting.extend(int(child) for child in task.read_text().split())
            except (FileNotFoundError, ProcessLookupError):
                pass
    return found


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def database_server_cpu(url: str) -> float:
    """CPU seconds used so far by the local PostgreSQL server's processes, with the backends that have exited
    (the postmaster's children's time); 0 for SQLite, which runs inside the processes measured."""
    if not url.startswith("postgresql"):
        return 0.0
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        name, fields = text[text.index("(") + 1:text.rindex(")")], text[text.rindex(")") + 2:].split()
        if name == "postgres" or name.startswith("postgres:"):
            # utime, stime, cutime, cstime: fields 14 to 17 of proc(5), counted from the state (field 3).
            ticks += sum(int(value) for value in fields[11:15])
    return ticks / CLOCK_TICKS


def process_kind(pid: int, top: int) -> str:
    """What a process in a worker command's tree is: the command (the supervisor it becomes), or a worker;
    in the baseline's, the loop's parent or one of its loops."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (FileNotFoundError, ProcessLookupError):
        return "gone"
    if b"send_loop.py" in command:
        return "loop" if b"\0--child\0" in command else "loop parent"
    if pid == top:
        # `flask press worker --processes N` loads the app, then replaces itself with a small supervisor.
        return "supervisor" if b"press.outbox.processes" in command else "command"
    # A child the supervisor has forked but not yet started as a worker still shows the supervisor's command.
    return "worker" if b"\0--child" in command else "starting"


def worker_environment(bench: Bench, port: int, connections: int | None) -> dict[str, str]:
    """The environment of a worker process as a deployment gives it; the relay's rate is not limited."""
    env = dict(os.environ)
    env.update({
        "FLASK_APP": "app.py",
        "DATABASE_URL": bench.url,
        "SECRET_KEY": bench.secret,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(port),
        "MAIL_DEFAULT_SENDER": SENDER,
        "PRESS_BASE_URL": BASE_URL,
        "PRESS_REF_PREFIX": PREFIX,
        "PRESS_UPLOAD_DIR": str(bench.directory / "uploads"),
        "PRESS_SEND_RATE_PER_MINUTE": "0",
    })
    for name in ("PRESS_SMTP_CONNECTIONS", "PRESS_LEASE_SECONDS", "PRESS_WORKER_PROCESSES"):
        env.pop(name, None)  # the defaults, as in production
    if connections is not None:
        env["PRESS_SMTP_CONNECTIONS"] = str(connections)
    return env


def run_worker_command(bench: Bench, sink: Sink, expected: int, label: str, processes: int,
                       connections: int | None = None, limit_seconds: float = 0.0) -> WorkerRun:
    """Run `flask press worker --once --processes N`, watching the sink and the memory of every process."""
    command = [sys.executable, "-m", "flask", "press", "worker", "--once", "--processes", str(processes)]
    return run_command(bench, sink, expected, label, command, worker_environment(bench, sink.port, connections),
                       limit_seconds)


def run_loop_command(bench: Bench, sink: Sink, list_name: str, expected: int, processes: int) -> WorkerRun:
    """Run the baseline, bench/send_loop.py: the bare smtplib loop as N processes over N connections."""
    command = [sys.executable, str(ROOT / "bench" / "send_loop.py"), "--processes", str(processes),
               "--list-id", str(bench.lists[list_name]), "--release-id", str(bench.release_id)]
    return run_command(bench, sink, expected, f"bare smtplib loop, {processes} proc., {processes} conn.", command,
                       worker_environment(bench, sink.port, None))


def run_command(bench: Bench, sink: Sink, expected: int, label: str, command: list[str], env: dict[str, str],
                limit_seconds: float = 0.0) -> WorkerRun:
    """Run a sending command, watching the sink, the memory of every process and the database server's CPU.

    The sink is read every few milliseconds, for when the first and last messages arrived; the processes'
    memory every tenth of a second. With limit_seconds, the command is stopped with SIGTERM after that long.
    """
    log = bench.directory / "worker.log"
    before = sink.received()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    database_before = database_server_cpu(bench.url)
    with log.open("wb") as output:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=output,
                                   stderr=subprocess.STDOUT)
    run = WorkerRun(label)
    started = time.perf_counter()
    seen, stopped_at, next_memory, next_sample = 0, None, 0.0, 0.0
    try:
        while True:
            elapsed = time.perf_counter() - started
            received = sink.received() - before
            if received > seen:
                seen, run.last_at = received, elapsed
                run.first_at = elapsed if run.first_at is None else run.first_at
            exited = process.poll() is not None
            if not exited and elapsed >= next_memory:
                total = peaks = 0.0
                for pid in process_tree(process.pid):
                    rss, peak = memory_status(pid)
                    # Read each time: the command's process becomes the supervisor, whose peak starts afresh.
                    key = (pid, process_kind(pid, process.pid))
                    if key[1] != "starting":  # counted in the sum below, but becomes a worker a moment later
                        run.peaks[key] = max(peak, run.peaks.get(key, 0.0))
                    total += rss
                    peaks += peak
                run.together = max(run.together, peaks)
                if elapsed >= next_sample and total:
                    run.samples.append((elapsed, received, total))
                    next_sample = elapsed + 1.0
                next_memory = elapsed + 0.1
            if limit_seconds and elapsed >= limit_seconds and stopped_at is None and not exited:
                process.send_signal(signal.SIGTERM)
                stopped_at = elapsed
            if exited:
                run.seconds = run.seconds or elapsed
                # The sink's counters can trail the command's exit by a moment.
                if seen >= expected or stopped_at is not None or elapsed - run.seconds > 2:
                    break
            time.sleep(0.005)
        run.exit_code = process.wait(60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    run.cpu_seconds = (after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime)
    # The server's backends for this command's connections have exited by now: their time is the postmaster's.
    run.database_cpu_seconds = database_server_cpu(bench.url) - database_before
    run.sent = sink.wait_for(before + expected, timeout=2 if stopped_at is None else 0.5) - before
    if run.exit_code != 0:
        raise SystemExit(f"{label}: the command exited {run.exit_code}:\n{log.read_text(errors='replace')[-2000:]}")
    if stopped_at is None and run.sent != expected:
        raise SystemExit(f"{label}: the sink counted {run.sent} of {expected}")
    return run


def growth_per_10k(samples: Sequence[tuple[float, int, float]]) -> float | None:
    """Resident memory gained per 10,000 messages after warming up: a least-squares slope, in MB."""
    warm = [(sent, rss) for _, sent, rss in samples if sent >= 1000]
    if len(warm) < 3 or warm[-1][0] - warm[0][0] < 1000:
        return None
    mean_x = sum(x for x, _ in warm) / len(warm)
    mean_y = sum(y for _, y in warm) / len(warm)
    spread = sum((x - mean_x) ** 2 for x, _ in warm)
    return sum((x - mean_x) * (y - mean_y) for x, y in warm) / spread * 10_000


# --- Report -------------------------------------------------------------------------------------


def share(part: float, whole: float) -> float:
    """A ratio, or NaN (printed as nan, and failing every verdict) when its baseline measured nothing."""
    return part / whole if whole else float("nan")


def verdict(label: str, ok: bool, detail: str) -> None:
    print(f"verdict  {label:<34} {'PASS' if ok else 'FAIL'}  {detail}")


def parse_arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=10_000, help="messages for the rate against smtplib (10000)")
    parser.add_argument("--slow-messages", type=int, default=2_000,
                        help="messages to the relay taking 100 ms each (2000)")
    parser.add_argument("--slow-connections", default="4,8", help="connections to try against it (4,8)")
    parser.add_argument("--memory-recipients", type=int, default=100_000,
                        help="recipients queued for the worker process whose memory is followed (100000)")
    parser.add_argument("--memory-seconds", type=float, default=30.0,
                        help="stop that worker with SIGTERM after this long; 0 lets it send to everyone (30)")
    parser.add_argument("--latency-messages", type=int, default=100,
                        help="messages queued one by one to an idle worker, for the latency (100)")
    parser.add_argument("--processes", type=int, default=os.cpu_count() or 1,
                        help="worker processes (flask press worker --processes N) for (a), (b) and (c) "
                             "(default: the machine's CPU count)")
    parser.add_argument("--connections", type=int, default=None,
                        help="relay connections in all for (a) and (c), shared by the processes (default: the "
                             "larger of PRESS_SMTP_CONNECTIONS's default and --processes)")
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL server URL such as postgresql://postgres@127.0.0.1:5432/postgres (a throwaway "
             "database is created on it and dropped at the end), or any other URL naming an empty database; "
             "default: a fresh SQLite file in a temporary directory",
    )
    arguments = parser.parse_args(argv)
    arguments.slow_connections = [int(n) for n in arguments.slow_connections.split(",") if n.strip()]
    if min(arguments.messages, arguments.slow_messages, arguments.memory_recipients, arguments.latency_messages) < 1:
        parser.error("--messages, --slow-messages, --memory-recipients and --latency-messages must be at least 1")
    if not arguments.slow_connections or min(arguments.slow_connections) < 1:
        parser.error("--slow-connections takes positive numbers, such as 4,8")
    if arguments.processes < 1 or (arguments.connections is not None and arguments.connections < 1):
        parser.error("--processes and --connections must be at least 1")
    return arguments


@contextmanager
def stopping(*sinks: Sink) -> Iterator[None]:
    try:
        yield
    finally:
        for sink in sinks:
            sink.stop()


def bench_app(url: str, work: Path, secret: str, port: int) -> Flask:
    """The app as the worker sees it; Flask-Mail reads the relay's address once, when the app is made."""
    return create_app({
        "TESTING": False,
        "SECRET_KEY": secret,
        "SQLALCHEMY_DATABASE_URI": url,
        "PRESS_BASE_URL": BASE_URL,
        "PRESS_REF_PREFIX": PREFIX,
        "PRESS_UPLOAD_DIR": str(work / "uploads"),
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": port,
        "MAIL_DEFAULT_SENDER": SENDER,
        "PRESS_SEND_RATE_PER_MINUTE": 0,
    })


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parse_arguments(argv)
    binary = find_smtp_sink()
    with (
        throwaway_database(arguments.database_url) as url,
        tempfile.TemporaryDirectory(prefix="press-bench-send-") as directory,
    ):
        work = Path(directory)
        secret = secrets.token_hex(32)
        sink = SmtpSink(binary, work)
        with stopping(sink):
            slow = SlowSink(work)
            with stopping(slow):
                app = bench_app(url, work, secret, sink.port)
                try:
                    return measure_all(arguments, app, url, work, secret, sink, slow, binary)
                finally:
                    with app.app_context():
                        db.session.remove()
                        db.engine.dispose()


def measure_all(arguments: argparse.Namespace, app: Flask, url: str, work: Path, secret: str,
                sink: SmtpSink, slow: SlowSink, binary: str) -> int:
    print(f"Python {platform.python_version()} ({platform.python_implementation()}) on {platform.system()}; "
          f"Flask {metadata.version('flask')}, SQLAlchemy {metadata.version('sqlalchemy')}")
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"Machine: {os.cpu_count()} CPUs, load average {load} (other work on the machine skews timings)")
    version = ""
    if shutil.which("postconf"):
        found = subprocess.run(["postconf", "-dh", "mail_version"], capture_output=True, text=True, check=False)
        version = f" (Postfix {found.stdout.strip()})" if found.returncode == 0 else ""
    print(f"Sinks: {binary}{version} on 127.0.0.1:{sink.port}; python -m tests.mailserver "
          f"--accept-delay {ACCEPT_DELAY} --lenient --discard on 127.0.0.1:{slow.port}")

    started = time.perf_counter()
    sizes = {"rate": arguments.messages, "slow": arguments.slow_messages, "memory": arguments.memory_recipients}
    release_id, lists = build(app, sizes)
    bench = Bench(app, release_id, lists, work, url, secret)
    print(f"Database: {database_description(app)}")
    print(f"Data: one final release, {max(sizes.values()):,} contacts bulk-inserted, built in "
          f"{time.perf_counter() - started:.1f} s")
    default_connections = app.config["PRESS_SMTP_CONNECTIONS"]
    processes = arguments.processes
    connections = arguments.connections or max(default_connections, processes)
    plan = shares(processes, connections, 0)
    split_up = " + ".join(str(share.connections) for share in plan)
    print(f"Worker: `flask press worker --once --processes {processes}` as a command for (a), (b) and (c): "
          f"{len(plan)} processes, PRESS_SMTP_CONNECTIONS={processes} for (a) (one each, as the loop), "
          f"{connections} ({split_up}) for (c), "
          f"PRESS_SEND_RATE_PER_MINUTE=0, lease {app.config['PRESS_LEASE_SECONDS']} s")
    print(f"        also, for comparison, one Worker in this process with {default_connections} connections "
          f"(the default), whose SQL is counted")
    print()

    # (a) The rate and the CPU per message, against the same messages sent by a bare loop; the same number of
    # processes and connections on each side. Each side runs twice, taking turns, and each side's better run
    # counts (the same choice on both sides: one run of either can be a quarter dearer than the next).
    with app.app_context():
        meter = StatementMeter(db.engine)
    try:
        written = distribute(bench, "rate")
        single = drain(app, meter, f"worker in this process, {default_connections} conn.", written, sink)
    finally:
        meter.close()
    loops, workers = [], []
    for _turn in range(2):
        loops.append(run_loop_command(bench, sink, "rate", arguments.messages, processes))
        written = distribute(bench, "rate")
        workers.append(run_worker_command(bench, sink, written, f"worker, {processes} processes, {processes} conn.",
                                          processes, processes))
        left = unfinished(app)
        if left:
            raise SystemExit(f"(a): deliveries not sent after the worker command: {left}")
    bare = min(loops, key=WorkerRun.cpu_per_message)
    pooled = min(workers, key=WorkerRun.cpu_per_message)
    ratio = share(max(run.sending_rate for run in workers), max(run.sending_rate for run in loops))
    cpu_ratio = share(pooled.cpu_per_message(), bare.cpu_per_message())

    # (b) A relay that takes 100 ms to accept each message; the same connections in all, shared out.
    slow_runs = []
    for count in arguments.slow_connections:
        written = distribute(bench, "slow")
        slow_plan = shares(processes, count, 0)
        slow_runs.append((count, run_worker_command(
            bench, slow, written, f"slow relay, {len(slow_plan)} proc., {count} conn.", processes, count)))

    # (c) The worker command with a long distribution waiting.
    written = distribute(bench, "memory")
    memory = run_worker_command(bench, sink, written, f"worker command, {written:,} queued", processes,
                                connections, limit_seconds=arguments.memory_seconds)

    # (d) How soon mail queued to an idle worker reaches the relay.
    waits = latencies(bench, arguments.latency_messages)

    print(f"{'measurement':<36} {'messages':>8} {'seconds':>8} {'msg/s':>7} {'CPU ms/msg':>10} {'DB CPU':>7} "
          f"{'SQL/msg':>7} {'db ms/msg':>9}")
    rows = ([single] + [run.throughput() for pair in zip(loops, workers, strict=True) for run in pair]
            + [run.throughput() for _, run in slow_runs] + [memory.throughput()])
    for row in rows:
        per_message = f"{row.queries / row.messages:>7.1f} {row.query_seconds * 1000 / row.messages:>9.2f}" \
            if row.queries else f"{'-':>7} {'-':>9}"
        server = f"{row.database_cpu_seconds * 1000 / max(1, row.messages):>7.2f}" \
            if row.database_cpu_seconds is not None and url.startswith("postgresql") else f"{'-':>7}"
        print(f"{row.label:<36} {row.messages:>8,} {row.seconds:>8.2f} {row.rate:>7.1f} "
              f"{row.cpu_seconds * 1000 / max(1, row.messages):>10.2f} {server} {per_message}")
    print("(seconds: for the commands, from the sink's first message to its last, which leaves out starting the")
    print(" processes and loading the app in each; the whole command's time is given below.")
    print(" CPU ms/msg: CPU time of the sending processes, all threads, per message; for a command that is every")
    print(" process it ran, start-up included. DB CPU: ms per message of the PostgreSQL server's processes")
    print(" meanwhile, read from /proc. SQL/msg and db ms/msg: statements per message and time inside")
    print(" cursor.execute, counted only in this process. The bare loop (bench/send_loop.py, run before and after")
    print(" the worker) builds each message as the worker does, with release_message, and sends it with")
    print(" smtplib; it records nothing.)")
    print()

    whole, bare_whole = pooled.sent / pooled.seconds, bare.sent / bare.seconds
    worker_memory = pooled.worker_peaks()
    loop_memory = [peak for (_, kind), peak in bare.peaks.items() if kind == "loop"]
    print(f"(a) rate: worker, {processes} processes {max(run.sending_rate for run in workers):.1f} msg/s / bare smtplib "
          f"loop, {processes} processes {max(run.sending_rate for run in loops):.1f} msg/s = {ratio:.2f} (the better run "
          "of each)")
    print(f"    over the whole command, start-up included: worker {pooled.seconds:.1f} s ({whole:.1f} msg/s, first "
          f"message after {pooled.first_at or 0:.1f} s), loop {bare.seconds:.1f} s ({bare_whole:.1f} msg/s, first "
          f"after {bare.first_at or 0:.1f} s) = {share(whole, bare_whole):.2f}")
    print(f"    CPU per message, every process and the database server: worker {pooled.cpu_per_message() * 1000:.2f} ms "
          f"({pooled.cpu_seconds * 1000 / pooled.sent:.2f} + server {pooled.database_cpu_seconds * 1000 / pooled.sent:.2f})"
          f" / loop {bare.cpu_per_message() * 1000:.2f} ms ({bare.cpu_seconds * 1000 / bare.sent:.2f} + server "
          f"{bare.database_cpu_seconds * 1000 / bare.sent:.2f}) = {cpu_ratio:.2f}, the cheaper run of each; worker runs: "
          + ", ".join(f"{run.cpu_per_message() * 1000:.2f} ms" for run in workers) + "; loop runs: "
          + ", ".join(f"{loop.cpu_per_message() * 1000:.2f} ms" for loop in loops))
    print("    memory per process (VmHWM): worker processes "
          + ", ".join(f"{peak:.1f} MB" for peak in sorted(worker_memory))
          + "; the command before it became the supervisor "
          + ", ".join(f"{peak:.1f} MB" for (_, kind), peak in pooled.peaks.items() if kind == "command")
          + "; loop processes " + ", ".join(f"{peak:.1f} MB" for peak in sorted(loop_memory)))
    print(f"    one Worker in this process, {default_connections} connections: {single.rate:.1f} msg/s, "
          f"{single.cpu_seconds * 1000 / single.messages:.2f} ms CPU per message (this process only)")
    for count, run in slow_runs:
        ideal = run.sent * ACCEPT_DELAY / count
        seconds = run.throughput().seconds
        print(f"(b) slow relay, {count} connections over {len(shares(processes, count, 0))} processes: "
              f"{seconds:.1f} s / ideal {ideal:.1f} s = {seconds / ideal:.2f} "
              f"(whole command {run.seconds:.1f} s = {run.seconds / ideal:.2f})")
    growth = growth_per_10k(memory.samples)
    first_rss = next((rss for _, sent, rss in memory.samples if sent >= 1000), None)
    last_rss = memory.samples[-1][2] if memory.samples else 0.0
    peaks = sorted((kind, peak) for (_, kind), peak in memory.peaks.items() if kind != "gone")
    together = memory.together
    largest = max(memory.worker_peaks() or [peak for _, peak in peaks])
    stopped = "" if memory.sent >= written else f", stopped by SIGTERM after {memory.seconds:.0f} s"
    print(f"(c) memory, sending {memory.sent:,} of {written:,} queued{stopped}: peak RSS (VmHWM) of each process: "
          + ", ".join(f"{kind} {peak:.1f} MB" for kind, peak in peaks))
    print(f"    all processes together {together:.1f} MB (at its highest, the peaks of the processes running at "
          f"that moment added up; shared pages counted in each); RSS of all {first_rss or 0:.1f} MB after 1,000 "
          f"messages, {last_rss:.1f} MB at the end"
          + (f"; growth {growth:+.2f} MB per 10,000 messages" if growth is not None else ""))
    projected = None
    if memory.sent < written and growth is not None:
        projected = max(together, last_rss + max(0.0, growth) * (written - memory.sent) / 10_000)
        print(f"    projected, all processes together, at {written:,} messages: {projected:.1f} MB")
    how = ("PostgreSQL tells the worker of new mail (LISTEN/NOTIFY)" if url.startswith("postgresql")
           else "the worker polls SQLite every 0.5 s")
    print(f"(d) latency at idle, from the commit to the relay's 250, {len(waits)} messages queued one by one, each "
          f"after {IDLE_GAP[0]}-{IDLE_GAP[1]} s idle ({how}): median {statistics.median(waits) * 1000:.0f} ms, "
          f"worst {max(waits) * 1000:.0f} ms")
    print()

    verdict("(a) worker rate / bare smtplib", ratio >= RATIO_TARGET,
            f"{ratio:.2f} (target >= {RATIO_TARGET:.1f}; {processes} processes each side, first to last message)")
    verdict("(a) worker CPU / bare loop CPU", cpu_ratio <= CPU_TARGET,
            f"{cpu_ratio:.2f} per message (target <= {CPU_TARGET:.2f}; start-up and database server included)")
    for count, run in slow_runs:
        score = run.throughput().seconds / (run.sent * ACCEPT_DELAY / count)
        verdict(f"(b) slow relay, {count} connections", score <= SLOW_TARGET,
                f"{score:.2f} of ideal (target <= {SLOW_TARGET})")
    verdict("(c) peak memory, one worker process", largest < MEMORY_TARGET_MB,
            f"{largest:.1f} MB, the largest (target < {MEMORY_TARGET_MB:.0f} MB)")
    worst = max(together, projected or 0.0)
    scope = "measured" if projected is None else "measured and projected"
    verdict("(c) peak memory, all processes", worst < MEMORY_TARGET_MB,
            f"{worst:.1f} MB {scope} (target < {MEMORY_TARGET_MB:.0f} MB)")
    verdict("(d) latency at idle, the worst", max(waits) <= LATENCY_TARGET,
            f"{max(waits):.2f} s (target <= {LATENCY_TARGET:.1f} s from commit to the relay's 250)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
