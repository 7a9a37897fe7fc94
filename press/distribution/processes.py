"""Several worker processes on one machine, for real parallelism: building messages is CPU-bound.

Each child loads the app afresh (the "spawn" start method: nothing is shared across a fork, no engine
and no socket) and runs its own Worker on a share of the relay's connections and rate, so the limits
set for the whole worker still hold. The parent only passes signals on and watches its children.
"""

import logging
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

from flask.cli import ScriptInfo

log = logging.getLogger(__name__)

STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT}


@dataclass(frozen=True)
class Share:
    """What one child process may use: relay connections, and messages a minute (0: no limit)."""

    connections: int
    rate_per_minute: int


def split(total: int, parts: int) -> list[int]:
    """Divide a whole number into `parts` whole numbers as even as can be, the larger ones first."""
    base, extra = divmod(total, parts)
    return [base + 1 if n < extra else base for n in range(parts)]


def shares(processes: int, connections: int, rate_per_minute: int) -> list[Share]:
    """Share the connections and the relay's rate out between processes; one share per process that runs.

    Every process needs a connection, and a rate share of zero would mean no limit at all, so there are
    never more processes than connections, nor (when the rate is limited) than messages a minute.
    """
    connections = max(1, connections)
    count = max(1, min(processes, connections))
    if rate_per_minute > 0:
        count = min(count, rate_per_minute)
        rates = split(rate_per_minute, count)
    else:
        rates = [0] * count
    return [Share(c, r) for c, r in zip(split(connections, count), rates, strict=True)]


def run_share(import_path: str | None, share: Share, once: bool, results: Connection) -> None:
    """A child's life: load the app, run one Worker on this share, and send back how many it handled."""
    from press.distribution.worker import Worker  # imported here, after the signals are caught

    stop_requested = threading.Event()
    runner: Worker | None = None

    def stop(*_: Any) -> None:
        stop_requested.set()
        if runner is not None:
            runner.stop()

    for number in STOP_SIGNALS:
        signal.signal(number, stop)
    # The parent started this process with the stop signals blocked, so none was lost before now.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOP_SIGNALS)
    watch_parent(stop)

    app = ScriptInfo(app_import_path=import_path).load_app()
    app.config.update(PRESS_SMTP_CONNECTIONS=share.connections, PRESS_SEND_RATE_PER_MINUTE=share.rate_per_minute,
                      PRESS_WORKER_PROCESSES=1)
    runner = Worker(app)
    handled = 0 if stop_requested.is_set() else runner.run(once=once)
    results.send(handled)
    results.close()


def watch_parent(stop: Callable[[], None]) -> None:
    """Stop this child too if its parent dies without telling it (killed outright, say)."""
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=lambda: (wait([parent.sentinel]), stop()), name="parent-watch", daemon=True).start()


class Supervisor:
    """Starts a worker process per share, passes SIGTERM and SIGINT on to them, and waits for them all."""

    def __init__(self, import_path: str | None, plan: list[Share], once: bool) -> None:
        self.import_path = import_path
        self.plan = plan
        self.once = once
        self.children: list[multiprocessing.process.BaseProcess] = []
        self.results: list[Connection] = []
        self.stopping = False
        self.failed: list[str] = []
        self.ended: set[int] = set()

    def stop(self, *_: Any) -> None:
        """Ask every child still running to finish what it has in flight and exit."""
        self.stopping = True
        # Not child.exitcode: that reaps, and a signal handler must not race the main loop's join.
        for child in self.children:
            if child.pid is not None and child.pid not in self.ended:
                try:
                    os.kill(child.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass

    def run(self) -> int:
        """Run the children until they have all exited; return how many deliveries they handled in all."""
        previous = {number: signal.getsignal(number) for number in STOP_SIGNALS}
        context = multiprocessing.get_context("spawn")
        # Blocked while children start: a child inherits the mask and unblocks once it can stop cleanly,
        # and a signal meant for the parent waits until every child is there to be told.
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        try:
            for number in STOP_SIGNALS:
                signal.signal(number, self.stop)
            for n, share in enumerate(self.plan, start=1):
                receiver, sender = context.Pipe(duplex=False)
                child = context.Process(target=run_share, args=(self.import_path, share, self.once, sender),
                                        name=f"press-worker-{n}")
                child.start()
                sender.close()
                self.children.append(child)
                self.results.append(receiver)
        except BaseException:
            self.stop()
            raise
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        try:
            self._wait_for_children()
        finally:
            for number, handler in previous.items():
                signal.signal(number, handler)
        return sum(self._handled(receiver) for receiver in self.results)

    def _wait_for_children(self) -> None:
        running = list(self.children)
        while running:
            ended = wait([child.sentinel for child in running])
            for child in [child for child in running if child.sentinel in ended]:
                self.ended.add(child.pid)
                child.join()
                running.remove(child)
                expected = child.exitcode == 0 and (self.once or self.stopping)
                # A child told to stop before it could catch the signal has nothing in flight.
                stopped_early = self.stopping and child.exitcode == -signal.SIGTERM
                if not (expected or stopped_early):
                    self.failed.append(f"{child.name} (pid {child.pid}) exited with {child.exitcode}")
                    log.error("%s; stopping the other worker processes", self.failed[-1])
                    self.stop()

    @staticmethod
    def _handled(receiver: Connection) -> int:
        try:
            return int(receiver.recv()) if receiver.poll() else 0
        except EOFError:
            return 0
        finally:
            receiver.close()
