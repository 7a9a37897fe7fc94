"""Turn the rows of a contacts CSV into clean, de-duplicated contacts, with every row not used reported and why.

The database layer consumes `ImportPlan`; this module knows nothing of Flask or SQLAlchemy.

Rules chosen here (whenever one changes or leaves out a value, the per-row report says so):
- A row with no usable email address is rejected; every other problem keeps the contact and adds a warning.
- Invalid phone numbers are left out with a warning. When a phone cell holds more than the one number the
  phone field keeps (an extension, a second number, words such as "after 6pm"), the first valid number is used
  and the cell as written is added to the notes. Placeholders such as "n/a" or "-" count as no number.
- A cell holding several email addresses uses the first; the others are added to the notes.
- Contacts without a name are imported with name "" and a warning; "Jane Smith <jane@x.com>" supplies a name.
- A "Name" column wins over "First name" + "Last name", which are joined when the name cell is empty.
- Rows with the same email (ignoring case) are merged into the first: its values win, later rows fill blanks,
  lists are joined, differing notes appended. A differing later value is left out with a warning naming it.
- Over-long cells are cut to the field's limit with a warning; an email address is never cut, the validator
  rejects it. Control and invisible characters are removed without a warning: they carry nothing.
- Lawful basis is stored as one of the LAWFUL_BASES codes, recognised from how people write it ("Legitimate
  interests", "LI", "Art. 6(1)(f)"); any other text goes to the notes with a warning.
- List cells split on ";", "|" or line breaks when they hold any of those, otherwise on ",", so a name such as
  "Health, Social Care" survives in "Health, Social Care; Education".
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from press.contacts.cells import (
    LAWFUL_BASES, LIST_NAME_LIMIT, add_lists, lawful_basis, list_names, normalise_email, notes_text, one_line,
    phone_number, quoted, split_emails, squash, strip_email,
)
from press.contacts.csvread import CsvTable, ImportFileError, read_csv
from press.spreadsheets import safe_cell

__all__ = [
    "ALL_FIELDS", "CONTACT_FIELDS", "FIELD_LABELS", "FIELD_LIMITS", "LAWFUL_BASES", "LIST_NAME_LIMIT", "ContactRow",
    "CsvTable", "ImportFileError", "ImportPlan", "RowProblem", "clean_rows", "guess_mapping", "read_csv",
    "report_csv",
]

CONTACT_FIELDS = ("name", "email", "outlet", "job_title", "phone", "notes", "source", "lawful_basis", "lists")
# What a column can be mapped to: the contact fields, plus two name parts that clean_rows joins into "name".
ALL_FIELDS = (*CONTACT_FIELDS, "first_name", "last_name")
FIELD_LABELS: dict[str, str] = {
    "name": "Name", "email": "Email", "outlet": "Outlet", "job_title": "Job title or beat", "phone": "Phone",
    "notes": "Notes", "source": "Source", "lawful_basis": "Lawful basis", "lists": "Lists",
    "first_name": "First name", "last_name": "Last name",
}
FIELD_LIMITS = {"name": 200, "outlet": 200, "job_title": 200, "notes": 5000, "source": 200}
NO_EMAIL_COLUMN = "No column holds email addresses: choose which column is the email."

_SYNONYMS = {
    "email": ("email", "e-mail", "email address", "e-mail address", "mail", "work email", "email 1 - value",
              "e-mail 1 - value", "primary email", "business email", "email (work)"),
    "name": ("name", "full name", "contact name", "contact", "display name", "journalist", "journalist name"),
    "first_name": ("first name", "firstname", "forename", "given name", "first"),
    "last_name": ("last name", "lastname", "surname", "family name", "last"),
    "outlet": ("outlet", "organisation", "organization", "company", "publication", "media outlet",
               "title (publication)", "newspaper", "station", "employer", "outlet name", "organisation name",
               "organization name", "company name", "publication name", "media", "organization 1 - name"),
    "job_title": ("job title", "title", "position", "role", "beat", "job title or beat", "desk", "job",
                  "organization 1 - title"),
    "phone": ("phone", "telephone", "tel", "mobile", "mobile phone", "phone number", "direct line", "business phone",
              "work phone", "mobile number", "telephone number", "phone 1 - value"),
    "notes": ("notes", "comments", "note", "comment"),
    "source": ("source", "how we got this"),
    "lawful_basis": ("lawful basis", "legal basis", "gdpr basis", "basis", "lawful basis for processing"),
    "lists": ("lists", "list", "groups", "tags", "segments", "group membership", "categories", "group"),
}


_HEADER_FIELDS = {squash(name): fld for fld, names in _SYNONYMS.items() for name in names}
# Names that often mean something else ("Title" is Mr or Ms in Outlook and Google exports): they map only when
# no other column claims the field.
_AMBIGUOUS = {"title", "contact", "mail", "basis", "first", "last", "job", "media", "group", "list"}
# Headers that only mention email or phone among other words, tried when no exact name matched.
_LOOSE = (("email", ("email", "mail"), ("type", "display", "name", "opt", "consent", "status", "sent", "date")),
          ("phone", ("phone", "mobile", "telephone"), ("type", "ext")))


def guess_mapping(headers: list[str]) -> list[str | None]:
    """For each column the field it most likely holds, or None; the first column that fits a field wins it."""
    mapping: list[str | None] = [None] * len(headers)
    taken: set[str] = set()
    keys = [squash(header) for header in headers]
    for ambiguous in (False, True):
        for index, key in enumerate(keys):
            found = _HEADER_FIELDS.get(key)
            if found and found not in taken and (key in _AMBIGUOUS) == ambiguous:
                mapping[index] = found
                taken.add(found)
    for fld, words, unless in _LOOSE:
        for index, key in enumerate(keys):
            if (fld not in taken and mapping[index] is None and any(w in key for w in words)
                    and not any(u in key for u in unless)):
                mapping[index] = fld
                taken.add(fld)
    return mapping


@dataclass
class ContactRow:
    """One contact ready to store: cleaned values and the file lines it came from."""

    line: int
    name: str
    email: str  # stripped and lower-cased
    outlet: str = ""
    job_title: str = ""
    phone: str = ""  # E.164, or "" when none
    notes: str = ""
    source: str = ""
    lawful_basis: str = ""
    lists: list[str] = field(default_factory=list)
    merged_lines: list[int] = field(default_factory=list)


@dataclass
class RowProblem:
    """Why a row of the file was not used, or was used with something left out; `values` are its raw cells."""

    line: int
    reason: str
    values: list[str]
    outcome: str = ""  # "rejected", "skipped", "warning", or a caller's own word such as "suppressed"


@dataclass
class ImportPlan:
    """What an import would do: the contacts to store and every row that needs the importer's attention."""

    contacts: list[ContactRow] = field(default_factory=list)
    rejected: list[RowProblem] = field(default_factory=list)
    skipped: list[RowProblem] = field(default_factory=list)
    warnings: list[RowProblem] = field(default_factory=list)


