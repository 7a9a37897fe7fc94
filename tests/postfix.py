"""A private Postfix on loopback for the bounce tests: the DSNs it writes are the ones real mail servers send.

In a test::

    def test_bounces(mail_server, postfix_mta):
        mta = postfix_mta(mail_server.host, mail_server.port)   # notices go to this SMTP server
        mta.send("bounces+42-0123456789abcdef@council.example", "jane@bounce.invalid", message_bytes)
        dsn = mail_server.wait_for(1, timeout=15)[0]

Outside pytest::

    with PostfixMTA(bounce_host="127.0.0.1", bounce_port=2525) as mta:
        mta.send(sender, "sam@defer.invalid", message_bytes)   # or any SMTP client to mta.host, mta.port

Mail to any address at bounce.invalid fails at once (5.1.1), so Postfix returns a multipart/report DSN
with Action: failed; mail to defer.invalid is deferred (4.4.1) and, seconds later, Postfix sends a delay
warning with Action: delayed. Everything else, the notices above all, is relayed to bounce_host:bounce_port.

The system's Postfix is left alone: each instance has its own config, queue and data directories under a
fresh temp dir and its own smtpd on a free loopback port, so two can run side by side. It needs root and
Debian's postfix package (the postfix user and postdrop group); tests that ask for it fail without them.
"""

from __future__ import annotations

import contextlib
import grp
import os
import pwd
import shutil
import signal
import smtplib
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.servers import Running, started

POSTFIX = "/usr/sbin/postfix"
BOUNCE_DOMAIN = "bounce.invalid"
DEFER_DOMAIN = "defer.invalid"
HOSTNAME = "mta.press.test"
# postfix(1) and its scripts get a plain environment: no MAIL_CONFIG or other settings from the caller.
_ENVIRONMENT = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C"}

# chroot is off throughout: a chroot would need copies of /etc files inside each queue directory.
_MASTER_CF = """\
{host}:{port} inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""

_MAIN_CF = """\
compatibility_level = 3.6
config_directory = {root}/etc
queue_directory = {root}/spool
data_directory = {root}/data
mail_owner = postfix
setgid_group = postdrop
maillog_file = {root}/maillog
maillog_file_prefixes = {root}

myhostname = {hostname}
mydomain = press.test
myorigin = $myhostname
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
# Nothing is delivered here: every domain is either failed, deferred or relayed to the bounce destination.
mydestination =
local_transport = error:5.1.1 local delivery is disabled
alias_maps =
alias_database =
smtpd_relay_restrictions = permit_mynetworks, reject
smtpd_recipient_restrictions =
# smtpd would refuse bounce.invalid at RCPT from the transport table; it must take the mail and bounce it.
smtpd_reject_unlisted_recipient = no
smtpd_tls_security_level = none

transport_maps = texthash:{root}/etc/transport
relayhost = [{bounce_host}]:{bounce_port}
smtp_tls_security_level = none
smtp_dns_support_level = disabled
smtp_host_lookup = native

