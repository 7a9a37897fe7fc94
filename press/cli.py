"""The `flask press ...` commands."""

import functools
import logging
import secrets
import signal
import sys
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup, ScriptInfo
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from press import clock, database_errors, uktime
from press.accounts import services as accounts
from press.accounts.models import Role
from press.bounces import listener, mailbox
from press.contacts import importing as contact_imports
from press.contacts.csvimport import ImportFileError
from press.contacts.services import lists_named
from press.demo import load_demo
from press.distribution import services as distribution_services
from press.enquiries import inbox, retention
from press.extensions import db
from press.imap import MailboxError
from press.outbox.processes import replace_process, shares
from press.outbox.worker import Worker, configure_logging
from press.releases import elections, importing, services as releases
from press.releases.models import Release
from press.security import discard_session

press_cli = AppGroup("press", help="Press office commands.")


def one_line_errors(doing: str) -> Callable[[Callable], Callable]:
    """Make a command end a database or file error with one line: what failed, that nothing was written, what next.

    A traceback would print the statement and, from PostgreSQL, the values it carried: contacts' names,
    addresses and unsubscribe keys. The line says what failed in words; the error's own text is left out.
    """

    def decorate(command: Callable) -> Callable:
        @functools.wraps(command)
        def run(*args, **kwargs):
            try:
                return command(*args, **kwargs)
            except SQLAlchemyError as error:
                discard_session()
                if database_errors.why_unavailable(error) is not None:
                    advice = "Free some space or check the database, then run the command again."
                else:
                    advice = "Run the command again; if it fails the same way, report it to whoever looks after press."
                raise click.ClickException(f"the database could not {doing} ({database_errors.plain_cause(error)}): "
                                           f"nothing was written. {advice}") from None
            except OSError as error:
                discard_session()
                where = f": {error.filename}" if error.filename else ""
                raise click.ClickException(f"could not {doing} ({error.strerror or type(error).__name__}{where}): "
                                           "nothing was written. Free some space or check the folder, "
                                           "then run the command again.") from None

        return run

    return decorate


@press_cli.command("create-user")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.option("--job-title", default="")
@click.option("--phone", default="")
@click.option("--password-stdin", is_flag=True, required=True, help="Read the password from standard input.")
@one_line_errors("create the account")
def create_user(
    email: str, name: str, role: str, job_title: str, phone: str,
    password_stdin: bool,  # noqa: ARG001 - a required flag, so that the password's source is said
) -> None:
    """Create a staff account; the password comes from standard input, never the command line."""
    password = sys.stdin.readline().rstrip("\r\n")
    try:
        user = accounts.create_user(
            db.session, email=email, name=name, role=role, password=password, job_title=job_title, phone=phone
        )
    except accounts.AccountError as error:
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(f"Created {user.role} {user.email}")


def parse_uk_time(value: str, option: str) -> datetime:
    """Read "YYYY-MM-DD HH:MM" in London time, with an optional GMT or BST to settle repeated times."""
    parts = value.split()
    zone = parts.pop().upper() if len(parts) == 3 else None
    try:
        local = datetime.strptime(" ".join(parts), "%Y-%m-%d %H:%M")
    except ValueError as error:
        raise click.BadParameter('use "YYYY-MM-DD HH:MM" in UK time', param_hint=option) from error
    try:
        return uktime.london_to_utc(local.date(), local.time(), zone)
    except ValueError as error:
        raise click.BadParameter(f"{error} Add GMT or BST after the time if needed.", param_hint=option) from error


@press_cli.command("import-release")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--contact", "contact_email", help="Email of the staff member named as media contact.")
@click.option("--embargo", help='Embargo time in UK time, "YYYY-MM-DD HH:MM".')
@click.option("--final", is_flag=True, help="Mark the release final (public at its embargo time, or at once).")
@click.option("--publicity-code-confirmed", "code_confirmed", is_flag=True,
              help="With --final during a pre-election period: the release meets the Code of Recommended Practice "
                   "on Local Authority Publicity.")
