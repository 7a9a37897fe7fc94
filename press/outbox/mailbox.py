"""Reading the mail the catcher kept: the newest messages, one message, and a message's parts.

Ids come from the staff pages' addresses, so only the exact shape ``press.outbox.mailcatcher.deliver`` gives a
file is ever turned into a path, and a link planted in the directory is never followed.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage, MIMEPart
from email.parser import BytesParser
from pathlib import Path

# <UTC time>-<random>, e.g. 20250314T093015.123456Z-3f9a0c1d2e4b5a69; nothing else is ever an id.
_ID = re.compile(r"[0-9]{8}T[0-9]{6}\.[0-9]{6}Z-[0-9a-f]{16}")
# Only the headers are needed for the list, and they sit at the start of the file.
_HEAD_BYTES = 64 * 1024


@dataclass(frozen=True)
class CaughtMessage:
    """One caught message as the staff list shows it."""

    id: str
    received_at: datetime
    subject: str
    from_: str
    to: str
    size: int
    recipients: tuple[str, ...] = ()  # the envelope recipients, Bcc included


def _message_path(directory: str | os.PathLike[str], message_id: object) -> Path | None:
    """The file of a well-formed id, or None: ids never carry separators, dots-only names or odd lengths."""
    if not isinstance(message_id, str) or not _ID.fullmatch(message_id):
        return None
    return Path(directory) / "new" / f"{message_id}.eml"


def _header(message: EmailMessage, name: str) -> str:
    """A header's decoded value, or "" when it is missing or too malformed to parse."""
    try:
        value = message.get(name)
    except Exception:  # noqa: BLE001 - one odd message must not break the list of all of them
        return ""
    return "" if value is None else str(value)


def _read_head(path: Path) -> bytes:
    """The header section of a stored message, without reading a large body."""
    with path.open("rb") as file:
        head = file.read(_HEAD_BYTES)
    for separator in (b"\r\n\r\n", b"\n\n"):
        end = head.find(separator)
        if end != -1:
            return head[: end + len(separator)]
    return head


def list_messages(directory: str, *, limit: int = 200) -> list[CaughtMessage]:
    """The newest caught messages first, at most `limit` of them."""
    folder = Path(directory) / "new"
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return []
    found: list[tuple[int, str, os.stat_result]] = []
    for entry in entries:
        stem, dot, extension = entry.name.rpartition(".")
        if not (dot and extension == "eml" and _ID.fullmatch(stem)):
            continue
        try:
            stat = entry.stat(follow_symlinks=False)
        except FileNotFoundError:
            continue  # removed since the directory was read
        found.append((stat.st_mtime_ns, stem, stat))
    found.sort(key=lambda item: (item[0], item[1]), reverse=True)
    parser = BytesParser(policy=policy.default)
    messages = []
    for _, stem, stat in found[: max(limit, 0)]:
        try:
            head = _read_head(folder / f"{stem}.eml")
        except FileNotFoundError:
            continue
        headers = parser.parsebytes(head, headersonly=True)
        assert isinstance(headers, EmailMessage)
        messages.append(
            CaughtMessage(
                id=stem,
                received_at=datetime.fromtimestamp(stat.st_mtime_ns / 1e9, UTC),
                subject=_header(headers, "Subject"),
                from_=_header(headers, "From"),
                to=_header(headers, "To"),
                size=stat.st_size,
                recipients=tuple(str(value) for value in headers.get_all("Delivered-To", [])),
            )
        )
    return messages


def read_message(directory: str, message_id: str) -> EmailMessage | None:
    """The caught message with this id, or None for an unknown or malformed id."""
    path = _message_path(directory, message_id)
    if path is None:
        return None
    try:
        # O_NOFOLLOW: a link planted in the Maildir is never followed out of it.
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    with os.fdopen(descriptor, "rb") as file:
        message = BytesParser(policy=policy.default).parse(file)
    assert isinstance(message, EmailMessage)
    return message


def _text(part: MIMEPart) -> str:
    """A text part's content with LF line ends, decoded even when it names a charset Python does not know."""
    try:
        content = part.get_content()
    except (LookupError, UnicodeError):
        payload = part.get_payload(decode=True)
        content = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    if not isinstance(content, str):
        return ""
    # Files keep the wire's CRLF; the email package passes it through for some encodings only.
    return content.replace("\r\n", "\n")


def _leaves(part: MIMEPart) -> list[MIMEPart]:
    """The non-multipart parts, in order; an attached message stays one part."""
    if part.get_content_maintype() != "multipart":
        return [part]
    leaves: list[MIMEPart] = []
    for child in part.iter_parts():
        leaves.extend(_leaves(child))
    return leaves


def _size(part: MIMEPart) -> int:
    """An attachment's size once decoded."""
    payload = part.get_payload(decode=True)
    if isinstance(payload, bytes):
        return len(payload)
    return len(part.as_bytes())  # message/rfc822 has no decoded payload of its own


def message_parts(message: EmailMessage) -> tuple[str | None, str | None, list[tuple[str, str, int]]]:
    """The plain-text body, the HTML body and the attachments as (filename, content type, size)."""
    plain = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    attachments = []
    for index, part in enumerate(_leaves(message), start=1):
        if part is plain or part is html:
            continue
        content_type = part.get_content_type()
        filename = part.get_filename() or f"part-{index}"
        attachments.append((filename, content_type, _size(part)))
    return (
        None if plain is None else _text(plain),
        None if html is None else _text(html),
        attachments,
    )
