"""Every benchmark runs to the end at a tiny size, so that a change which breaks one fails the suite.

This checks that each completes and prints its results and verdict lines; it says nothing about speed,
which a run this small could not measure. On a PostgreSQL pass the benchmarks run against that server too.
"""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Each benchmark with the smallest arguments it accepts that still go through every measurement.
SMOKE = {
    "newsroom": ["--releases", "200", "--repeat", "2"],
    "contacts": ["--rows", "3000", "--repeat", "2"],
    "send": ["--messages", "200", "--slow-messages", "40", "--slow-connections", "2", "--memory-recipients", "200",
             "--memory-seconds", "0", "--processes", "2"],
    "enquiries": ["--enquiries", "500", "--small", "100", "--submissions", "20", "--clients", "2", "--workers", "1",
                  "--repeat", "2"],
}
# What each must print: a ratio against its baseline, and its verdicts.
RATIO = {
    "newsroom": r"^baseline \(bare Flask\)",
    "contacts": r"^Ratio import rate / bare insert rate: \d",
    "send": r"^\(a\) rate: worker, .* = \d",
    "enquiries": r"^verdict  \(a\) submissions / bare form +(PASS|FAIL)  \d",
}


def database_arguments(name: str, database_url: str | None) -> list[str]:
    if not database_url:
        return []
    if name == "enquiries":
        return ["--database", "postgresql", "--database-url", database_url]
    return ["--database-url", database_url]


@pytest.mark.parametrize("name", sorted(SMOKE))
def test_the_benchmark_runs_at_a_tiny_size(name, postgres_server):
    if name == "send" and not (shutil.which("smtp-sink") or os.path.exists("/usr/sbin/smtp-sink")):
        pytest.fail("Postfix's smtp-sink is missing: make test installs it (make bench-deps)")
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PRESS_", "MAIL_"))}
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / f"{name}.py"), *SMOKE[name], *database_arguments(name, postgres_server)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert re.search(RATIO[name], result.stdout, re.MULTILINE), result.stdout[-3000:]
    verdicts = re.findall(r"^verdict  .* (PASS|FAIL|SLOW)  ", result.stdout, re.MULTILINE)
    assert verdicts, result.stdout[-3000:]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
