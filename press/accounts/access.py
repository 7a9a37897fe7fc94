"""Who may see which staff page."""

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from flask import abort
from flask_login import current_user, login_required

from press.accounts.models import Role


def roles_required(*roles: Role) -> Callable:
    """Let only signed-in users with one of these roles through; others get 403."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


staff_required = roles_required(Role.ADMIN, Role.MANAGER, Role.STAFF)
editor_required = roles_required(Role.ADMIN, Role.MANAGER)
admin_required = roles_required(Role.ADMIN)


def safe_next(target: str | None, default: str) -> str:
    """Accept a redirect target only if it is a path on this site."""
    if not target:
        return default
    target = target.strip()
    parts = urlsplit(target)
    if (
        parts.scheme
        or parts.netloc
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        or any(ord(ch) < 32 for ch in target)
    ):
        return default
    return target
