"""Every benchmark runs to the end at a tiny size, so that a change which breaks one fails the suite.

This checks that each completes and prints its results and verdict lines; it says nothing about speed,
which a run this small could not measure. On a PostgreSQL pass the benchmarks run against that server too.
"""
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from bench import smoke

ROOT = Path(__file__).resolve().parent.parent

# What each must print: a ratio against its baseline, and its verdicts.
RATIO = {
    "newsroom": r"^baseline \(bare Flask\)",
    "contacts": r"^Ratio import rate / bare insert rate: \d",
    "send": r"^\(a\) rate: worker, .* = \d",
    "enquiries": r"^verdict  \(a\) submissions / bare form +(PASS|FAIL)  \d",
    "bounces": r"^\(a\) rate: fetch-bounces / bare loop \(the faster\) = \d",
    "inbox": r"^\(a\) rate: fetch-enquiries / bare loop \(the faster\) = \d",
}


@pytest.mark.parametrize("name", sorted(smoke.SMOKE))
def test_the_benchmark_runs_at_a_tiny_size(name, postgres_server):
    if name == "send" and not (shutil.which("smtp-sink") or os.path.exists("/usr/sbin/smtp-sink")):
        pytest.fail("Postfix's smtp-sink is missing: make test installs it (make bench-deps)")
    result = subprocess.run(smoke.command(name, postgres_server), cwd=ROOT, env=smoke.environment(),
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert re.search(RATIO[name], result.stdout, re.MULTILINE), result.stdout[-3000:]
    verdicts = re.findall(r"^verdict  .* (PASS|FAIL|SLOW)  ", result.stdout, re.MULTILINE)
    assert verdicts, result.stdout[-3000:]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]


def test_a_send_run_that_reached_the_sink_once_or_never_has_a_rate_of_nothing():
    """On a busy machine a time-limited run can end before a second message arrives: the report still prints."""
    from bench.send import WorkerRun
    for sent, first, last in ((0, None, None), (1, 2.0, 2.0)):
        run = WorkerRun("worker command", sent=sent, first_at=first, last_at=last)
        assert run.throughput().rate == 0.0 and run.sending_rate == 0.0
