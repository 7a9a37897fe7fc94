"""A real IMAP server on loopback for the bounce-mailbox tests and benchmarks: a private Dovecot, TLS only.

In a test::

    def test_reads_bounces(imap_server):           # fixture: started and stopped per test
        imap_server.append(raw_bounce)              # APPEND over TLS, as a mail server would deliver it
        poll(host=imap_server.host, port=imap_server.port, cafile=imap_server.cafile,
             username=imap_server.username, password=imap_server.password)
        assert imap_server.folder_messages("Processed bounces") == [...]

    imap_server_factory(starttls=True)             # more instances, or one with a STARTTLS port too

Outside pytest (the benchmark)::

    with ImapServer() as server:
        server.fill(messages)                      # thousands of messages written straight into the Maildir

Each instance is Debian's Dovecot (`make mail-deps`) run in the foreground with a config file of its own in
a temp dir: its base_dir, state_dir, log, certificate and Maildir are all there, so nothing reads
/etc/dovecot and two instances never share a socket, a pid file or a port. It needs root, as CI runs the
suite: the mail belongs to `nobody`, the login processes run as Dovecot's own users.
"""

from __future__ import annotations

import grp
import imaplib
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.servers import Running, started

DOVECOT = "/usr/sbin/dovecot"
DOVEADM = "/usr/bin/doveadm"
HOST = "127.0.0.1"
# Dovecot counts a client whose address equals the server's as secure, so on 127.0.0.1 it would take a
# password before STARTTLS whatever `ssl = required` says. The STARTTLS port listens on another loopback
# address, which clients reach from 127.0.0.1, so there plaintext LOGIN is refused as it would be anywhere.
STARTTLS_HOST = "127.0.0.2"
CERTIFICATE_NAMES = (HOST, STARTTLS_HOST, "localhost")
MAIL_USER, MAIL_GROUP = "nobody", "nogroup"
STARTUP_ATTEMPTS = 3  # a free port can be taken between choosing it and Dovecot binding it

CONFIG = """\
# A private instance: nothing here comes from /etc/dovecot.
instance_name = {instance}
base_dir = {directory}/run
state_dir = {directory}/state
log_path = {directory}/dovecot.log
protocols = imap
listen = {host}

ssl = required
ssl_cert = <{directory}/tls/server.pem
ssl_key = <{directory}/tls/server.key
ssl_min_protocol = TLSv1.2

auth_mechanisms = plain login
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {directory}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={directory}/home/%u
}}
first_valid_uid = {uid}
last_valid_uid = {uid}
first_valid_gid = {gid}
last_valid_gid = {gid}

mail_location = maildir:~/Maildir
# Test mail need not survive a power cut; fsync would only slow APPEND down.
mail_fsync = never
namespace inbox {{
  inbox = yes
  separator = /
}}

service imap-login {{
  inet_listener imap {{
    address = {starttls_host}
    port = {starttls_port}
  }}
  inet_listener imaps {{
    port = {port}
    ssl = yes
  }}
}}
"""


def quote(name: str) -> str:
    """A folder name as an IMAP quoted string; only printable ASCII, as the bounce folders use."""
    if not name or not all(" " <= char <= "~" for char in name):
        raise ValueError(f"folder names here are printable ASCII (no modified UTF-7), not {name!r}")
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


_LIST_LINE = re.compile(rb'\((?P<attributes>[^)]*)\) (?:"(?:[^"\\]|\\.)*"|NIL) (?P<name>.+)')
_APPENDUID = re.compile(rb"\[APPENDUID \d+ (?P<uid>\d+)\]")


def _unquote(name: bytes) -> str:
    text = name.decode("ascii")
    if text.startswith('"') and text.endswith('"'):
        return re.sub(r"\\(.)", r"\1", text[1:-1])
    return text


def _check(response: tuple[str, list[Any]], what: str) -> list[Any]:
    """The data of an imaplib response, or an error saying which command failed and what the server said."""
    status, data = response
    if status != "OK":
        raise imaplib.IMAP4.error(f"{what}: {status} {data!r}")
    return data


