"""What one message in the press office mailbox says: who sent it, about what, its text and files, what it
answers, and whether a person wrote it at all.

Only a person's email becomes an enquiry. Automatic replies (RFC 3834's Auto-Submitted and the headers
out-of-office replies carry), delivery reports and bounces (read as press.bounces reads them), and mail from
lists (List-Id, List-Unsubscribe, Precedence) are set aside, as is anything sent with a null return path,
which RFC 5321 keeps for machine-sent notices.
"""

import email
import email.errors
import email.header
import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime
from html.parser import HTMLParser

from press.bounces import reading as bounces

# Outlook and older clients often label Windows text as Latin-1; cp1252 reads both, and its quotes too.
CHARSET_ALIASES = {"iso-8859-1": "cp1252", "latin-1": "cp1252", "latin1": "cp1252", "us-ascii": "cp1252",
                   "ascii": "cp1252", "unknown-8bit": "cp1252", "x-unknown": "cp1252"}
# Printable ASCII only, so an id read here is safe to write back into a header.
MESSAGE_ID = re.compile(r"<([\x21-\x3b\x3d\x3f-\x7e]{1,250})>")
MAX_ATTACHMENTS = 20
# The domain of the id given to a message sent without a Message-ID: there is nothing to answer it by.
NO_MESSAGE_ID = "@no-message-id.invalid"
# An attachment's name, as the journalist gave it, is kept only this long.
NAME_LENGTH = 200


@dataclass(frozen=True)
class Attached:
    filename: str
    data: bytes


@dataclass(frozen=True)
class Incoming:
    message_id: str
    in_reply_to: str
    references: list[str]
    from_name: str
    from_address: str
    to_address: str
    subject: str
    text: str
    attachments: list[Attached] = field(default_factory=list)
    # "auto-reply", "bounce" or "mailing list" when no person wrote it to us; "" when one did.
    skip: str = ""
    sent_at: datetime | None = None

    @property
    def thread_ids(self) -> list[str]:
        """The Message-IDs this one answers, the nearest first."""
        ids = [self.in_reply_to] if self.in_reply_to else []
        return ids + [ref for ref in reversed(self.references) if ref not in ids]


def message_ids(value: object) -> list[str]:
    """The Message-IDs in a header, without their angle brackets, in order."""
    return MESSAGE_ID.findall(str(value or ""))


def clean(value: str) -> str:
    """Text safe to store: raw 8-bit bytes the parser kept as surrogates read as UTF-8 or else Windows text,
    and no NUL, which PostgreSQL refuses in text."""
    if any("\udc80" <= char <= "\udcff" for char in value):
        raw = value.encode("utf-8", "surrogateescape")
        try:
            value = raw.decode("utf-8")
        except UnicodeDecodeError:
            value = raw.decode("cp1252", "replace")
    return value.replace("\x00", "")


def header(message: Message, name: str) -> str:
    """A header's raw value on one line (encoded words are left for decoded_words); raw 8-bit text is read as
    clean() reads it, where the parser would have made it replacement characters."""
    wanted = name.lower()
    value = next((value for key, value in message.raw_items() if key.lower() == wanted), "")
    return " ".join(clean(str(value)).split())


def decoded(part: Message) -> str:
    """A text part's words, in its declared charset where Python knows it, else as Windows text."""
    payload = part.get_payload(decode=True) or b""
    charset = (part.get_content_charset() or "utf-8").lower()
    charset = CHARSET_ALIASES.get(charset, charset)
    try:
        return clean(payload.decode(charset, "replace"))
    except LookupError:
        return clean(payload.decode("cp1252", "replace"))


