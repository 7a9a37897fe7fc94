"""`make run`'s script: the login block comes last, once the app answers, and a signal stops everything it started."""

import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "run.py"
LAST_LINE = "Press Ctrl-C to stop."
START_SECONDS = 120


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def parents() -> dict[int, int]:
    """Every live process's parent, read from /proc; zombies count as gone."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        state, ppid = stat.rpartition(")")[2].split()[:2]
        if state != "Z":
            found[int(entry.name)] = int(ppid)
    return found


def descendants(pid: int) -> set[int]:
    tree = parents()
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in tree.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pids: set[int]) -> set[int]:
    return pids & set(parents())


def command_line(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


class Run:
    """scripts/run.py in a subprocess, its output read line by line as it comes."""

    def __init__(self, tmp_path: Path) -> None:
        self.port = free_port()
        self.catcher_port = next(port for port in iter(free_port, None) if port != self.port)
        self.bounce_port = next(port for port in iter(free_port, None) if port not in (self.port, self.catcher_port))
        env = {name: value for name, value in os.environ.items()
               if name not in ("MAIL_SERVER", "DATABASE_URL", "SECRET_KEY", "PRESS_BASE_URL")}
        env |= {"PORT": str(self.port), "PRESS_CATCHER_PORT": str(self.catcher_port),
                "PRESS_BOUNCE_PORT": str(self.bounce_port), "PRESS_INSTANCE_DIR": str(tmp_path / "instance"), "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen([sys.executable, str(SCRIPT)], cwd=ROOT, env=env, text=True,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []
        self.reader = threading.Thread(target=self.read, daemon=True)
        self.reader.start()

    def read(self) -> None:
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    def take(self, timeout: float) -> str | None:
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            return None
        self.output.append(line)
        return line

    def wait_for_line(self, text: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None and self.lines.empty():
                break
            line = self.take(0.5)
            if line is not None and text in line:
                return
        pytest.fail(f"run.py never printed {text!r}; it printed:\n" + "\n".join(self.output), pytrace=False)

    def later_lines(self, seconds: float) -> list[str]:
        """What it prints over the next few seconds."""
        deadline, later = time.monotonic() + seconds, []
        while (remaining := deadline - time.monotonic()) > 0:
            line = self.take(remaining)
            if line is not None:
                later.append(line)
        return later

    def stop_for_good(self) -> None:
        """Kill whatever is left, should a test fail halfway."""
        for pid in alive(descendants(self.process.pid)):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self.reader.join(timeout=5)
        self.process.stdout.close()


@pytest.fixture
def run(tmp_path):
    started = Run(tmp_path)
    yield started
    started.stop_for_good()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_the_login_block_comes_last_and_a_signal_stops_everything(run, tmp_path, signum):
    run.wait_for_line(LAST_LINE, START_SECONDS)
    block = "\n".join(run.output[-5:])
    assert f"http://127.0.0.1:{run.port}/" in block
    assert "Sign in as priya.shah@northshire.example with password demo-press-office" in block
    assert f"catcher on port {run.catcher_port}" in block
    assert run.later_lines(3) == [""], "nothing but the block's closing blank line comes after it"
    with urllib.request.urlopen(f"http://127.0.0.1:{run.port}/healthz", timeout=5) as response:
        assert response.status == 200, "the app answers once the block is printed"

    children = alive(descendants(run.process.pid))
    commands = [command_line(pid) for pid in children]
    assert sum("gunicorn" in c for c in commands) >= 3, f"gunicorn's master and two workers: {commands}"
    assert any("press worker" in c for c in commands) and any("mailcatcher" in c for c in commands), commands
    assert any("press bounces" in c for c in commands), commands
    assert (tmp_path / "instance" / "press.db").exists() and (tmp_path / "instance" / "secret_key").exists()

    run.process.send_signal(signum)
    assert run.process.wait(timeout=20) == 0
    deadline = time.monotonic() + 5
    while alive(children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(children), [command_line(pid) for pid in alive(children)]
    assert port_is_free(run.port) and port_is_free(run.catcher_port) and port_is_free(run.bounce_port)


def test_a_port_in_use_is_named_with_the_setting_to_change(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {name: value for name, value in os.environ.items() if name not in ("MAIL_SERVER", "PRESS_BASE_URL")}
        env |= {"PORT": str(port), "PRESS_CATCHER_PORT": str(free_port()), "PRESS_BOUNCE_PORT": str(free_port()),
                "PRESS_INSTANCE_DIR": str(tmp_path / "instance")}
        result = subprocess.run([sys.executable, str(SCRIPT)], cwd=ROOT, env=env, text=True, capture_output=True,
                                timeout=30)
    assert result.returncode == 1
    assert f"already using port {port} (set PORT to use another)" in result.stderr
