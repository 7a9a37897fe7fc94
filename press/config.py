"""Configuration in layers: defaults here, then the environment, then a test's overrides."""

import os
import secrets
from typing import Any

from flask import Flask

DEFAULTS: dict[str, Any] = {
    "SECRET_KEY": None,
    "SQLALCHEMY_DATABASE_URI": None,
    "PRESS_BASE_URL": "http://127.0.0.1:5000",
    "PRESS_REF_PREFIX": "PRESS",
    "PRESS_ORGANISATION": "Northshire Council",
    # How journalists reach the press office when the app cannot take their enquiry (the database is down);
    # the email falls back to MAIL_DEFAULT_SENDER's address, and no phone line is shown without a number.
    "PRESS_OFFICE_EMAIL": None,
    "PRESS_OFFICE_PHONE": None,
    "PRESS_UPLOAD_DIR": None,
    # Uploaded contact files wait here between the preview and the import.
    "PRESS_IMPORT_DIR": None,
    # Attachments larger than this are refused; the request cap leaves room for form fields.
    "PRESS_MAX_ATTACHMENT_BYTES": 20 * 1024 * 1024,
    "MAX_CONTENT_LENGTH": 21 * 1024 * 1024,
    "PRESS_RELEASES_PER_PAGE": 20,
    "PRESS_LOGIN_RATE_LIMIT": "10 per minute;50 per hour",
    # Per account (the email address posted), from any address: bounds guessing one password.
    "PRESS_LOGIN_ACCOUNT_RATE_LIMIT": "5 per minute;20 per hour",
    # Roles that must sign in with a code from an authenticator app too, such as "admin,manager".
    "PRESS_REQUIRE_2FA_FOR": "",
    # Whether a release needs a second manager's approval before it is marked final or sent (the settings page's
    # saved choice takes its place).
    "PRESS_REQUIRE_APPROVAL": False,
    # The safeguarding checklist's tags and questions (TOML); None is press/releases/safeguarding.toml.
    "PRESS_SAFEGUARDING_CHECKLIST": None,
    # Per address, on every public form and link that writes something.
    "PRESS_PUBLIC_FORM_RATE_LIMIT": "20 per minute;200 per day",
    # How many reverse proxies in front of the app set X-Forwarded-* headers.
    "PRESS_TRUSTED_PROXIES": 0,
    "MAIL_SERVER": "127.0.0.1",
    "MAIL_PORT": 8025,
    "MAIL_USE_TLS": False,
    "MAIL_USE_SSL": False,
    "MAIL_USERNAME": None,
    "MAIL_PASSWORD": None,
    "MAIL_DEFAULT_SENDER": "press-office@localhost",
    # The outbox worker: connections kept open to the relay, the relay's rate limit, and patience.
    "PRESS_SMTP_CONNECTIONS": 2,
    "PRESS_SEND_RATE_PER_MINUTE": 600,
    "PRESS_SMTP_TIMEOUT": 30,
    "PRESS_SMTP_CA_FILE": None,
    "PRESS_LEASE_SECONDS": 300,
    "PRESS_WORKER_POLL_SECONDS": 2.0,
    # Worker processes `flask press worker` runs; they share the connections and the rate above.
    "PRESS_WORKER_PROCESSES": 1,
    # Attachments go with the email up to this size in all; above it the email links to them.
    "PRESS_EMAIL_ATTACHMENT_LIMIT": 5 * 1024 * 1024,
    # Where the local mail catcher keeps what it caught, when there is no relay.
    "PRESS_MAIL_CATCHER_DIR": None,
    # How long a journalist has to confirm they want releases.
    "PRESS_SIGNUP_CONFIRM_DAYS": 7,
    # Per address, on the public enquiry form.
    "PRESS_ENQUIRY_RATE_LIMIT": "10 per minute;60 per day",
    # Enquiries older than this lose the journalist's personal data (flask press purge-enquiries).
    "PRESS_ENQUIRY_RETENTION_MONTHS": 24,
    # Temporary bounces score a point against a contact, at most one a day; this many bounce the contact, and
    # a score with no new point for this many days starts again from nothing.
    "PRESS_BOUNCE_SCORE_THRESHOLD": 3,
    "PRESS_BOUNCE_SCORE_STALE_DAYS": 7,
    # The mailbox the bounce address delivers to, for flask press fetch-bounces (IMAP over TLS).
    "PRESS_BOUNCE_IMAP_HOST": None,
    "PRESS_BOUNCE_IMAP_PORT": 993,
    "PRESS_BOUNCE_IMAP_USERNAME": None,
    "PRESS_BOUNCE_IMAP_PASSWORD": None,
    "PRESS_BOUNCE_IMAP_FOLDER": "INBOX",
    # Where each message goes once read.
    "PRESS_BOUNCE_IMAP_DONE_FOLDER": "Processed bounces",
    "PRESS_BOUNCE_IMAP_CA_FILE": None,
    # Port 143 and STARTTLS rather than TLS from the start.
    "PRESS_BOUNCE_IMAP_STARTTLS": False,
    # The press office's own mailbox, which journalists write to: replies to enquiries go out with it as their
    # Reply-To, so the journalist's answer comes back there (unset: PRESS_OFFICE_EMAIL).
    "PRESS_ENQUIRY_ADDRESS": None,
    # That mailbox over IMAP with TLS, for flask press fetch-enquiries; the worker reads it every
    # PRESS_ENQUIRY_IMAP_EVERY seconds when a host is set (0: only the command reads it).
    "PRESS_ENQUIRY_IMAP_HOST": None,
    "PRESS_ENQUIRY_IMAP_PORT": 993,
    "PRESS_ENQUIRY_IMAP_USERNAME": None,
    "PRESS_ENQUIRY_IMAP_PASSWORD": None,
    "PRESS_ENQUIRY_IMAP_FOLDER": "INBOX",
    "PRESS_ENQUIRY_IMAP_DONE_FOLDER": "Processed enquiries",
    "PRESS_ENQUIRY_IMAP_CA_FILE": None,
    "PRESS_ENQUIRY_IMAP_STARTTLS": False,
    "PRESS_ENQUIRY_IMAP_EVERY": 60,
    "RATELIMIT_STORAGE_URI": "memory://",
    # Should the shared storage (Redis) be unreachable, each process counts in its own memory, so the
    # limits still hold per process and pages keep answering; it goes back to Redis once Redis answers.
    # Memory storage needs no fallback: load_config turns it off there, sparing a second store and its timer.
    "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
    # Given to the storage; for Redis, load_config adds short timeouts unless they are set here.
    "RATELIMIT_STORAGE_OPTIONS": {},
    "RATELIMIT_HEADERS_ENABLED": True,
    "SESSION_COOKIE_NAME": "press_session",
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "PERMANENT_SESSION_LIFETIME": 8 * 60 * 60,
    # A signed-in session ends after this long unused, and this long after signing in whatever happens (0: never).
    "PRESS_SESSION_IDLE_MINUTES": 60,
    "PRESS_SESSION_MAX_HOURS": 10,
    "WTF_CSRF_TIME_LIMIT": None,
    # Errors and logs never show a statement's values: they are contacts' and journalists' personal data.
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True, "hide_parameters": True},
}

