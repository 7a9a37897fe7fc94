"""`flask press worker --processes N`: child processes sharing the relay's connections and rate.

The commands run as real processes, as in tests/test_worker_processes.py, whose helpers these tests use.
"""

import os
import signal
import time
from pathlib import Path

import pytest

from press.outbox.models import DeliveryStatus
from press.outbox.processes import Share, shares, split
from tests.mailserver import MailServer
from tests.test_worker_processes import handled, make_mailing, rows, statuses, workers


def test_split_is_as_even_as_can_be():
    assert split(7, 3) == [3, 2, 2]
    assert split(6, 3) == [2, 2, 2]
    assert split(1, 1) == [1]


@pytest.mark.parametrize(("processes", "connections", "rate", "expected"), [
    (1, 2, 600, [Share(2, 600)]),
    (2, 2, 600, [Share(1, 300), Share(1, 300)]),
    (2, 5, 601, [Share(3, 301), Share(2, 300)]),
    (3, 8, 0, [Share(3, 0), Share(3, 0), Share(2, 0)]),
    # Never more processes than connections: each needs one of its own.
    (4, 2, 600, [Share(1, 300), Share(1, 300)]),
    (3, 0, 0, [Share(1, 0)]),
    # Nor than messages a minute, since a share of 0 would mean no limit at all.
    (4, 8, 3, [Share(3, 1), Share(3, 1), Share(2, 1)]),
])
def test_shares_keep_the_totals(processes, connections, rate, expected):
    plan = shares(processes, connections, rate)
    assert plan == expected
    assert sum(share.connections for share in plan) == max(1, connections)
    assert sum(share.rate_per_minute for share in plan) == rate


def pids(names: set[str | None]) -> set[int]:
    """The process ids in the workers' names, "host:pid", as recorded on the rows they leased."""
    return {int(name.rsplit(":", 1)[1]) for name in names if name}


def gone(pid: int) -> bool:
    """Whether a process has exited (a zombie waiting to be reaped counts: it sends nothing more)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (FileNotFoundError, ProcessLookupError):
        return True


def spawned_children(pid: int) -> list[int]:
    """The worker processes a parent started."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(c) for c in children if b"\0--child\0" in Path(f"/proc/{c}/cmdline").read_bytes()]


def test_once_with_two_processes_sends_each_message_once(app, database_url, tmp_path):
    mailing = make_mailing(app, 2000)
    with MailServer() as server, workers(tmp_path, database_url, server) as started:
        parent = started.start("--once", "--processes", "2")
        assert handled(started.finish(parent, timeout=120)) == 2000
        assert server.by_recipient() == {address: 1 for address in mailing.addresses}
        assert len(server.refused) == 0

    after = rows(app)
    assert {d.status for d in after} == {DeliveryStatus.SENT}
    assert all(d.attempts == 1 for d in after), "no row was claimed twice"
    senders = pids({d.leased_by for d in after})
    assert len(senders) == 2 and parent.pid not in senders, "both children sent a share, the parent none"


def test_sigterm_to_the_parent_stops_every_child_cleanly(app, database_url, tmp_path):
    mailing = make_mailing(app, 300)
    with MailServer() as server, workers(tmp_path, database_url, server) as started:
        # 600 a minute in all: 300 for each child, one message every 0.2 s each.
        parent = started.start("--processes", "2", PRESS_SEND_RATE_PER_MINUTE=600)
        first = server.wait_for(1, timeout=60)[0].received_at
        arrived = server.wait_for(20, timeout=60)
        children = spawned_children(parent.pid)
        assert len(children) == 2
        parent.send_signal(signal.SIGTERM)
        output = started.finish(parent, timeout=15)
        assert all(gone(child) for child in children), "the parent waited for its children"
        # The shares keep the whole worker to 10 a second, and each child's first message goes at once.
        window = arrived[-1].received_at - first
        assert len(arrived) <= 10 * window + 2 + 1

        counts = statuses(app)
        assert DeliveryStatus.SENDING not in counts, "nothing is left leased"
        assert counts[DeliveryStatus.SENT] == len(server.messages) == handled(output) >= 20
        assert counts[DeliveryStatus.QUEUED] > 0
        assert pids({d.leased_by for d in rows(app) if d.status == DeliveryStatus.SENT}) <= set(children)

        rest = handled(started.finish(started.start("--once", "--processes", "2")))
        assert rest == counts[DeliveryStatus.QUEUED]
        assert server.by_recipient() == {address: 1 for address in mailing.addresses}

    assert statuses(app) == {DeliveryStatus.SENT: 300}


def test_a_child_that_dies_stops_the_others_and_the_parent_fails(app, database_url, tmp_path):
    make_mailing(app, 300)
    with MailServer() as server, workers(tmp_path, database_url, server) as started:
        parent = started.start("--processes", "2", PRESS_SEND_RATE_PER_MINUTE=600)
        server.wait_for(10, timeout=60)
        killed, other = spawned_children(parent.pid)
        os.kill(killed, signal.SIGKILL)
        code = parent.wait(15)
        assert code != 0
        assert f"pid {killed}) exited with -9" in started.output(parent)
        assert gone(other), "the other child was stopped and waited for"
        # The survivor finished its messages and gave the rest back; only the killed child's rows stay leased.
        left = {d.leased_by for d in rows(app) if d.status == DeliveryStatus.SENDING}
        assert pids(left) <= {killed}


def test_a_child_stops_when_its_parent_is_killed(app, database_url, tmp_path):
    make_mailing(app, 300)
    with MailServer() as server, workers(tmp_path, database_url, server) as started:
        parent = started.start("--processes", "2", PRESS_SEND_RATE_PER_MINUTE=600)
        server.wait_for(10, timeout=60)
        children = spawned_children(parent.pid)
        parent.kill()
        parent.wait(10)
        deadline = time.monotonic() + 15
        while not all(gone(child) for child in children) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert all(gone(child) for child in children), "no orphan keeps sending"
        assert DeliveryStatus.SENDING not in statuses(app), "the orphans gave their rows back as they stopped"
