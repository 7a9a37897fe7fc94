"""`flask press fetch-bounces`: read the mailbox the bounce address delivers to, over IMAP with TLS.

Each message is handled as the SMTP listener handles one (press.bounces.processing), committed, and then
moved to a folder of its own, so the inbox holds only what is still to read. A message handled before (by
its Message-ID) is only moved; one that cannot be read is left where it is, to be looked at.
"""

from typing import Any

from flask import Flask
from sqlalchemy.orm import Session

from press import imap
from press.bounces.processing import handle
from press.imap import BATCH, MailboxError, connect, move

__all__ = ["BATCH", "Fetched", "MailboxError", "connect", "fetch", "move", "settings", "take"]

SEEN = "seen before"


class Fetched(imap.Fetched):
    def summary(self, done_folder: str) -> str:
        handled = sum(self.outcomes.values())
        if not handled and not self.left:
            return "No new messages in the bounce mailbox."
        parts = ", ".join(f"{count} {outcome}" for outcome, count in sorted(self.outcomes.items()))
        return (f"{handled} {'message' if handled == 1 else 'messages'} read: {parts}; {self.moved} moved to "
                f"{done_folder}.{self.left_text()}")


def settings(app: Flask) -> dict[str, Any]:
    return imap.settings(app.config, "BOUNCE", "bounce mailbox")


def fetch(app: Flask) -> tuple[Fetched, str]:
    """Read every message in the bounce folder once, then move it aside; what was read, and where it went."""
    options = settings(app)
    fetched = Fetched()
    fetched.moved = imap.read_folder(options, lambda messages: take(app, messages, fetched))
    return fetched, options["done_folder"]


def take(app: Flask, messages: list[tuple[int, bytes]], fetched: Fetched) -> list[int]:
    """Handle a batch in one transaction; the uids to move once it is committed. A bounce that the SMTP
    listener, or another poller, took a moment ago counts as seen before."""
    def file_one(session: Session, raw: bytes) -> str:
        handled = handle(session, raw, source="imap")
        return str(handled.outcome) if handled.outcome is not None else SEEN

    return imap.file_batch(app, messages, fetched, file_one, seen=SEEN, what="Bounce")