# Environment variables read as text, and the ones that need converting.
TEXT_SETTINGS = (
    "SECRET_KEY",
    "MAIL_SERVER",
    "MAIL_USERNAME",
    "MAIL_PASSWORD",
    "MAIL_DEFAULT_SENDER",
    "PRESS_BASE_URL",
    "PRESS_REF_PREFIX",
    "PRESS_ORGANISATION",
    "PRESS_OFFICE_EMAIL",
    "PRESS_OFFICE_PHONE",
    "PRESS_UPLOAD_DIR",
    "PRESS_IMPORT_DIR",
    "PRESS_LOGIN_RATE_LIMIT",
    "PRESS_LOGIN_ACCOUNT_RATE_LIMIT",
    "PRESS_PUBLIC_FORM_RATE_LIMIT",
    "PRESS_REQUIRE_2FA_FOR",
    "PRESS_SAFEGUARDING_CHECKLIST",
    "PRESS_ENQUIRY_RATE_LIMIT",
    "PRESS_SMTP_CA_FILE",
    "PRESS_MAIL_CATCHER_DIR",
    "PRESS_BOUNCE_IMAP_HOST",
    "PRESS_BOUNCE_IMAP_USERNAME",
    "PRESS_BOUNCE_IMAP_PASSWORD",
    "PRESS_BOUNCE_IMAP_FOLDER",
    "PRESS_BOUNCE_IMAP_DONE_FOLDER",
    "PRESS_BOUNCE_IMAP_CA_FILE",
    "PRESS_ENQUIRY_ADDRESS",
    "PRESS_ENQUIRY_IMAP_HOST",
    "PRESS_ENQUIRY_IMAP_USERNAME",
    "PRESS_ENQUIRY_IMAP_PASSWORD",
    "PRESS_ENQUIRY_IMAP_FOLDER",
    "PRESS_ENQUIRY_IMAP_DONE_FOLDER",
    "PRESS_ENQUIRY_IMAP_CA_FILE",
    "RATELIMIT_STORAGE_URI",
    # Keeps several deployments' counters apart when they share one Redis.
    "RATELIMIT_KEY_PREFIX",
)
INT_SETTINGS = (
    "MAIL_PORT",
    "PRESS_MAX_ATTACHMENT_BYTES",
    "PRESS_TRUSTED_PROXIES",
    "PRESS_SMTP_CONNECTIONS",
    "PRESS_SEND_RATE_PER_MINUTE",
    "PRESS_SMTP_TIMEOUT",
    "PRESS_LEASE_SECONDS",
    "PRESS_WORKER_PROCESSES",
    "PRESS_EMAIL_ATTACHMENT_LIMIT",
    "PRESS_ENQUIRY_RETENTION_MONTHS",
    "PRESS_RELEASES_PER_PAGE",
    "PRESS_SIGNUP_CONFIRM_DAYS",
    "PRESS_SESSION_IDLE_MINUTES",
    "PRESS_SESSION_MAX_HOURS",
    "PRESS_BOUNCE_SCORE_THRESHOLD",
    "PRESS_BOUNCE_SCORE_STALE_DAYS",
    "PRESS_BOUNCE_IMAP_PORT",
    "PRESS_ENQUIRY_IMAP_PORT",
    "PRESS_ENQUIRY_IMAP_EVERY",
)
FLOAT_SETTINGS = ("PRESS_WORKER_POLL_SECONDS",)
BOOL_SETTINGS = ("MAIL_USE_TLS", "MAIL_USE_SSL", "PRESS_BOUNCE_IMAP_STARTTLS", "PRESS_ENQUIRY_IMAP_STARTTLS",
                 "PRESS_REQUIRE_APPROVAL")