class _TextOfHTML(HTMLParser):
    """The words of an HTML email as plain text: no script or style, a line break where a block ends."""

    BLOCKS = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table", "hr"}
    HIDDEN = {"script", "style", "head", "title"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.HIDDEN:
            self.hidden += 1
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def text_of_html(html: str) -> str:
    """Plain text made from HTML; no markup survives, so nothing in it can run when staff read it."""
    parser = _TextOfHTML()
    parser.feed(html)
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.parts).splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def is_attachment(part: Message) -> bool:
    if part.is_multipart() or part.get_content_maintype() == "message":
        return False
    disposition = (part.get_content_disposition() or "").lower()
    if disposition == "attachment":
        return True
    # An inline image that the HTML shows (a signature's logo) is part of the letter, not a file sent to us.
    return bool(part.get_filename()) and part.get_content_maintype() != "text" and not part.get("Content-ID")


def body_and_files(message: Message) -> tuple[str, list[Attached]]:
    """The message's own text (text/plain, or made from the HTML when it has no plain part) and its files."""
    plain, html, files = [], [], []
    for part in message.walk():
        if is_attachment(part):
            if len(files) < MAX_ATTACHMENTS:
                name = decoded_words(str(part.get_filename() or "attachment"))[:NAME_LENGTH] or "attachment"
                files.append(Attached(name, part.get_payload(decode=True) or b""))
            continue
        if part.get_content_type() == "text/plain":
            plain.append(decoded(part))
        elif part.get_content_type() == "text/html":
            html.append(decoded(part))
    text = "\n\n".join(plain) if plain else "\n\n".join(text_of_html(h) for h in html)
    return text.replace("\r\n", "\n").strip(), files


def skip_reason(message: Message, raw: bytes) -> str:
    """Why no person is waiting for an answer to this message, or "" when one is."""
    precedence = header(message, "Precedence").lower()
    if message.get("List-Id") or message.get("List-Unsubscribe") or precedence == "list":
        return "mailing list"
    return_path = header(message, "Return-Path")
    if any(part.get_content_type() == "message/delivery-status" for part in message.walk()):
        return "bounce"
    if bounces.is_auto_reply(message) or precedence in ("bulk", "junk"):
        return "auto-reply"
    sender = header(message, "From").lower()
    if return_path == "<>" or any(word in sender for word in ("mailer-daemon", "postmaster@")):
        # Machine-sent: a bounce press.bounces can read, or some other notice no one answers.
        return "bounce" if bounces.read(raw).how in ("report", "heuristic") else "auto-reply"
    return ""


def stable_id(raw: bytes) -> str:
    """The id of a message sent without a Message-ID: from its bytes, so fetching it again finds it handled."""
    return hashlib.sha256(raw).hexdigest()[:40] + NO_MESSAGE_ID


def read(raw: bytes) -> Incoming:
    """Read one message from the press office mailbox."""
    message = email.message_from_bytes(raw, policy=policy.compat32)
    ids = message_ids(header(message, "Message-ID"))
    sender = getaddresses([header(message, "From")])
    name, address = sender[0] if sender else ("", "")
    to = getaddresses([header(message, "To")])
    try:
        sent_at = parsedate_to_datetime(header(message, "Date"))
    except (TypeError, ValueError, IndexError):
        sent_at = None
    text, files = body_and_files(message)
    replying = message_ids(header(message, "In-Reply-To"))
    return Incoming(
        message_id=ids[0] if ids else stable_id(raw),
        in_reply_to=replying[0] if replying else "",
        references=message_ids(header(message, "References")),
        from_name=decoded_words(name), from_address=address.strip().lower(),
        to_address=to[0][1].strip().lower() if to else "",
        subject=decoded_words(header(message, "Subject")), text=text, attachments=files,
        skip=skip_reason(message, raw), sent_at=sent_at,
    )


def decoded_words(value: str) -> str:
    """A header value with its RFC 2047 encoded words ("=?windows-1252?q?...?=") decoded."""
    try:
        parts = email.header.decode_header(value)
    except (ValueError, email.errors.HeaderParseError):
        return value
    words = []
    for chunk, charset in parts:
        if isinstance(chunk, bytes):
            charset = CHARSET_ALIASES.get((charset or "utf-8").lower(), charset or "utf-8")
            try:
                chunk = chunk.decode(charset, "replace")
            except LookupError:
                chunk = chunk.decode("cp1252", "replace")
        words.append(chunk)
    return " ".join(clean("".join(words)).split())