@one_line_errors("import the release")
def import_release(file: Path, contact_email: str | None, embargo: str | None, final: bool,
                   code_confirmed: bool) -> None:
    """Import a release from a text or .docx file and print its reference."""
    try:
        parsed = importing.parse_bytes(file.read_bytes(), file.name)
    except ValueError as error:
        raise click.ClickException(str(error)) from error
    if contact_email:
        contact = accounts.find_user_by_email(db.session, contact_email)
        if contact is None:
            raise click.ClickException(f"No staff account for {contact_email}.")
    else:
        contact = importing.match_contact(db.session, parsed)
        if contact is None:
            raise click.ClickException("The media contact in the file has no staff account: use --contact EMAIL.")
    if not parsed.headline or not parsed.body:
        raise click.ClickException("No headline or body could be found in the file.")
    data, warnings = importing.prefill(
        db.session, parsed, default_contact=contact, today=uktime.to_london(clock.now()).date()
    )
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
    if embargo:
        embargo_at = parse_uk_time(embargo, "--embargo")
    elif parsed.embargo:
        embargo_at = parse_uk_time(parsed.embargo.strftime("%Y-%m-%d %H:%M"), "--embargo")
    else:
        embargo_at = None
    text = {name: data[name] for name in ("headline", "standfirst", "body", "notes_to_editors", "helpline")}
    # A pre-election period is checked before anything is written: the text is all it reads.
    cleared = election_clearance(Release(**text, embargo_at=embargo_at), "publish", code_confirmed) if final else None
    release = releases.create_release(
        db.session, by=None, prefix=current_app.config["PRESS_REF_PREFIX"], reference=data.get("reference"), **text,
        release_date=data["release_date"], embargo_at=embargo_at, contact_id=contact.id,
    )
    if final:
        try:
            releases.finalise_release(db.session, release, by=None)
        except releases.ReleaseError as error:
            raise click.ClickException(str(error)) from error
        if cleared is not None and cleared.applies:
            elections.record_clearance(db.session, release, cleared, doing="publish", by=None)
    db.session.commit()
    click.echo(release.reference)


@press_cli.command("demo")
@one_line_errors("load the demo data")
def demo() -> None:
    """Load a realistic set of demo data: staff accounts and releases, one under embargo."""
    login = load_demo(db.session, current_app.config["PRESS_REF_PREFIX"])
    db.session.commit()
    click.echo(login)


@press_cli.command("worker")
@click.option("--once", is_flag=True, help="Deliver everything that is due now, then exit.")
@click.option("--processes", type=click.IntRange(min=1), default=None,
              help="Worker processes to run, sharing the connections and the rate "
                   "(default: PRESS_WORKER_PROCESSES, 1).")
def worker(once: bool, processes: int | None) -> None:
    """Deliver the outbox until SIGTERM: messages in flight are finished, the rest are given back."""
    config = current_app.config
    wanted = processes or int(config["PRESS_WORKER_PROCESSES"])
    plan = shares(wanted, int(config["PRESS_SMTP_CONNECTIONS"]), int(config["PRESS_SEND_RATE_PER_MINUTE"]))
    if len(plan) < wanted:
        click.echo(f"Running {len(plan)} process(es): each needs a connection and a share of the rate.", err=True)
    if len(plan) == 1:
        configure_logging()
        app = current_app._get_current_object()
        runner = Worker(app)
        signal.signal(signal.SIGTERM, lambda *_: runner.stop())
        signal.signal(signal.SIGINT, lambda *_: runner.stop())
        reader = None if once else MailboxReader.when_configured(app)
        try:
            handled = runner.run(once=once)
        except SQLAlchemyError as error:
            # Not an outage, which the worker waits out, but a database it can never use as set up.
            cause = database_errors.plain_cause(error)
            raise click.ClickException(f"The worker cannot use the database ({cause}). Check DATABASE_URL and "
                                       "that `flask db upgrade` has been run.") from None
        finally:
            if reader is not None:
                reader.stop()
        click.echo(f"{handled} deliveries handled")
        if runner.gave_up:
            raise click.ClickException("The database was unavailable for too long; run the worker again later.")
        return
    if not once and MailboxReader.wanted(current_app.config):
        click.echo("With --processes the worker does not read the press office mailbox: run "
                   "`flask press fetch-enquiries --every N` beside it.", err=True)
    info = click.get_current_context().ensure_object(ScriptInfo)
    if info.create_app is not None:
        raise click.ClickException("--processes starts processes that build the app from the environment, as "
                                   "`flask press worker` does: run it from the flask command.")
    replace_process("press.factory:create_worker_app", plan, once)


