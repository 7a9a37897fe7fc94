"""`flask press fetch-bounces`: read the mailbox the bounce address delivers to, over IMAP with TLS.

Each message is handled as the SMTP listener handles one (press.bounces.processing), committed, and then
moved to a folder of its own, so the inbox holds only what is still to read. A message handled before (by
its Message-ID) is only moved; one that cannot be read is left where it is, to be looked at.
"""

import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from press import imap
from press.bounces.processing import handle
from press.extensions import db
from press.imap import BATCH, MailboxError, connect, move

__all__ = ["BATCH", "Fetched", "MailboxError", "connect", "fetch", "move", "settings", "take"]

log = logging.getLogger(__name__)


@dataclass
class Fetched:
    outcomes: Counter = field(default_factory=Counter)
    moved: int = 0
    left: int = 0

    def summary(self, done_folder: str) -> str:
        handled = sum(self.outcomes.values())
        if not handled and not self.left:
            return "No new messages in the bounce mailbox."
        parts = ", ".join(f"{count} {outcome}" for outcome, count in sorted(self.outcomes.items()))
        text = f"{handled} {'message' if handled == 1 else 'messages'} read: {parts}; {self.moved} moved to {done_folder}."
        if self.left:
            text += f" {self.left} could not be read and {'was' if self.left == 1 else 'were'} left in the inbox."
        return text


def settings(app: Flask) -> dict[str, Any]:
    return imap.settings(app.config, "BOUNCE", "bounce mailbox")


def fetch(app: Flask) -> tuple[Fetched, str]:
    """Read every message in the bounce folder once, then move it aside; what was read, and where it went."""
    options = settings(app)
    fetched = Fetched()
    fetched.moved = imap.read_folder(options, lambda messages: take(app, messages, fetched))
    return fetched, options["done_folder"]


def take(app: Flask, messages: list[tuple[int, bytes]], fetched: Fetched) -> list[int]:
    """Handle a batch in one transaction; the uids to move once it is committed."""
    done = []
    with app.app_context():
        try:
            for uid, raw in messages:
                try:
                    with db.session.begin_nested():
                        handled = handle(db.session, raw, source="imap")
                except IntegrityError:
                    # Taken by the SMTP listener, or another poller, a moment ago: handled, so moved.
                    fetched.outcomes["seen before"] += 1
                    done.append(uid)
                    continue
                except SQLAlchemyError:
                    raise
                except Exception:
                    log.exception("Bounce message %s could not be read; it stays in the inbox", uid)
                    fetched.left += 1
                    continue
                fetched.outcomes[str(handled.outcome) if handled.outcome is not None else "seen before"] += 1
                done.append(uid)
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
        finally:
            db.session.remove()
    return done

