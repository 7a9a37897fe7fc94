"""What the fixtures of the real servers the tests start (SMTP, IMAP, Postfix) share."""

from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any, Protocol, Self, TypeVar


class Server(Protocol):
    def start(self) -> None: ...

    def stop(self) -> None: ...


S = TypeVar("S", bound=Server)


class Running:
    """A server that is started on entering a with block and stopped on leaving it."""

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()


def started(make: Callable[..., S]) -> Iterator[Callable[..., S]]:
    """Start servers made by ``make`` as a test asks for them; stop them all, the newest first, when it ends."""
    running: list[S] = []

    def start(*args: Any, **options: Any) -> S:
        server = make(*args, **options)
        server.start()
        running.append(server)
        return server

    try:
        yield start
    finally:
        for server in reversed(running):
            server.stop()