class MailboxReader:
    """Reads the press office mailbox every PRESS_ENQUIRY_IMAP_EVERY seconds beside the worker, in a thread of
    its own, so journalists' emails become enquiries (and their acknowledgements are sent) with no other
    process to run. The outbox knows no area, so the worker command starts it, not the Worker."""

    def __init__(self, app: Flask, every: float) -> None:
        self.app, self.every = app, every
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._read, name="enquiry-mailbox", daemon=True)

    @staticmethod
    def wanted(config: dict[str, Any]) -> bool:
        return bool(config["PRESS_ENQUIRY_IMAP_HOST"]) and float(config["PRESS_ENQUIRY_IMAP_EVERY"] or 0) > 0

    @classmethod
    def when_configured(cls, app: Flask) -> "MailboxReader | None":
        """Start reading, if a mailbox and a schedule are set."""
        if not cls.wanted(app.config):
            return None
        reader = cls(app, float(app.config["PRESS_ENQUIRY_IMAP_EVERY"]))
        reader.thread.start()
        return reader

    def _read(self) -> None:
        while not self.stopping.is_set():
            try:
                fetch_now(inbox.fetch, self.app, "Enquiry mailbox")
            except Exception:  # one bad read must not end the reading; the log has it
                logging.getLogger(__name__).exception("The enquiry mailbox could not be read")
            self.stopping.wait(self.every)

    def stop(self) -> None:
        """Stop after the read in hand, if any: its batch is committed and moved, or left for next time."""
        self.stopping.set()
        self.thread.join(timeout=120)


@press_cli.command("import-contacts")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--list", "list_names", multiple=True, help="Put every imported contact on this list.")
@one_line_errors("save the import")
def import_contacts(file: Path, list_names: tuple[str, ...]) -> None:
    """Import media contacts from a CSV file, print a summary and where the per-row report is."""
    try:
        result = contact_imports.import_file(
            db.session, file.read_bytes(), filename=file.name, list_names=list(list_names), by=None,
            directory=current_app.config["PRESS_IMPORT_DIR"],
        )
    except ImportFileError as error:
        raise click.ClickException(str(error)) from error
    db.session.commit()
    summary = f"{result.added} added, {result.updated} updated, {result.skipped} skipped, {result.rejected} rejected"
    report = Path(current_app.config["PRESS_IMPORT_DIR"]) / f"contacts-import-{result.id}-report.csv"
    try:
        report.write_text(result.report, encoding="utf-8-sig")
    except OSError as error:
        # The import is saved by now: say so, and where else the report can be had.
        address = f"{current_app.config['PRESS_BASE_URL'].rstrip('/')}/staff/contacts/import/{result.id}/report.csv"
        raise click.ClickException(f"the import was saved ({summary}), but its report could not be written to "
                                   f"{report} ({error.strerror or type(error).__name__}). An admin can download "
                                   f"it from {address}.") from None
    click.echo(summary)
    click.echo(f"Report: {report}")


def election_clearance(release: Release, action: str, confirmed: bool, send_at: datetime | None = None
                       ) -> elections.Check:
    """Refuse, in one line, to "publish" or "send" what a pre-election period stops; or say what was cleared."""
    now = clock.now()
    days = elections.publishing_days(release, now) if action == "publish" else elections.sending_days(send_at, now)
    found = elections.check(db.session, release, days)
    try:
        elections.require_clearance(found, confirmed=confirmed, doing=f"be {'published' if action == 'publish' else 'sent'}")
    except elections.ElectionError as error:
        discard_session()
        hint = (" Check it, then add --publicity-code-confirmed." if error.field == "code_confirmed"
                else " An admin can record one on the release's page.")
        raise click.ClickException(f"{error} (pre-election period: {', '.join(p.name for p in found.periods)}).{hint}"
                                   ) from error
    return found


# The option of `send` that each field named by a DistributionError comes from.
SEND_OPTIONS = {"stop_after": "--stop-after", "at": "--at"}


@press_cli.command("send")
@click.argument("reference")
@click.option("--list", "list_names", multiple=True, required=True, help="A media list to send to (repeatable).")
@click.option("--at", "at", help='When to send, in UK time, "YYYY-MM-DD HH:MM"; now if not given.')
@click.option("--stop-after", "stop_after",
              help='When to stop sending, in UK time, "YYYY-MM-DD HH:MM"; an hour after the send time if not given.')
@click.option("--publicity-code-confirmed", "code_confirmed", is_flag=True,
              help="During a pre-election period: the release meets the Code of Recommended Practice on Local "
                   "Authority Publicity.")
@one_line_errors("create the distribution")
def send(reference: str, list_names: tuple[str, ...], at: str | None, stop_after: str | None,
         code_confirmed: bool) -> None:
    """Send a final release to media lists, now or at a time; print the distribution id."""
    send_at = parse_uk_time(at, "--at") if at else None
    stop_at = parse_uk_time(stop_after, "--stop-after") if stop_after else None
    release = db.session.scalar(select(Release).where(func.upper(Release.reference) == reference.strip().upper()))
    if release is None:
        raise click.ClickException(f"No release has the reference {reference}.")
    lists = lists_named(db.session, list(list_names))
    missing = sorted({n.lower() for n in list_names} - {m.name.lower() for m in lists})
    if missing:
        raise click.ClickException(f"No list called: {', '.join(missing)}.")
    cleared = election_clearance(release, "send", code_confirmed, send_at)
    if cleared.applies:
        elections.record_clearance(db.session, release, cleared, doing="send", by=None)
    try:
        distribution = distribution_services.create_distribution(
            db.session, release, list_ids=[m.id for m in lists], contact_ids=[],
            at=send_at, stop_after=stop_at, request_key=f"cli-{secrets.token_hex(16)}", by=None,
        )
    except distribution_services.DistributionError as error:
        option = SEND_OPTIONS.get(error.field or "")
        raise click.ClickException(f"Invalid value for {option}: {error}" if option else str(error)) from error
    db.session.commit()
    click.echo(distribution.id)


