"""Time reading bounces from an IMAP mailbox of 10,000 messages, against a bare standard-library loop.

(a) bounces handled per second by `flask press fetch-bounces` (press.bounces.mailbox.fetch: fetch in batches,
    read each report, match its signed envelope, record it once, bounce the delivery and the contact, commit,
    move the batch to the done folder), divided by the rate of a bare loop in the same run that logs in to the
    same Dovecot over TLS, fetches the same messages in the same batches with imaplib and parses each with
    email.message_from_bytes. The bare loop runs before (cold: the first read of the new mailbox) and after
    (on the done folder); the ratio is against the faster of the two.

The bare loop writes nothing, so the ratio shows what the bookkeeping costs; the verdict is on the rate an
office needs. `python bench/bounces.py [--messages N] [--database-url URL]`; the mailbox is a private Dovecot
(make mail-deps).
"""

from __future__ import annotations

import argparse
import email
import imaplib
import os
import platform
import sys
import time
from pathlib import Path

from flask_migrate import upgrade
from sqlalchemy import func, insert, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.newsroom import database_description, throwaway_database
from press import create_app
from press.bounces import mailbox
from press.bounces.models import InboundBounce
from press.contacts.models import Contact, ContactStatus
from press.extensions import db
from press.outbox.messages import envelope_sender
from press.outbox.models import Delivery, DeliveryStatus
from tests.bounces import delivery_report
from tests.imapserver import ImapServer

SECRET = "bench-bounces-" + "k" * 32
DOMAIN = "northshire.example"
# The bare loop writes nothing; each bounce handled writes its record, the delivery, the contact, the
# contact's history and the audit trail. The target is what an office needs: a bad week's 10,000 bounces
# (a list gone stale) read within a minute.
TARGET_RATE = 10_000 / 60


def app_for(url: str, server: ImapServer):
    return create_app({
        "SECRET_KEY": SECRET, "SQLALCHEMY_DATABASE_URI": url, "MAIL_DEFAULT_SENDER": f"press@{DOMAIN}",
        "PRESS_BOUNCE_IMAP_HOST": server.host, "PRESS_BOUNCE_IMAP_PORT": server.port,
        "PRESS_BOUNCE_IMAP_USERNAME": server.username, "PRESS_BOUNCE_IMAP_PASSWORD": server.password,
        "PRESS_BOUNCE_IMAP_CA_FILE": str(server.cafile), "PRESS_UPLOAD_DIR": "/tmp", "PRESS_IMPORT_DIR": "/tmp",
    })


def build(app, messages: int) -> list[bytes]:
    """A contact and a sent delivery for each message, and the report that comes back for it."""
    with app.app_context():
        upgrade()
        db.session.execute(insert(Contact), [
            {"id": n, "name": f"Journalist {n}", "email": f"j{n}@news{n % 97}.example", "status": ContactStatus.ACTIVE,
             "unsubscribe_key": f"key-{n}", "bounce_score": 0} for n in range(1, messages + 1)])
        db.session.execute(insert(Delivery), [
            {"id": n, "kind": "release", "contact_id": n, "to_address": f"j{n}@news{n % 97}.example", "payload": {},
             "status": DeliveryStatus.SENT, "secret": f"{n:032x}", "bounce_reason": ""} for n in range(1, messages + 1)])
        db.session.commit()
    reports = []
    for n in range(1, messages + 1):
        verp = envelope_sender(n, DOMAIN, SECRET)
        raw = delivery_report(verp, f"j{n}@news{n % 97}.example", message_id=f"<dsn.{n}@mx.news.example>")
        reports.append(f"Delivered-To: {verp}\r\n".encode() + raw)
    return reports


def bare_loop(server: ImapServer, folder: str, batch: int) -> tuple[int, float]:
    """Fetch every message in the folder in batches and parse each: the least any reader must do."""
    started = time.perf_counter()
    client = imaplib.IMAP4_SSL(server.host, server.port, ssl_context=server.ssl_context())
    client.login(server.username, server.password)
    client.select(f'"{folder}"', readonly=True)
    _, found = client.uid("SEARCH", None, "ALL")
    uids = found[0].split()
    parsed = 0
    for start in range(0, len(uids), batch):
        chunk = b",".join(uids[start:start + batch])
        _, data = client.uid("FETCH", chunk, "(BODY.PEEK[])")
        for item in data:
            if isinstance(item, tuple):
                email.message_from_bytes(item[1])
                parsed += 1
    client.logout()
    return parsed, time.perf_counter() - started


def verdict(label: str, ok: bool, detail: str) -> None:
    print(f"verdict  {label:<34} {'PASS' if ok else 'FAIL'}  {detail}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--database-url", default=None, help="a PostgreSQL server URL; default: a SQLite file")
    options = parser.parse_args(argv)
    print(f"Python {platform.python_version()} on {platform.system()} {platform.machine()}, "
          f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}")
    with throwaway_database(options.database_url) as url, ImapServer() as server:
        app = app_for(url, server)
        print(f"Database: {database_description(app)}; mailbox: Dovecot on {server.host}:{server.port} (TLS)")
        reports = build(app, options.messages)
        started = time.perf_counter()
        server.fill(reports)
        print(f"Mailbox filled with {len(reports):,} reports in {time.perf_counter() - started:.1f} s")

        cold_count, cold_seconds = bare_loop(server, "INBOX", mailbox.BATCH)
        started = time.perf_counter()
        fetched, folder = mailbox.fetch(app)
        ours_seconds = time.perf_counter() - started
        warm_count, warm_seconds = bare_loop(server, folder, mailbox.BATCH)

        with app.app_context():
            recorded = db.session.scalar(select(func.count()).select_from(InboundBounce))
            bounced = db.session.scalar(select(func.count()).select_from(Contact)
                                        .where(Contact.status == ContactStatus.BOUNCED))
        handled = sum(fetched.outcomes.values())
        ours_rate = handled / ours_seconds
        cold_rate, warm_rate = cold_count / cold_seconds, warm_count / warm_seconds
        bare_rate = max(cold_rate, warm_rate)
        print(f"bare imaplib + email loop, cold: {cold_count:,} in {cold_seconds:.2f} s = {cold_rate:,.0f} msg/s")
        print(f"bare imaplib + email loop, warm: {warm_count:,} in {warm_seconds:.2f} s = {warm_rate:,.0f} msg/s")
        print(f"fetch-bounces: {handled:,} in {ours_seconds:.2f} s = {ours_rate:,.0f} msg/s "
              f"({fetched.summary(folder)})")
        ratio = ours_rate / bare_rate
        print(f"(a) rate: fetch-bounces / bare loop (the faster) = {ratio:.2f}")
        verdict("(a) everything handled once", handled == recorded == bounced == len(reports)
                and fetched.moved == len(reports) and server.folder_messages("INBOX") == [],
                f"{handled:,} handled, {recorded:,} recorded, {bounced:,} contacts bounced, {fetched.moved:,} moved")
        verdict("(a) bounces handled per second", ours_rate >= TARGET_RATE,
                f"{ours_rate:,.0f} msg/s (target >= {TARGET_RATE:,.0f}: 10,000 in a minute); "
                f"{1000 / ours_rate:.2f} ms each against the bare loop's {1000 / bare_rate:.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
