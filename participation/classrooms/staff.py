"""Facilitators' pages: start a session, show its code and QR code, watch live counts, end it."""

from __future__ import annotations

from functools import lru_cache

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    url_for,
)
from flask_babel import force_locale, get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse

from participation.accounts.models import Role, User
from participation.auth import staff_required
from participation.classrooms.forms import EndClassroomForm, StartClassroomForm
from participation.classrooms.models import ClassroomSession
from participation.classrooms.services import (
    ClassroomError,
    LiveCounts,
    can_manage_classroom,
    end_classroom,
    format_code,
    list_classrooms,
    live_counts,
    start_classroom,
)
from participation.db import db, utcnow

bp = Blueprint("classrooms", __name__, url_prefix="/staff/classrooms")
MANAGERS = (Role.FACILITATOR, Role.ORGANISER, Role.ADMIN)
POLL_SECONDS = 10


def _classroom_or_404(classroom_id: int) -> ClassroomSession:
    classroom: ClassroomSession | None = db.session.get(ClassroomSession, classroom_id)
    # Someone else's session is a 404: its existence is none of their business.
    if classroom is None or not can_manage_classroom(current_user, classroom):
        abort(404)
    return classroom


def join_url(classroom: ClassroomSession) -> str:
    """The address the QR code opens, from the configured public URL (never the Host header)."""
    path = url_for("join.confirm", lang_code=classroom.locale, code=format_code(classroom.code))
    return str(current_app.config["PUBLIC_URL"]).rstrip("/") + path


@lru_cache(maxsize=256)
def qr_svg(url: str) -> Markup:
    """The QR code as inline SVG, made on the server; the page sizes it with CSS. (About 18 ms
    to encode, so each worker keeps the last few.)"""
    import segno  # on first use: a tenth of a second off every start-up

    qr = segno.make(url, error="m")
    svg = qr.svg_inline(scale=1, border=4, dark="#000", light="#fff", omitsize=True,
                        svgclass="qr-svg", lineclass=None)
    return Markup(svg)  # noqa: S704 - segno's own output for our own URL


def counts_summary(counts: LiveCounts) -> str:
    """One sentence for the polite live region (announced at most once a minute)."""
    return " ".join((
        ngettext("%(num)s tablet joined.", "%(num)s tablets joined.", counts.joined),
        ngettext("%(num)s reaction.", "%(num)s reactions.", counts.reactions),
        ngettext("%(num)s idea sent.", "%(num)s ideas sent.", counts.ideas),
    ))


def classroom_error(code: str) -> str:
    """The message for a :class:`ClassroomError` code, in the staff member's language."""
    messages: dict[str, str] = {
        "forbidden": _("You cannot do that."),
        "bad_name": _("Give the group a name."),
        "bad_expected": _("The number of children must be between 1 and 200."),
        "bad_minutes": _("A session lasts between 15 minutes and 8 hours."),
        "bad_locale": _("Choose a language."),
        "no_code": _("No free code was found. Please try again."),
    }
    return messages.get(code) or str(_("That could not be done."))


def _start_form() -> StartClassroomForm:
    form = StartClassroomForm()
    locales = tuple(current_app.config["LANGUAGES"])
    form.set_choices(locales)
    if not form.is_submitted():
        staff_locale = str(get_locale() or "")
        form.locale.data = staff_locale if staff_locale in locales else locales[0]
    return form


def _index_page(form: StartClassroomForm, error: str | None = None) -> str:
    classrooms = list_classrooms(current_user)
    people: dict[int, str] = {}
    if current_user.has_role(Role.ADMIN):
        ids = {c.created_by_id for c in classrooms}
        people = dict(db.session.execute(select(User.id, User.email).where(User.id.in_(ids))).all())
    return render_template("classrooms/index.html", form=form, classrooms=classrooms,
                           people=people, error=error, now=utcnow(), format_code=format_code)


@bp.get("")
@staff_required(*MANAGERS)
def index() -> str:
    """The sessions this person started (admins: everyone's), and "Start a session"."""
    return _index_page(_start_form())


@bp.post("")
@staff_required(*MANAGERS)
def start() -> BaseResponse | tuple[str, int]:
    """Open a session now; its page shows the code for the board."""
    form = _start_form()
    if not form.validate_on_submit():
        return _index_page(form), 422
    try:
        classroom = start_classroom(
            name=form.name.data or "", expected_children=form.expected_children.data or 0,
            minutes=form.minutes.data, locale=form.locale.data, user=current_user,
        )
        db.session.commit()
    except ClassroomError as error:
        db.session.rollback()
        return _index_page(form, error.code), 422
    return redirect(url_for("classrooms.session", classroom_id=classroom.id))


@bp.get("/<int:classroom_id>")
@staff_required(*MANAGERS)
def session(classroom_id: int) -> str:
    """The code in large letters, the QR code, the time window and live counts."""
    classroom = _classroom_or_404(classroom_id)
    url = join_url(classroom)
    counts = live_counts(classroom)
    return render_template(
        "classrooms/session.html", classroom=classroom, code=format_code(classroom.code),
        url=url, qr=qr_svg(url), counts=counts, summary=counts_summary(counts),
        is_open=classroom.is_open(utcnow()), form=EndClassroomForm(), poll_seconds=POLL_SECONDS,
    )


@bp.get("/<int:classroom_id>/counts")
@staff_required(*MANAGERS)
def counts(classroom_id: int) -> Response:
    """The live counts as JSON, polled by the session page (numbers only)."""
    classroom = _classroom_or_404(classroom_id)
    numbers = live_counts(classroom)
    response = jsonify({**numbers.as_dict(), "open": classroom.is_open(utcnow()),
                        "summary": counts_summary(numbers)})
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/<int:classroom_id>/board")
@staff_required(*MANAGERS)
def board(classroom_id: int) -> str:
    """Code and QR code alone, to project on the board or print; words in the class's language."""
    classroom = _classroom_or_404(classroom_id)
    url = join_url(classroom)
    # Short enough to type from the board; the code is typed on that page.
    address = str(current_app.config["PUBLIC_URL"]).rstrip("/") + url_for(
        "join.join", lang_code=classroom.locale)
    with force_locale(classroom.locale):
        words = {
            "title": _("Join your class"),
            "scan": _("Scan the square with the tablet's camera."),
            "or_type": _("No camera? Open this address and type the code:"),
            "code": _("Class code"),
            "qr": _("QR code to join the class"),
        }
    return render_template("classrooms/board.html", classroom=classroom,
                           code=format_code(classroom.code), url=url, qr=qr_svg(url),
                           address=address, words=words)


@bp.post("/<int:classroom_id>/end")
@staff_required(*MANAGERS)
def end(classroom_id: int) -> BaseResponse:
    """Close the session now: no more tablets can join."""
    classroom = _classroom_or_404(classroom_id)
    form = EndClassroomForm()
    if form.validate_on_submit():
        end_classroom(classroom, current_user)
        db.session.commit()
        flash("ended", "classroom")
    return redirect(url_for("classrooms.session", classroom_id=classroom.id))
