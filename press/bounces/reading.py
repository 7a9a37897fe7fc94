"""What a message sent back to a bounce address says: which recipients failed, for good or for now, and why.

An RFC 3464 delivery-status report is read field by field. Anything else is first checked for the marks of an
automatic reply (RFC 3834's Auto-Submitted, and the headers and subjects out-of-office replies carry), then
given to the Mailman project's flufl.bounce, whose detectors know the shapes Exchange, Gmail, qmail, Exim and
others write without a report.
"""

import email
import hashlib
import re
from dataclasses import dataclass, field
from email.message import Message

from flufl.bounce import all_failures

# An enhanced status code (RFC 3463): class 2, 4 or 5, then subject and detail.
STATUS_CODE = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
REASON_LENGTH = 500
# The opening words of the subjects automatic replies are sent with, in the languages UK offices see most.
AUTO_REPLY_SUBJECTS = re.compile(
    r"^\s*(automatic reply|auto(matic)?[ -]?reply|auto:|out of (the )?office|away from (the|my) office|"
    r"absence|abwesenheit|r[ée]ponse automatique|respuesta autom[aá]tica)", re.IGNORECASE)


@dataclass(frozen=True)
class Failure:
    recipient: str
    permanent: bool
    status: str = ""
    reason: str = ""


@dataclass(frozen=True)
class Reading:
    # "report" (RFC 3464), "heuristic" (flufl.bounce), "auto-reply", or "" when it says nothing we can use.
    how: str
    failures: list[Failure] = field(default_factory=list)
    # Where a receiving server noted the address the message came to (Delivered-To and the like).
    envelope_recipients: list[str] = field(default_factory=list)
    message_key: str = ""


def message_key(message: Message, raw: bytes) -> str:
    """What makes a message the same one when it is seen twice: its Message-ID, or its bytes without one."""
    message_id = (message.get("Message-ID") or "").strip()
    return hashlib.sha256(message_id.encode("utf-8", "replace") if message_id else raw).hexdigest()


def _field_value(value: str | None) -> str:
    """A report field without its type ("rfc822; jane@news.example" is jane@news.example), on one line."""
    text = " ".join(str(value or "").split())
    kind, semicolon, rest = text.partition(";")
    return rest.strip() if semicolon and " " not in kind.strip() else text


def _address(value: str | None) -> str:
    return _field_value(value).strip("<>").lower()


