"""The staff home page (what waits for this person, where they are signed in) and what every
staff page shares: the menu, the sign-out form and times in the organisation's time zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, Flask, current_app, render_template, request, url_for
from flask_babel import format_datetime, format_timedelta
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup

from participation.accounts.forms import ConfirmForm
from participation.accounts.models import Role
from participation.accounts.services import list_active_sessions
from participation.answers.views import home_flags
from participation.auth import STAFF_ROUTE_MARK, staff_required
from participation.db import utcnow
from participation.moderation.queries import queue_summaries

bp = Blueprint("staff", __name__, url_prefix="/staff")

# The staff menu: (endpoint, label). Each entry shows only to those its route lets in.
MENU = (
    ("staff.home", _l("Home")),
    ("moderation.queues", _l("Review queues")),
    ("classrooms.index", _l("Classroom sessions")),
    ("committees.index", _l("Committees")),
    ("reports.summary", _l("Summary")),
    ("report_reading.ideas", _l("Children's ideas")),
    ("answers.index", _l("Answers to children")),
    ("report_exports.page", _l("Exports")),
    ("plan_editor.index", _l("The plan")),
    ("plan_staff.readability", _l("Reading ease")),
    ("admin.accounts", _l("Accounts")),
    ("admin.audit", _l("Audit log")),
    ("report_exports.log", _l("Export log")),
    ("moderation.concerns", _l("Concerns")),
)
# Which menu entry a page belongs to: the longest of these prefixes its endpoint starts with.
SECTIONS = {
    "staff.home": "staff.home",
    "moderation.": "moderation.queues",
    "moderation.concern": "moderation.concerns",
    "classrooms.": "classrooms.index",
    "committees.": "committees.index",
    "committee_sessions.": "committees.index",
    "answers.": "answers.index",
    "reports.": "reports.summary",
    "report_charts.": "reports.summary",
    "report_reading.": "report_reading.ideas",
    "report_exports.": "report_exports.page",
    "report_exports.log": "report_exports.log",
    "plan_staff.": "plan_staff.readability",
    "plan_editor.": "plan_editor.index",
    "admin.": "admin.accounts",
    "admin.audit": "admin.audit",
}
TIME_FORMAT = "d MMM y, HH:mm z"
TIME_FORMAT_SECONDS = "d MMM y, HH:mm:ss z"


@bp.get("/")
@staff_required()
def home() -> str:
    """Where each person's work starts: how much is waiting, and where they are signed in."""
    queues = queue_summaries(current_user, current_app.config["REVIEW_TARGET_MINUTES"])
    sessions = list_active_sessions(current_user, idle=current_app.permanent_session_lifetime)
    answer_flags = home_flags() if current_user.has_role(Role.ORGANISER, Role.ADMIN) else None
    return render_template("staff/home.html", queues=queues, sessions=sessions,
                           sessions_form=ConfirmForm(), answer_flags=answer_flags)


def may_open(endpoint: str) -> bool:
    """The route's own rule (its @staff_required roles), so menu and access never disagree."""
    view = current_app.view_functions.get(endpoint)
    roles = getattr(view, STAFF_ROUTE_MARK, None)
    if roles is None or not current_user.is_authenticated:
        return False
    return not roles or bool(current_user.has_role(*roles))


@dataclass(frozen=True)
class MenuEntry:
    url: str
    label: str
    current: bool


def staff_menu() -> list[MenuEntry]:
    """The menu entries this person may open; exactly one is the current page's section."""
    endpoint = request.endpoint or ""
    matches = [prefix for prefix in SECTIONS if endpoint.startswith(prefix)]
    section = SECTIONS[max(matches, key=len)] if matches else None
    return [MenuEntry(url_for(name), str(label), name == section)
            for name, label in MENU if may_open(name)]


def sign_out_form() -> ConfirmForm:
    return ConfirmForm(formdata=None)


def org_time(value: datetime, *, seconds: bool = False) -> str:
    """A moment as the organisation's clocks show it ("19 May 2026, 14:05 +0200")."""
    zone = ZoneInfo(current_app.config["ORG_TIMEZONE"])
    pattern = TIME_FORMAT_SECONDS if seconds else TIME_FORMAT
    return str(format_datetime(value.astimezone(zone), pattern, rebase=False))


def time_ago(value: datetime, now: datetime | None = None) -> str:
    """How long ago, in words ("3 minutes ago")."""
    elapsed = (now or utcnow()) - value
    if elapsed < timedelta(minutes=1):
        return str(_("just now"))
    return str(format_timedelta(-elapsed, granularity="minute", add_direction=True))


def when(value: datetime | None, *, ago: bool = False, seconds: bool = False) -> Markup:
    """A <time> element in the organisation's time zone, optionally followed by "x ago"."""
    if value is None:
        return Markup("\N{EN DASH}")
    html = Markup('<time datetime="{}">{}</time>').format(
        value.isoformat(timespec="seconds"), org_time(value, seconds=seconds))
    if ago:
        html += Markup(" · {}").format(time_ago(value))
    return html


def duration(value: timedelta) -> str:
    """A target time in words ("4 hours", "3 days")."""
    return str(format_timedelta(value))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.jinja_env.globals.update(staff_menu=staff_menu, sign_out_form=sign_out_form, when=when,
                                 duration=duration)
