"""What became of each email, said in plain words for the delivery report, from its state and the server's answer.

The raw answer stays one click away on the report; these sentences are for the person reading it.
"""

import re
from datetime import datetime

from press import uktime
from press.outbox.models import Delivery, DeliveryStatus

ENHANCED_STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")

# RFC 3463 enhanced status codes (and RFC 7505, 7372), by subject.detail, in words a press officer uses.
ENHANCED_REASONS = {
    "1.0": "the address was not accepted",
    "1.1": "mailbox unknown",
    "1.2": "the address’s domain does not exist or takes no mail",
    "1.3": "the address is not written correctly",
    "1.4": "the address matches more than one mailbox",
    "1.6": "the mailbox has moved and has no forwarding address",
    "1.10": "the address’s domain takes no mail",
    "2.0": "the mailbox is not available",
    "2.1": "the mailbox is disabled",
    "2.2": "the mailbox is full",
    "2.3": "the email is bigger than the mailbox allows",
    "3.0": "a fault on the recipient’s mail system",
    "3.1": "the recipient’s mail system is out of space",
    "3.2": "the recipient’s mail system is not taking mail",
    "3.4": "the email is bigger than the server allows",
    "4.0": "the email could not be routed",
    "4.1": "the recipient’s server did not answer",
    "4.2": "the connection dropped",
    "4.3": "the recipient’s domain could not be looked up",
    "4.4": "no route to the recipient’s server",
    "4.6": "the email was passed around in a loop",
    "4.7": "it was held too long on the way",
    "5.0": "a protocol error between the mail servers",
    "5.3": "too many recipients at once",
    "6.0": "the email’s content was not accepted",
    "7.0": "refused by the server’s policy",
    "7.1": "refused by the server’s policy, often a spam filter or a blocked sender",
    "7.8": "the sending account’s login was refused",
    "7.23": "the sender failed the SPF check",
    "7.25": "the sending server has no reverse DNS name",
    "7.26": "the sender failed authentication checks (SPF, DKIM or DMARC)",
}
# When the server gave no enhanced code: RFC 5321 reply codes.
REPLY_REASONS = {
    421: "the recipient’s server is not taking mail just now",
    450: "the mailbox is busy or not available just now",
    451: "a fault on the recipient’s server",
    452: "the recipient’s server is short of space",
    550: "mailbox unavailable",
    551: "the recipient is not on that server",
    552: "the mailbox is full or the email is too big",
    553: "the address is not allowed",
    554: "the recipient’s server refused the email",
    556: "the address’s domain takes no mail",
}


def plain_reason(code: int | None, response: str) -> str | None:
    """The server's answer in a few words, from its enhanced status code if it gave one, else its reply code."""
    match = ENHANCED_STATUS.search(response or "")
    if match is not None:
        subject, detail = match.group(2), match.group(3)
        reason = ENHANCED_REASONS.get(f"{subject}.{detail}") or ENHANCED_REASONS.get(f"{subject}.0")
        if reason:
            return reason
    if code is not None:
        return REPLY_REASONS.get(code) or REPLY_REASONS.get(code // 100 * 100 + 50)
    return None


def uk_clock(moment: datetime, now: datetime) -> str:
    """A time of day in UK time, GMT or BST named, with the day too when it is not today."""
    local, today = uktime.to_london(moment), uktime.to_london(now)
    day = "" if local.date() == today.date() else f" on {uktime.format_date(local.date())}"
    return f"{local:%H:%M} {local.tzname()}{day}"


def server_answer(delivery: Delivery) -> str:
    """The mail server's own answer, as it gave it, for the report's disclosure; empty when there was none."""
    if delivery.smtp_code is None:
        return delivery.smtp_response or ""
    return f"{delivery.smtp_code} {delivery.smtp_response}".strip()


def delivery_outcome(delivery: Delivery, now: datetime) -> str:
    """One plain sentence for what became of an email: delivered, waiting, retrying, refused, or not sent and why."""
    status, code = delivery.status, delivery.smtp_code
    if status == DeliveryStatus.SENT:
        return ("Delivered to the mail server at " + uk_clock(delivery.sent_at, now)) if delivery.sent_at \
            else "Delivered to the mail server"
    if status == DeliveryStatus.SENDING:
        return "Being sent now"
    if status == DeliveryStatus.QUEUED:
        if delivery.attempts:
            reason = plain_reason(code, delivery.smtp_response)
            return f"Will retry at {uk_clock(delivery.next_attempt_at, now)}" + (f": {reason}" if reason else "")
        if delivery.next_attempt_at > now:
            return f"Waiting to go at {uk_clock(delivery.next_attempt_at, now)}"
        return "Waiting to go"
    if status == DeliveryStatus.FAILED:
        reason = plain_reason(code, delivery.smtp_response)
        if code is not None and code >= 500:
            return f"Refused by the recipient’s server: {reason or 'no reason given'}"
        if code is not None:
            return ("Not delivered: the recipient’s server kept putting it off until the time to stop sending"
                    + (f" ({reason})" if reason else ""))
        answer = delivery.smtp_response or ""
        if answer.startswith("Not sent"):
            return answer.rstrip(".")
        if answer.startswith("The message could not be built"):
            return "Not sent: the email could not be put together"
        return "Not delivered: the mail server could not be reached before the time to stop sending"
    if status == DeliveryStatus.SUPPRESSED:
        return "Not sent: they unsubscribed or their address bounced before it went"
    if status == DeliveryStatus.CANCELLED:
        if (delivery.smtp_response or "").startswith("Not sent"):
            return delivery.smtp_response.rstrip(".")
        return "Not sent: the sending was cancelled before it went"
    if status == DeliveryStatus.MISSED:
        return "Not sent: the time to stop sending passed before it could go"
    if status == DeliveryStatus.BOUNCED:
        when = f" at {uk_clock(delivery.bounced_at, now)}" if delivery.bounced_at else ""
        return (f"Bounced: delivered to the mail server, then sent back{when}"
                + (f" ({delivery.bounce_reason})" if delivery.bounce_reason else ""))
    return str(status)