def shortened(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= REASON_LENGTH else text[: REASON_LENGTH - 1] + "…"


def _report_failures(part: Message) -> list[Failure]:
    """The failed and delayed recipients of one message/delivery-status part."""
    blocks = part.get_payload()
    if not isinstance(blocks, list):
        return []
    failures = []
    for block in blocks[1:]:  # the first block is about the message, each later one about a recipient
        action = _field_value(block.get("Action")).lower()
        status = _field_value(block.get("Status"))
        code = STATUS_CODE.search(status)
        recipient = _address(block.get("Final-Recipient")) or _address(block.get("Original-Recipient"))
        reason = shortened(_field_value(block.get("Diagnostic-Code")))
        if action == "failed":
            permanent = code is None or code.group(1) == "5"
        elif action == "delayed":
            permanent = False
        else:
            continue  # delivered, relayed or expanded: good news
        failures.append(Failure(recipient=recipient, permanent=permanent, status=code.group(0) if code else "",
                                reason=reason))
    return failures


def _text_of(message: Message) -> str:
    """The message's human-readable text, for the reason a bounce without a report gives."""
    texts = []
    for part in message.walk():
        if part.get_content_type() == "text/plain" and not part.is_multipart():
            payload = part.get_payload(decode=True) or b""
            texts.append(payload.decode(part.get_content_charset() or "utf-8", "replace"))
        if part.get_content_type() in ("message/rfc822", "text/rfc822-headers"):
            break  # the returned original starts here: its text is not the server's
    return "\n".join(texts)


def _reason_near(text: str, recipient: str) -> tuple[str, str]:
    """The status code and the line that explains the failure, from a bounce written as plain text."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for line in lines:
        code = STATUS_CODE.search(line) or re.search(r"\b[45]\d\d(?=[ -][A-Za-z])", line)
        if code:
            status = code.group(0) if "." in code.group(0) else ""
            return status, shortened(line)
    for index, line in enumerate(lines):
        if recipient and recipient in line.lower() and index + 1 < len(lines):
            return "", shortened(lines[index + 1])
    return "", ""


def is_auto_reply(message: Message) -> bool:
    """Whether a message that is not a delivery report answers automatically, as an out-of-office does."""
    subject = " ".join(str(message.get("Subject") or "").split())
    if AUTO_REPLY_SUBJECTS.match(subject):
        return True
    if _looks_like_a_bounce(message, subject):
        # Bounces are automatic too (Exim marks its own Auto-Submitted: auto-replied).
        return False
    submitted = (message.get("Auto-Submitted") or "").strip().lower()
    precedence = (message.get("Precedence") or "").strip().lower()
    return bool(submitted and submitted != "no" or message.get("X-Autoreply") or message.get("X-Autorespond")
                or precedence in ("auto_reply", "bulk", "junk"))


def _looks_like_a_bounce(message: Message, subject: str) -> bool:
    sender = str(message.get("From") or "").lower()
    return any(word in sender for word in ("mailer-daemon", "postmaster", "mail delivery")) or bool(
        re.search(r"undeliver|delivery (status|failure|has failed)|returned mail|failure notice|not delivered|"
                  r"delayed", subject, re.IGNORECASE))


DELAY_WORDS = re.compile(r"\bdelayed\b|delivery status notification \(delay\)|has not yet been delivered|"
                         r"still (being )?(retried|trying)|will (continue|keep) trying", re.IGNORECASE)
ADDRESS_LINE = re.compile(r"^\s*<?([^\s<>@]+@[^\s<>@]+\.[^\s<>@]+)>?\s*$")


def is_delay_warning(message: Message, text: str) -> bool:
    return bool(DELAY_WORDS.search(str(message.get("Subject") or "")) or DELAY_WORDS.search(text))


def exchange_recipients(text: str) -> frozenset[bytes]:
    """The recipients an Exchange non-delivery report names under "Delivery has failed to these recipients"."""
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if "delivery has failed to these recipients" in line.lower():
            found = set()
            for following in lines[index + 1:]:
                if following.lower().startswith(("diagnostic information", "original message headers")):
                    break
                match = ADDRESS_LINE.match(following)
                if match:
                    found.add(match.group(1).encode())
            return frozenset(found)
    return frozenset()


def _delivered_to(message: Message) -> list[str]:
    found = []
    for name in ("Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To", "To"):
        for value in message.get_all(name) or []:
            found.extend(address for _, address in email.utils.getaddresses([str(value)]) if address)
    return found


def read(raw: bytes) -> Reading:
    """Read one message sent back to a bounce address."""
    message = email.message_from_bytes(raw)
    key = message_key(message, raw)
    envelope = _delivered_to(message)
    reports = [part for part in message.walk() if part.get_content_type() == "message/delivery-status"]
    if reports:
        return Reading("report", [f for part in reports for f in _report_failures(part)], envelope, key)
    if is_auto_reply(message):
        return Reading("auto-reply", [], envelope, key)
    try:
        temporary, permanent = all_failures(message)  # flufl.bounce gives the temporary ones first
    except Exception:  # noqa: BLE001 - a detector that trips on a strange message has found nothing
        temporary, permanent = frozenset(), frozenset()
    text = _text_of(message)
    if not permanent and not temporary:
        permanent = exchange_recipients(text)
    if not permanent and not temporary:
        return Reading("", [], envelope, key)
    if is_delay_warning(message, text):
        # Some detectors take a warning's opening words for a failure; the warning says it is still trying.
        temporary, permanent = temporary | permanent, frozenset()
    failures = []
    for found, is_permanent in ((permanent, True), (temporary - permanent, False)):
        for address in sorted(found):
            recipient = address.decode("utf-8", "replace").strip("<>").lower()
            status, reason = _reason_near(text, recipient)
            failures.append(Failure(recipient=recipient, permanent=is_permanent, status=status, reason=reason))
    return Reading("heuristic", failures, envelope, key)
