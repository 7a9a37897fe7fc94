"""Several worker processes on one machine, for real parallelism: building messages is CPU-bound.

Each child is a fresh interpreter running this module (nothing is shared across a fork: no engine and
no socket). It builds the worker's app with the factory the command names (press.factory.create_worker_app:
no views, forms or web extensions) and runs its own Worker on a share of the relay's connections and rate, so
the limits set for the whole worker still hold. The parent only passes signals on and watches its
children; each child holds the read end of a pipe from the parent, and stops when it reads end of file,
which is when the parent has gone, however it went.

`flask press worker --processes N` replaces itself with this module's supervisor (same process id, so
service managers and signals still find it). The parent then carries no app, only this module, and the
whole worker's memory is the children's plus a few megabytes.
"""

import argparse
import importlib
import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

log = logging.getLogger(__name__)

STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT}
MODULE = "press.outbox.processes"  # run with -m, as the supervisor and as each child


@dataclass(frozen=True)
class Share:
    """What one child process may use: relay connections, and messages a minute (0: no limit)."""

    connections: int
    rate_per_minute: int

    def argument(self) -> str:
        """The share as the --share argument of a child or a supervisor."""
        return f"--share={self.connections}:{self.rate_per_minute}"

    @classmethod
    def parse(cls, text: str) -> "Share":
        connections, rate_per_minute = text.split(":", 1)
        return cls(int(connections), int(rate_per_minute))


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


def load_factory(name: str) -> Callable[[], Any]:
    """The app factory named "module:function", as the command that started the supervisor gave it."""
    module, _, function = name.partition(":")
    return getattr(importlib.import_module(module), function)


def run_child(factory: str, share: Share, once: bool, results_fd: int, lifeline_fd: int) -> None:
    """A child's life: build the worker's app, run one Worker on this share, and write back how many it handled.

    ``factory`` names the app factory; `flask press worker` gives press.factory:create_worker_app, which
    builds the app from the same environment as every press process, with the settings, the database, mail
    and the emails, and without the web app's views, forms and extensions.
    """
    # Imported here, never in the parent; the stop signals stay blocked until the handlers are in place.
    from press.outbox.worker import Worker, configure_logging

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
    watch_parent(lifeline_fd, stop)

    configure_logging()
    app = load_factory(factory)()
    app.config.update(PRESS_SMTP_CONNECTIONS=share.connections, PRESS_SEND_RATE_PER_MINUTE=share.rate_per_minute,
                      PRESS_WORKER_PROCESSES=1)
    runner = Worker(app)
    handled = 0 if stop_requested.is_set() else runner.run(once=once)
    try:
        os.write(results_fd, str(handled).encode())
    except BrokenPipeError:
        pass  # the parent has gone: nobody is left to tell
    finally:
        os.close(results_fd)
    if runner.gave_up:
        raise SystemExit(1)


def watch_parent(lifeline_fd: int, stop: Callable[[], None]) -> None:
    """Stop this child too if its parent dies without telling it (killed outright, say)."""

    def watch() -> None:
        while os.read(lifeline_fd, 64):
            pass  # the parent never writes; end of file means it has gone
        stop()

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


@dataclass
class Child:
    name: str
    pid: int
    results_fd: int  # read end: the child writes how many deliveries it handled
    lifeline_fd: int  # write end, held open for as long as this parent lives
    exitcode: int | None = None


