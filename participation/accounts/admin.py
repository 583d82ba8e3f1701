"""Admin pages: staff accounts (invite, roles, deactivate, reset second factor) and the audit log.

One route and one form per action, each a single service call and a single commit. Changing
roles, deactivating and resetting the second factor end every session of the account.
The audit log can be read here, a page at a time, filtered by action, person and dates (in the
organisation's time zone); nothing in the app can edit or delete it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

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
from sqlalchemy import ColumnElement, select
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


@dataclass(frozen=True)
class AuditFilter:
    """What the audit page is narrowed to; dates are the organisation's calendar days."""

    action: str = ""
    actor: int | None = None
    start: date | None = None
    end: date | None = None

    def conditions(self, zone: ZoneInfo) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = []
        if self.action:
            found.append(AuditEvent.action.startswith(self.action, autoescape=True))
        if self.actor:
            found.append(AuditEvent.actor_id == self.actor)
        if self.start:
            found.append(AuditEvent.created_at >= _day_start(self.start, zone))
        if self.end:
            found.append(AuditEvent.created_at < _day_start(self.end + timedelta(days=1), zone))
        return found

    def query_args(self) -> dict[str, str]:
        """The filter as URL parameters, for the "older" and "newer" links."""
        args = {"action": self.action, "actor": str(self.actor or ""),
                "from": self.start.isoformat() if self.start else "",
                "to": self.end.isoformat() if self.end else ""}
        return {key: value for key, value in args.items() if value}


def _day_start(day: date, zone: ZoneInfo) -> datetime:
    """Midnight of ``day`` on the organisation's clocks, in UTC (as timestamps are stored)."""
    return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)


def _date_arg(name: str) -> tuple[date | None, bool]:
    """A yyyy-mm-dd parameter: (the date or None, whether it was given but unreadable)."""
    value = request.args.get(name, "").strip()
    if not value:
        return None, False
    try:
        return date.fromisoformat(value), False
    except ValueError:
        return None, True


def audit_filter() -> tuple[AuditFilter, bool]:
    """The filter from the page's parameters, and whether a date could not be read."""
    action = request.args.get("action", "").strip()[:64]
    if has_forbidden_characters(action):
        action = ""  # no action name has one (and PostgreSQL refuses NUL)
    start, bad_start = _date_arg("from")
    end, bad_end = _date_arg("to")
    return AuditFilter(action, request.args.get("actor", type=int), start, end), (
        bad_start or bad_end)


def audit_page(where: list[ColumnElement[bool]], *, before: int | None, after: int | None,
               size: int = AUDIT_PAGE_SIZE) -> tuple[list[AuditEvent], bool, bool]:
    """One page of events, newest first, by keyset on the id (no OFFSET: every page costs the
    same however deep). Returns the events and whether older and newer pages exist."""
    if after is not None:
        newer = db.session.scalars(select(AuditEvent).where(*where, AuditEvent.id > after)
                                   .order_by(AuditEvent.id).limit(size + 1)).all()
        if len(newer) > size:  # a full page of newer events, and more after it
            return list(reversed(newer[:size])), True, True
        before = None  # fewer than a page left: the newest page, full
    query = select(AuditEvent).where(*where).order_by(AuditEvent.id.desc()).limit(size + 1)
    if before is not None:
        query = query.where(AuditEvent.id < before)
    events = list(db.session.scalars(query).all())
    return events[:size], len(events) > size, before is not None


@bp.get("/audit")
@staff_required(Role.ADMIN)
def audit() -> str:
    """The audit log, newest first, a page at a time, filtered by action, person and dates."""
    chosen, bad_date = audit_filter()
    zone = ZoneInfo(current_app.config["ORG_TIMEZONE"])
    events, older, newer = audit_page(
        chosen.conditions(zone), before=request.args.get("before", type=int),
        after=request.args.get("after", type=int))
    people = dict(db.session.execute(select(User.id, User.email)).all())
    return render_template("admin/audit.html", events=events, people=people, chosen=chosen,
                           bad_date=bad_date, older=older, newer=newer,
                           links=chosen.query_args(), page_size=AUDIT_PAGE_SIZE)


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