NO_SECRET_KEY = (
    "SECRET_KEY is not set, so press will not start. Give the web app, the worker and every flask command the same "
    "long random value, kept secret, for example: "
    "export SECRET_KEY=\"$(python3 -c 'import secrets; print(secrets.token_hex(32))')\" "
    "(make run keeps one in instance/secret_key)."
)


# Rate-limit storage URIs that are Redis, and how long a Redis command may take before it counts as down.
REDIS_SCHEMES = ("redis://", "rediss://", "redis+unix://")
REDIS_TIMEOUT_SECONDS = 1.0


def database_uri(url: str) -> str:
    """Point plain PostgreSQL URLs at the psycopg 3 driver."""
    for scheme in ("postgres://", "postgresql://"):
        if url.startswith(scheme):
            return "postgresql+psycopg://" + url[len(scheme):]
    return url


def from_environment(environ: os._Environ[str] | dict[str, str]) -> dict[str, Any]:
    """Read the settings the deployment gives through environment variables."""
    found: dict[str, Any] = {}
    for name in TEXT_SETTINGS:
        if environ.get(name):
            found[name] = environ[name]
    for name in INT_SETTINGS:
        if environ.get(name):
            found[name] = int(environ[name])
    for name in FLOAT_SETTINGS:
        if environ.get(name):
            found[name] = float(environ[name])
    for name in BOOL_SETTINGS:
        if environ.get(name):
            found[name] = environ[name].strip().lower() in ("1", "true", "yes", "on")
    if environ.get("DATABASE_URL"):
        found["SQLALCHEMY_DATABASE_URI"] = environ["DATABASE_URL"]
    return found


def load_config(app: Flask, test_config: dict[str, Any] | None) -> None:
    """Fill app.config from the defaults, the environment and the test's overrides, in that order."""
    app.config.update(DEFAULTS)
    app.config.update(from_environment(os.environ))
    if test_config:
        app.config.update(test_config)
    config = app.config

    if not config["SECRET_KEY"]:
        # Debug mode is no exception: a key anyone can read would let them sign in as anyone.
        if not app.testing:
            raise RuntimeError(NO_SECRET_KEY)
        # A test app signs with a random key of its own, never a known one.
        config["SECRET_KEY"] = secrets.token_hex(32)
    if not config["SQLALCHEMY_DATABASE_URI"]:
        config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{os.path.join(app.instance_path, 'press.db')}"
    config["SQLALCHEMY_DATABASE_URI"] = database_uri(config["SQLALCHEMY_DATABASE_URI"])
    options = dict(config["SQLALCHEMY_ENGINE_OPTIONS"])
    # Kept when a deployment or a test gives engine options of its own.
    options.setdefault("hide_parameters", True)
    if config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        options.setdefault("connect_args", {"timeout": 15})
    elif config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        # Server-side prepared statements switch to a generic plan after five runs, which for
        # "email IN (500 values)" scans the whole contacts table; plan each query afresh instead.
        # A server that drops packets instead of refusing them answers within ten seconds as unavailable,
        # rather than after TCP gives up.
        options.setdefault("connect_args", {"prepare_threshold": None, "connect_timeout": 10})
    config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    if config["RATELIMIT_STORAGE_URI"].startswith("memory://"):
        config["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"] = False
    if config["RATELIMIT_STORAGE_URI"].startswith(REDIS_SCHEMES):
        # A Redis that stops answering would otherwise hold each request for redis-py's five seconds
        # before the limits fall back to memory, and each later check on whether it is back as long.
        storage = dict(config["RATELIMIT_STORAGE_OPTIONS"])
        storage.setdefault("socket_connect_timeout", REDIS_TIMEOUT_SECONDS)
        storage.setdefault("socket_timeout", REDIS_TIMEOUT_SECONDS)
        config["RATELIMIT_STORAGE_OPTIONS"] = storage
    if not config["PRESS_UPLOAD_DIR"]:
        config["PRESS_UPLOAD_DIR"] = os.path.join(app.instance_path, "uploads")
    if not config["PRESS_IMPORT_DIR"]:
        config["PRESS_IMPORT_DIR"] = os.path.join(app.instance_path, "imports")

    https = config["PRESS_BASE_URL"].startswith("https://")
    for name in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
        if name not in (test_config or {}):
            config[name] = https
    config["PREFERRED_URL_SCHEME"] = "https" if https else "http"
