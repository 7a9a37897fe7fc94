"""The safeguarding checklist: questions a release tagged child, court, suicide ... must have answered, for the
exact version to be approved, before a second person may approve it.

The tags and questions live in a TOML file the organisation can edit (safeguarding.toml beside this module, or
the file PRESS_SAFEGUARDING_CHECKLIST names), read once per file.
"""

import tomllib
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

from flask import current_app
from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from press import clock
from press.accounts.models import User
from press.database import UTCDateTime
from press.extensions import db
from press.releases.models import Release
from press.releases.versions import current_hash

DEFAULT_PATH = Path(__file__).with_name("safeguarding.toml")
KINDS = ("yes/no", "text")


class ChecklistAnswer(db.Model):
    """One answer to one checklist question, for one content of a release, with who gave it and when."""

    __tablename__ = "release_checklist_answers"
    __table_args__ = (UniqueConstraint("release_id", "content_hash", "item_id", name="uq_release_checklist_answers"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    release_id: Mapped[int] = mapped_column(ForeignKey("releases.id", ondelete="CASCADE"), index=True)
    # The content the answer was given for: an edit to the release needs the checklist answering again.
    content_hash: Mapped[str] = mapped_column(String(64))
    item_id: Mapped[str] = mapped_column(String(60))
    # The question as it was asked, kept in case the file changes later.
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    answered_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=clock.now)

    answered_by: Mapped[User] = relationship()


@dataclass(frozen=True)
class Item:
    id: str
    tags: tuple[str, ...]
    question: str
    source: str
    answer: str
    required: bool


@dataclass(frozen=True)
class Checklist:
    # Tag id to the words the edit form shows, in the file's order.
    tags: dict[str, str]
    items: tuple[Item, ...]

    def items_for(self, tags: list[str] | None) -> list[Item]:
        """The questions that apply to a release with these tags, each once, in the file's order."""
        chosen = set(tags or ())
        return [item for item in self.items if chosen.intersection(item.tags)]


@cache
def read(path: str) -> Checklist:
    """The checklist in a TOML file; a malformed file stops with a message naming what is wrong."""
    with open(path, "rb") as handle:
        data = tomllib.load(handle)
    tags = {str(key): str(value) for key, value in data.get("tags", {}).items()}
    items = []
    for entry in data.get("items", []):
        item = Item(id=str(entry["id"]), tags=tuple(entry["tags"]), question=str(entry["question"]),
                    source=str(entry.get("source", "")), answer=str(entry.get("answer", "yes/no")),
                    required=bool(entry.get("required", True)))
        if item.answer not in KINDS or not set(item.tags) <= set(tags):
            raise ValueError(f"{path}: item {item.id} needs an answer of {' or '.join(KINDS)} and tags from [tags].")
        items.append(item)
    return Checklist(tags=tags, items=tuple(items))


def checklist() -> Checklist:
    return read(str(current_app.config.get("PRESS_SAFEGUARDING_CHECKLIST") or DEFAULT_PATH))


def answers(session: Session, release: Release) -> dict[str, ChecklistAnswer]:
    """The answers given for the release's content as it is now, by question."""
    return {answer.item_id: answer for answer in session.scalars(select(ChecklistAnswer).where(
        ChecklistAnswer.release_id == release.id, ChecklistAnswer.content_hash == current_hash(release)))}


def answers_for_version(session: Session, release_id: int, content_hash: str) -> list[ChecklistAnswer]:
    return list(session.scalars(select(ChecklistAnswer).where(
        ChecklistAnswer.release_id == release_id, ChecklistAnswer.content_hash == content_hash)
        .order_by(ChecklistAnswer.id)))


def unanswered(session: Session, release: Release) -> list[Item]:
    """The required questions for the release's tags not yet answered for its current content."""
    given = answers(session, release)
    return [item for item in checklist().items_for(release.tags)
            if item.required and not (given.get(item.id) and given[item.id].answer.strip())]


def save_answers(session: Session, release: Release, values: dict[str, str], *, by: User) -> None:
    """Keep the answers for the release's current content, replacing earlier answers to the same version."""
    given = answers(session, release)
    digest = current_hash(release)
    for item in checklist().items_for(release.tags):
        value = (values.get(item.id) or "").strip()
        if item.id in given:
            given[item.id].answer, given[item.id].answered_by_id, given[item.id].answered_at = value, by.id, clock.now()
        else:
            session.add(ChecklistAnswer(release_id=release.id, content_hash=digest, item_id=item.id,
                                        question=item.question, answer=value, answered_by_id=by.id,
                                        answered_at=clock.now()))
    session.flush()
