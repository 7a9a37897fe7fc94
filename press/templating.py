"""Template filters and the values every page can use."""

from datetime import UTC, date, datetime
from email.utils import parseaddr

from flask import Flask, current_app

from press import uktime
from press.markdown_text import plain_text, render_markdown, shorten


def uk_moment(moment: datetime | None) -> str:
    return uktime.format_moment(moment) if moment else ""


def uk_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = uktime.to_london(value).date()
    return uktime.format_date(value)


def iso_utc(moment: datetime) -> str:
    """RFC 3339 in UTC, as Atom and sitemaps want."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def file_size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def press_office() -> dict[str, str]:
    """How to reach the press office, from settings alone: the pages that say it show when the database is down."""
    config = current_app.config
    email = config["PRESS_OFFICE_EMAIL"]
    if not email:
        sender = config["MAIL_DEFAULT_SENDER"]
        # Flask-Mail takes a sender as "Name <address>" or as a (name, address) pair.
        email = sender[1] if isinstance(sender, tuple | list) else parseaddr(sender or "")[1]
    return {"email": email or "", "phone": config["PRESS_OFFICE_PHONE"] or ""}


def site_context() -> dict:
    return {
        "organisation": current_app.config["PRESS_ORGANISATION"],
        "base_url": current_app.config["PRESS_BASE_URL"].rstrip("/"),
        "press_office": press_office(),
    }


def init_app(app: Flask) -> None:
    """Register the filters and context the templates rely on."""
    app.jinja_env.filters.update(
        uk_moment=uk_moment, uk_date=uk_date, markdown=render_markdown, plain_text=plain_text, shorten=shorten,
        file_size=file_size, iso_utc=iso_utc,
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.context_processor(site_context)
