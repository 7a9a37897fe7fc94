"""What an admin does to colleagues' accounts, and what each person does to their own; every change is audited."""

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash

from press.accounts import links
from press.accounts.emails import INVITATION, RESET
from press.accounts.models import NO_PASSWORD, LinkPurpose, Role, User, new_session_token
from press.accounts.services import AccountError, find_user_by_email, normalise_email, set_password
from press.audit import audit
from press.outbox.queue import enqueue

class FieldError(AccountError):
    """A change refused because of what one field of the form says."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def all_users(session: Session) -> Sequence[User]:
    """Everyone with an account, those who can sign in first, by name."""
    return session.scalars(select(User).order_by(User.active.desc(), User.name, User.id)).all()


def has_password(user: User) -> bool:
    return user.password_hash != NO_PASSWORD


def send_invitation(session: Session, user: User, *, by: User) -> None:
    """Email the person a link to set their password; a link sent before stops working."""
    delivery = enqueue(session, kind=INVITATION, to_address=user.email,
                       payload={"user_id": user.id, "invited_by": by.name})
    links.make_link(session, user, LinkPurpose.INVITATION, delivery)
    audit(session, "invitation sent", by, user, user_id=user.id, email=user.email)


def new_account(session: Session, *, email: str, name: str, role: str, job_title: str = "", phone: str = "") -> User:
    """An account with no password yet, written in this transaction; a FieldError at the email if it has one."""
    if find_user_by_email(session, email) is not None:
        raise FieldError(f"There is already an account for {normalise_email(email)}.", "email")
    user = User(email=normalise_email(email), name=name.strip(), role=role, job_title=job_title.strip(),
                phone=phone.strip(), password_hash=NO_PASSWORD)
    try:
        with session.begin_nested():
            session.add(user)
            session.flush()
    except IntegrityError as error:  # made at the same moment by another request
        raise FieldError(f"There is already an account for {user.email}.", "email") from error
    return user


def invite_user(session: Session, *, email: str, name: str, role: str, job_title: str, phone: str, by: User) -> User:
    """Make an account with no password yet and email its owner a link to choose one."""
    if role not in set(Role):
        raise FieldError("Choose what they may do here.", "role")
    user = new_account(session, email=email, name=name, role=role, job_title=job_title, phone=phone)
    audit(session, "user invited", by, user, user_id=user.id, email=user.email, role=role)
    send_invitation(session, user, by=by)
    return user


def _other_active_admins(session: Session, user: User) -> int:
    """How many other active admins there are, the rows locked so two admins cannot each remove the other."""
    ids = session.scalars(select(User.id).where(User.role == Role.ADMIN, User.active.is_(True), User.id != user.id)
                          .with_for_update()).all()
    return len(ids)


def change_role(session: Session, user: User, role: str, *, by: User) -> None:
    """Give the person another role; their sessions end, so the new role holds from their next sign-in."""
    if role not in set(Role):
        raise FieldError("Choose what they may do here.", "role")
    if role == user.role:
        return
    if user.role == Role.ADMIN and user.active and _other_active_admins(session, user) == 0:
        raise FieldError("This is the only active admin: make someone else an admin first.", "role")
    audit(session, "role changed", by, user, user_id=user.id, email=user.email, before=user.role, after=role)
    user.role = role
    user.session_token = new_session_token()
    session.flush()


def deactivate_user(session: Session, user: User, *, by: User) -> None:
    """Stop the person signing in and end their open sessions at once; what they own stays."""
    if not user.active:
        return
    if user.role == Role.ADMIN and _other_active_admins(session, user) == 0:
        raise AccountError("This is the only active admin: make someone else an admin first.")
    user.active = False
    user.session_token = new_session_token()
    links.spend_links(session, user)
    session.flush()
    audit(session, "user deactivated", by, user, user_id=user.id, email=user.email)


def reactivate_user(session: Session, user: User, *, by: User) -> None:
    """Let the person sign in again with the password they had."""
    if user.active:
        return
    user.active = True
    session.flush()
    audit(session, "user reactivated", by, user, user_id=user.id, email=user.email)


def request_reset(session: Session, email: str) -> None:
    """Email a reset link if an active account has this address; say nothing either way."""
    user = find_user_by_email(session, email)
    if user is None or not user.active:
        return
    delivery = enqueue(session, kind=RESET, to_address=user.email, payload={"user_id": user.id})
    links.make_link(session, user, LinkPurpose.RESET, delivery)
    audit(session, "password reset asked for", None, user, user_id=user.id)


def use_link(session: Session, link_token: str, password: str) -> User:
    """Set the password a link was sent for and spend the link; every session the person had ends."""
    link = links.valid_link(session, link_token)
    if link is None:
        raise AccountError("This link has expired or has been used.")
    user = session.get(User, link.user_id)
    set_password(session, user, password)
    links.spend_links(session, user)
    action = "invitation accepted" if link.purpose == LinkPurpose.INVITATION else "password reset"
    audit(session, action, user, user, user_id=user.id)
    return user


def change_own_password(session: Session, user: User, current: str, new: str) -> None:
    """Change a password after checking the present one; every session the person had ends."""
    if not check_password_hash(user.password_hash, current):
        raise FieldError("That is not your current password.", "current_password")
    try:
        set_password(session, user, new)
    except AccountError as error:
        raise FieldError(str(error), "new_password") from error
    links.spend_links(session, user)
    audit(session, "password changed", user, user, user_id=user.id)


def update_profile(session: Session, user: User, *, name: str, job_title: str, phone: str) -> None:
    """Change what a release's contact block shows about the person."""
    before = {"name": user.name, "job_title": user.job_title, "phone": user.phone}
    user.name, user.job_title, user.phone = name.strip(), job_title.strip(), phone.strip()
    after = {"name": user.name, "job_title": user.job_title, "phone": user.phone}
    changed = {key: [before[key], after[key]] for key in before if before[key] != after[key]}
    if changed:
        session.flush()
        audit(session, "profile changed", user, user, user_id=user.id, changed=changed)


def sign_out_everywhere(session: Session, user: User) -> None:
    """End every session the person has, this one included."""
    user.session_token = new_session_token()
    session.flush()
    audit(session, "signed out everywhere", user, user, user_id=user.id)
