"""Reading one cell of a contacts file: plain text, email addresses, phone numbers, lawful basis and list names.

Each reader gives back the clean value, or "" and why; what a contact's field cannot hold but a person may
want is added to the notes. csvimport applies them row by row.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from press.contacts.csvread import INVISIBLE

LIST_NAME_LIMIT = 100


def squash(header: str) -> str:
    """A header reduced to lower-case letters and digits, so "E-mail Address" and "email_address" meet."""
    return re.sub(r"[\W_]+", "", header.casefold())


def one_line(cell: str) -> str:
    """A one-line value: invisible characters removed and runs of whitespace, line breaks included, made one space."""
    if not cell.isprintable():
        cell = cell.translate(INVISIBLE)
    return " ".join(cell.split())


def notes_text(cell: str) -> str:
    """A notes value: line breaks kept as newlines, spaces tidied within each line."""
    if not cell.isprintable():
        cell = cell.replace("\r\n", "\n").replace("\r", "\n").translate(INVISIBLE)
        return "\n".join(" ".join(line.split()) for line in cell.split("\n")).strip("\n")
    return " ".join(cell.split())


def quoted(value: str, limit: int = 80) -> str:
    """A raw value for a reason, shortened so one bad cell cannot swamp the report."""
    value = one_line(value)
    return f"'{value[:limit]}…'" if len(value) > limit else f"'{value}'"


# --- Email addresses ---------------------------------------------------------------------------------------

_ANGLE = re.compile(r"(.*?)<([^<>]*)>")
# The plain local parts email_validator accepts as they are (RFC 5322 dot-atom); tests hold the two in step.
_DOT_ATOM = re.compile(r"[a-zA-Z0-9_!#$%&'*+\-/=?^`{|}~]+(?:\.[a-zA-Z0-9_!#$%&'*+\-/=?^`{|}~]+)*")


def strip_email(text: str) -> tuple[str, str]:
    """Split "Jane Smith <jane@x.com>", "mailto:jane@x.com" and quoted forms into (display name, address)."""
    display = ""
    match = _ANGLE.fullmatch(text)
    if match:
        display, text = one_line(match.group(1).strip().strip("\"'")), match.group(2)
    text = text.strip().strip("\"'<>").strip()
    if text[:7].casefold() == "mailto:":
        text = text[7:].split("?", 1)[0].strip()
    return display, text.rstrip(";,").strip()


def split_emails(text: str) -> list[tuple[str, str]]:
    """The addresses a cell holds, in order, each as (display name, address)."""
    if text.count("@") > 1:
        for pattern in (r"[;,]", r"[\s/]+"):
            parts = [part for part in re.split(pattern, text) if part.strip()]
            if len(parts) > 1 and all("@" in part for part in parts):
                return [strip_email(part.strip()) for part in parts]
    return [strip_email(text)]


@functools.lru_cache(maxsize=4096)
def _checked_domain(domain: str) -> str | None:
    """The normalised form of a valid ASCII domain, or None; cached because a file repeats a few hundred domains."""
    try:
        return validate_email("a@" + domain, check_deliverability=False).domain.lower()
    except EmailNotValidError:
        return None


def normalise_email(address: str) -> tuple[str, str]:
    """The address validated and lower-cased, or "" and the validator's reason."""
    # Fast path for plain ASCII addresses: email_validator accepts exactly these local parts unchanged, and the
    # domain check is the costly part. Anything unusual, and every failure, goes to the validator itself.
    local, at, domain = address.rpartition("@")
    if at and address.isascii() and len(address) <= 254 and _DOT_ATOM.fullmatch(local):
        checked = _checked_domain(domain)
        if checked is not None:
            return f"{local.lower()}@{checked}", ""
    try:
        return validate_email(address, check_deliverability=False).normalized.lower(), ""
    except EmailNotValidError as err:
        why = str(err).rstrip(".")
        first_word = why.split(" ", 1)[0]
        # The reason follows a colon mid-sentence; keep acronyms such as "IDNA" as they are.
        return "", why[:1].lower() + why[1:] if first_word[1:].islower() or len(first_word) == 1 else why


