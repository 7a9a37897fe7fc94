"""The rows of a contacts import that a person should see on screen: those rejected and those merged, in plain words.

Each row is a plain dict so the result page can show it again from the import's stored record.
"""

from collections.abc import Iterable, Sequence

from press.contacts.csvimport import FIELD_LABELS, ImportPlan, RowProblem

VALUE_LIMIT = 80


def _shown(value: str) -> str:
    value = " ".join(value.split())
    return value if len(value) <= VALUE_LIMIT else value[:VALUE_LIMIT - 1] + "…"


def fault_value(problem: RowProblem, mapping: Sequence[str | None]) -> str:
    """The cell a rejection is about: the email cell, or the whole line when the row has none."""
    index = mapping.index("email") if "email" in mapping else None
    if index is not None and index < len(problem.values) and problem.values[index].strip():
        return _shown(problem.values[index])
    return _shown(", ".join(cell for cell in problem.values if cell.strip()))


def rejected_rows(problems: Iterable[RowProblem], mapping: Sequence[str | None]) -> list[dict]:
    """Rows that were, or will be, left out, by line."""
    rows = [{"line": p.line, "value": fault_value(p, mapping), "reason": p.reason} for p in problems]
    return sorted(rows, key=lambda row: row["line"])


def duplicate_rows(plan: ImportPlan) -> list[dict]:
    """Rows folded into an earlier line of the same file because they have the same email address."""
    rows = [{"line": line, "contact": f"Line {contact.line} of the file ({contact.email})",
             "changes": "Same email address: its details fill the blanks of that line and its lists are joined.",
             "outcome": "Merged into the earlier line"}
            for contact in plan.contacts for line in contact.merged_lines]
    return sorted(rows, key=lambda row: row["line"])


def contact_label(name: str, email: str | None) -> str:
    return f"{name} ({email})" if name else email or "An erased contact"


def describe_changes(fields: Sequence[str], lists: Sequence[str]) -> str:
    """What a merge changes on a known contact, as a sentence."""
    parts = []
    if fields:
        parts.append("Fills in or changes: " + ", ".join(FIELD_LABELS.get(f, f) for f in fields))
    if lists:
        parts.append("Adds to the lists: " + ", ".join(lists))
    return ". ".join(parts) + "." if parts else "Nothing: the contact already has these details."


def by_line(rows: Iterable[dict]) -> list[dict]:
    return sorted(rows, key=lambda row: row["line"])
