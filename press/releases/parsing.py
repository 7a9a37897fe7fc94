"""Recognise the parts of a UK public-sector press release so the release form can be pre-filled for review."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field

from press.releases.contact_block import (
    CONTACT_LEAD,
    EMAIL,
    LONGEST_LABEL_LINE,
    PHONE,
    contact_lead,
    read_contact,
)

__all__ = ["ParsedRelease", "parse_release_docx", "parse_release_text"]


@dataclass
class ParsedRelease:
    """The parts found in one release; text that is not recognised stays in the body or the notes."""

    reference: str | None = None
    release_date: datetime.date | None = None
    embargo: datetime.datetime | None = None  # naive, UK local time as written
    headline: str = ""
    standfirst: str = ""
    body: str = ""
    notes_to_editors: str = ""
    helpline: str = ""
    contact_name: str | None = None
    contact_job_title: str | None = None
    contact_organisation: str | None = None  # a partner body's name after the job title, as in joint releases
    contact_email: str | None = None
    contact_phone: str | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass
class _State:
    """What the passes over one release share besides its fields."""

    embargo: tuple[str, str] | None = None  # the whole line, and the words after "embargoed"
    unread: list[str] = field(default_factory=list)  # header lines kept at the top of the body
    helpline: list[str] = field(default_factory=list)
    leftover: list[str] = field(default_factory=list)  # contact lines moved to the notes


# Every repeat in these patterns is bounded or anchored, so no pasted text can make matching slow.
_MONTHS = "jan feb mar apr may jun jul aug sep oct nov dec".split()
_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
          r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
_DATE = re.compile(
    r"(?<![\w/.-])(?:(?P<wd>mon|tue|wed|thu|fri|sat|sun)[a-z]{0,6}\.?,?\s+)?(?:"
    rf"(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?(?:\s+of)?\s+(?P<m1>{_MONTH}),?(?:\s+(?P<y1>\d{{4}}))?"
    rf"|(?P<m2>{_MONTH})\s+(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?,?(?:\s+(?P<y2>\d{{4}}))?"
    r"|(?P<y3>\d{4})-(?P<m3>\d{1,2})-(?P<d3>\d{1,2})"
    r"|(?P<d4>\d{1,2})[/.-](?P<m4>\d{1,2})[/.-](?P<y4>\d{4}|\d{2}))(?![\w/])", re.I)
_TIME = re.compile(r"(?<![\d:.])(?:(\d{1,2})[:.](\d{2})(?!\d)|(\d{1,2})(?=\s*[ap]\.?m\b)|([01]\d|2[0-3])([0-5]\d)"
                   r"(?=\s*h))(?:\s*([ap])\.?m\b)?|\b(noon|midday|midnight)\b", re.I)
_REF = re.compile(r"([A-Z]{2,10}) ?[ /-]? ?(\d{4}) ?/ ?(\d{2}) ?[-–—] ?(\d{1,4})(?!\d)")
_REF_ANYCASE = re.compile(_REF.pattern, re.I)  # after a "Ref:" label a lower-case prefix is still a reference
_REF_LABEL = re.compile(r"(?:(?:our|your)\s+)?ref(?:erence)?\b(?:\s+(?:no|number)\b)?\.?\s*(:?)\s*", re.I)
_DATE_LABEL = re.compile(r"(?:date(?:\s+of\s+issue)?|issued(?:\s+on)?|issue\s+date|release\s+date|published(?:\s+on)?"
                         r"|dated)\b\s*(:?)\s*", re.I)
_TITLE = re.compile(r"(?:press|news|media)\s+(?:release|statement|notice|advisory)\b:?"
                    r"|(?:for\s+)?immediate\s+(?:release|use|publication)\b\.?", re.I)
_EMBARGO = re.compile(r"(?:strictly\s+)?(?:under\s+)?(?:embargo(?:ed)?\b|not\s+for\s+(?:publication|release|broadcast"
                      r"|use)\b)", re.I)
_HEADLINE_LABEL = re.compile(r"(?:headline|title|(?:press|news|media)\s+release)\s*[:–—-]\s*", re.I)
_STANDFIRST_LABEL = re.compile(r"(?:summary|standfirst)\s*(?::\s*|$)", re.I)
_NOTES = re.compile(r"(?:background\s+)?(?:notes?\s+(?:to|for)\s+(?:the\s+)?editors?|editor(?:s['’]|['’]s|s)?\s+"
                    r"notes?)\b[\s:.–-]*", re.I)
_HELP_HEAD = re.compile(r"(?:helplines?|support(?:\s+(?:available|services))?|help\s+and\s+support|getting\s+help"
                        r"|where\s+to\s+(?:get|find)\s+(?:help|support)|if\s+you\s+need\s+(?:help|support))\s*:?$",
                        re.I)
_HELP_PHRASE = re.compile(
    r"(?:if\s+(?:you(?:['’]re|\s+are)|anyone\s+is)\s+(?:worried|concerned)\b|if\s+you\s+(?:have\s+been\s+affected"
    r"|need\s+(?:help|support)|or\s+someone\s+you\s+know)\b|if\s+you\s+have\s+(?:any\s+)?concerns?\s+about\s+(?:a|the)"
    r"\s+(?:child|young|safety|welfare)|anyone\s+(?:who\s+is\s+)?(?:worried|concerned)\s+about\b)", re.I)
_URL = re.compile(r"(?:https?://|www\.)\S")
_LIST = re.compile(r"(?:[•·▪◦‣●○■□➢►✓\uf0b7]\s*|[-–—*+]\s+|\(?(\d{1,2})[.)]\s+)(?=\S)")  # group 1: a number
_LIST_STARTS = frozenset("•·▪◦‣●○■□➢►✓\uf0b7-–—*+(0123456789")  # checked first: a set lookup is cheaper
_ITEM = re.compile(r"- |\d{1,2}\. ")
_SPACES = {**dict.fromkeys(map(ord, "\u00a0\u2007\u202f\u3000\t"), " "),
           **dict.fromkeys([*range(9), *range(14, 28), 31, 127, *map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad")])}


def parse_release_text(text: str) -> ParsedRelease:
    """Split pasted release text into its parts, warning about anything missing rather than failing."""
    out, state = ParsedRelease(), _State()
    lines = [line.rstrip() for line in text.translate(_SPACES).splitlines()]
    if not any(lines):
        out.warnings.append("The release is empty: paste its text or upload it as a .docx file.")
        return out
    width = _wrap_width(lines)
    kinds = [_line_kind(line) for line in lines]
    end = kinds.index("end") if "end" in kinds else len(lines)
    stop = kinds.index("notes", 0, end) if "notes" in kinds[:end] else end  # no ENDS: the notes still end the body
    start = _read_header(lines, stop, width, out, state)
    body = _take_sections(lines[start:stop], kinds[start:stop], width, out, state, strict=True)
    notes = _take_sections(lines[stop:], kinds[stop:], width, out, state, strict=False)
    if state.embargo:
        _resolve_embargo(out, state)
    out.body = _markdown([*(" ".join(line.split()) for line in state.unread), *body])
    out.notes_to_editors = _markdown([*notes, *state.leftover])
    out.helpline = _markdown(state.helpline)
    _warn_missing(out, end < len(lines), stop < len(lines))
    return out


def parse_release_docx(data: bytes) -> ParsedRelease:
    """Parse an uploaded .docx, taking a lone bold paragraph straight after the headline as the standfirst."""
    # Imported when a .docx arrives: python-docx and lxml add about 8 MB to every process that loads them.
    from press.releases.docx_text import read_docx

    extracted = read_docx(data)
    out = parse_release_text(extracted.text)
    first, _, rest = out.body.partition("\n\n")
    if (not out.standfirst and rest and first in extracted.bold_paragraphs and len(first.split()) <= 80
            and rest.partition("\n\n")[0] not in extracted.bold_paragraphs):
        out.standfirst, out.body = first, rest
    return out


def _wrap_width(lines: list[str]) -> int | None:
    """The width the text was hard-wrapped at, or None when each paragraph is one long line."""
    lengths = [len(line) for line in lines if line]
    wrapped = [n for n in lengths if 40 <= n <= 100]
    return max(wrapped) if len(wrapped) >= 3 and sum(n > 100 for n in lengths) * 10 <= len(lengths) else None


def _line_kind(line: str) -> str | None:
    """Whether a line is an ENDS marker ("end") or opens the notes, a helpline box or a media-contact block."""
    text = line.strip() if len(line) <= LONGEST_LABEL_LINE else ""
    if 3 <= len(text) <= 20 and (text.strip("-–—*~_[]().:# ").lower() in ("ends", "end") or text == "###"):
        return "end"
    if len(text) < 5 or text[0].lower() not in "abcefghimnpsw":
        return None  # every label starts with one of these letters, so most lines are ruled out here
    if _NOTES.match(text) or text.lower().rstrip(" :.") == "notes":
        return "notes"
    if _HELP_HEAD.match(text) or _HELP_PHRASE.match(text):
        return "helpline"
    return "contact" if CONTACT_LEAD.match(text) else None


def _meta_pieces(line: str) -> dict[str, object] | None:
    """Read a whole line as release details (reference, date, embargo, 'Press release'), or None if it is not."""
    found: dict[str, object] = {}
    rest = line.strip()
    while rest and len(rest) <= 300:
        if m := _TITLE.match(rest):
            found["title"] = True  # "For immediate release" needs nothing stored: no embargo is the default
        elif m := _EMBARGO.match(rest):
            found["embargo"] = rest[m.end():]
            return found
        elif label := _REF_LABEL.match(rest):
            if not (m := _REF_ANYCASE.match(rest, label.end())):
                return {"bad": True} if label.group(1) else None
            found["reference"] = m
        elif label := _DATE_LABEL.match(rest):
            if not (m := _DATE.match(rest, label.end())):
                return {"bad": True} if label.group(1) else None
            found["date"] = m
        elif m := _REF.match(rest) or _DATE.match(rest):
            found["reference" if m.re is _REF else "date"] = m
        else:
            return None
        rest = rest[m.end():].lstrip(" |,;.–—-")
    return found if found and not rest else None


def _apply_meta(found: dict[str, object], line: str, out: ParsedRelease, state: _State) -> None:
    """Store the details read from one header line, keeping unreadable ones at the top of the body."""
    line = line.strip()
    if isinstance(ref := found.get("reference"), re.Match):
        prefix, year, short, number = ref.groups()
        reference = f"{prefix.upper()} {year}/{short}-{number}"
        out.reference = out.reference or reference
        found["bad"] = found.get("bad") or reference != out.reference  # a different second one is kept in view
        if int(short) != (int(year) + 1) % 100:
            out.warnings.append(f"The reference {reference} does not name a financial year such as 2024/25.")
    if isinstance(date := found.get("date"), re.Match):
        when = _to_date(date, out)
        out.release_date = out.release_date or when
        found["bad"] = found.get("bad") or when is None or when != out.release_date
    if "embargo" in found:
        found["bad"] = found.get("bad") or state.embargo is not None and state.embargo[0] != line
        state.embargo = state.embargo or (line, str(found["embargo"]))
    if found.get("bad"):
        state.unread.append(line)
        out.warnings.append(f"“{line}” could not be read, or differs from details already found: it was left at"
                            " the top of the body.")


def _to_date(m: re.Match[str], out: ParsedRelease, year_from: datetime.date | None = None) -> datetime.date | None:
    """The date a match names (day first when numeric, as in the UK), taking a missing year from year_from."""
    g = m.groupdict()
    n = next(n for n in "1234" if g["d" + n])
    month, year = g["m" + n], int(g["y" + n] or (year_from.year if year_from else 0))
    try:
        result = datetime.date(year + 2000 if 0 < year < 100 else year,
                               int(month) if month.isdigit() else _MONTHS.index(month[:3].lower()) + 1, int(g["d" + n]))
    except ValueError:
        return None
    if g["wd"] and result.strftime("%a").lower() != g["wd"].lower():
        out.warnings.append(f"{result.day} {result:%B %Y} is a {result:%A}, not the day of the week written beside it.")
    return result


def _read_header(lines: list[str], stop: int, width: int | None, out: ParsedRelease, state: _State) -> int:
    """Read the details, headline and standfirst at the top and return the index where the body starts."""
    i = _next_text(lines, 0, stop)
    while i < stop:
        if found := _meta_pieces(lines[i]):
            _apply_meta(found, lines[i], out, state)
            i = _next_text(lines, i + 1, stop)
            continue
        if label := _HEADLINE_LABEL.match(line := lines[i].strip()):
            if not (text := line[label.end():]) and (i := _next_text(lines, i + 1, stop)) < stop:
                text = lines[i]
            out.headline, i = " ".join(text.split()), i + 1
            break
        end = i + 1  # a headline may be wrapped, or set in capitals over two lines
        while end < min(stop, i + 3) and lines[end] and not _meta_pieces(lines[end]) and (
                _joins(lines[end - 1], lines[end], width) or lines[end - 1].isupper() and lines[end].isupper()):
            end += 1
        text, after = " ".join(" ".join(lines[i:end]).split()), _next_text(lines, end, stop)
        if len(text.split()) <= 8 and len(state.unread) < 3 and after < stop and _meta_pieces(lines[after]):
            below = after
            while below < stop and (not lines[below] or _meta_pieces(lines[below])):
                below += 1
            if below < stop and len(lines[below].split()) <= 30 and not lines[below].endswith("."):
                # A short line above the details with a headline-like line below them names the organisation.
                state.unread.append(text)
                out.warnings.append(f"“{text}” above the release details was kept at the top of the body.")
                i = after
                continue
        out.headline, i = text, end
        break
    i = _next_text(lines, i, stop)
    while i < stop and (found := _meta_pieces(lines[i])):  # details written under the headline
        _apply_meta(found, lines[i], out, state)
        i = _next_text(lines, i + 1, stop)
    if i < stop and (label := _STANDFIRST_LABEL.match(lines[i].strip())):
        first = lines[i].strip()[label.end():]
        end = i = i + 1 if first else _next_text(lines, i + 1, stop)
        while end < stop and lines[end]:
            end += 1
        out.standfirst, i = " ".join(" ".join([first, *lines[i:end]]).split()), end
    return i


def _next_text(lines: list[str], i: int, stop: int) -> int:
    """The index of the next non-blank line from i, or stop if there is none."""
    while i < stop and not lines[i]:
        i += 1
    return i


def _joins(prev: str, line: str, width: int | None) -> bool:
    """Whether a line carries on the previous line's paragraph: a hard wrap or a sentence running on."""
    text = line.lstrip()
    if _list_marker(text):
        return False
    if text[:1].islower() and not prev.endswith((".", "!", "?", ":")):
        return True
    # Wrapping fills each line, so a line continues the last only if its first word would not have fitted there.
    space = text.find(" ")
    if width is not None and len(prev) + 1 + (space if space > 0 else len(text)) > width:
        return True
    return line[:1] == " " and _list_marker(prev.lstrip()) is not None  # an indented list item running on


