"""What the fixtures of the real servers the tests start (SMTP, IMAP, Postfix) share."""

from collections.abc import Callable, Iterator
from typing import Any, Protocol, TypeVar


class Server(Protocol):
    def start(self) -> None: ...

    def stop(self) -> None: ...


S = TypeVar("S", bound=Server)


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
