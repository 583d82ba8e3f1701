"""Staff sign-in (passphrase, then a TOTP code), sign-out, and ending one's other sessions."""

from __future__ import annotations

import hashlib
import hmac
import time
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from participation.accounts.forms import ROLE_LABELS, CodeForm, ConfirmForm, LoginForm
from participation.accounts.models import Role, User
from participation.accounts.services import (
    TotpOutcome,
    check_passphrase,
    end_sessions,
    end_staff_session,
    find_user,
    record_failed_login,
    start_staff_session,
    verify_second_factor,
)
from participation.auth import staff_required
from participation.db import db
from participation.extensions import limiter

bp = Blueprint("accounts", __name__, url_prefix="/staff")
PENDING_KEY = "pending_login"
# The half-signed-in state (passphrase accepted, no code yet) lasts this long, never refreshed.
PENDING_SECONDS = 5 * 60
Page = Response | str | tuple[str, int]


def account_rate_key() -> str:
    """Throttle per account: an HMAC of the email typed (never stored in clear)."""
    email = (request.form.get("email") or "").strip().lower()
    key = current_app.config["SECRET_KEY"].encode()
    return "login:" + hmac.new(key, email.encode(), hashlib.sha256).hexdigest()[:32]


def is_refusal(response: Response) -> bool:
    """Only refused sign-ins (a 4xx answer) count towards the per-account limit."""
    return 400 <= response.status_code < 500


def _safe_next(target: str | None) -> str:
    """Only same-site paths: never redirect a signed-in person to another site."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        if not urlsplit(target).netloc:
            return target
    return url_for("staff.home")


def _pending_user() -> User | None:
    """The person half-way through signing in, while the five minutes last."""
    pending = session.get(PENDING_KEY)
    if not isinstance(pending, dict):
        return None
    started, user_id = pending.get("started"), pending.get("user")
    if not isinstance(started, int | float) or not isinstance(user_id, int):
        return None
    if not 0 <= time.time() - started < PENDING_SECONDS:
        return None
    user = db.session.get(User, user_id)
    return user if user is not None and user.is_active else None


def _finish_login(user: User) -> Response:
    session.pop(PENDING_KEY, None)
    previous = session.get("_user_id")
    if isinstance(previous, str):
        end_staff_session(previous, reason="signed_in_again")  # one session per browser
    start_staff_session(user, max_hours=current_app.config["STAFF_SESSION_MAX_HOURS"])
    login_user(user)
    session.pop("_id", None)  # Flask-Login's hash of address and browser: never kept
    session.permanent = True  # the cookie ends with the idle limit too
    db.session.commit()
    return redirect(_safe_next(request.args.get("next")))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMITS_PER_ADDRESS"], methods=["POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMITS_PER_ACCOUNT"], key_func=account_rate_key,
               methods=["POST"], deduct_when=is_refusal)
def login() -> Page:
    """Step one: email and passphrase."""
    form = LoginForm()
    if not form.is_submitted():
        return render_template("accounts/login.html", form=form, error=None)
    if not form.validate():
        form.email.data = (form.email.data or "").replace("\x00", "")  # never echo NUL back
        return render_template("accounts/login.html", form=form, error="form"), 400
    user = check_passphrase(form.email.data, form.passphrase.data)
    if user is None:
        record_failed_login(find_user(form.email.data), "passphrase")
        db.session.commit()
        return render_template("accounts/login.html", form=form, error="credentials"), 401
    if not current_app.config["STAFF_TOTP_REQUIRED"]:
        return _finish_login(user)
    db.session.commit()  # a passphrase rehash, if the cost changed
    session[PENDING_KEY] = {"user": user.id, "started": int(time.time())}
    return redirect(url_for("accounts.code", next=request.args.get("next")))


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMITS_PER_ADDRESS"], methods=["POST"])
def code() -> Page:
    """Step two: the code from the authenticator app (each code works once, five tries)."""
    user = _pending_user()
    if user is None:
        if PENDING_KEY in session:
            session.pop(PENDING_KEY)
            if request.method == "POST":
                record_failed_login(None, "pending_expired")
                db.session.commit()
            flash("pending_expired", "sign-in")
        return redirect(url_for("accounts.login", next=request.args.get("next")))
    form = CodeForm()
    if not form.is_submitted():
        return render_template("accounts/code.html", form=form, error=None)
    if not form.validate():
        form.code.data = ""
        return render_template("accounts/code.html", form=form, error="form"), 400
    outcome = verify_second_factor(user, form.code.data,
                                   lock_minutes=current_app.config["STAFF_TOTP_LOCK_MINUTES"])
    if outcome is TotpOutcome.ACCEPTED:
        return _finish_login(user)
    db.session.commit()
    form.code.data = ""  # a refused code is of no more use: an empty field for the next one
    return render_template("accounts/code.html", form=form, error=outcome.value,
                           lock_minutes=current_app.config["STAFF_TOTP_LOCK_MINUTES"]), 401


@bp.post("/logout")
@staff_required()
def logout() -> Response:
    """End the session everywhere its cookie may have been copied to."""
    end_staff_session(current_user.session_token, reason="signed_out")
    db.session.commit()
    logout_user()
    session.clear()
    return redirect(url_for("accounts.login"))


@bp.post("/sessions/others")
@staff_required()
def end_other_sessions() -> Response:
    """Sign out everywhere else: every session of this person but this browser's ends."""
    form = ConfirmForm()
    if form.validate_on_submit():
        end_sessions(current_user, actor_id=current_user.id, reason="signed_out_elsewhere",
                     keep_token=current_user.session_token)
        db.session.commit()
        flash("others_ended", "sessions")
    return redirect(url_for("staff.home"))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.jinja_env.globals.update(role_label=role_label, pending_minutes=PENDING_SECONDS // 60)


def role_label(role: Role) -> str:
    return str(ROLE_LABELS[role])