class Supervisor:
    """Starts a worker process per share, passes SIGTERM and SIGINT on to them, and waits for them all."""

    def __init__(self, factory: str, plan: list[Share], once: bool) -> None:
        self.factory = factory
        self.plan = plan
        self.once = once
        self.children: list[Child] = []
        self.stopping = False
        self.failed: list[str] = []

    def stop(self, *_: Any) -> None:
        """Ask every child still running to finish what it has in flight and exit."""
        self.stopping = True
        for child in self.children:
            if child.exitcode is None:
                try:
                    os.kill(child.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass

    def run(self) -> int:
        """Run the children until they have all exited; return how many deliveries they handled in all."""
        previous = {number: signal.getsignal(number) for number in STOP_SIGNALS}
        # Blocked while children start: a child inherits the mask and unblocks once it can stop cleanly,
        # and a signal meant for the parent waits until every child is there to be told.
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
        try:
            for number in STOP_SIGNALS:
                signal.signal(number, self.stop)
            for n, share in enumerate(self.plan, start=1):
                self.children.append(self._start(f"press-worker-{n}", share))
        except BaseException:
            self.stop()
            raise
        finally:
            # Unblocked outright, not set back: a parent that replaced `flask press worker` starts with them blocked.
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked - STOP_SIGNALS)
        try:
            self._wait_for_children()
        finally:
            for number, handler in previous.items():
                signal.signal(number, handler)
            for child in self.children:
                os.close(child.lifeline_fd)
        return sum(self._handled(child) for child in self.children)

    def _start(self, name: str, share: Share) -> Child:
        results_read, results_write = os.pipe()
        lifeline_read, lifeline_write = os.pipe()
        command = [sys.executable, "-m", MODULE, "--child", "--factory", self.factory, share.argument(),
                   f"--results-fd={results_write}", f"--lifeline-fd={lifeline_read}"]
        if self.once:
            command.append("--once")
        try:
            process = subprocess.Popen(command, pass_fds=(results_write, lifeline_read), stdin=subprocess.DEVNULL)
        except BaseException:
            for fd in (results_read, lifeline_write):
                os.close(fd)
            raise
        finally:
            os.close(results_write)
            os.close(lifeline_read)
        return Child(name, process.pid, results_read, lifeline_write)

    def _wait_for_children(self) -> None:
        running = {child.pid: child for child in self.children}
        while running:
            try:
                pid, status = os.waitpid(-1, 0)
            except ChildProcessError:
                break
            child = running.pop(pid, None)
            if child is None:
                continue
            child.exitcode = os.waitstatus_to_exitcode(status)
            expected = child.exitcode == 0 and (self.once or self.stopping)
            # A child told to stop before it could catch the signal has nothing in flight.
            stopped_early = self.stopping and child.exitcode == -signal.SIGTERM
            if not (expected or stopped_early):
                self.failed.append(f"{child.name} (pid {child.pid}) exited with {child.exitcode}")
                log.error("%s; stopping the other worker processes", self.failed[-1])
                self.stop()

    @staticmethod
    def _handled(child: Child) -> int:
        try:
            data = b""
            while chunk := os.read(child.results_fd, 64):
                data += chunk
            return int(data) if data else 0
        except ValueError:
            return 0
        finally:
            os.close(child.results_fd)


def replace_process(factory: str, plan: list[Share], once: bool) -> NoReturn:
    """Become a supervisor running `plan`, in this same process, leaving everything loaded so far behind.

    The stop signals are blocked across the exec (the mask survives it), so one sent meanwhile waits for
    the supervisor's handler instead of killing the process with children about to start.
    """
    arguments = [sys.executable, "-m", MODULE, "--factory", factory, *(share.argument() for share in plan)]
    if once:
        arguments.append("--once")
    sys.stdout.flush()
    sys.stderr.flush()
    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    os.execv(sys.executable, arguments)


def main(argv: Sequence[str] | None = None) -> int:
    """The supervisor that `flask press worker --processes N` becomes, or (with --child) one of its children."""
    parser = argparse.ArgumentParser(prog="flask press worker", description=__doc__)
    parser.add_argument("--factory", required=True, help="the app factory each child calls, module:function")
    parser.add_argument("--share", action="append", required=True, help="CONNECTIONS:RATE_PER_MINUTE")
    parser.add_argument("--once", action="store_true")
    parser.add_argument("--child", action="store_true")
    parser.add_argument("--results-fd", type=int)
    parser.add_argument("--lifeline-fd", type=int)
    options = parser.parse_args(argv)
    plan = [Share.parse(share) for share in options.share]
    if options.child:
        run_child(options.factory, plan[0], options.once, options.results_fd, options.lifeline_fd)
        return 0
    supervisor = Supervisor(options.factory, plan, options.once)
    handled = supervisor.run()
    if supervisor.failed:
        print(f"Error: {'; '.join(supervisor.failed)}: the other processes were stopped.", file=sys.stderr)
        return 1
    print(f"{handled} deliveries handled")
    return 0


if __name__ == "__main__":
    sys.exit(main())