@press_cli.command("purge-enquiries")
@click.option("--older-than", "months", type=click.IntRange(min=1), default=None,
              help="Anonymise enquiries received more than this many months ago "
                   "(default: PRESS_ENQUIRY_RETENTION_MONTHS).")
@one_line_errors("anonymise the enquiries")
def purge_enquiries(months: int | None) -> None:
    """Remove journalists' personal data from old enquiries, keeping the statistics; the run is recorded."""
    months = months or int(current_app.config["PRESS_ENQUIRY_RETENTION_MONTHS"])
    purge = retention.purge_enquiries(db.session, months, run_by="flask press purge-enquiries")
    db.session.commit()
    click.echo(f"{purge.anonymised} enquiries received before {uktime.format_moment(purge.cutoff)} anonymised")


@press_cli.command("bounces")
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on.")
@click.option("--port", type=click.IntRange(min=0, max=65535), default=listener.DEFAULT_PORT, show_default=True,
              help="The port to listen on (0: any free one, printed at start).")
def bounces(host: str, port: int) -> None:
    """Take bounces by SMTP until SIGTERM: the relay delivers mail for the bounce address here."""
    configure_logging()
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    with listener.BounceListener(current_app._get_current_object(), host=host, port=port) as running:
        click.echo(f"Taking bounces on {running.host}:{running.port}")
        stopping.wait()


def fetch_once(fetch: Callable[[Flask], tuple[Any, str]], app: Flask) -> None:
    """Read a mailbox once for a command, ending any failure with one line."""
    try:
        fetched, folder = fetch(app)
    except MailboxError as error:
        raise click.ClickException(str(error)) from None
    except SQLAlchemyError as error:
        raise click.ClickException(f"The database is unavailable ({database_errors.plain_cause(error)}); "
                                   "nothing was moved, so run it again later.") from None
    click.echo(fetched.summary(folder))


def fetch_now(fetch: Callable[[Flask], tuple[Any, str]], app: Flask, name: str) -> None:
    """Read a mailbox once on a schedule: an outage of the mailbox or the database is said and waited out,
    and the messages stay where they are until the next time."""
    try:
        fetched, folder = fetch(app)
        click.echo(fetched.summary(folder))
    except MailboxError as error:
        click.echo(f"{name} not read: {error}", err=True)
    except SQLAlchemyError as error:
        click.echo(f"{name} not read: the database is unavailable ({database_errors.plain_cause(error)})", err=True)


def fetch_every(fetch: Callable[[Flask], tuple[Any, str]], app: Flask, name: str, every: float) -> None:
    """Read a mailbox every so many seconds until SIGTERM."""
    configure_logging()
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    while not stopping.is_set():
        fetch_now(fetch, app, name)
        stopping.wait(every)


@press_cli.command("fetch-bounces")
@click.option("--every", type=click.FloatRange(min=1), default=None,
              help="Read the mailbox again every this many seconds, until SIGTERM (default: once, then exit).")
def fetch_bounces(every: float | None) -> None:
    """Read the bounce mailbox over IMAP: each message handled once, then moved to PRESS_BOUNCE_IMAP_DONE_FOLDER."""
    app = current_app._get_current_object()
    if every is None:
        fetch_once(mailbox.fetch, app)
    else:
        fetch_every(mailbox.fetch, app, "Bounce mailbox", every)


@press_cli.command("fetch-enquiries")
@click.option("--every", type=click.FloatRange(min=1), default=None,
              help="Read the mailbox again every this many seconds, until SIGTERM (default: once, then exit).")
def fetch_enquiries(every: float | None) -> None:
    """Read the press office mailbox over IMAP: each journalist's email becomes an enquiry or joins one, once,
    then is moved to PRESS_ENQUIRY_IMAP_DONE_FOLDER."""
    app = current_app._get_current_object()
    if every is None:
        fetch_once(inbox.fetch, app)
    else:
        fetch_every(inbox.fetch, app, "Enquiry mailbox", every)