def _list_marker(text: str) -> re.Match[str] | None:
    """The bullet or number starting a list item, if the text starts with one."""
    return _LIST.match(text) if text[:1] in _LIST_STARTS else None


def _take_sections(lines: list[str], kinds: list[str | None], width: int | None, out: ParsedRelease, state: _State,
                   strict: bool) -> list[str]:
    """Move helpline and media-contact blocks into their fields and return the other paragraphs."""
    blocks: list[tuple[str | None, list[str]]] = [(None, [])]
    for line, kind in zip(lines, kinds, strict=True):
        if (not line or kind) and blocks[-1][1]:  # a blank line, an end marker or a section label starts a block
            blocks.append((kind, []))
        elif not blocks[-1][1]:
            blocks[-1] = (kind, [])
        if line and kind != "end":
            blocks[-1][1].append(line)
    blocks = [(kind, block) for kind, block in blocks if block]
    # "For more information, contact ..." is taken as the media contact only after ENDS and when nothing is plainer.
    vague_ok = not strict and not any(kind == "contact" and contact_lead(block[0].strip(), False)
                                      for kind, block in blocks)
    kept: list[str] = []
    i = 0
    while i < len(blocks):
        (kind, block), i = blocks[i], i + 1
        first = block[0].strip()
        if kind == "notes":
            label = _NOTES.match(first)
            block, kind = ([first[label.end():]] if label and first[label.end():] else []) + block[1:], None
        lead = contact_lead(first, vague_ok) if kind == "contact" else None
        if lead and not (out.contact_name or out.contact_email or out.contact_phone):
            if len(block) == 1 and not first[lead.end():].strip(" :") and i < len(blocks):
                block, i = block + blocks[i][1], i + 1
            while i < len(blocks) and len(blocks[i][1]) <= 3 and all(  # details set apart by a blank line
                    len(x) < 200 and (EMAIL.search(x) or PHONE.search(x)) for x in blocks[i][1]):
                block, i = block + blocks[i][1], i + 1
            state.leftover += read_contact(block, out)
        elif kind == "helpline":
            content = block[1:] if _HELP_HEAD.match(first) else block
            if not content and i < len(blocks):
                content, i = blocks[i][1], i + 1
            state.helpline += _paragraphs(content, width)
            while i < len(blocks) and blocks[i][0] is None and _helpline_follows(blocks[i][1]):
                state.helpline += _paragraphs(blocks[i][1], width)
                i += 1
        else:
            kept += _paragraphs(block, width)
    return kept


