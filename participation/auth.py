"""Who may open staff pages: server-side staff sessions and one decorator per set of roles.

The cookie (Flask-Login's ``_user_id``) carries a random session token; the database keeps its
hash in ``staff_sessions`` and decides on every request whether it still counts. Nothing about
the client's address or browser is kept, hashed or not (session_protection is off: it would
write a hash of both into the cookie).

Every staff view is declared with :func:`staff_required`; a test walks the URL map and fails on
any /staff/ route without it. Finer rules (a facilitator cannot open an urgent item) are named
functions in the domain that owns the object.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, abort, current_app, redirect, request, session, url_for
from flask_login import LoginManager, current_user

from participation.accounts.models import Role, User
from participation.accounts.services import resume_staff_session
from participation.db import db

login_manager = LoginManager()
login_manager.session_protection = None

F = TypeVar("F", bound=Callable[..., Any])
# Where Flask-Login keeps a staff sign-in in the session cookie, which children's pages share.
SIGN_IN_SESSION_KEYS = ("_user_id", "_fresh")
STAFF_ROUTE_MARK = "_staff_roles"


def load_user(token: str) -> User | None:
    """The person behind the session token in the cookie, if that session is still live."""
    found = resume_staff_session(token, idle=current_app.permanent_session_lifetime)
    if found is None:
        return None
    user, touched = found
    if touched:
        # Runs from _load_staff_session, before any view work, so only the refresh commits.
        db.session.commit()
    return user


login_manager.user_loader(load_user)


def _load_staff_session() -> None:
    """Load the signed-in person first thing (children's requests carry no staff cookie)."""
    if request.endpoint == "static":
        return
    if "_user_id" in session and not current_user.is_authenticated:
        session.pop("_user_id")  # ended, expired or idle: forget it, and stop looking it up
        session.pop("_fresh", None)


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
    app.before_request(_load_staff_session)
