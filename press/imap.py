"""Reading a mailbox over IMAP with TLS, as the bounce and enquiry mailboxes are read: log in checking the
server's certificate, hand the messages over in batches, and move each batch to a done folder once the
caller has committed it, so the inbox holds only what is still to read.

Settings come in one family per mailbox, PRESS_<NAME>_IMAP_HOST and the rest, so the two mailboxes can be
one server's two accounts or two servers.
"""

import contextlib
import logging
import ssl
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from press.extensions import db

log = logging.getLogger(__name__)

BATCH = 200
SETTINGS = ("host", "port", "username", "password", "folder", "done_folder", "ca_file", "starttls")


class MailboxError(Exception):
    """The mailbox could not be read: not set up, unreachable, refused the login, or its certificate failed."""


def settings(config: dict[str, Any], family: str, what: str) -> dict[str, Any]:
    """The PRESS_<family>_IMAP_* settings, by their short names; refused when no host is set."""
    prefix = f"PRESS_{family}_IMAP_"
    if not config[f"{prefix}HOST"]:
        raise MailboxError(f"{prefix}HOST is not set: give the {what}'s IMAP server, and "
                           f"{prefix}USERNAME and {prefix}PASSWORD for it.")
    return {name: config[f"{prefix}{name.upper()}"] for name in SETTINGS} | {"prefix": prefix}


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
                   f"{options['prefix']}CA_FILE if it is signed by an organisation's own authority.")
    except (OSError, IMAPClientError) as error:
        problem = f"Could not reach the IMAP server {host}:{port} ({error})."
    else:
        return client
    if client is not None:
        with contextlib.suppress(OSError, IMAPClientError):
            client.shutdown()
    raise MailboxError(problem)


def read_folder(options: dict[str, Any], take: Callable[[list[tuple[int, bytes]]], list[int]],
                batch: int = BATCH) -> int:
    """Give every message in the folder to ``take`` a batch at a time, moving the uids it returns (the ones it
    has committed) to the done folder; how many were moved."""
    moved = 0
    client = connect(options)
    try:
        if not client.folder_exists(options["done_folder"]):
            client.create_folder(options["done_folder"])
        client.select_folder(options["folder"])
        uids = client.search(["NOT", "DELETED"])
        for start in range(0, len(uids), batch):
            chunk = uids[start:start + batch]
            messages = client.fetch(chunk, ["BODY.PEEK[]"])
            done = take([(uid, messages[uid][b"BODY[]"]) for uid in chunk if uid in messages])
            if done:
                move(client, done, options["done_folder"])
                moved += len(done)
    except IMAPClientError as error:
        raise MailboxError(f"The IMAP server stopped answering as expected ({error}).") from None
    finally:
        with contextlib.suppress(OSError, IMAPClientError):
            client.logout()
    return moved


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


@dataclass
class Fetched:
    """What one reading of a mailbox did: each outcome counted, how many messages were moved, how many left."""

    outcomes: Counter = field(default_factory=Counter)
    moved: int = 0
    left: int = 0

    def left_text(self) -> str:
        if not self.left:
            return ""
        return f" {self.left} could not be read and {'was' if self.left == 1 else 'were'} left in the inbox."


def file_batch(app: Flask, messages: list[tuple[int, bytes]], fetched: Fetched,
               file_one: Callable[[Session, bytes], str], *, seen: str, what: str) -> list[int]:
    """File a batch of messages in one transaction, each in a savepoint of its own; the uids to move once it
    is committed.

    A message that another reader filed a moment ago (its unique key taken) counts as ``seen``, and is moved.
    One that cannot be read at all is logged and stays in the inbox, so it holds up none of the others. A
    database error ends the batch, rolled back, and nothing of it is moved.
    """
    done = []
    with app.app_context():
        try:
            for uid, raw in messages:
                try:
                    with db.session.begin_nested():
                        outcome = file_one(db.session, raw)
                except IntegrityError:
                    outcome = seen
                except SQLAlchemyError:
                    raise
                except Exception:
                    log.exception("%s message %s could not be read; it stays in the inbox", what, uid)
                    fetched.left += 1
                    continue
                fetched.outcomes[outcome] += 1
                done.append(uid)
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
        finally:
            db.session.remove()
    return done