def _helpline_follows(block: list[str]) -> bool:
    """Whether a block carries on a helpline box: a list, or a short line with a number or web address."""
    text = " ".join(block)
    return all(_list_marker(line.lstrip()) for line in block) or len(text) <= 200 and bool(
        PHONE.search(text) or _URL.search(text))


def _paragraphs(block: list[str], width: int | None) -> list[str]:
    """Join the wrapped lines of a block into paragraphs, turning bullet lines into Markdown list items."""
    paragraphs: list[list[str]] = []
    for n, line in enumerate(block):
        if n and _joins(block[n - 1], line, width):
            paragraphs[-1].append(line)
        else:
            paragraphs.append([line])
    result = []
    for parts in paragraphs:
        text = " ".join(" ".join(parts).split())
        if m := _list_marker(text):
            text = f"{int(m.group(1))}. {text[m.end():]}" if m.group(1) else f"- {text[m.end():]}"
        result.append(text)
    return result


def _markdown(paragraphs: list[str]) -> str:
    """Join paragraphs with blank lines, keeping the items of one list on consecutive lines."""
    parts: list[str] = []
    was_item = False
    for text in paragraphs:
        item = text.startswith("- ") or text[:1].isdigit() and _ITEM.match(text) is not None
        parts += ["\n" if item and was_item else "\n\n", text] if parts else [text]
        was_item = item
    return "".join(parts)


