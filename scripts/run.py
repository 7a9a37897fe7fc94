"""Start the press office for local use: web, worker and (with no relay configured) a mail catcher.

SIGTERM is handled like Ctrl-C: every process this started, gunicorn's workers included, is stopped
before it exits, so the ports are free for the next run.
"""

import ctypes
import ctypes.util
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
# How long the web app, the worker and the catcher get to start, and then to stop before they are killed.
START_SECONDS = 60
STOP_SECONDS = 10
PR_SET_PDEATHSIG = 1


def stop_with_parent() -> None:
    """In the child before it runs: on Linux, have the kernel send SIGTERM should this script be killed outright."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def settings() -> tuple[int, int, Path]:
    """The web app's port, the mail catcher's port and the instance directory, from the environment."""
    port = int(os.environ.get("PORT", "5000"))
    catcher_port = int(os.environ.get("PRESS_CATCHER_PORT", "8025"))
    instance = Path(os.environ.get("PRESS_INSTANCE_DIR") or ROOT / "instance").resolve()
    return port, catcher_port, instance


def local_environment(port: int | None = None, catcher_port: int | None = None,
                      instance: Path | None = None) -> dict[str, str]:
    """The environment for local use: a secret key kept in the instance directory, SQLite, the local base URL.

    What is not given comes from the environment, as settings() reads it.
    """
    default_port, default_catcher_port, default_instance = settings()
    port = default_port if port is None else port
    catcher_port = default_catcher_port if catcher_port is None else catcher_port
    instance = default_instance if instance is None else instance
    instance.mkdir(parents=True, exist_ok=True)
    key_file = instance / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    env = dict(os.environ)
    env.setdefault("SECRET_KEY", key_file.read_text().strip())
    env.setdefault("PRESS_BASE_URL", f"http://{HOST}:{port}")
    env.setdefault("DATABASE_URL", f"sqlite:///{instance / 'press.db'}")
    env.setdefault("PRESS_UPLOAD_DIR", str(instance / "uploads"))
    env.setdefault("PRESS_IMPORT_DIR", str(instance / "imports"))
    env["FLASK_APP"] = "app.py"
    if "MAIL_SERVER" not in os.environ:
        env.update(MAIL_SERVER=HOST, MAIL_PORT=str(catcher_port), MAIL_USE_TLS="false", MAIL_USE_SSL="false",
                   PRESS_MAIL_CATCHER_DIR=str(instance / "mail"))
    return env


def port_in_use(port: int) -> bool:
    """Whether something already listens on the port on loopback."""
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex((HOST, port)) == 0


def flask(*args: str, env: dict[str, str], capture: bool = False) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "flask", *args], cwd=ROOT, env=env, check=True, text=True,
        stdout=subprocess.PIPE if capture else None,
    )
    return result.stdout or ""


def start(command: list[str], env: dict[str, str]) -> subprocess.Popen:
    """Start a child in a process group of its own, so stopping the group stops whatever it starts in turn.

    Its own group also keeps a terminal's Ctrl-C from reaching it before this script asks it to stop.
    """
    return subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True, preexec_fn=stop_with_parent)


def stop(processes: dict[str, subprocess.Popen]) -> None:
    """Ask every child's process group to stop, wait a while, then kill what is left."""
    for process in processes.values():
        signal_group(process, signal.SIGTERM)
    deadline = time.monotonic() + STOP_SECONDS
    for process in processes.values():
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
    for process in processes.values():
        # The group's other members (gunicorn's workers, the worker's processes) may outlive their parent.
        signal_group(process, signal.SIGKILL)
        process.wait()


def signal_group(process: subprocess.Popen, signum: int) -> None:
    try:
        os.killpg(process.pid, signum)
    except (ProcessLookupError, PermissionError):
        pass


