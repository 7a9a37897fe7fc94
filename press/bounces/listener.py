"""`flask press bounces`: an SMTP server for the bounce address, to sit behind the organisation's relay.

It takes mail only for addresses shaped like the signed bounce addresses the worker sends from, reads each
message as it arrives and answers 250 once what it did is committed; with the database away it answers 451,
so the relay keeps the message and tries again, and nothing is lost.
"""

import asyncio
import logging
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session as SMTPSession
from flask import Flask
from sqlalchemy.exc import SQLAlchemyError

from press.bounces.processing import handle
from press.extensions import db
from press.outbox.mailcatcher import SMTPController
from press.outbox.messages import VERP_PATTERN

log = logging.getLogger(__name__)

# Bounces carry the message they return; one larger than this is not a bounce worth reading.
MAX_BOUNCE_SIZE = 10 * 1024 * 1024
DEFAULT_PORT = 8026


class BounceHandler:
    """The aiosmtpd handler: bounce addresses only, each message handled in the app before its answer."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    async def handle_RCPT(self, server: SMTP, session: SMTPSession, envelope: Envelope,  # noqa: N802 - aiosmtpd's hook
                          address: str, rcpt_options: list[str]) -> str:
        if VERP_PATTERN.match(address) is None:
            return "550 5.1.1 No such bounce address here"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: SMTPSession, envelope: Envelope) -> str:  # noqa: N802
        raw = envelope.original_content or b""
        try:
            outcome = await asyncio.get_running_loop().run_in_executor(None, self.take, raw, list(envelope.rcpt_tos))
        except SQLAlchemyError as error:
            log.warning("Bounce not taken, the database is unavailable: %s", type(error).__name__)
            return "451 4.3.0 Cannot take it now; try again later"
        except Exception:
            log.exception("Bounce not taken")
            return "451 4.3.0 Cannot take it now; try again later"
        return f"250 2.0.0 Ok: {outcome}"

    def take(self, raw: bytes, recipients: list[str]) -> str:
        with self.app.app_context():
            try:
                handled = handle(db.session, raw, recipients=recipients, source="smtp")
                db.session.commit()
            except BaseException:
                db.session.rollback()
                raise
            finally:
                db.session.remove()
        outcome = str(handled.outcome) if handled.outcome is not None else "seen before"
        log.info("Bounce taken: %s (delivery %s)", outcome, handled.delivery_id or "none")
        return outcome


class BounceListener:
    """The bounce SMTP server, in a thread of its own; start() and stop(), or use it as a context manager."""

    def __init__(self, app: Flask, host: str = "127.0.0.1", port: int = DEFAULT_PORT, **smtp_kwargs: Any) -> None:
        self.controller = SMTPController(BounceHandler(app), host=host, port=port, server_hostname="press-bounces",
                                         data_size_limit=MAX_BOUNCE_SIZE, **smtp_kwargs)

    @property
    def host(self) -> str:
        return self.controller.hostname

    @property
    def port(self) -> int:
        return self.controller.port

    def start(self) -> "BounceListener":
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()

    def __enter__(self) -> "BounceListener":
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()