def _resolve_embargo(out: ParsedRelease, state: _State) -> None:
    """Turn the words after 'Embargoed until' into a naive local date and time, saying what was assumed."""
    line, spec = state.embargo or ("", "")
    if re.match(r"[\s:,–-]*(?:none|n/a|no\b|immediate)", spec, re.I):
        return
    when = out.release_date
    if m := _DATE.search(spec):
        when, spec = _to_date(m, out, out.release_date), spec[:m.start()] + " " + spec[m.end():]
    elif when:
        out.warnings.append("The embargo gives no date, so the release date was used.")
    if when is None:
        state.unread.insert(0, line)
        out.warnings.append(f"Could not read the embargo “{line}”: it was left at the top of the body.")
        return
    hour = minute = 0  # 00:01 BST, 10.30am, 0001 hrs, noon: the app checks BST or GMT against the date
    if not (t := _TIME.search(spec)):
        out.warnings.append("The embargo gives no time, so 00:00 was assumed.")
    elif word := (t.group(7) or "").lower():
        hour = 12 if word != "midnight" else 0
        if word == "midnight":
            out.warnings.append("The embargo says midnight: 00:00 at the start of that day was assumed.")
    else:
        hour, minute = int(t.group(1) or t.group(3) or t.group(4)), int(t.group(2) or t.group(5) or 0)
        if t.group(6) and hour <= 12:
            hour = hour % 12 + (12 if t.group(6).lower() == "p" else 0)
        if hour > 23 or minute > 59:
            out.warnings.append("The embargo time could not be read, so 00:00 was assumed.")
            hour = minute = 0
    out.embargo = datetime.datetime.combine(when, datetime.time(hour, minute))


def _warn_missing(out: ParsedRelease, ended: bool, notes_found: bool) -> None:
    """Add a warning for each usual part of a release that was not found."""
    if not out.headline or len(out.headline) > 200:
        out.warnings.append("The headline is very long: it may be the first paragraph." if out.headline
                            else "No headline found.")
    if out.reference is None:
        out.warnings.append("No reference found (such as “Ref: ABC 2024/25-01”).")
    if out.release_date is None:
        out.warnings.append("No release date found" + (", so the embargo date was used." if out.embargo else "."))
        out.release_date = out.embargo.date() if out.embargo else None
    if not ended:
        out.warnings.append("No ENDS line found: the body was taken to end at the notes to editors." if notes_found
                            else "No ENDS line found: everything after the headline was treated as the body.")
    if not out.body:
        out.warnings.append("No body text found.")
    if not (out.contact_name or out.contact_email or out.contact_phone):
        out.warnings.append("No media contact found.")
    elif not (out.contact_email or out.contact_phone):
        out.warnings.append("The media contact has no email address or phone number.")
