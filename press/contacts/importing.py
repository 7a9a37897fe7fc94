"""Writing a cleaned contacts file to the database: new contacts added, known ones merged, never doubled."""

import os
import secrets
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session
from werkzeug.utils import secure_filename

from press import clock
from press.accounts.models import User
from press.contacts.csvimport import (
    ContactRow, CsvTable, ImportPlan, RowProblem, clean_rows, guess_mapping, read_csv, report_csv,
)
from press.contacts.models import (
    LAWFUL_BASES, Contact, ContactEvent, ContactImport, ContactStatus, MediaList, Suppression, contact_lists,
    email_digest,
)
from press.audit import audit
from press.contacts.import_rows import by_line, contact_label, describe_changes, duplicate_rows, rejected_rows
from press.contacts.services import list_name, lists_named

MERGED_FIELDS = ("name", "outlet", "job_title", "phone", "notes", "source", "lawful_basis")
CHUNK = 500
NOTES_LIMIT = 5000


@dataclass
class ImportOutcome:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    # Rows that met a contact already held: line, which contact, what changed.
    merged: list[dict] = field(default_factory=list)


@dataclass
class ImportPreview:
    """What confirming an import would do, worked out without writing anything."""

    new: int = 0
    merged_existing: int = 0
    blank: int = 0
    rejected: list[dict] = field(default_factory=list)
    merged: list[dict] = field(default_factory=list)


def _chunks(items: list, size: int = CHUNK):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _existing(session: Session, emails: list[str]) -> dict[str, Contact]:
    found: dict[str, Contact] = {}
    for chunk in _chunks(emails):
        for contact in session.scalars(select(Contact).where(Contact.email.in_(chunk))):
            found[contact.email] = contact
    return found


def _suppressed(session: Session, emails: list[str]) -> dict[str, datetime]:
    digests = {email_digest(e): e for e in emails}
    found: dict[str, datetime] = {}
    for chunk in _chunks(list(digests)):
        for digest, when in session.execute(
            select(Suppression.email_digest, Suppression.created_at).where(Suppression.email_digest.in_(chunk))
        ):
            found[digests[digest]] = when
    return found


def _memberships(session: Session, contact_ids: list[int]) -> set[tuple[int, int]]:
    pairs: set[tuple[int, int]] = set()
    for chunk in _chunks(contact_ids):
        pairs.update((contact_id, list_id) for contact_id, list_id in session.execute(
            select(contact_lists.c.contact_id, contact_lists.c.list_id).where(contact_lists.c.contact_id.in_(chunk))
        ))
    return pairs


def lawful_basis_key(text: str) -> str | None:
    """The lawful basis a file names, by key or by label, without regard to case; None if unknown."""
    wanted = " ".join(text.replace("_", " ").split()).lower()
    for key, label in LAWFUL_BASES.items():
        if wanted in (key.replace("_", " "), label.lower()):
            return key
    return None


def _settle_lawful_basis(row: ContactRow, problems: list[RowProblem]) -> None:
    if not row.lawful_basis:
        return
    key = lawful_basis_key(row.lawful_basis)
    if key is None:
        problems.append(RowProblem(row.line, f"Lawful basis '{row.lawful_basis}' is not one of "
                                   f"{', '.join(LAWFUL_BASES.values())}: it was left out.", [], outcome="warning"))
    row.lawful_basis = key or ""


def _merge(contact: Contact, row: ContactRow, problems: list[RowProblem], *, apply: bool = True) -> list[str]:
    """Fill in what the file knows (or, not applied, name what it would change); an empty cell never wipes what
    is already held."""
    changed = []
    for name in MERGED_FIELDS:
        value = getattr(row, name)
        if value and value != getattr(contact, name):
            if name == "notes" and contact.notes:
                if value in contact.notes:
                    continue
                value = f"{contact.notes}\n{value}"
                if len(value) > NOTES_LIMIT:
                    problems.append(RowProblem(row.line, "The notes were not added: the contact's notes would pass "
                                               f"{NOTES_LIMIT} characters.", [], outcome="warning"))
                    continue
            if apply:
                setattr(contact, name, value)
            changed.append(name)
    return changed


def _list_names(session: Session, list_ids: set[int]) -> dict[int, str]:
    if not list_ids:
        return {}
    return dict(session.execute(select(MediaList.id, MediaList.name).where(MediaList.id.in_(sorted(list_ids)))).all())


