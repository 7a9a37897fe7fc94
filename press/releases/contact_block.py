"""The media-contact block of a press release: where it starts, and the name, job title, organisation, email and
phone in it."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from press.releases.parsing import ParsedRelease

CONTACT_LEAD = re.compile(r"(?:for\b[^:\n]{0,60}?(?:\bcontact\b|:)|(?:for\s+)?(?:media|press)\s+(?:contacts?|enquiries"
                          r"|inquiries|queries|office|officer|team)\b(?:\s+(?:please\s+)?contact\b)?\s*:?"
                          r"|contacts?\s*(?::|$))", re.I)
_PLAIN_CONTACT = re.compile(r"media|press|interview|contacts?\s*:", re.I)
_FIELD = re.compile(r"(?:(name|contact\s+name)|(job\s+title|title|role|position))\s*[:|]\s*", re.I)
EMAIL = re.compile(r"(?<![\w.%+'-])(?:mailto:)?([\w.%+'-]{1,64}@[a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63}){1,6})", re.I)
PHONE = re.compile(r"(?<![\d+])(?<!\d[ .-])(?:\+\s?44\s?(?:\(0\)\s?)?|\(?0)\d(?:[ ().-]{0,2}\d){5,10}(?!\d)")
_CONNECTORS = frozenset("please call ring phone telephone tel t m e mob mobile email e-mail on or at via and by "
                        "contact speak to direct line dl us the".split())
LONGEST_LABEL_LINE = 400  # longer lines are prose, so the label patterns never look at them


def contact_lead(line: str, vague_ok: bool) -> re.Match[str] | None:
    """The label opening a media-contact block, if the line plainly starts one (or vaguely, with details)."""
    lead = CONTACT_LEAD.match(line) if len(line) <= LONGEST_LABEL_LINE else None
    if lead and (_PLAIN_CONTACT.search(lead.group()) or not line[lead.end():].strip(" :")
                 or vague_ok and (EMAIL.search(line) or PHONE.search(line))):
        return lead
    return None


def read_contact(lines: list[str], out: ParsedRelease) -> list[str]:
    """Fill the contact fields from a media-contact block and return the lines it could not place."""
    leftover: list[str] = []
    for raw in lines:
        line = " ".join(raw.split())
        rest = line[m.end():] if (m := CONTACT_LEAD.match(line)) else line
        if email := EMAIL.search(rest):  # taken out first so digits in an address are not read as a phone
            rest = rest[:email.start()] + "," + rest[email.end():]
        if phone := PHONE.search(rest):
            rest = rest[:phone.start()] + "," + rest[phone.end():]
        if len(line) > LONGEST_LABEL_LINE or (email and out.contact_email) or (phone and out.contact_phone):
            leftover.append(line)  # a second address or number is kept for the reviewer to place
            continue
        out.contact_email = email.group(1).lower() if email else out.contact_email
        out.contact_phone = " ".join(phone.group().split()) if phone else out.contact_phone
        label = _FIELD.match(rest)
        attr = None if label is None else "contact_name" if label.group(1) else "contact_job_title"
        if label and getattr(out, attr) is None and (value := _clean_chunk(rest[label.end():])):
            setattr(out, attr, value)
            continue
        extra = []
        after_title = False  # the chunk before was the job title: a partner body's name may follow it
        for chunk in filter(None, map(_clean_chunk, re.split(r"[,;|()]| [-–—] ", rest))):
            wordy = not any(c.isdigit() for c in chunk)
            if out.contact_name is None and wordy and len(chunk.split()) <= 6:
                out.contact_name = chunk
            elif out.contact_job_title is None and wordy and len(chunk.split()) <= 12:
                out.contact_job_title = chunk
                after_title = True
                continue
            elif after_title and out.contact_organisation is None and wordy and len(chunk.split()) <= 12:
                out.contact_organisation = chunk  # name, job title, organisation: a joint release's order
            else:
                extra.append(chunk)
            after_title = False
        leftover += [", ".join(extra)] if extra else []
    if leftover:
        out.warnings.append("Some lines of the media contact were not recognised and were added to the notes to "
                            "editors: " + "; ".join(f"“{x[:80]}”" for x in leftover))
    return leftover


def _clean_chunk(chunk: str) -> str:
    """Strip linking words and labels such as 'or email' and 'Tel:' from the ends of a piece of a contact line."""
    words = chunk.split()
    while words and words[0].lower().strip(":.") in _CONNECTORS:
        words.pop(0)
    while words and words[-1].lower().strip(":.") in _CONNECTORS:
        words.pop()
    text = " ".join(words).strip(" :.-–<>[]\"'“”")
    return text if any(c.isalpha() for c in text) else ""
