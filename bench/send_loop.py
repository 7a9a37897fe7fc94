"""The baseline of bench/send.py (a): a bare smtplib loop, run as N processes over N connections.

`python bench/send_loop.py --processes N --list-id L --release-id R` starts N copies of itself with
`--child I`, waits for them, and exits 0 only if every one did. Each child is what a worker process is
without the outbox: it builds the app the worker's processes build (create_worker_app, from the same
environment), reads its share of the list's contacts (every Nth, in id order) with the release, then for
each recipient builds the same personalised message the worker sends (release_message, with the
recipient's own unsubscribe link and the delivery's Message-ID, Date and signed envelope sender) and sends
it over its one smtplib connection. It records nothing. It imports no more than it needs, so the start-up
the benchmark counts on this side is a worker process's own.
"""

from __future__ import annotations

import argparse
import smtplib
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def child(part: int, processes: int, list_id: int, release_id: int) -> int:
    sys.path.insert(0, str(ROOT))
    from flask import current_app
    from sqlalchemy import select

    from press import clock
    from press.contacts.models import Contact, contact_lists
    from press.contacts.services import unsubscribe_token
    from press.distribution.emails import release_message
    from press.extensions import db
    from press.factory import create_worker_app
    from press.links import absolute_url
    from press.outbox.messages import address_domain, delivery_message_id, envelope_sender, mailbox, stamped
    from press.releases.models import Release

    app = create_worker_app()
    with app.app_context():
        config = current_app.config
        release = db.session.get(Release, release_id)
        _ = release.contact.name, list(release.attachments)
        recipients = db.session.scalars(
            select(Contact).join(contact_lists, contact_lists.c.contact_id == Contact.id)
            .where(contact_lists.c.list_id == list_id).order_by(Contact.id)
            .where(Contact.id % processes == part)
        ).all()
        db.session.rollback()
        domain = address_domain(config["MAIL_DEFAULT_SENDER"])
        secret = config["SECRET_KEY"]
        with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=30) as relay:
            for contact in recipients:
                number = contact.id  # stands in for the delivery's id in its Message-ID and envelope
                with stamped(message_id=delivery_message_id(number, secret, domain), date=clock.now()):
                    message = release_message(
                        release, to=mailbox(contact.name, contact.email), access_url=None, now=clock.now(),
                        unsubscribe=absolute_url("contacts_public.unsubscribe_page", token=unsubscribe_token(contact)),
                    )
                relay.send_message(message, from_addr=envelope_sender(number, domain, secret),
                                   to_addrs=[contact.email])
        db.session.remove()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--list-id", type=int, required=True)
    parser.add_argument("--release-id", type=int, required=True)
    parser.add_argument("--child", type=int, default=None)
    options = parser.parse_args(argv)
    if options.child is not None:
        return child(options.child, options.processes, options.list_id, options.release_id)
    common = ["--processes", str(options.processes), "--list-id", str(options.list_id),
              "--release-id", str(options.release_id)]
    running = [subprocess.Popen([sys.executable, __file__, *common, "--child", str(part)], stdin=subprocess.DEVNULL)
               for part in range(options.processes)]
    codes = [process.wait() for process in running]
    return 0 if all(code == 0 for code in codes) else 1


if __name__ == "__main__":
    sys.exit(main())