# --- Phone numbers -----------------------------------------------------------------------------------------

_PHONE_PLACEHOLDERS = {"-", "--", "–", "—", "n/a", "na", "none", "tbc", "tba", "unknown", "?", "nil"}
_DIGIT = re.compile(r"\d")
_WORD = re.compile(r"[^\W\d_]+")
# Labels people put beside a number, which say nothing worth keeping; any other word is kept in the notes.
_PHONE_LABELS = {"t", "tel", "telephone", "phone", "p", "m", "mob", "mobile", "cell", "w", "work", "o", "office",
                 "direct", "dl", "dd", "ddi", "line", "landline", "switchboard", "desk", "uk", "no", "number", "x",
                 "ext", "extn", "extension", "or", "and"}
_UK_SHAPE = re.compile(r"[\d\s()+.-]+")
_UK_DIGITS = re.compile(r"(?:\+44|0044|0)([1-9]\d{8,9})")
_E164 = phonenumbers.PhoneNumberFormat.E164


# Ofcom's ranges reserved for drama and training material, as first and last national numbers. Demo and test
# lists use them, they are shaped like real numbers, and phonenumbers calls some of them invalid.
_FICTIONAL = (*((area * 10**7 + 4960000, area * 10**7 + 4960999) for area in (113, 114, 115, 116, 117, 118, 121, 131,
                                                                               141, 151, 161)),
              (2079460000, 2079460999), (1914980000, 1914980999), (2896496000, 2896496999), (2920180000, 2920180999),
              (1632960000, 1632960999), (7700900000, 7700900999), (8081570000, 8081570999), (9098790000, 9098790999),
              (3069990000, 3069990999))


def _fictional(number: phonenumbers.PhoneNumber) -> bool:
    """Whether a number is in one of Ofcom's UK ranges for drama."""
    national = number.national_number
    return number.country_code == 44 and any(low <= national <= high for low, high in _FICTIONAL)


@functools.lru_cache(maxsize=65536)
def _parse_phone(text: str) -> tuple[str, str]:
    """One number as typed, as (E.164 or "" when not valid, extension)."""
    if _UK_SHAPE.fullmatch(text):
        # Fast path for UK numbers typed with spaces, dashes or "(0)": no need for the full parser.
        compact = re.sub(r"[\s().-]", "", re.sub(r"^(\s*(?:\+|00)\s*44\s*)\(0\)", r"\1", text))
        match = _UK_DIGITS.fullmatch(compact)
        if match:
            number = phonenumbers.PhoneNumber(country_code=44, national_number=int(match.group(1)))
            valid = phonenumbers.is_valid_number(number) or _fictional(number)
            return ("+44" + match.group(1) if valid else ""), ""
    try:
        number = phonenumbers.parse(text, "GB")
    except phonenumbers.NumberParseException:
        return "", ""
    if not (phonenumbers.is_valid_number(number) or _fictional(number)):
        return "", ""
    # The parser reads "07700 900123 07700 900124" as one number; accept it only when its digits are all the
    # number's own, give or take the prefixes people type.
    digits, extension = "".join(_DIGIT.findall(text)), number.extension or ""
    if extension and digits.endswith(extension):
        digits = digits[:-len(extension)]
    national, country = phonenumbers.national_significant_number(number), str(number.country_code)
    if digits not in {national, "0" + national, *(f"{p}{country}{z}{national}" for p in ("", "00") for z in ("", "0"))}:
        return "", ""
    return phonenumbers.format_number(number, _E164), extension


def _numbers_in(text: str) -> list[tuple[str, str]]:
    """Every valid number found within free text, in order, as (E.164, extension)."""
    found = []
    for match in phonenumbers.PhoneNumberMatcher(text, "GB", leniency=phonenumbers.Leniency.POSSIBLE):
        number = match.number
        if phonenumbers.is_valid_number(number) or _fictional(number):
            found.append((phonenumbers.format_number(number, _E164), number.extension or ""))
    return found


