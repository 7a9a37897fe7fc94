"""Two hundred journalists send enquiries at once, through gunicorn as in production.

Each client fetches the form for its own session and CSRF token, then posts it; every enquiry must be
kept, with its own reference and no gap, and every acknowledgement queued, on SQLite and on PostgreSQL.
"""

import http.client
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from press import clock, create_app, uktime
from press.accounts import services as accounts
from press.accounts.models import User
from press.outbox.models import Delivery
from press.enquiries import services
from press.enquiries.models import Enquiry, EnquiryEvent
from press.extensions import db
from press.releases import services as releases
from tests.conftest import PASSWORD, base_config, create_postgres_database, drop_postgres_database, migrate_to_head

ROOT = Path(__file__).resolve().parent.parent
SUBMISSIONS = 200
CLIENTS = 50
WORKERS = 4
THREADS = 4
TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
REFERENCE = re.compile(r"ENQ-\d{4}-\d{4}")


@dataclass
class Server:
    """A gunicorn serving the app on a loopback port, and the database behind it."""

    port: int
    database_url: str
    log: Path
    process: subprocess.Popen

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def prepare(url: str, tmp_path: Path) -> int:
    """Migrate, then add a duty press officer and a public release with its own media contact."""
    migrate_to_head(url, tmp_path)
    app = create_app(base_config(url, tmp_path))
    with app.app_context():
        contact = accounts.create_user(db.session, email="jane.smith@northshire.example", name="Jane Smith",
                                       role="manager", password=PASSWORD, job_title="Communications Manager",
                                       phone="07700 900123")
        duty = accounts.create_user(db.session, email="duty.officer@northshire.example", name="Dev Duty",
                                    role="staff", password=PASSWORD, job_title="Press Officer",
                                    phone="07700 900124")
        services.set_duty_officer(db.session, duty, by=None)
        release = releases.create_release(
            db.session, by=None, prefix="NCC", headline="New library opens in Eastgate", standfirst="",
            body="The council has opened a new library.", notes_to_editors="", helpline="",
            release_date=clock.now().date(), embargo_at=None, contact_id=contact.id,
        )
        releases.finalise_release(db.session, release, by=None)
        db.session.commit()
        reference = release.reference
        db.session.remove()
        db.engine.dispose()
    return reference


