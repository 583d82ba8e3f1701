"""Admin pages: staff accounts (invite, roles, deactivate, reset second factor) and the audit log.

The audit log can be read and filtered here; nothing in the app can edit or delete it.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from participation.accounts.models import Role, User
from participation.accounts.services import (
    AccountError,
    create_user,
    deactivate_user,
    reset_second_factor,
    set_roles,
    totp_uri,
)
from participation.audit.models import AuditEvent
from participation.auth import staff_required
from participation.db import db

bp = Blueprint("admin", __name__, url_prefix="/staff/admin")
AUDIT_PAGE_SIZE = 100


def _user_or_404(user_id: int) -> User:
    user: User | None = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


def _roles_from_form() -> list[Role]:
    known = {role.value for role in Role}
    return [Role(value) for value in request.form.getlist("roles") if value in known]


@bp.get("/accounts")
@staff_required(Role.ADMIN)
def accounts() -> str:
    """Every staff account with its roles and state."""
    users = db.session.scalars(select(User).order_by(User.email)).all()
    return render_template("admin/accounts.html", users=users, roles=list(Role))


@bp.post("/accounts")
@staff_required(Role.ADMIN)
def invite() -> Response | str:
    """Create an account; the new person's first passphrase is set here and shared safely."""
    try:
        user = create_user(
            request.form.get("email", ""), request.form.get("passphrase", ""), _roles_from_form(),
            actor_id=current_user.id, with_totp=bool(current_app.config["STAFF_TOTP_REQUIRED"]),
        )
        db.session.commit()
    except AccountError as error:
        db.session.rollback()
        flash(error.code, "admin-error")
        return redirect(url_for("admin.accounts"))
    if user.totp_secret:
        return render_template("admin/enrol.html", user=user, uri=totp_uri(user))
    flash("created", "admin")
    return redirect(url_for("admin.accounts"))


@bp.post("/accounts/<int:user_id>")
@staff_required(Role.ADMIN)
def change(user_id: int) -> Response | str:
    """Change roles, deactivate, or reset the second factor (each ends or keeps sessions)."""
    user = _user_or_404(user_id)
    action = request.form.get("action")
    try:
        if action == "roles":
            set_roles(user, _roles_from_form(), actor_id=current_user.id)
        elif action == "deactivate":
            if user.id == current_user.id:
                raise AccountError("not_yourself")
            deactivate_user(user, actor_id=current_user.id)
        elif action == "reset_totp":
            reset_second_factor(user, actor_id=current_user.id)
            db.session.commit()
            return render_template("admin/enrol.html", user=user, uri=totp_uri(user))
        else:
            abort(400)
        db.session.commit()
        flash("saved", "admin")
    except AccountError as error:
        db.session.rollback()
        flash(error.code, "admin-error")
    return redirect(url_for("admin.accounts"))


@bp.get("/audit")
@staff_required(Role.ADMIN)
def audit() -> str:
    """The audit log, newest first, filtered by action and by person."""
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(AUDIT_PAGE_SIZE)
    action = request.args.get("action", "").strip()
    actor = request.args.get("actor", type=int)
    if action:
        query = query.where(AuditEvent.action.startswith(action))
    if actor:
        query = query.where(AuditEvent.actor_id == actor)
    events = db.session.scalars(query).all()
    people = dict(db.session.execute(select(User.id, User.email)).all())
    return render_template("admin/audit.html", events=events, people=people, action=action,
                           actor=actor)


def account_error(code: str) -> str:
    return str({
        "passphrase_too_short": _("The passphrase must have at least 15 characters."),
        "email_taken": _("An account with this email already exists."),
        "bad_email": _("That does not look like an email address."),
        "no_role": _("Choose at least one role."),
        "not_yourself": _("You cannot deactivate your own account."),
    }.get(code, _("That could not be done.")))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.jinja_env.globals["account_error"] = account_error
