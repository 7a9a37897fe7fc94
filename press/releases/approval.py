"""Second-person approval: when the organisation asks for it, a release is marked final or sent only once a
manager or admin other than the people who wrote it has approved exactly the content that would go out.

Who may not approve: the release's author (whoever created it) and whoever last changed its content, so
nobody approves words they wrote themselves. A release made from the command line has no author to exclude.
"""

from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from press import clock
from press.accounts.models import Role, User
from press.accounts.policy import Setting
from press.audit import audit
from press.releases import safeguarding
from press.releases.models import Release, ReleaseEvent, Status
from press.releases.versions import ReleaseApproval, current_hash, keep_version

SETTING = "release_approval_required"
# History entries that change what a release says, and so who wrote its current content.
CONTENT_ACTIONS = ("created", "edited", "attachment added", "attachment removed")
NOT_APPROVED = ("This release needs approving by a second manager or admin before it can be {what}. "
                "Ask someone who did not write it to approve this version.")


class ApprovalError(ValueError):
    """The approval cannot be given, for a reason the person can act on."""


def required(session: Session) -> bool:
    """Whether releases need a second person's approval: the saved setting, or else PRESS_REQUIRE_APPROVAL."""
    setting = session.get(Setting, SETTING)
    if setting is not None and isinstance(setting.value, bool):
        return setting.value
    return bool(current_app.config["PRESS_REQUIRE_APPROVAL"])


def save_required(session: Session, value: bool, *, by: User) -> bool:
    """Keep the admin's choice; returns whether it changed anything."""
    if required(session) == value:
        return False
    setting = session.get(Setting, SETTING)
    if setting is None:
        session.add(Setting(name=SETTING, value=value, updated_at=clock.now(), updated_by_id=by.id))
    else:
        setting.value, setting.updated_at, setting.updated_by_id = value, clock.now(), by.id
    audit(session, "release approval setting changed", by, required=value)
    return True


def approval_of(session: Session, release: Release) -> ReleaseApproval | None:
    """The approval of the release's content as it is now, if it has one."""
    return session.scalar(select(ReleaseApproval).where(ReleaseApproval.release_id == release.id,
                                                        ReleaseApproval.content_hash == current_hash(release)))


def approvals(session: Session, release_id: int) -> list[ReleaseApproval]:
    return list(session.scalars(select(ReleaseApproval).where(ReleaseApproval.release_id == release_id)
                                .order_by(ReleaseApproval.approved_at, ReleaseApproval.id)))


def refusal(session: Session, release: Release, what: str) -> str | None:
    """Why the release may not be {what} ("marked final", "sent") now, or None when it may."""
    if not required(session) or approval_of(session, release) is not None:
        return None
    return NOT_APPROVED.format(what=what)


def writers(session: Session, release: Release) -> set[int]:
    """The ids of the author and of whoever last changed the content: the people who may not approve it."""
    events = list(session.execute(select(ReleaseEvent.action, ReleaseEvent.user_id).where(
        ReleaseEvent.release_id == release.id, ReleaseEvent.action.in_(CONTENT_ACTIONS))
        .order_by(ReleaseEvent.at, ReleaseEvent.id)))
    found = {user_id for action, user_id in events if action == "created" and user_id is not None}
    if events and events[-1].user_id is not None:
        found.add(events[-1].user_id)
    return found


def why_not(session: Session, release: Release, user: Any) -> str | None:
    """Why this person may not approve the release as it is now, or None when they may."""
    if user.role not in (Role.ADMIN, Role.MANAGER):
        return "Only a manager or an admin can approve a release."
    if release.status == Status.WITHDRAWN:
        return "A withdrawn release cannot be approved."
    if user.id in writers(session, release):
        return "You wrote or last changed this release, so someone else must approve it."
    if approval_of(session, release) is not None:
        return "This version is already approved."
    if missing := safeguarding.unanswered(session, release):
        return (f"The safeguarding checklist for this version has {len(missing)} question"
                f"{'' if len(missing) == 1 else 's'} unanswered: answer every question before approving.")
    return None


def approve(session: Session, release: Release, *, seen_hash: str, by: User) -> ReleaseApproval:
    """Approve the content the approver was shown, keeping it as a version; refused if it has changed since."""
    if (reason := why_not(session, release, by)) is not None:
        raise ApprovalError(reason)
    if seen_hash != current_hash(release):
        raise ApprovalError("The release has changed since you opened this page. Read it again before approving.")
    version = keep_version(session, release, "approved", by=by)
    approval = ReleaseApproval(release_id=release.id, version_id=version.id, content_hash=version.content_hash,
                               approved_by_id=by.id, approved_at=clock.now())
    try:
        with session.begin_nested():
            session.add(approval)
            session.flush()
    except IntegrityError as error:
        raise ApprovalError("This version is already approved.") from error
    session.add(ReleaseEvent(release=release, user=by, action="approved", changes={"version": version.number},
                             at=clock.now()))
    audit(session, "release approved", by, release, version=version.number)
    return approval