def apply_import(session: Session, plan: ImportPlan, *, by: User | None,
                 lawful_basis: str | None = None) -> ImportOutcome:
    """Add or merge every contact in the plan, in bulk; erased addresses are reported, not re-added.

    New contacts whose row names no lawful basis take ``lawful_basis`` (legitimate interests when None); contacts
    already held keep theirs unless the file names one.
    """
    outcome = ImportOutcome()
    now = clock.now()
    rows = plan.contacts
    existing = _existing(session, [r.email for r in rows])
    erased = _suppressed(session, [r.email for r in rows if r.email not in existing])
    all_lists = {m.name.lower(): m for m in lists_named(session, sorted({n for r in rows for n in r.lists}), create=True)}

    new_rows, wanted_pairs, events, unchanged = [], [], [], set()
    changed_fields: dict[int, list[str]] = {}
    for row in rows:
        _settle_lawful_basis(row, outcome.problems)
        if row.email in erased:
            outcome.problems.append(RowProblem(
                row.line, f"This address was erased at its owner's request on {erased[row.email]:%d %B %Y}; "
                "it was not added again.", [], outcome="suppressed"))
            continue
        contact = existing.get(row.email)
        if contact is None:
            new_rows.append(row)
            continue
        changed = _merge(contact, row, outcome.problems) if contact.status != ContactStatus.ERASED else []
        changed_fields[contact.id] = changed
        if changed:
            outcome.updated += 1
            events.append({"contact_id": contact.id, "action": "updated by import", "details": {"fields": changed},
                           "at": now, "user_id": by.id if by else None})
        else:
            unchanged.add(contact.id)
        for name in row.lists:
            wanted_pairs.append((contact.id, all_lists[list_name(name).lower()].id))
    session.flush()

    for chunk in _chunks(new_rows, 2000):
        # INSERT ... RETURNING, which SQLAlchemy sends as a few statements of many rows each ("insertmanyvalues")
        # and which gives each new id with its address, unique. A statement per row would cost several times as
        # much on SQLite: each statement that fires the search index's trigger (migration 0012) makes FTS5 write
        # the words it holds in memory to disk.
        ids = dict(session.execute(insert(Contact.__table__).returning(Contact.email, Contact.id), [
            {name: getattr(row, name) for name in ("email", *MERGED_FIELDS)}
            | {"status": ContactStatus.ACTIVE, "status_changed_at": now, "unsubscribe_key": secrets.token_urlsafe(24),
               "created_at": now, "updated_at": now, "lawful_basis": row.lawful_basis or lawful_basis or "legitimate_interests"}
            for row in chunk
        ]).all())
        for row in chunk:
            contact_id = ids[row.email]
            events.append({"contact_id": contact_id, "action": "added by import", "details": {"line": row.line},
                           "at": now, "user_id": by.id if by else None})
            for name in row.lists:
                wanted_pairs.append((contact_id, all_lists[list_name(name).lower()].id))
    outcome.added = len(new_rows)

    have = _memberships(session, sorted({c for c, _ in wanted_pairs}))
    new_pairs = sorted(set(wanted_pairs) - have)
    # A known contact put on a new list has been updated too.
    joined = unchanged & {c for c, _ in new_pairs}
    outcome.updated += len(joined)
    outcome.unchanged = len(unchanged - joined)
    line_of = {existing[r.email].id: r.line for r in rows if r.email in existing}
    for contact_id in sorted(unchanged - joined):
        outcome.problems.append(RowProblem(line_of[contact_id], "Already in the contacts list with these details.",
                                           [], outcome="unchanged"))
    names = _list_names(session, {m for _, m in new_pairs})
    joined_lists: dict[int, list[str]] = {}
    for contact_id, list_id in new_pairs:
        joined_lists.setdefault(contact_id, []).append(names[list_id])
    for row in rows:
        contact = existing.get(row.email)
        if contact is not None and contact.id in changed_fields:
            fields, lists = changed_fields[contact.id], sorted(joined_lists.get(contact.id, []))
            outcome.merged.append({"line": row.line, "contact": contact_label(contact.name, contact.email),
                                   "changes": describe_changes(fields, lists),
                                   "outcome": "Updated" if fields or lists else "Unchanged"})
    for chunk in _chunks(new_pairs, 2000):
        session.execute(insert(contact_lists), [{"contact_id": c, "list_id": m} for c, m in chunk])
    for chunk in _chunks(events, 2000):
        session.execute(insert(ContactEvent), chunk)
    return outcome


def store_upload(session: Session, data: bytes, *, filename: str, by: User | None,
                 directory: str) -> tuple[ContactImport, CsvTable]:
    """Check that an uploaded file can be read, keep it, and guess its column mapping for the preview."""
    table = read_csv(data)
    os.makedirs(directory, exist_ok=True)
    stored_name = secrets.token_hex(16) + ".csv"
    with open(os.path.join(directory, stored_name), "xb") as handle:
        handle.write(data)
    contact_import = ContactImport(
        user=by, filename=secure_filename(filename)[:255] or "contacts.csv", stored_name=stored_name,
        mapping=guess_mapping(table.headers), created_at=clock.now(),
    )
    session.add(contact_import)
    session.flush()
    return contact_import, table


