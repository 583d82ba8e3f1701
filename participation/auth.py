"""Who may open staff pages: Flask-Login sessions and one decorator per set of roles.

Every staff view is declared with :func:`staff_required`; a test walks the URL map and fails on
any /staff/ route without it. Finer rules (a facilitator cannot open an urgent item) are named
functions in the domain that owns the object.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, abort, redirect, request, url_for
from flask_login import LoginManager, current_user
from sqlalchemy import select

from participation.accounts.models import Role, User
from participation.db import db

login_manager = LoginManager()
login_manager.session_protection = "strong"

F = TypeVar("F", bound=Callable[..., Any])
STAFF_ROUTE_MARK = "_staff_roles"


def load_user(user_key: str) -> User | None:
    """Session key is "id:version": bumping the version ends every session of the account."""
    try:
        user_id, version = (int(part) for part in user_key.split(":"))
    except ValueError:
        return None
    user: User | None = db.session.scalar(select(User).where(User.id == user_id))
    if user is None or not user.is_active or user.session_version != version:
        return None
    return user


login_manager.user_loader(load_user)


def staff_required(*roles: Role) -> Callable[[F], F]:
    """Signed-in staff only; with roles, at least one of them (admins are not implied)."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return redirect(url_for("accounts.login", next=request.full_path))
            if roles and not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        setattr(wrapper, STAFF_ROUTE_MARK, roles)
        return wrapper  # type: ignore[return-value]

    return decorate


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
