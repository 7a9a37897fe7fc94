"""The enquiry form's per-address limit holds across processes when the counters live in Redis."""

import http.cookiejar
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from sqlalchemy import func, select

from press import clock, uktime
from press.enquiries.models import Enquiry
from press.extensions import db

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """A client with its own cookies that posts the enquiry form the way a person would, token and all."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect)

    def send_enquiry(self, subject: str) -> int:
        with self.opener.open(f"{self.base}/enquiries/new", timeout=10) as response:
            token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', response.read().decode()).group(1)
        tomorrow = uktime.to_london(clock.now() + timedelta(days=1)).date()
        data = urllib.parse.urlencode({
            "csrf_token": token, "name": "Sam Reporter", "outlet": "Northshire Gazette",
            "email": "sam@gazette.example", "kind": "comment", "subject": subject, "body": "A question.",
            "deadline_date": tomorrow.isoformat(), "deadline_time": "12:00",
        }).encode()
        try:
            with self.opener.open(f"{self.base}/enquiries/new", data=data, timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code


@pytest.fixture
def servers(database_url, tmp_path) -> Iterator[list[str]]:
    """Two separate gunicorn servers on one database, sharing rate-limit counters in Redis."""
    prefix = f"press-test-{secrets.token_hex(4)}"
    env = os.environ | {
        "DATABASE_URL": database_url, "SECRET_KEY": "shared-limit-test", "RATELIMIT_STORAGE_URI": REDIS_URL,
        "RATELIMIT_KEY_PREFIX": prefix, "PRESS_ENQUIRY_RATE_LIMIT": "4 per minute",
        "PRESS_UPLOAD_DIR": str(tmp_path / "uploads"), "PRESS_IMPORT_DIR": str(tmp_path / "imports"),
    }
    processes, bases = [], []
    try:
        for _ in range(2):
            port = free_port()
            processes.append(subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "--workers", "1", "--bind", f"127.0.0.1:{port}", "app:app"],
                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            bases.append(f"http://127.0.0.1:{port}")
        for base in bases:
            for _ in range(100):
                try:
                    urllib.request.urlopen(f"{base}/healthz", timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.1)
        yield bases
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=10)
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(f"{prefix}*"):
            client.delete(key)


def test_the_limit_is_shared_by_every_process(app, servers):
    first, second = Browser(servers[0]), Browser(servers[1])
    assert [first.send_enquiry(f"Question {n}") for n in range(3)] == [303, 303, 303]
    # The other process knows about those three: one more is allowed, then the address is held back.
    assert [second.send_enquiry(f"Question {n}") for n in range(3, 6)] == [303, 429, 429]
    with app.app_context():
        assert db.session.scalar(select(func.count(Enquiry.id))) == 4