# --- Rows --------------------------------------------------------------------------------------------------

def _columns(headers: list[str], mapping: Sequence[str | None]) -> dict[str, list[int]]:
    """Which column indexes feed each field; several columns may feed notes or lists, one any other field."""
    if len(mapping) != len(headers):
        raise ValueError(f"The mapping has {len(mapping)} entries for {len(headers)} columns.")
    columns: dict[str, list[int]] = {}
    for index, fld in enumerate(mapping):
        if fld is None:
            continue
        if fld not in ALL_FIELDS:
            raise ValueError(f"Unknown contact field {fld!r}.")
        columns.setdefault(fld, []).append(index)
    for fld, indexes in columns.items():
        if len(indexes) > 1 and fld not in ("notes", "lists"):
            first, second = (headers[i] or f"column {i + 1}" for i in indexes[:2])
            raise ImportFileError(f"Columns '{first}' and '{second}' are both set to {FIELD_LABELS[fld]}: choose"
                                  " one.")
    if "email" not in columns:
        raise ImportFileError(NO_EMAIL_COLUMN)
    return columns


def _limit(contact: ContactRow, fld: str, warnings: list[str]) -> None:
    """Cut an over-long value to its field's limit, saying so."""
    limit = FIELD_LIMITS[fld]
    value = getattr(contact, fld)
    if len(value) > limit:
        setattr(contact, fld, value[:limit].rstrip())
        warnings.append(f"{FIELD_LABELS[fld]} was longer than {limit:,} characters and was cut to {limit:,}.")


