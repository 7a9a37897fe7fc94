"""Run every benchmark once at a tiny size: each must finish and print its verdicts, so none can rot.

`python bench/smoke.py [--database-url URL]` runs them one after another and exits non-zero if any fails.
It says nothing about speed, which runs this small cannot measure; tests/test_benchmarks.py runs the
same commands in the suite and checks what each prints.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Each benchmark with the smallest arguments it accepts that still go through every measurement.
SMOKE = {
    "newsroom": ["--releases", "200", "--repeat", "2"],
    "contacts": ["--rows", "3000", "--repeat", "2"],
    "send": ["--messages", "200", "--slow-messages", "40", "--slow-connections", "2", "--memory-recipients", "200",
             "--memory-seconds", "0", "--latency-messages", "3", "--processes", "2"],
    "enquiries": ["--enquiries", "500", "--small", "100", "--submissions", "20", "--clients", "2", "--workers", "1",
                  "--repeat", "2"],
    "bounces": ["--messages", "200"],
    "inbox": ["--messages", "200"],
}


def database_arguments(name: str, database_url: str | None) -> list[str]:
    if not database_url:
        return []
    if name == "enquiries":
        return ["--database", "postgresql", "--database-url", database_url]
    return ["--database-url", database_url]


def command(name: str, database_url: str | None = None) -> list[str]:
    """The command line that runs one benchmark at its tiny size."""
    return [sys.executable, str(ROOT / "bench" / f"{name}.py"), *SMOKE[name], *database_arguments(name, database_url)]


def environment() -> dict[str, str]:
    """This environment without the app's settings, so each benchmark configures its own."""
    return {key: value for key, value in os.environ.items() if not key.startswith(("PRESS_", "MAIL_"))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", help="a PostgreSQL server URL; default: SQLite files")
    options = parser.parse_args(argv)
    failed = []
    for name in SMOKE:
        print(f"== bench/{name}.py at a tiny size", flush=True)
        result = subprocess.run(command(name, options.database_url), cwd=ROOT, env=environment(), timeout=600,
                                check=False)
        if result.returncode != 0:
            failed.append(name)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
