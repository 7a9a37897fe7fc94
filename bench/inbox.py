"""Time turning a mailbox of 5,000 journalists' emails into enquiries, against a bare IMAP fetch-and-parse loop.

(a) messages handled per second by `flask press fetch-enquiries` (press.enquiries.inbox.fetch: fetch in
    batches, read each message's sender, text, files and thread headers, file it as a new enquiry (routed, its
    email and timeline written, its acknowledgement and the assignee's alert queued) or as an answer in an
    existing enquiry's conversation, commit, move the batch to the done folder), divided by the rate of a bare
    loop in the same run that logs in to the same Dovecot over TLS with IMAPClient, fetches the same messages
    in the same batches and parses each with email.parser. The bare loop runs before (cold: the first read of
    the new mailbox) and after (on the done folder); the ratio is against the faster of the two.

A tenth of the messages answer an earlier one, a tenth quote a release's reference, and one in twenty is an
out-of-office reply, as a press office's inbox holds. `python bench/inbox.py [--messages N]
[--database-url URL]`; the mailbox is a private Dovecot (make mail-deps).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from email import policy
from email.parser import BytesParser
from pathlib import Path

from flask_migrate import upgrade
from imapclient import IMAPClient
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.newsroom import database_description, throwaway_database
from press import clock, create_app, imap
from press.accounts import services as accounts
from press.enquiries import inbox
from press.enquiries.models import EnquiryEmail
from press.enquiries.services import set_duty_officer
from press.extensions import db
from press.releases import services as releases
from tests.imapserver import ImapServer

DOMAIN = "northshire.example"
REFERENCE = "NBC 2024/25-07"
# What an office needs: a busy morning's mail, or a backlog after the mailbox was away, read in a minute.
TARGET_RATE = 5_000 / 60


def app_for(url: str, server: ImapServer, directory: str):
    return create_app({
        "SECRET_KEY": "bench-inbox-" + "k" * 32, "SQLALCHEMY_DATABASE_URI": url,
        "MAIL_DEFAULT_SENDER": f"press@{DOMAIN}", "PRESS_ENQUIRY_ADDRESS": f"enquiries@{DOMAIN}",
        "PRESS_ENQUIRY_IMAP_HOST": server.host, "PRESS_ENQUIRY_IMAP_PORT": server.port,
        "PRESS_ENQUIRY_IMAP_USERNAME": server.username, "PRESS_ENQUIRY_IMAP_PASSWORD": server.password,
        "PRESS_ENQUIRY_IMAP_CA_FILE": str(server.cafile), "PRESS_UPLOAD_DIR": directory, "PRESS_IMPORT_DIR": directory,
    })


def build(app) -> None:
    """A duty officer for enquiries about nothing in particular, and a release with its media contact."""
    with app.app_context():
        upgrade()
        duty = accounts.create_user(db.session, email=f"duty@{DOMAIN}", name="Duty Officer", role="staff",
                                    password="correct horse battery staple")
        contact = accounts.create_user(db.session, email=f"jane@{DOMAIN}", name="Jane Smith", role="manager",
                                       password="correct horse battery staple")
        set_duty_officer(db.session, duty, by=None)
        release = releases.create_release(
            db.session, by=None, prefix="NBC", reference=REFERENCE, headline="New library opening", standfirst="",
            body="The council has opened a new library.", notes_to_editors="", helpline="",
            release_date=clock.now().date(), embargo_at=None, contact_id=contact.id)
        releases.finalise_release(db.session, release, by=None)
        db.session.commit()


def message(n: int) -> bytes:
    """The nth message: most start an enquiry, some answer an earlier one, some are out-of-office replies."""
    who = n % 400
    journalist = f"j{who}@news{who % 37}.example"
    headers = [f"From: Journalist {who} <{journalist}>", f"To: enquiries@{DOMAIN}",
               f"Date: Tue, 3 Sep 2024 10:{n % 60:02d}:00 +0100", f"Message-ID: <m{n}.bench@news{who % 37}.example>",
               "MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8"]
    subject, text = f"Question {n} about the budget", f"Hello,\n\nCould you comment on item {n}? My deadline 4pm today.\n"
    if n % 20 == 19:
        headers.append("Auto-Submitted: auto-replied")
        subject = "Automatic reply: budget"
    elif n % 10 == 3 and n > 400:
        earlier = n - 400  # the same journalist's earlier message
        headers += [f"In-Reply-To: <m{earlier}.bench@news{who % 37}.example>",
                    f"References: <m{earlier}.bench@news{who % 37}.example>"]
        subject, text = f"Re: Question {earlier} about the budget", "Thanks - one more thing: when was it agreed?\n"
    elif n % 10 == 5:
        text += f"\nThis is about your release {REFERENCE}.\n"
    return ("\r\n".join([*headers, f"Subject: {subject}", "", text]) + "\r\n").encode()


def bare_loop(server: ImapServer, folder: str, batch: int) -> tuple[int, float]:
    """Fetch every message in the folder in batches and parse each: the least any reader must do."""
    started = time.perf_counter()
    parser = BytesParser(policy=policy.compat32)
    client = IMAPClient(server.host, port=server.port, ssl=True, ssl_context=server.ssl_context(), timeout=30)
    client.login(server.username, server.password)
    client.select_folder(folder, readonly=True)
    uids = client.search(["NOT", "DELETED"])
    parsed = 0
    for start in range(0, len(uids), batch):
        for data in client.fetch(uids[start:start + batch], ["BODY.PEEK[]"]).values():
            parser.parsebytes(data[b"BODY[]"])
            parsed += 1
    client.logout()
    return parsed, time.perf_counter() - started


def verdict(label: str, ok: bool, detail: str) -> None:
    print(f"verdict  {label:<34} {'PASS' if ok else 'FAIL'}  {detail}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=5_000)
    parser.add_argument("--database-url", default=None, help="a PostgreSQL server URL; default: a SQLite file")
    options = parser.parse_args(argv)
    print(f"Python {platform.python_version()} on {platform.system()} {platform.machine()}, "
          f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}")
    with throwaway_database(options.database_url) as url, ImapServer(username="enquiries") as server:
        app = app_for(url, server, str(Path(server.directory) / "uploads"))
        print(f"Database: {database_description(app)}; mailbox: Dovecot on {server.host}:{server.port} (TLS)")
        build(app)
        messages = [message(n) for n in range(options.messages)]
        started = time.perf_counter()
        server.fill(messages)
        print(f"Mailbox filled with {len(messages):,} messages in {time.perf_counter() - started:.1f} s")

        cold_count, cold_seconds = bare_loop(server, "INBOX", imap.BATCH)
        started = time.perf_counter()
        fetched, folder = inbox.fetch(app)
        ours_seconds = time.perf_counter() - started
        warm_count, warm_seconds = bare_loop(server, folder, imap.BATCH)

        with app.app_context():
            kept = db.session.scalar(select(func.count()).select_from(EnquiryEmail))
        handled = sum(fetched.outcomes.values())
        ours_rate = handled / ours_seconds
        cold_rate, warm_rate = cold_count / cold_seconds, warm_count / warm_seconds
        bare_rate = max(cold_rate, warm_rate)
        print(f"bare IMAPClient + email.parser loop, cold: {cold_count:,} in {cold_seconds:.2f} s = {cold_rate:,.0f} msg/s")
        print(f"bare IMAPClient + email.parser loop, warm: {warm_count:,} in {warm_seconds:.2f} s = {warm_rate:,.0f} msg/s")
        print(f"fetch-enquiries: {handled:,} in {ours_seconds:.2f} s = {ours_rate:,.0f} msg/s "
              f"({fetched.summary(folder)})")
        ratio = ours_rate / bare_rate
        print(f"(a) rate: fetch-enquiries / bare loop (the faster) = {ratio:.2f}")
        skipped = sum(count for name, count in fetched.outcomes.items() if name in inbox.SKIPPED)
        verdict("(a) everything handled once", handled == len(messages) == kept + skipped
                and fetched.outcomes[inbox.REPLY] == sum(1 for n in range(len(messages)) if n % 10 == 3 and n > 400
                                                         and n % 20 != 19)
                and fetched.moved == len(messages) and server.folder_messages("INBOX") == [],
                f"{handled:,} handled, {kept:,} emails kept ({fetched.outcomes[inbox.REPLY]:,} replies), "
                f"{skipped:,} skipped, {fetched.moved:,} moved")
        verdict("(a) messages handled per second", ours_rate >= TARGET_RATE,
                f"{ours_rate:,.0f} msg/s (target >= {TARGET_RATE:,.0f}: 5,000 in a minute); "
                f"{1000 / ours_rate:.2f} ms each against the bare loop's {1000 / bare_rate:.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
