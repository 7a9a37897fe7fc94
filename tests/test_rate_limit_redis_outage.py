"""Rate limits in Redis under gunicorn with two workers: while Redis is up, when it goes away, and when it is back."""

import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy import func, select

from press.enquiries.models import Enquiry
from press.extensions import db
from tests.test_enquiry_rate_limit_shared import ROOT, Browser, free_port

LIMIT = 4  # enquiries a minute from one address


class RedisServer:
    """A Redis of the test's own on a spare port, which the test can stop and start again."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.directory = directory
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis.from_url(self.url)
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
            finally:
                client.close()
        raise RuntimeError("redis-server did not start")

    def pause(self) -> None:
        """Stop the server answering, connections and all, as a hung host or a broken network would."""
        self.process.send_signal(signal.SIGSTOP)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None

    def keys(self, prefix: str) -> list[bytes]:
        client = redis.Redis.from_url(self.url)
        try:
            return list(client.scan_iter(f"*{prefix}*"))
        finally:
            client.close()


@pytest.fixture
def own_redis(tmp_path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


class Web:
    """One gunicorn server with two sync workers; its access log names the worker that served each request."""

    def __init__(self, port: int, access_log: Path, error_log: Path) -> None:
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.access_log = access_log
        self.error_log = error_log

    def served(self) -> list[tuple[int, str, str, int]]:
        """(worker pid, method, path, status) for every request so far."""
        lines = self.access_log.read_text().splitlines()
        return [(int(pid), method, path, int(status))
                for pid, method, path, status in (re.fullmatch(r"<(\d+)> (\S+) (\S+) (\d+)", line).groups()
                                                  for line in lines)]

    def log(self) -> str:
        return self.error_log.read_text()

    def hold_a_worker(self) -> socket.socket:
        """Begin a request and leave it unfinished: the sync worker that took it waits, so the other serves."""
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        time.sleep(0.5)  # for an idle worker to accept it
        return sock

    @staticmethod
    def let_go(sock: socket.socket) -> None:
        sock.sendall(b"Connection: close\r\n\r\n")
        while sock.recv(4096):
            pass
        sock.close()

    def get(self, path: str) -> int:
        try:
            with urllib.request.urlopen(f"{self.base}{path}", timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code


@pytest.fixture
def web(app, database_url, own_redis, tmp_path) -> Iterator[tuple[Web, str]]:
    """The app under gunicorn with two workers, its rate limits in the test's Redis; gives it and the key prefix."""
    prefix = f"press-test-{secrets.token_hex(4)}"
    env = os.environ | {
        "DATABASE_URL": database_url, "SECRET_KEY": "redis-outage-test", "RATELIMIT_STORAGE_URI": own_redis.url,
        "RATELIMIT_KEY_PREFIX": prefix, "PRESS_ENQUIRY_RATE_LIMIT": f"{LIMIT} per minute",
        "PRESS_UPLOAD_DIR": str(tmp_path / "uploads"), "PRESS_IMPORT_DIR": str(tmp_path / "imports"),
    }
    port = free_port()
    server = Web(port, tmp_path / "access.log", tmp_path / "error.log")
    with server.error_log.open("w") as errors:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", "2", "--timeout", "60", "--no-control-socket",
             "--bind", f"127.0.0.1:{port}",
             "--error-logfile", "-", "--access-logfile", str(server.access_log),
             "--access-logformat", "%(p)s %(m)s %(U)s %(s)s", "app:app"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=errors)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{server.base}/healthz", timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        yield server, prefix
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def on_each_worker(server: Web, browser: Browser, count: int) -> tuple[list[int], list[int]]:
    """Send `count` enquiries through one worker, then `count` through the other; give their statuses."""
    first_held = server.hold_a_worker()
    try:
        through_one = [browser.send_enquiry(f"Question {n}") for n in range(count)]
        second_held = server.hold_a_worker()  # the worker that has just served is the only one free
    finally:
        server.let_go(first_held)
    try:
        through_other = [browser.send_enquiry(f"Question {n}") for n in range(count)]
    finally:
        server.let_go(second_held)
    return through_one, through_other


