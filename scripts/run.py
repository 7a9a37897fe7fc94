"""Start the press office for local use: web, worker and (with no relay configured) a mail catcher."""

import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST, PORT = "127.0.0.1", int(os.environ.get("PORT", "5000"))
CATCHER_PORT = int(os.environ.get("PRESS_CATCHER_PORT", "8025"))


def local_environment() -> dict[str, str]:
    """The environment for local use: a secret key kept in instance/, SQLite, the local base URL."""
    instance = ROOT / "instance"
    instance.mkdir(exist_ok=True)
    key_file = instance / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    env = dict(os.environ)
    env.setdefault("SECRET_KEY", key_file.read_text().strip())
    env.setdefault("PRESS_BASE_URL", f"http://{HOST}:{PORT}")
    env["FLASK_APP"] = "app.py"
    if "MAIL_SERVER" not in os.environ:
        env.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=str(CATCHER_PORT), MAIL_USE_TLS="false", MAIL_USE_SSL="false",
                   PRESS_MAIL_CATCHER_DIR=str(instance / "mail"))
    return env


def flask(*args: str, env: dict[str, str], capture: bool = False) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "flask", *args], cwd=ROOT, env=env, check=True, text=True,
        stdout=subprocess.PIPE if capture else None,
    )
    return result.stdout or ""


def main() -> None:
    env = local_environment()
    flask("db", "upgrade", env=env)
    login = flask("press", "demo", env=env, capture=True).strip()
    commands = {
        "web": [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"{HOST}:{PORT}",
                "--access-logfile", "-", "app:app"],
        "worker": [sys.executable, "-m", "flask", "press", "worker"],
    }
    if "PRESS_MAIL_CATCHER_DIR" in env:
        commands["mail catcher"] = [sys.executable, "-m", "press.outbox.mailcatcher", "--port", str(CATCHER_PORT),
                                    "--directory", env["PRESS_MAIL_CATCHER_DIR"]]
    processes = {name: subprocess.Popen(command, cwd=ROOT, env=env) for name, command in commands.items()}
    base = env["PRESS_BASE_URL"]
    print(f"\n  Press office running at {base}/  (staff area: {base}/staff/login)")
    print(f"  {login}")
    if "PRESS_MAIL_CATCHER_DIR" in env:
        print(f"  Mail goes to the local catcher; read it at {base}/staff/mail/")
    print("  Press Ctrl-C to stop.\n", flush=True)
    try:
        while all(process.poll() is None for process in processes.values()):
            time.sleep(0.5)
        stopped = [name for name, process in processes.items() if process.poll() is not None]
        print(f"  Stopped: {', '.join(stopped)} exited.", file=sys.stderr)
    except KeyboardInterrupt:
        pass
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


if __name__ == "__main__":
    main()
