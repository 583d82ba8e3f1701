"""Admin pages: staff accounts (invite, roles, deactivate, reset second factor) and the audit log.

One route and one form per action, each a single service call and a single commit. Changing
roles, deactivating and resetting the second factor end every session of the account.
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

from participation.accounts.forms import ConfirmForm, InviteForm, RolesForm
from participation.accounts.models import Role, User
from participation.accounts.services import (
    AccountError,
    create_user,
    deactivate_user,
    has_forbidden_characters,
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


def roles_form(user_id: int, user: User | None = None) -> RolesForm:
    """The roles form of one account row: prefixed with the account, so ids stay unique."""
    if user is None:
        return RolesForm(prefix=f"user-{user_id}")
    return RolesForm(prefix=f"user-{user_id}", formdata=None,
                     data={"roles": [role.value for role in sorted(user.roles)]})


def _accounts_page(invite: InviteForm, error: str | None = None, status: int = 200
                   ) -> tuple[str, int]:
    users = db.session.scalars(select(User).order_by(User.email)).all()
    return render_template(
        "admin/accounts.html", users=users, invite=invite, error=error,
        role_forms={user.id: roles_form(user.id, user) for user in users},
        confirm=ConfirmForm(formdata=None),
    ), status


@bp.get("/accounts")
@staff_required(Role.ADMIN)
def accounts() -> tuple[str, int]:
    """Every staff account with its roles and state."""
    return _accounts_page(InviteForm(formdata=None))


@bp.post("/accounts")
@staff_required(Role.ADMIN)
def invite() -> Response | tuple[str, int]:
    """Create an account; the new person's first passphrase is set here and shared safely."""
    form = InviteForm()
    if not form.validate_on_submit():
        return _accounts_page(form, status=422)
    try:
        user = create_user(
            form.email.data, form.passphrase.data, form.roles.roles, actor_id=current_user.id,
            with_totp=bool(current_app.config["STAFF_TOTP_REQUIRED"]),
        )
    except AccountError as error:
        db.session.rollback()
        return _accounts_page(form, error=error.code, status=422)
    db.session.commit()
    if user.totp_secret:
        return render_template("admin/enrol.html", user=user, uri=totp_uri(user)), 200
    flash("created", "admin")
    return redirect(url_for("admin.accounts"))


@bp.post("/accounts/<int:user_id>/roles")
@staff_required(Role.ADMIN)
def change_roles(user_id: int) -> Response:
    """New roles for an account; its sessions end, so the change applies at once."""
    user = _user_or_404(user_id)
    form = roles_form(user_id)
    if not form.validate_on_submit():
        abort(400)
    try:
        set_roles(user, form.roles.roles, actor_id=current_user.id)
    except AccountError as error:
        db.session.rollback()
        flash(error.code, "admin-error")
        return redirect(url_for("admin.accounts"))
    db.session.commit()
    flash("saved", "admin")
    return redirect(url_for("admin.accounts"))


@bp.post("/accounts/<int:user_id>/deactivate")
@staff_required(Role.ADMIN)
def deactivate(user_id: int) -> Response:
    """Close an account (never deleted: its audit entries keep their author)."""
    user = _user_or_404(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        deactivate_user(user, actor_id=current_user.id)
    except AccountError as error:
        db.session.rollback()
        flash(error.code, "admin-error")
        return redirect(url_for("admin.accounts"))
    db.session.commit()
    flash("saved", "admin")
    return redirect(url_for("admin.accounts"))


@bp.post("/accounts/<int:user_id>/second-factor")
@staff_required(Role.ADMIN)
def reset_totp(user_id: int) -> tuple[str, int]:
    """A new second factor for someone who lost theirs; shown once to give them privately."""
    user = _user_or_404(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    reset_second_factor(user, actor_id=current_user.id)
    db.session.commit()
    return render_template("admin/enrol.html", user=user, uri=totp_uri(user)), 200


@bp.get("/audit")
@staff_required(Role.ADMIN)
def audit() -> str:
    """The audit log, newest first, filtered by action and by person."""
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(AUDIT_PAGE_SIZE)
    action = request.args.get("action", "").strip()
    if has_forbidden_characters(action):
        action = ""  # no action name has one (and PostgreSQL refuses NUL)
    actor = request.args.get("actor", type=int)
    if action:
        query = query.where(AuditEvent.action.startswith(action, autoescape=True))
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
        "email_control": _("An email address cannot contain a line break or another "
                           "invisible character."),
        "no_role": _("Choose at least one role."),
        "not_yourself": _("You cannot deactivate your own account."),
    }.get(code, _("That could not be done.")))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.jinja_env.globals["account_error"] = account_error
