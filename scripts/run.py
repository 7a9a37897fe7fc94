"""Start the press office for local use: migrate, load demo data, run the web app, print the address."""

import os
import secrets
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST, PORT = "127.0.0.1", int(os.environ.get("PORT", "5000"))


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
    web = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "2", "--bind", f"{HOST}:{PORT}", "--access-logfile", "-", "app:app"],
        cwd=ROOT, env=env,
    )
    print(f"\n  Press office running at {env['PRESS_BASE_URL']}/  (staff area: {env['PRESS_BASE_URL']}/staff/login)")
    print(f"  {login}\n  Press Ctrl-C to stop.\n", flush=True)
    try:
        web.wait()
    except KeyboardInterrupt:
        pass
    finally:
        web.send_signal(signal.SIGTERM)
        web.wait(timeout=10)


if __name__ == "__main__":
    main()