def stored_table(contact_import: ContactImport, directory: str) -> CsvTable:
    with open(os.path.join(directory, contact_import.stored_name), "rb") as handle:
        return read_csv(handle.read())


def preview_import(session: Session, table: CsvTable, mapping: list[str | None], *,
                   list_names: list[str]) -> ImportPreview:
    """The rows an import would reject or merge, and how many contacts it would add, without writing anything."""
    plan = clean_rows(table, mapping, default_lists=list_names)
    rows = plan.contacts
    existing = _existing(session, [r.email for r in rows])
    erased = _suppressed(session, [r.email for r in rows if r.email not in existing])
    raw = dict(table.rows)
    preview = ImportPreview(blank=sum(not any(c.strip() for c in p.values) for p in plan.skipped))
    held = {contact.id for contact in existing.values()}
    memberships = _memberships(session, sorted(held))
    wanted = {m.name.lower(): m.id for m in lists_named(session, sorted({n for r in rows for n in r.lists}))}
    names = _list_names(session, {m for _, m in memberships} | set(wanted.values()))
    refused: list[RowProblem] = list(plan.rejected)
    for row in rows:
        _settle_lawful_basis(row, [])
        contact = existing.get(row.email)
        if row.email in erased:
            refused.append(RowProblem(row.line, f"This address was erased at its owner's request on "
                                      f"{erased[row.email]:%d %B %Y}; it will not be added again.",
                                      raw.get(row.line, [])))
        elif contact is None:
            preview.new += 1
        else:
            preview.merged_existing += 1
            fields = _merge(contact, row, [], apply=False) if contact.status != ContactStatus.ERASED else []
            has = {list_id for contact_id, list_id in memberships if contact_id == contact.id}
            lists = sorted({list_name(n) for n in row.lists if wanted.get(list_name(n).lower()) not in has}
                           - {names.get(i) for i in has})
            preview.merged.append({"line": row.line, "contact": contact_label(contact.name, contact.email),
                                   "changes": describe_changes(fields, lists), "outcome": "Will be merged"})
    preview.rejected = rejected_rows(refused, mapping)
    preview.merged = by_line([*preview.merged, *duplicate_rows(plan)])
    return preview


def run_import(session: Session, contact_import: ContactImport, table: CsvTable, *, mapping: list[str | None],
               list_names: list[str], by: User | None) -> ContactImport:
    """Clean and write the rows with the chosen mapping, and keep the counts and the per-row report."""
    plan = clean_rows(table, mapping, default_lists=list_names)
    outcome = apply_import(session, plan, by=by, lawful_basis=contact_import.lawful_basis)
    raw = dict(table.rows)
    for problem in outcome.problems:
        problem.values = raw.get(problem.line, [])
    contact_import.outcome_rows = {
        "rejected": rejected_rows([*plan.rejected, *(p for p in outcome.problems if p.outcome == "suppressed")],
                                  mapping),
        "merged": by_line([*outcome.merged, *duplicate_rows(plan)]),
    }
    contact_import.mapping = mapping
    contact_import.list_names = list_names
    contact_import.added = outcome.added
    contact_import.updated = outcome.updated
    contact_import.skipped = len(plan.skipped) + sum(p.outcome in ("suppressed", "unchanged") for p in outcome.problems)
    contact_import.rejected = len(plan.rejected)
    contact_import.report = report_csv(plan, table.headers, extra=outcome.problems)
    contact_import.finished_at = clock.now()
    session.flush()
    audit(session, "contacts imported", by, contact_import, added=outcome.added, updated=outcome.updated, lists=list_names)
    return contact_import


def import_file(session: Session, data: bytes, *, filename: str, list_names: list[str], by: User | None,
                directory: str) -> ContactImport:
    """Import a file in one go with the guessed mapping, as the command line does."""
    contact_import, table = store_upload(session, data, filename=filename, by=by, directory=directory)
    return run_import(session, contact_import, table, mapping=contact_import.mapping, list_names=list_names, by=by)


def claim(session: Session, contact_import: ContactImport) -> bool:
    """Mark the import as running; False when another request has already run it (a double click)."""
    result = session.execute(
        update(ContactImport).where(ContactImport.id == contact_import.id, ContactImport.finished_at.is_(None))
        .values(finished_at=clock.now())
    )
    return result.rowcount == 1