class ImapServer(Running):
    """A private Dovecot on loopback with one user and a Maildir, started by start() and removed by stop().

    Clients connect with TLS from the first byte to (host, port), or, with starttls=True, also in plain
    text to (starttls_host, starttls_port), where the server refuses LOGIN until STARTTLS. The server's
    certificate is issued for 127.0.0.1, 127.0.0.2 and localhost by a CA made for the instance, whose
    PEM file is `cafile`.
    """

    def __init__(self, *, starttls: bool = False, username: str = "bounces", password: str | None = None,
                 startup_timeout: float = 30) -> None:
        self.host = HOST
        self.port = 0
        self.starttls_host = STARTTLS_HOST if starttls else None
        self.starttls_port: int | None = None
        self.username = username
        self.password = password or secrets.token_hex(12)
        if any(char in value for value in (self.username, self.password) for char in ":\n") or not username:
            raise ValueError("the username and password are lines of a passwd-file: no colon, no line break")
        self.startup_timeout = startup_timeout
        self.directory: Path | None = None
        self.cafile = ""
        self._starttls = starttls
        self._process: subprocess.Popen[bytes] | None = None

    # --- Starting and stopping --------------------------------------------------------------------

    def start(self) -> None:
        """Make the instance's files, start Dovecot and wait until it answers over TLS."""
        if self._process is not None:
            raise RuntimeError("this IMAP server is already running")
        if not os.access(DOVECOT, os.X_OK) or not os.access("/usr/lib/dovecot/imap", os.X_OK):
            raise RuntimeError("Dovecot's IMAP server is not installed: run `make mail-deps` (Debian's dovecot-imapd)")
        if os.geteuid() != 0:
            raise RuntimeError("the private Dovecot needs root, to hand the Maildir to nobody and logins to dovecot's users")
        self.directory = Path(tempfile.mkdtemp(prefix="press-imap-"))
        try:
            self._make_files()
            for attempt in range(1, STARTUP_ATTEMPTS + 1):
                self.port = _free_port(self.host)
                self.starttls_port = _free_port(STARTTLS_HOST) if self._starttls else None
                self._write_config()
                self._spawn()
                if self._wait_until_ready(last_attempt=attempt == STARTUP_ATTEMPTS):
                    return
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop Dovecot (SIGTERM, then SIGKILL to whatever of it is left) and remove the instance's files."""
        process, self._process = self._process, None
        if process is not None:
            _end(process)
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None

    @property
    def pid(self) -> int | None:
        """The Dovecot master's process id while it runs; its children share it as their process group."""
        return None if self._process is None else self._process.pid

    @property
    def config_file(self) -> Path:
        return self._path("dovecot.conf")

    @property
    def log_path(self) -> Path:
        return self._path("dovecot.log")

    def log(self) -> str:
        """Everything Dovecot has written so far: its log file, then what the master printed."""
        parts = []
        for path in (self.log_path, self._path("master.out")):
            if path.exists():
                parts.append(path.read_text(errors="replace"))
        return "".join(parts)

    def wait_for_log(self, pattern: str, timeout: float = 5) -> str:
        """The first log line matching a regular expression, waiting for it: Dovecot's log process writes late."""
        deadline = time.monotonic() + timeout
        while True:
            for line in self.log().splitlines():
                if re.search(pattern, line):
                    return line
            if time.monotonic() > deadline:
                raise TimeoutError(f"no line of Dovecot's log matched {pattern!r} within {timeout}s:\n{self.log()}")
            time.sleep(0.02)

    def _path(self, name: str) -> Path:
        if self.directory is None:
            raise RuntimeError("the IMAP server is not started")
        return self.directory / name

    def _make_files(self) -> None:
        """The certificate, the password file and the home the Maildir goes in, owned by the mail user."""
        import trustme  # imported here: only the IMAP tests pay for it and for cryptography behind it

        assert self.directory is not None
        directory = self.directory
        # Dovecot's login processes (dovenull) and the mail user (nobody) must reach into the directory.
        directory.chmod(0o755)
        tls = directory / "tls"
        tls.mkdir(mode=0o700)  # the key is read by the master, as root
        authority = trustme.CA(organization_name="press test IMAP server")
        leaf = authority.issue_cert(*CERTIFICATE_NAMES)
        leaf.private_key_pem.write_to_path(str(tls / "server.key"))
        for blob in leaf.cert_chain_pems:
            blob.write_to_path(str(tls / "server.pem"), append=True)
        self.cafile = str(directory / "ca.pem")
        authority.cert_pem.write_to_path(self.cafile)
        users = directory / "users"
        users.write_text(f"{self.username}:{self.password}\n")
        users.chmod(0o644)  # read by the auth process, which runs as the dovecot user
        home = directory / "home"
        home.mkdir(mode=0o700)
        os.chown(home, *self._mail_ids())

    def _mail_ids(self) -> tuple[int, int]:
        return pwd.getpwnam(MAIL_USER).pw_uid, grp.getgrnam(MAIL_GROUP).gr_gid

    def _write_config(self) -> None:
        uid, gid = self._mail_ids()
        self.config_file.write_text(CONFIG.format(
            instance=f"press-imap-{self.port}",
            directory=self.directory,
            host=self.host,
            port=self.port,
            starttls_host=STARTTLS_HOST,
            starttls_port=self.starttls_port or 0,  # port 0: no plain listener
            uid=uid,
            gid=gid,
        ))

    def _spawn(self) -> None:
        self.log_path.unlink(missing_ok=True)
        with self._path("master.out").open("wb") as output:
            # In the foreground, as our child and the leader of its own process group: stop() can wait for
            # it, and kill the group if a child of it lingers.
            self._process = subprocess.Popen(
                [DOVECOT, "-F", "-c", str(self.config_file)],
                stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
            )

    def _wait_until_ready(self, *, last_attempt: bool) -> bool:
        """Wait for the IMAP greeting over TLS; False if a port was taken and another try may do."""
        assert self._process is not None
        deadline = time.monotonic() + self.startup_timeout
        context = self.ssl_context()
        while True:
            status = self._process.poll()
            if status is not None:
                _end(self._process)
                self._process = None
                log = self.log()
                if "Address already in use" in log and not last_attempt:
                    return False
                raise RuntimeError(f"Dovecot exited with status {status} on start-up; its log:\n{log}")
            try:
                with socket.create_connection((self.host, self.port), timeout=1) as raw:
                    with context.wrap_socket(raw, server_hostname=self.host) as tls:
                        if tls.recv(1024).startswith(b"* OK"):
                            return True
            except ssl.SSLCertVerificationError as error:
                raise RuntimeError(f"Dovecot's certificate does not verify against {self.cafile}: {error}") from error
            except OSError:
                pass  # not listening yet, or the TLS handshake met a server still starting
            if time.monotonic() > deadline:
                raise RuntimeError(f"Dovecot did not answer over TLS on {self.host}:{self.port} within "
                                   f"{self.startup_timeout}s; its log:\n{self.log()}")
            time.sleep(0.02)

    # --- Talking to it ----------------------------------------------------------------------------

    def ssl_context(self) -> ssl.SSLContext:
        """A verifying client context that trusts the instance's CA and no other."""
        return ssl.create_default_context(cafile=self.cafile)

    def connect(self) -> imaplib.IMAP4_SSL:
        """A client logged in over TLS (use it in a with block, which logs out)."""
        client = imaplib.IMAP4_SSL(self.host, self.port, ssl_context=self.ssl_context(), timeout=10)
        _check(client.login(self.username, self.password), "LOGIN")
        return client

    def append(self, raw: bytes, folder: str = "INBOX", flags: str = "") -> int:
        """Deliver one message over IMAP APPEND, making the folder if need be; return its UID there."""
        with self.connect() as client:
            status, data = client.append(quote(folder), flags or None, None, raw)
            if status == "NO" and b"[TRYCREATE]" in b" ".join(part for part in data if part):
                _check(client.create(quote(folder)), f"CREATE {folder}")
                status, data = client.append(quote(folder), flags or None, None, raw)
            data = _check((status, data), f"APPEND to {folder}")
        match = _APPENDUID.search(data[0])
        if match is None:
            raise imaplib.IMAP4.error(f"APPEND to {folder} gave no APPENDUID: {data!r}")
        return int(match["uid"])

    def fill(self, messages: Iterable[bytes], folder: str = "INBOX") -> int:
        """Write messages straight into the folder's Maildir, as a local delivery agent would; return how many.

        Far faster than APPEND for benchmark-sized mailboxes. Each file goes to tmp/ and is renamed into
        new/, so Dovecot never sees half a message; the folder is then opened once, so Dovecot has indexed
        them all before fill() returns and a benchmark times its client, not Dovecot's first scan.
        """
        with self.connect() as client:
            if folder != "INBOX":
                status, data = client.create(quote(folder))
                if status != "OK" and b"[ALREADYEXISTS]" not in b" ".join(part for part in data if part):
                    _check((status, data), f"CREATE {folder}")
            _check(client.select(quote(folder)), f"SELECT {folder}")  # Dovecot makes INBOX's Maildir here
        maildir = Path(self._doveadm("mailbox", "path", "-u", self.username, folder).strip())
        uid, gid = self._mail_ids()
        stem = f"{int(time.time())}.P{os.getpid()}Q{secrets.token_hex(4)}"
        count = 0
        for count, raw in enumerate(messages, start=1):
            name = f"{stem}M{count}.press-imap"
            temporary = maildir / "tmp" / name
            with open(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as file:
                os.fchown(file.fileno(), uid, gid)
                # Maildir files end lines in LF; Dovecot sends them as CRLF, as APPEND's would be.
                file.write(raw.replace(b"\r\n", b"\n"))
            os.rename(temporary, maildir / "new" / name)
        with self.connect() as client:
            _check(client.select(quote(folder)), f"SELECT {folder}")
        return count

    def folders(self) -> list[str]:
        """Every folder the user has, in order of name."""
        with self.connect() as client:
            lines = _check(client.list('""', "*"), "LIST")
        names = []
        for line in lines:
            match = _LIST_LINE.fullmatch(line) if isinstance(line, bytes) else None
            if match is None:
                raise imaplib.IMAP4.error(f"unexpected LIST line: {line!r}")
            names.append(_unquote(match["name"]))
        return sorted(names)

    def folder_messages(self, folder: str = "INBOX") -> list[bytes]:
        """The raw messages in a folder, in UID order, as IMAP gives them (CRLF line ends); flags are left alone."""
        with self.connect() as client:
            _check(client.select(quote(folder), readonly=True), f"EXAMINE {folder}")
            data = _check(client.uid("FETCH", "1:*", "(BODY.PEEK[])"), f"FETCH in {folder}")
        return [part[1] for part in data if isinstance(part, tuple)]

    def _doveadm(self, *args: str) -> str:
        result = subprocess.run([DOVEADM, "-c", str(self.config_file), *args], capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"doveadm {' '.join(args)} failed: {result.stderr.strip()}")
        return result.stdout


def _free_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def _end(process: subprocess.Popen[bytes]) -> None:
    """Stop a Dovecot master with SIGTERM, then kill anything left in its process group.

    Once every other process has exited, the master keeps its log process a second longer in case a
    straggler has something to say; nothing is left to say here, so the wait ends when the log is all
    that remains, and the group is killed then. That saves a second on every test.
    """
    if process.poll() is None:
        process.terminate()
        deadline = time.monotonic() + 10
        while process.poll() is None and time.monotonic() < deadline:
            others = [pid for pid in live_processes(process.pid) if pid != process.pid]
            if all(_service_name(pid).endswith("/log") for pid in others):
                break
            time.sleep(0.01)
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass  # the master took every child with it
    process.wait(timeout=10)


def live_processes(group: int) -> list[int]:
    """The processes of a process group that still run (zombies waiting to be reaped are not counted)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            # Fields after the parenthesised command name: state, parent, process group.
            state, _, pgrp = (entry / "stat").read_text().rsplit(")", 1)[1].split()[:3]
        except (FileNotFoundError, ProcessLookupError):
            continue
        if state != "Z" and int(pgrp) == group:
            found.append(int(entry.name))
    return found


def _service_name(pid: int) -> str:
    """What a Dovecot process calls itself, such as dovecot-press-imap-41079/log; empty once it has gone."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0", 1)[0].decode(errors="replace")
    except (FileNotFoundError, ProcessLookupError):
        return ""


# --- Fixtures -----------------------------------------------------------------------------------


@pytest.fixture
def imap_server() -> Iterator[ImapServer]:
    """A private Dovecot with TLS on an ephemeral loopback port, removed when the test ends."""
    with ImapServer() as server:
        yield server


@pytest.fixture
def imap_server_factory() -> Iterator[Callable[..., ImapServer]]:
    """Start more private Dovecots (starttls=True, username=..., ...); all are removed when the test ends."""
    yield from started(ImapServer)