def wait_until_serving(server: Server, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(f"gunicorn exited with {server.process.returncode}:\n{server.output()}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
            connection.request("GET", "/enquiries/new")
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.1)
        finally:
            connection.close()
    pytest.fail(f"gunicorn did not answer within {timeout} s:\n{server.output()}")


# SQLite always; PostgreSQL too on the runs that name a server (CI's second run does).
DATABASES = ["sqlite", "postgresql"] if os.environ.get("TEST_DATABASE_URL") else ["sqlite"]


@pytest.fixture(params=DATABASES)
def database(request, tmp_path, postgres_server) -> Iterator[str]:
    """A throwaway database migrated to head: a SQLite file, or a PostgreSQL database when one is configured."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'press.db'}"
        return
    url, name = create_postgres_database(postgres_server)
    try:
        yield url
    finally:
        drop_postgres_database(postgres_server, name)


@pytest.fixture
def server(database, tmp_path) -> Iterator[tuple[Server, str]]:
    """gunicorn with several threaded workers, configured through the environment as a deployment is."""
    release = prepare(database, tmp_path)
    port = free_port()
    env = dict(os.environ)
    env.update({
        "DATABASE_URL": database,
        "SECRET_KEY": "concurrency-test-secret-key",
        "PRESS_BASE_URL": f"http://127.0.0.1:{port}",
        "PRESS_REF_PREFIX": "NCC",
        "PRESS_UPLOAD_DIR": str(tmp_path / "uploads"),
        "PRESS_IMPORT_DIR": str(tmp_path / "imports"),
        # Every client comes from 127.0.0.1; the per-address limit is not what this test is about.
        "PRESS_ENQUIRY_RATE_LIMIT": "10000 per minute",
    })
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", str(WORKERS), "--worker-class", "gthread",
             "--threads", str(THREADS), "--bind", f"127.0.0.1:{port}", "--timeout", "60", "press:create_app()"],
            cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
        )
    running = Server(port, database, log, process)
    try:
        wait_until_serving(running)
        yield running, release
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def answers(n: int, release: str) -> dict[str, str]:
    tomorrow = uktime.to_london(clock.now() + timedelta(days=1)).date()
    return {
        "name": f"Reporter {n}",
        "outlet": ["Northshire Gazette", "BBC Radio Northshire", "Eastgate Echo"][n % 3],
        "email": f"reporter{n}@news.example",
        "phone": "01632 960001",
        "kind": "comment",
        "release": release if n % 2 else "",
        "subject": f"Library opening hours, question {n}",
        "body": "Can you confirm the opening hours of the new library?",
        "deadline_date": tomorrow.isoformat(),
        "deadline_time": "16:30",
    }


def request(port: int, method: str, path: str, cookie: str = "", body: str = "") -> tuple[int, dict, str]:
    """One request on a fresh connection; gives back the status, the headers and the body."""
    headers = {"Cookie": cookie} if cookie else {}
    if body:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request(method, path, body=body or None, headers=headers)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode()
    finally:
        connection.close()


def journalist(port: int, n: int, release: str) -> str:
    """Open the form, send it with the session's token, follow the 303; return the reference shown."""
    status, headers, page = request(port, "GET", "/enquiries/new")
    assert status == 200, f"GET /enquiries/new answered {status}"
    cookies = SimpleCookie(headers.get("Set-Cookie", ""))
    cookie = "; ".join(f"{name}={morsel.value}" for name, morsel in cookies.items())
    [token] = TOKEN.findall(page)
    form = answers(n, release) | {"csrf_token": token}
    status, headers, page = request(port, "POST", "/enquiries/new", cookie, urlencode(form))
    assert status == 303, f"enquiry {n} answered {status}:\n{page[:2000]}"
    location = headers["Location"]
    assert location.startswith("/enquiries/sent/"), location
    status, _headers, page = request(port, "GET", location, cookie)
    assert status == 200, f"the confirmation of enquiry {n} answered {status}"
    [reference] = set(REFERENCE.findall(page))
    return reference


def test_two_hundred_enquiries_at_once_each_get_their_own_reference(server, tmp_path):
    running, release = server
    year = uktime.to_london(clock.now()).year
    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        shown = list(pool.map(lambda n: journalist(running.port, n, release), range(SUBMISSIONS)))

    expected = {services.reference_for(year, n) for n in range(1, SUBMISSIONS + 1)}
    assert set(shown) == expected, "every journalist was shown a reference of their own, with no gaps"
    log = running.output()
    assert "Traceback" not in log and "database is locked" not in log, log

    app = create_app(base_config(running.database_url, tmp_path))
    with app.app_context():
        found = db.session.execute(select(Enquiry.reference, Enquiry.email, Enquiry.assignee_id)).all()
        assert len(found) == SUBMISSIONS
        assert {reference for reference, _email, _assignee in found} == expected
        assert {email for _reference, email, _assignee in found} == {
            f"reporter{n}@news.example" for n in range(SUBMISSIONS)}
        assert all(assignee is not None for _reference, _email, assignee in found), "every enquiry was routed"
        kinds = dict(db.session.execute(select(Delivery.kind, func.count()).group_by(Delivery.kind)).all())
        assert kinds == {"enquiry-acknowledgement": SUBMISSIONS, "enquiry-assigned": SUBMISSIONS}
        acknowledged = set(db.session.scalars(
            select(Delivery.to_address).where(Delivery.kind == "enquiry-acknowledgement")))
        assert acknowledged == {email for _reference, email, _assignee in found}
        events = db.session.scalar(select(func.count()).select_from(EnquiryEvent))
        assert events == 2 * SUBMISSIONS, "each enquiry's timeline starts with received and assigned"
        routed = dict(db.session.execute(
            select(User.email, func.count()).join(Enquiry, Enquiry.assignee_id == User.id).group_by(User.email)
        ).all())
        assert routed == {"jane.smith@northshire.example": SUBMISSIONS // 2,
                          "duty.officer@northshire.example": SUBMISSIONS // 2}
        db.session.remove()
        db.engine.dispose()