def web_answers(base: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
            return response.status == 200
    except (OSError, urllib.error.URLError):
        return False


def wait_for(ready, processes: dict[str, subprocess.Popen], what: str) -> str | None:
    """Wait until ready() is true; the name of a child that exited meanwhile, or of what never became ready."""
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        exited = [name for name, process in processes.items() if process.poll() is not None]
        if exited:
            return " and ".join(exited)
        if ready():
            return None
        time.sleep(0.2)
    return f"{what} (not ready within {START_SECONDS} seconds)"


def login_block(env: dict[str, str], login: str) -> str:
    base = env["PRESS_BASE_URL"]
    lines = ["", f"  Press office running at {base}/  (staff area: {base}/staff/login)", f"  {login}"]
    if "PRESS_MAIL_CATCHER_DIR" in env:
        lines.append(f"  Mail goes to the local catcher on port {env['MAIL_PORT']}; read it at {base}/staff/mail/")
    lines += ["  Press Ctrl-C to stop.", ""]
    return "\n".join(lines)


def interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def main() -> int:
    # A supervisor or `kill` sends SIGTERM; it stops everything, as Ctrl-C does.
    signal.signal(signal.SIGTERM, interrupt)
    port, catcher_port, instance = settings()
    env = local_environment(port, catcher_port, instance)
    catching = "PRESS_MAIL_CATCHER_DIR" in env
    taken = [f"{port} (set PORT to use another)"] if port_in_use(port) else []
    bounce_port = int(os.environ.get("PRESS_BOUNCE_PORT", "8026"))
    if catching and port_in_use(catcher_port):
        taken.append(f"{catcher_port} (set PRESS_CATCHER_PORT to use another)")
    if catching and port_in_use(bounce_port):
        taken.append(f"{bounce_port} (set PRESS_BOUNCE_PORT to use another)")
    if taken:
        print(f"Cannot start: something is already using port {' and port '.join(taken)}.", file=sys.stderr)
        return 1
    processes: dict[str, subprocess.Popen] = {}
    try:
        flask("db", "upgrade", env=env)
        login = flask("press", "demo", env=env, capture=True).strip()
        if catching:
            # The bounce listener takes the reports the catcher sends back for mail to bounce.invalid.
            processes["bounce listener"] = start([sys.executable, "-m", "flask", "press", "bounces", "--port",
                                                  str(bounce_port)], env)
            processes["mail catcher"] = start([sys.executable, "-m", "press.outbox.mailcatcher", "--port",
                                               str(catcher_port), "--directory", env["PRESS_MAIL_CATCHER_DIR"],
                                               "--bounce-to", f"{HOST}:{bounce_port}"], env)
            failed = wait_for(lambda: port_in_use(catcher_port) and port_in_use(bounce_port), processes,
                              "the mail catcher and the bounce listener")
            if failed:
                print(f"  Stopped: {failed} did not start.", file=sys.stderr)
                return 1
        # What is due now (the demo's acknowledgements) goes out before the login block, not scattered after it.
        subprocess.run([sys.executable, "-m", "flask", "press", "worker", "--once"], cwd=ROOT, env=env,
                       stdout=subprocess.DEVNULL)
        processes["worker"] = start([sys.executable, "-m", "flask", "press", "worker"], env)
        # Warnings only, and requests in a file, so the login block is the last thing on the screen.
        processes["web"] = start([sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"{HOST}:{port}",
                                  "--log-level", "warning", "--access-logfile", str(instance / "access.log"),
                                  "app:app"], env)
        failed = wait_for(lambda: web_answers(env["PRESS_BASE_URL"]), processes, "the web app")
        if failed:
            print(f"  Stopped: {failed} did not start.", file=sys.stderr)
            return 1
        print(login_block(env, login), flush=True)
        while all(process.poll() is None for process in processes.values()):
            time.sleep(0.5)
        stopped = [name for name, process in processes.items() if process.poll() is not None]
        print(f"  Stopped: {', '.join(stopped)} exited.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("  Stopping the press office...", file=sys.stderr, flush=True)
        return 0
    except subprocess.CalledProcessError as error:
        print(f"  Stopped: {' '.join(error.cmd[2:])} failed.", file=sys.stderr)
        return 1
    finally:
        # A second Ctrl-C must not cut the stopping short and leave children running.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stop(processes)


if __name__ == "__main__":
    sys.exit(main())