def enquiry_posts(server: Web) -> list[tuple[int, int]]:
    return [(pid, status) for pid, method, path, status in server.served()
            if method == "POST" and path == "/enquiries/new"]


def test_limits_hold_and_pages_answer_while_redis_is_away(app, own_redis, web):
    server, prefix = web
    browser = Browser(server.base)

    # Redis up: the two workers share one count.
    through_one, through_other = on_each_worker(server, browser, 3)
    assert (through_one, through_other) == ([303, 303, 303], [303, 429, 429])
    posts = enquiry_posts(server)
    assert len({pid for pid, _ in posts[:3]}) == 1 and len({pid for pid, _ in posts[3:]}) == 1
    assert posts[0][0] != posts[3][0], "each worker served three"
    assert own_redis.keys(prefix)
    workers = {posts[0][0], posts[3][0]}

    # Redis gone: every page still answers, and each worker keeps the limit in its own memory.
    own_redis.stop()
    assert [server.get(path) for path in ("/", "/enquiries/new", "/feed.atom", "/healthz")] == [200] * 4
    through_one, through_other = on_each_worker(server, browser, LIMIT + 1)
    assert through_one == through_other == [303] * LIMIT + [429]
    assert {pid for pid, _ in enquiry_posts(server)[6:]} == workers
    with app.app_context():
        assert db.session.scalar(select(func.count(Enquiry.id))) == LIMIT + 2 * LIMIT
    log = server.log()
    for pid in workers:
        fell_back = f"Rate limits: redis://127.0.0.1:{own_redis.port} cannot be reached, so process {pid} counts"
        assert log.count(fell_back) == 1, log
    assert "Traceback" not in log
    assert all(status < 500 for *_, status in server.served())

    # Redis back: each worker notices on a later request and counts there again.
    own_redis.start()
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and any(f"is back, and process {pid}" not in server.log() for pid in workers):
        # Two requests at once, so that both workers have requests to notice it on.
        pair = [threading.Thread(target=server.get, args=("/enquiries/new",)) for _ in range(2)]
        for thread in pair:
            thread.start()
        for thread in pair:
            thread.join()
        time.sleep(0.2)
    for pid in workers:
        assert f"Rate limits: redis://127.0.0.1:{own_redis.port} is back, and process {pid} counts" in server.log()
    assert not own_redis.keys(prefix)
    assert browser.send_enquiry("After the outage") == 303
    assert own_redis.keys(prefix)
    assert "Traceback" not in server.log()


def test_a_hung_redis_holds_a_request_up_for_a_second_or_two(app, own_redis, web):
    server, _ = web
    browser = Browser(server.base)
    assert browser.send_enquiry("Before") == 303
    own_redis.pause()
    started = time.monotonic()
    # A second for the counter to time out, and one for the check on whether Redis is back.
    assert browser.send_enquiry("While Redis hangs") == 303
    assert time.monotonic() - started < 5
    assert server.get("/") == 200
    assert f"Rate limits: redis://127.0.0.1:{own_redis.port} cannot be reached" in server.log()
    assert "Traceback" not in server.log()


@pytest.mark.parametrize("uri, timeouts, fallback", [
    ("redis://cache.internal:6379/0", {"socket_connect_timeout": 1.0, "socket_timeout": 1.0}, True),
    ("memory://", {}, False),  # memory needs no memory to fall back on
])
def test_redis_is_given_short_timeouts_and_a_fallback(build_app, uri, timeouts, fallback):
    built = build_app(RATELIMIT_STORAGE_URI=uri)
    assert built.config["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"] is fallback
    assert built.config["RATELIMIT_STORAGE_OPTIONS"] == timeouts