def _contact(line: int, cells: list[str], columns: dict[str, list[int]], delimiter: str,
             warnings: list[str]) -> ContactRow | str:
    """The contact a row holds, or the reason it cannot be used; problems that leave it usable go to `warnings`."""
    raw = {fld: cells[indexes[0]] for fld, indexes in columns.items()}
    for fld, value in raw.items():
        # A quote left open swallows the lines after it into one cell; a notes or lists cell may span lines.
        if ("\n" in value or "\r" in value) and delimiter in value and fld not in ("email", "notes", "lists"):
            warnings.append(f"{FIELD_LABELS[fld]} runs over several lines of the file and holds the separator"
                            f" {delimiter!r}, so a closing quote mark may be missing: check this line.")

    def cell(fld: str) -> str:
        return raw.get(fld, "")

    raw_email = raw["email"]
    if "\n" in raw_email or "\r" in raw_email:
        return "Email cell runs over several lines of the file, so a closing quote mark is probably missing."
    addresses = split_emails(one_line(raw_email))
    display, address = addresses[0]
    if not address:
        return "Email address is missing."
    email, why = normalise_email(address)
    if not email:
        return f"Email address {quoted(address)} is not valid: {why}."

    notes = [text for i in columns.get("notes", ()) if (text := notes_text(cells[i]))]
    if len(addresses) > 1:
        others = ", ".join(other for _, other in addresses[1:])
        notes.append(f"Other email addresses: {others}")
        warnings.append(f"Only the first email address in the cell was used: {quoted(others)} was added to the"
                        " notes.")

    name = one_line(cell("name")) or " ".join(filter(None, (one_line(cell("first_name")), one_line(cell("last_name")))))
    contact = ContactRow(line=line, name=name or display, email=email, outlet=one_line(cell("outlet")),
                         job_title=one_line(cell("job_title")), phone=phone_number(cell("phone"), warnings, notes),
                         source=one_line(cell("source")),
                         lawful_basis=lawful_basis(cell("lawful_basis"), warnings, notes))
    contact.notes = "\n".join(notes)
    for i in columns.get("lists", ()):
        add_lists(contact.lists, list_names(cells[i], warnings))
    for fld in FIELD_LIMITS:
        _limit(contact, fld, warnings)
    return contact


_MERGED_FIELDS = ("name", "outlet", "job_title", "phone", "source", "lawful_basis")


def _has_block(notes: str, block: str) -> bool:
    """Whether notes already hold a block of lines, compared without regard to case."""
    notes, block = f"\n{notes.casefold()}\n", f"\n{block.casefold()}\n"
    return block in notes


def _merge(first: ContactRow, later: ContactRow, warnings: list[str]) -> None:
    """Fold a later row with the same email into the first: blanks filled, lists joined, new notes appended."""
    for fld in _MERGED_FIELDS:
        mine, theirs = getattr(first, fld), getattr(later, fld)
        if not mine:
            setattr(first, fld, theirs)
        elif theirs and theirs.casefold() != mine.casefold():
            warnings.append(f"{FIELD_LABELS[fld]} {quoted(theirs)} differs from line {first.line} and was left out.")
    if later.notes and not _has_block(first.notes, later.notes):
        first.notes = f"{first.notes}\n{later.notes}" if first.notes else later.notes
        _limit(first, "notes", warnings)
    add_lists(first.lists, later.lists)
    first.merged_lines.append(later.line)


