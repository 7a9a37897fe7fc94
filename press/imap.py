"""Reading a mailbox over IMAP with TLS, as the bounce and enquiry mailboxes are read: log in checking the
server's certificate, hand the messages over in batches, and move each batch to a done folder once the
caller has committed it, so the inbox holds only what is still to read.

Settings come in one family per mailbox, PRESS_<NAME>_IMAP_HOST and the rest, so the two mailboxes can be
one server's two accounts or two servers.
"""

import contextlib
import ssl
from collections.abc import Callable
from typing import Any

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

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