def phone_number(cell: str, warnings: list[str], notes: list[str]) -> str:
    """The E.164 number in a phone cell, or ""; anything the field cannot hold goes to the notes with a warning."""
    text = one_line(cell)
    if not text or text.casefold() in _PHONE_PLACEHOLDERS:
        return ""
    words = {word.casefold() for word in _WORD.findall(text)} - _PHONE_LABELS
    e164, extension = _parse_phone(text)
    if e164 and not words:
        if extension:
            warnings.append(f"Phone number {quoted(text)} has an extension, which the phone field cannot hold:"
                            f" {e164} was used and the number as written was added to the notes.")
            notes.append(f"Phone: {text}")
        return e164
    # Not one plain number: look for numbers within the text, and keep the whole cell in the notes.
    found = _numbers_in(text)
    if not found:
        where = "" if text.startswith(("+", "00")) else " UK"
        warnings.append(f"Phone number {quoted(text)} is not a valid{where} number and was left out.")
        return ""
    e164 = found[0][0]
    what = "words besides the number" if words and len(found) == 1 else "more than one number"
    warnings.append(f"Phone cell {quoted(text)} holds {what}: {e164} was used and the cell was added to the notes.")
    notes.append(f"Phone: {text}")
    return e164


# --- Lawful basis ------------------------------------------------------------------------------------------

# The UK GDPR Article 6(1) bases the contacts list records, as the codes it stores, with the ways people write
# them. Legal obligation and vital interests never apply to a press list, so they are not among them.
LAWFUL_BASES = ("legitimate_interests", "consent", "public_task", "contract")
_BASIS_SPELLINGS = {
    "consent": ("consent", "consented", "optin", "optedin"),
    "contract": ("contract", "contractual"),
    "public_task": ("publictask", "publicinterest", "publicinteresttask", "officialauthority"),
    "legitimate_interests": ("legitimateinterests", "legitimateinterest", "li", "legint"),
}
_BASIS_CODES = {squash(spelling): code for code, spellings in _BASIS_SPELLINGS.items() for spelling in spellings}
_ARTICLE = re.compile(r"(?:art(?:icle)?\.?\s*)?6\s*\(\s*1\s*\)\s*\(\s*([abef])\s*\)", re.I)
_ARTICLE_CODES = {"a": "consent", "b": "contract", "e": "public_task", "f": "legitimate_interests"}


def lawful_basis(cell: str, warnings: list[str], notes: list[str]) -> str:
    """The code of the lawful basis a cell names, or ""; anything else goes to the notes with a warning."""
    text = one_line(cell)
    if not text:
        return ""
    code = _BASIS_CODES.get(squash(text))
    if code is None and (article := _ARTICLE.fullmatch(text)):
        code = _ARTICLE_CODES[article.group(1).lower()]
    if code is None:
        notes.append(f"Lawful basis: {text}")
        warnings.append(f"Lawful basis {quoted(text)} is not one the contacts list records (consent, contract,"
                        " public task or legitimate interests), so it was added to the notes instead.")
        return ""
    return code


# --- Lists -------------------------------------------------------------------------------------------------

_LIST_STRONG = re.compile(r"[;|\r\n]|:::")  # ":::" joins groups in Google Contacts exports


def list_names(cell: str, warnings: list[str]) -> list[str]:
    """The list names in a cell, tidied, cut to the name limit with a warning."""
    parts = _LIST_STRONG.split(cell) if _LIST_STRONG.search(cell) else cell.split(",")
    names = []
    for part in parts:
        name = one_line(part)
        if len(name) > LIST_NAME_LIMIT:
            warnings.append(f"List name {quoted(name)} was longer than {LIST_NAME_LIMIT} characters and was cut"
                            f" to {LIST_NAME_LIMIT}.")
            name = name[:LIST_NAME_LIMIT].rstrip()
        if name:
            names.append(name)
    return names


def add_lists(lists: list[str], names: Iterable[str]) -> None:
    """Append the names not already in `lists`, comparing without regard to case."""
    if not names:
        return
    seen = {name.casefold() for name in lists}
    for name in names:
        key = name.casefold()
        if key not in seen:
            seen.add(key)
            lists.append(name)