def clean_rows(table: CsvTable, mapping: Sequence[str | None], *, default_lists: Sequence[str] = ()) -> ImportPlan:
    """Clean and de-duplicate the rows of a file under a column mapping, accounting for every row."""
    columns = _columns(table.headers, mapping)
    plan = ImportPlan()
    warnings_at: list[tuple[int, list[str], list[str]]] = []  # (line, cells, warnings), turned into rows at the end

    header_email = table.headers[columns["email"][0]]
    if "@" in header_email and normalise_email(strip_email(header_email)[1])[0]:
        plan.rejected.append(RowProblem(table.header_line, "This line was read as the column names but holds an"
                                        " email address, so it was not imported: add a line of column names at the"
                                        " top of the file.", list(table.headers), "rejected"))

    width = len(table.headers)
    by_email: dict[str, ContactRow] = {}
    cells_at: dict[int, list[str]] = {}  # the raw cells of each contact's first line
    for line, cells in table.rows:
        if not any(cell.strip() for cell in cells):
            plan.skipped.append(RowProblem(line, "Blank line.", cells, "skipped"))
            continue
        if len(cells) < width:  # read_csv pads rows, a table made some other way may not
            cells = cells + [""] * (width - len(cells))
        warnings: list[str] = []
        extra = [cell for cell in cells[width:] if cell.strip()]
        result = _contact(line, cells, columns, table.delimiter, warnings)
        if isinstance(result, str):
            if extra:
                result += (f" The line has {len(extra)} more cell{'s' if len(extra) > 1 else ''} than there are"
                           " columns: check for a separator that should be inside quotes.")
            plan.rejected.append(RowProblem(line, result, cells, "rejected"))
            continue
        if extra:
            shown = ", ".join(quoted(value, 40) for value in extra)
            warnings.append(f"The line has more cells than there are columns; {shown} "
                            f"{'was' if len(extra) == 1 else 'were'} not imported.")
        first = by_email.get(result.email)
        if first is None:
            by_email[result.email] = result
            plan.contacts.append(result)
            cells_at[line] = cells
        else:
            plan.skipped.append(RowProblem(line, f"Same email as line {first.line}: merged into it.", cells,
                                           "skipped"))
            _merge(first, result, warnings)
        if warnings:
            warnings_at.append((line, cells, warnings))

    defaults: list[str] = []
    add_lists(defaults, filter(None, (one_line(name) for name in default_lists)))
    for contact in plan.contacts:
        add_lists(contact.lists, defaults)
        if not contact.name:  # only known once later rows had their chance to supply one
            warnings_at.append((contact.line, cells_at[contact.line], ["Name is missing: the contact was imported"
                                                                        " without one."]))
    warnings_at.sort(key=lambda item: item[0])
    plan.warnings = [RowProblem(line, reason, cells, "warning") for line, cells, reasons in warnings_at
                     for reason in reasons]
    return plan


# --- The report --------------------------------------------------------------------------------------------

def report_csv(plan: ImportPlan, headers: list[str], extra: Iterable[RowProblem] = ()) -> str:
    """The per-row report to download: line, outcome, reason, then the row as it was in the file, by line."""
    # The caller encodes it; "utf-8-sig" lets Excel read accented letters correctly.
    problems = [(p, p.outcome or outcome) for ps, outcome in ((plan.rejected, "rejected"), (plan.skipped, "skipped"),
                                                              (plan.warnings, "warning"), (extra, "note"))
                for p in ps]
    problems.sort(key=lambda item: item[0].line)
    width = max([len(headers), *(len(p.values) for p, _ in problems)])
    spare = [f"Extra column {n}" for n in range(1, width - len(headers) + 1)]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([safe_cell(cell) for cell in ("line", "outcome", "reason", *headers, *spare)])
    for problem, outcome in problems:
        values = [safe_cell(value) for value in problem.values]
        writer.writerow([str(problem.line), safe_cell(outcome), safe_cell(problem.reason), *values,
                         *[""] * (width - len(values))])
    return out.getvalue()