# A delay warning after the first failed try, and quick retries, so a test sees it within seconds. The
# warning's text then says "for more than 0 hour(s)", and bounce logs that it rounded to zero: harmless.
delay_warning_time = 1s
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
maximal_queue_lifetime = 1h
bounce_queue_lifetime = 1h
# The notices themselves must not wait behind a failed connection for the default minute or more.
smtp_connect_timeout = 5s
"""

# Notices to this instance's own postmaster (a notice that could not be returned, say) are dropped, so the
# bounce destination sees only what goes back to senders.
_TRANSPORT = f"""\
{HOSTNAME} discard:
{BOUNCE_DOMAIN} error:5.1.1 mailbox does not exist
.{BOUNCE_DOMAIN} error:5.1.1 mailbox does not exist
{DEFER_DOMAIN} retry:4.4.1 host not reachable, will try again
.{DEFER_DOMAIN} retry:4.4.1 host not reachable, will try again
"""


def postfix_available() -> str | None:
    """Why a private Postfix cannot run here, or None when it can."""
    if not os.path.exists(POSTFIX):
        return f"{POSTFIX} is not installed"
    if os.geteuid() != 0:
        return "a private Postfix needs root"
    try:
        pwd.getpwnam("postfix")
        grp.getgrnam("postdrop")
    except KeyError:
        return "the postfix user or postdrop group is missing (install Debian's postfix package)"
    return None


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody is listening on just now (Postfix's master must be given a number, not 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


class PostfixError(RuntimeError):
    """The private Postfix would not start or stop; the message carries its output and log."""


class PostfixMTA(Running):
    """One private Postfix instance: started by start() or `with`, removed with its temp dir by stop()."""

    def __init__(self, bounce_host: str, bounce_port: int, *, host: str = "127.0.0.1", port: int | None = None) -> None:
        self.bounce_host = bounce_host
        self.bounce_port = bounce_port
        self.host = host
        self._requested_port = port
        self.port = 0
        self.root: Path | None = None
        self._master_pid: int | None = None

    # Lifecycle

    def start(self, timeout: float = 15) -> None:
        """Write the config into a fresh temp dir, start master and wait until smtpd answers."""
        if self.root is not None:
            raise RuntimeError("this Postfix is already running")
        reason = postfix_available()
        if reason is not None:
            raise PostfixError(f"cannot start a private Postfix: {reason}")
        self.root = Path(tempfile.mkdtemp(prefix="press-postfix-"))
        # Postfix's daemons run as the postfix user and must reach the queue under this directory.
        self.root.chmod(0o755)
        self.port = self._requested_port or free_port(self.host)
        try:
            self._write_config()
            self._postfix("start")
            self._master_pid = _pid_from(self.root / "spool" / "pid" / "master.pid")
            self._wait_for_smtpd(timeout)
        except BaseException:
            self._shut_down()
            raise

    def stop(self, timeout: float = 10) -> None:
        """Stop master and its daemons (killing any that linger) and remove the temp dir."""
        if self.root is None:
            return
        self._shut_down(timeout)

    # Use

    def send(self, mail_from: str, rcpt_to: str | list[str], message: bytes) -> None:
        """Hand a message to this Postfix by SMTP, with this envelope."""
        recipients = [rcpt_to] if isinstance(rcpt_to, str) else rcpt_to
        with smtplib.SMTP(self.host, self.port, timeout=10) as client:
            refused = client.sendmail(mail_from, recipients, message)
        if refused:
            raise smtplib.SMTPRecipientsRefused(refused)

    def log(self) -> str:
        """Postfix's log for this instance so far: what to read when a notice does not come."""
        if self.root is None:
            return ""
        path = self.root / "maillog"
        return path.read_text(errors="replace") if path.exists() else ""

    def queue(self) -> str:
        """What is still in the queue, as `postqueue -p` shows it."""
        if self.root is None:
            return ""
        result = subprocess.run(
            ["/usr/sbin/postqueue", "-c", str(self.root / "etc"), "-p"], capture_output=True, text=True, timeout=10, env=_ENVIRONMENT
        )
        return result.stdout + result.stderr

    # Inside

    def _write_config(self) -> None:
        """main.cf, master.cf and the transport table, and the queue directory Postfix fills in."""
        assert self.root is not None
        config = self.root / "etc"
        config.mkdir()
        # postfix check makes the queue's subdirectories and gives them to the postfix user, but needs the top.
        (self.root / "spool").mkdir(mode=0o755)
        (config / "main.cf").write_text(_MAIN_CF.format(
            root=self.root, hostname=HOSTNAME, bounce_host=self.bounce_host, bounce_port=self.bounce_port
        ))
        (config / "master.cf").write_text(_MASTER_CF.format(host=self.host, port=self.port))
        (config / "transport").write_text(_TRANSPORT)

    def _postfix(self, command: str) -> str:
        """Run `postfix -c <our config> command`, failing with its output and our log if it fails."""
        assert self.root is not None
        try:
            result = subprocess.run(
                [POSTFIX, "-c", str(self.root / "etc"), command], capture_output=True, text=True, timeout=30, env=_ENVIRONMENT
            )
        except subprocess.TimeoutExpired as error:
            raise PostfixError(f"postfix {command} took over 30s\n{self.log()}") from error
        output = result.stdout + result.stderr
        if result.returncode != 0:
            raise PostfixError(f"postfix {command} failed ({result.returncode}):\n{output}\n{self.log()}")
        return output

    def _wait_for_smtpd(self, timeout: float) -> None:
        """Block until smtpd greets on our port; PostfixError with the log if it never does."""
        deadline = time.monotonic() + timeout
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            try:
                with smtplib.SMTP(self.host, self.port, timeout=5) as client:
                    client.noop()
                return
            except (OSError, smtplib.SMTPException) as error:
                last_error = error
                time.sleep(0.1)
        raise PostfixError(f"Postfix's smtpd did not answer on {self.host}:{self.port} within {timeout}s "
                           f"({last_error})\n{self.log()}")

    def _shut_down(self, timeout: float = 10) -> None:
        """Stop master if it runs, kill its process group if it lingers, and remove the temp dir."""
        root, self.root = self.root, None
        if root is None:
            return
        try:
            pid = self._master_pid or _pid_from(root / "spool" / "pid" / "master.pid")
            if pid is not None and _alive(pid):
                subprocess.run([POSTFIX, "-c", str(root / "etc"), "stop"], capture_output=True, timeout=30, env=_ENVIRONMENT)
                # master leads its own process group and its daemons are in it; they exit soon after
                # it does, and any that linger are killed, so none writes into the removed directory.
                deadline = time.monotonic() + timeout
                while _group_members(pid) and time.monotonic() < deadline:
                    time.sleep(0.05)
                if _group_members(pid):
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(pid, signal.SIGKILL)
                    while _group_members(pid) and time.monotonic() < deadline + 5:
                        time.sleep(0.05)
        finally:
            self._master_pid = None
            shutil.rmtree(root, ignore_errors=True)


def _pid_from(path: Path) -> int | None:
    """The process id written in a pid file, or None if there is none."""
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def _alive(pid: int) -> bool:
    """Whether the process exists and is not a zombie waiting to be reaped."""
    fields = _stat_fields(pid)
    return bool(fields) and fields[0] != "Z"


def _stat_fields(pid: int) -> list[str]:
    """The fields of /proc/PID/stat after the command name: state, parent, process group, ..."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return []


def _group_members(group: int) -> list[int]:
    """The live (not zombie) processes in a process group."""
    members = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat_fields(int(entry))
            if len(fields) > 2 and fields[2] == str(group) and fields[0] != "Z":
                members.append(int(entry))
    return members


@pytest.fixture
def postfix_mta() -> Iterator[Callable[[str, int], PostfixMTA]]:
    """Start private Postfix instances relaying their notices to (host, port); all stop when the test ends."""
    reason = postfix_available()
    if reason is not None:
        pytest.fail(f"{reason}: make test installs Debian's postfix (make bench-deps) and runs as root", pytrace=False)
    yield from started(PostfixMTA)
