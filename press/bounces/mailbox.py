"""`flask press fetch-bounces`: read the mailbox the bounce address delivers to, over IMAP with TLS.

Each message is handled as the SMTP listener handles one (press.bounces.processing), committed, and then
moved to a folder of its own, so the inbox holds only what is still to read. A message handled before (by
its Message-ID) is only moved; one that cannot be read is left where it is, to be looked at.
"""

import contextlib
import logging
import ssl
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from press.bounces.processing import handle
from press.extensions import db

log = logging.getLogger(__name__)

BATCH = 200


class MailboxError(Exception):
    """The mailbox could not be read: not set up, unreachable, refused the login, or its certificate failed."""


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
    config = app.config
    if not config["PRESS_BOUNCE_IMAP_HOST"]:
        raise MailboxError("PRESS_BOUNCE_IMAP_HOST is not set: give the bounce mailbox's IMAP server, and "
                           "PRESS_BOUNCE_IMAP_USERNAME and PRESS_BOUNCE_IMAP_PASSWORD for it.")
    return {name: config[f"PRESS_BOUNCE_IMAP_{name.upper()}"]
            for name in ("host", "port", "username", "password", "folder", "done_folder", "ca_file", "starttls")}


def connect(options: dict[str, Any]) -> IMAPClient:
    """Log in over TLS (on connect, or STARTTLS), checking the server's certificate."""
    context = ssl.create_default_context(cafile=options["ca_file"] or None)
    host, port = options["host"], options["port"]
    client = None
    try:
        client = IMAPClient(host, port=port, ssl=not options["starttls"], ssl_context=context, timeout=30)
        if options["starttls"]:
            client.starttls(context)
        client.login(options["username"] or "", options["password"] or "")
    except LoginError:
        problem = f"The IMAP server {host} refused the username or password."
    except ssl.SSLError as error:
        problem = (f"The IMAP server {host}'s certificate was not accepted ({error.reason or error}); set "
                   "PRESS_BOUNCE_IMAP_CA_FILE if it is signed by an organisation's own authority.")
    except (OSError, IMAPClientError) as error:
        problem = f"Could not reach the IMAP server {host}:{port} ({error})."
    else:
        return client
    if client is not None:
        with contextlib.suppress(OSError, IMAPClientError):
            client.shutdown()
    raise MailboxError(problem)


def fetch(app: Flask) -> tuple[Fetched, str]:
    """Read every message in the bounce folder once, then move it aside; what was read, and where it went."""
    options = settings(app)
    fetched = Fetched()
    client = connect(options)
    try:
        if not client.folder_exists(options["done_folder"]):
            client.create_folder(options["done_folder"])
        client.select_folder(options["folder"])
        uids = client.search(["NOT", "DELETED"])
        for start in range(0, len(uids), BATCH):
            batch = uids[start:start + BATCH]
            messages = client.fetch(batch, ["BODY.PEEK[]"])
            done = take(app, [(uid, messages[uid][b"BODY[]"]) for uid in batch if uid in messages], fetched)
            if done:
                move(client, done, options["done_folder"])
                fetched.moved += len(done)
    except IMAPClientError as error:
        raise MailboxError(f"The IMAP server stopped answering as expected ({error}).") from None
    finally:
        try:
            client.logout()
        except (OSError, IMAPClientError):
            pass
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


def move(client: IMAPClient, uids: list[int], folder: str) -> None:
    """Move messages to a folder: with MOVE (RFC 6851) where the server has it, else copy, delete and expunge."""
    if client.has_capability("MOVE"):
        client.move(uids, folder)
        return
    client.copy(uids, folder)
    client.delete_messages(uids)
    if client.has_capability("UIDPLUS"):
        client.uid_expunge(uids)
    else:
        client.expunge()
