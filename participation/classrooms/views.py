"""Children's side of classroom sessions: type or scan the class code, then take part.

Joining changes nothing but this tablet's session cookie (and one count). Wrong codes are
throttled per network address, counting only failures, so a class joining at once is never
slowed down by its own successful joins.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_limiter import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response as BaseResponse

from participation.classrooms.forms import JoinForm
from participation.classrooms.models import ClassroomMetric
from participation.classrooms.services import (
    JoinError,
    count_activity,
    current_classroom,
    format_code,
    join_classroom,
    normalise_code,
)
from participation.classrooms.staff import bp as staff_bp
from participation.classrooms.staff import classroom_error
from participation.db import db, reset_session
from participation.extensions import limiter
from participation.plans.progress import part_opened

bp = Blueprint("join", __name__)

# Statuses that mean "no such code": only these count towards the limit. A closed or full
# session proves the code was right, and a class should not be locked out by its own retries.
FAILURE_STATUSES = frozenset({404, 422})
ERROR_STATUS = {"empty": 422, "unknown": 404, "closed": 410, "full": 409, "expired": 400}


def _join_failure_limits() -> str:
    return str(current_app.config["CLASSROOM_JOIN_FAILURE_LIMITS"])


def _is_failure(response: Response) -> bool:
    return response.status_code in FAILURE_STATUSES


def _join_page(code: str, error: str | None = None, *, from_link: bool = False) -> Response:
    form = JoinForm(formdata=None, data={"code": code})
    html = render_template("classrooms/join.html", form=form, error=error, from_link=from_link)
    return make_response(html, ERROR_STATUS[error] if error else 200)


@bp.route("/<locale:lang_code>/join", methods=["GET", "POST"])
@limiter.limit(_join_failure_limits, methods=["POST"], deduct_when=_is_failure)
def join(lang_code: str) -> BaseResponse:
    """Type the code the adult shows on the board, and join the class session."""
    if request.method == "GET":
        return _join_page("")
    form = JoinForm()
    typed = form.code.data or ""
    if not form.validate_on_submit():
        return _join_page(typed, "empty")
    try:
        join_classroom(typed)
        db.session.commit()
    except JoinError as error:
        db.session.rollback()
        return _join_page(typed, error.code)
    return redirect(url_for("join.joined", lang_code=lang_code))


@bp.get("/<locale:lang_code>/join/<code>")
def confirm(lang_code: str, code: str) -> BaseResponse:
    """What the QR code opens: the code filled in and one big "Join" button (a GET never
    joins, and never tells whether a code exists: guessing goes through the throttled POST)."""
    normalised = normalise_code(code)
    return _join_page(format_code(normalised) if normalised else "", from_link=True)


@bp.get("/<locale:lang_code>/joined")
def joined(lang_code: str) -> BaseResponse | str:
    """A kind "you joined!" and the way into the plan."""
    if current_classroom() is None:
        return redirect(url_for("join.join", lang_code=lang_code))
    return render_template("classrooms/joined.html")


@bp.errorhandler(RateLimitExceeded)
def _too_many_wrong_codes(error: RateLimitExceeded) -> Response:
    response = make_response(render_template("classrooms/wait.html"), 429)
    response.headers["Retry-After"] = "60"
    return response


@bp.errorhandler(CSRFError)
def _expired_page(error: CSRFError) -> Response:
    """A join page left open for hours: show the code again with a fresh form."""
    typed = JoinForm(meta={"csrf": False}).code.data or ""
    return _join_page(typed, "expired")


def count_part_opened(sender: Flask, section_id: int, **extra: Any) -> None:
    """A tablet in a classroom session opened a part for the first time: count it.

    Reading never fails because of a counter: with the database down the count is skipped.
    """
    classroom = current_classroom()
    if classroom is None:
        return
    try:
        count_activity(classroom.id, ClassroomMetric.PART_OPENED, section_id)
        db.session.commit()
    except SQLAlchemyError:
        reset_session()


def init_app(app: Flask) -> None:
    """Register the children's and the staff's classroom pages."""
    part_opened.connect(count_part_opened, app)
    app.register_blueprint(bp)
    app.register_blueprint(staff_bp)
    app.jinja_env.globals.update(classroom_error=classroom_error, format_class_code=format_code)
