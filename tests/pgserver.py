"""A PostgreSQL server of a test's own, on a spare port, that the test may stop, kill and start again.

The shared server that TEST_DATABASE_URL names must never be stopped by a test, so the fault tests make
their own: initdb into a fresh directory (as the postgres user when the suite runs as root, since
PostgreSQL refuses to run as root), started with pg_ctl on a free loopback port::

    def test_outage(own_postgres):
        url = own_postgres.url            # postgresql://postgres@127.0.0.1:PORT/postgres
        own_postgres.stop()               # a clean, fast shutdown
        own_postgres.kill()               # or: every server process killed outright, as a crash would
        own_postgres.start()              # back again, after crash recovery if it was killed
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest


def binaries() -> Path:
    """The newest installed PostgreSQL's programs (Debian keeps them out of PATH)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[4]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb is None:
        raise RuntimeError("PostgreSQL's initdb is not installed")
    return Path(initdb).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PostgresCluster:
    """One throwaway PostgreSQL cluster: its directory, its port and the means to stop and start it."""

    def __init__(self) -> None:
        self.bin = binaries()
        self.directory = Path(tempfile.mkdtemp(prefix="press-pg-"))
        self.data = self.directory / "data"
        self.log = self.directory / "server.log"
        self.port = free_port()
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            entry = pwd.getpwnam("postgres")
            os.chown(self.directory, entry.pw_uid, entry.pw_gid)
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8")

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bin / program), *args]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def start(self) -> None:
        """Start the server and wait until it takes connections."""
        # fsync off is safe against killed processes (the kernel still has every write), not against a
        # machine crashing; commits stay synchronous, so a commit that returned survives a kill.
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "60", "start")
        deadline = time.monotonic() + 30
        while True:
            try:
                psycopg.connect(self.url, connect_timeout=2).close()
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def stop(self) -> None:
        """A fast shutdown: sessions are ended, and the server says so to every client."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop")

    def kill(self) -> None:
        """Kill every server process outright, as a crash or an OOM kill would: no client is told anything."""
        postmaster = int((self.data / "postmaster.pid").read_text().split()[0])
        children = subprocess.run(["pgrep", "-P", str(postmaster)], capture_output=True, text=True).stdout.split()
        for pid in [postmaster, *map(int, children)]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and _alive(postmaster):
            time.sleep(0.05)

    def running(self) -> bool:
        pid_file = self.data / "postmaster.pid"
        return pid_file.exists() and _alive(int(pid_file.read_text().split()[0]))

    def remove(self) -> None:
        if self.running():
            try:
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
            except subprocess.CalledProcessError:
                self.kill()
        shutil.rmtree(self.directory, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A killed child of ours that is not yet reaped still "exists"; the postmaster is never our child.
    return True


@pytest.fixture
def own_postgres() -> Iterator[PostgresCluster]:
    """A started PostgreSQL server of this test's own, removed when the test ends."""
    cluster = PostgresCluster()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.remove()
