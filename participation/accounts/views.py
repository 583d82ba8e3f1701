"""Staff sign-in (passphrase, then a TOTP code), sign-out and the staff home page."""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from participation.accounts.forms import CodeForm, LoginForm
from participation.accounts.models import Role, User
from participation.accounts.services import (
    check_passphrase,
    check_totp,
    find_user,
    record_failed_login,
    record_login,
)
from participation.audit.services import record_event
from participation.auth import load_user, staff_required
from participation.db import db
from participation.extensions import limiter
from participation.feedback.models import Submission, SubmissionStatus

bp = Blueprint("accounts", __name__, url_prefix="/staff")
PENDING_KEY = "pending_login"


def account_rate_key() -> str:
    """Throttle per account: an HMAC of the email typed (never stored in clear)."""
    email = (request.form.get("email") or "").strip().lower()
    key = current_app.config["SECRET_KEY"].encode()
    return "login:" + hmac.new(key, email.encode(), hashlib.sha256).hexdigest()[:32]


def _safe_next(target: str | None) -> str:
    """Only same-site paths: never redirect a signed-in person to another site."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        if not urlsplit(target).netloc:
            return target
    return url_for("accounts.home")


def _finish_login(user: User) -> Response:
    session.pop(PENDING_KEY, None)
    login_user(user)
    session.permanent = True  # idle timeout: PERMANENT_SESSION_LIFETIME, refreshed per request
    record_login(user)
    db.session.commit()
    return redirect(_safe_next(request.args.get("next")))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMITS_PER_ADDRESS"], methods=["POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMITS_PER_ACCOUNT"], key_func=account_rate_key,
               methods=["POST"])
def login() -> Response | str:
    """Step one: email and passphrase."""
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        user = check_passphrase(form.email.data, form.passphrase.data)
        if user is None:
            record_failed_login(find_user(form.email.data), "passphrase")
            db.session.commit()
            error = "credentials"
        elif current_app.config["STAFF_TOTP_REQUIRED"]:
            session[PENDING_KEY] = user.get_id()
            return redirect(url_for("accounts.code", next=request.args.get("next")))
        else:
            return _finish_login(user)
    return render_template("accounts/login.html", form=form, error=error)


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMITS_PER_ADDRESS"], methods=["POST"])
def code() -> Response | str:
    """Step two: the code from the authenticator app (each code works once)."""
    pending = session.get(PENDING_KEY)
    user = load_user(pending) if pending else None
    if user is None:
        return redirect(url_for("accounts.login"))
    form = CodeForm()
    error = None
    if form.validate_on_submit():
        if check_totp(user, form.code.data):
            return _finish_login(user)
        record_failed_login(user, "totp")
        db.session.commit()
        error = "code"
    return render_template("accounts/code.html", form=form, error=error)


@bp.post("/logout")
@staff_required()
def logout() -> Response:
    """End the session on this browser."""
    user_id = current_user.id
    record_event("auth.logout", actor_id=user_id, object_type="user", object_id=user_id)
    db.session.commit()
    logout_user()
    session.clear()
    return redirect(url_for("accounts.login"))


@bp.get("/")
@staff_required()
def home() -> str:
    """Where each person's work starts: how much is waiting in the queues they may open."""
    counts = dict(
        db.session.execute(
            select(Submission.priority, func.count())
            .where(Submission.status == SubmissionStatus.PENDING)
            .group_by(Submission.priority)
        ).all()
    )
    sees_urgent = current_user.has_role(Role.SAFEGUARDING_LEAD, Role.ADMIN)
    return render_template("accounts/home.html", counts=counts, sees_urgent=sees_urgent)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.jinja_env.globals["role_label"] = role_label


def role_label(role: Role) -> str:
    labels = {
        Role.FACILITATOR: _("Facilitator"),
        Role.SAFEGUARDING_LEAD: _("Safeguarding lead"),
        Role.ORGANISER: _("Organiser"),
        Role.ADMIN: _("Admin"),
    }
    return str(labels[role])
