"""Children's side of "you said, we did": the organisation's answers under each part, the page
"What happened to our ideas" (with what is new since this device's last visit), one-tap
"Was this answer clear?" and "Was it fair?", "answered" on a child's ideas, and the printable
letter a committee's facilitator takes to the committee's next session.

No account and no tracking: the last visit is one timestamp in a cookie on the device; a tap is
stored against the same HMAC'd child token as reactions (feedback.identity).
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    get_flashed_messages,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import force_locale
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from werkzeug.wrappers import Response
from wtforms import HiddenField, RadioField, SelectChoice
from wtforms.validators import AnyOf, InputRequired

from participation.accounts.models import Role
from participation.answers.children import (
    DECISION_WORDS,
    ChildAnswer,
    Tap,
    TapChoice,
    child_answer_for_submission,
    find_published_answer,
    letter_for_session,
    month_of,
    published_answers,
    published_answers_for_part,
    set_answer_tap,
    taps_of,
)
from participation.answers.models import AnswerSubject
from participation.auth import staff_required
from participation.committees.access import runs_committee
from participation.committees.sessions import find_session, plan_view
from participation.db import db
from participation.extensions import limiter
from participation.feedback import identity
from participation.feedback.models import Submission
from participation.feedback.queries import PartFragmentCache, register_answer_source
from participation.feedback.views import child_rate_key, in_classroom
from participation.forms import Form
from participation.plans.queries import PlanView, SectionView, get_plan_view
from participation.security import private_page
from participation.templating import fill_holes

bp = Blueprint("answers_public", __name__)
letters = Blueprint("answer_letters", __name__, url_prefix="/staff/committee-letters")

# The device's last visit to "What happened to our ideas": a Unix time, nothing else.
SEEN_COOKIE = "answers_seen"
SEEN_MAX_AGE = 60 * 60 * 24 * 365
# A mirror of this child's taps in their own session, so the cached part page shows which
# button is pressed without a query (the database keeps the real answer per child token).
TAPS_KEY = "answer_taps"
MAX_REMEMBERED_TAPS = 30
TAP_NOTICE = "answer-tap"
BACK_TO = ("part", "list")


class TapForm(Form):
    """One tap under an answer: yes or no, and which page to go back to."""

    choice = RadioField(choices=[SelectChoice("yes", "yes"), SelectChoice("no", "no")],
                        validators=[InputRequired()])
    back = HiddenField(validators=[AnyOf(BACK_TO)], default="list")


# ---------------------------------------------------------------- the part page's panel
def _render_part_answers(plan_id: int, section_id: int | None, locale: str) -> str:
    if section_id is None:
        return ""
    answers = published_answers_for_part(plan_id, section_id, locale)
    if not answers:
        return ""  # no region at all until the organisation answered
    return render_template("answers/_for_children_part.html", answers=answers,
                           decision_words=DECISION_WORDS, month_of=month_of)


class PartAnswersCache(PartFragmentCache):
    """Published answers under each part, rendered once per PLAN_CACHE_SECONDS per worker (like
    the committees' panel): the part page runs no query for them."""

    def __init__(self) -> None:
        super().__init__(_render_part_answers)


def remembered_taps() -> dict[str, list[bool | None]]:
    taps = session.get(TAPS_KEY)
    return taps if isinstance(taps, dict) else {}


def remember_tap(public_id: str, choice: TapChoice) -> None:
    """Keep the child's taps in their session (newest last, a few dozen at most)."""
    taps = dict(remembered_taps())
    taps.pop(public_id, None)
    taps[public_id] = [choice.clear, choice.fair]
    session[TAPS_KEY] = dict(list(taps.items())[-MAX_REMEMBERED_TAPS:])


def _pressed(choice: TapChoice | None, tap: str, value: str) -> str:
    if choice is None:
        return "false"
    chosen = choice.clear if tap == Tap.CLEAR else choice.fair
    return "true" if chosen is not None and chosen == (value == "yes") else "false"


class TapHoles(dict[str, str]):
    """The per-request values of a cached answers fragment: the CSRF token, which buttons this
    child pressed (from their session) and the thank-you after a tap. Computed on demand, so
    the cached HTML needs no list of its answers."""

    def __init__(self, taps: dict[str, TapChoice], notice_for: str | None) -> None:
        super().__init__()
        self.taps = taps
        self.notice_for = notice_for

    def __missing__(self, key: str) -> str:
        kind, _, rest = key.partition(":")
        if kind == "answers-csrf":
            self[key] = value = str(generate_csrf())
            return value
        if kind == "tap":  # tap:<answer>:<clear|fair>:<yes|no>
            public_id, tap, choice = rest.split(":")
            return _pressed(self.taps.get(public_id), tap, choice)
        if kind == "tap-notice":
            if rest != self.notice_for:
                return ""
            return str(render_template("answers/_for_children_thanks.html"))
        raise KeyError(key)


def _tap_notice() -> str | None:
    notices = get_flashed_messages(category_filter=[TAP_NOTICE])
    return str(notices[-1]) if notices else None


class PartAnswersPanel:
    """The region "What we did with your ideas" under each part: one hole in the cached part
    page, filled from :class:`PartAnswersCache` and the child's session."""

    def skeleton(self, plan: PlanView, part: SectionView) -> str:
        return render_template("answers/_for_children_panel.html")

    def holes(self, plan: PlanView, part: SectionView) -> dict[str, str]:
        cache: PartAnswersCache = current_app.extensions["part_answers"]
        html = cache.html(plan.id, plan.section_ids[part.slug], plan.locale)
        if not html:
            return {"answers": ""}
        taps = {key: TapChoice(*value) for key, value in remembered_taps().items()
                if isinstance(value, list) and len(value) == 2}
        return {"answers": str(fill_holes(html, TapHoles(taps, _tap_notice())))}


# ---------------------------------------------------------------- "what happened" page
@dataclass(frozen=True)
class AnswerGroup:
    """Answers under one heading: a part, "something missing", or a committee."""

    key: str
    title: str
    part: SectionView | None
    answers: list[ChildAnswer]


def group_answers(plan: PlanView, answers: Iterable[ChildAnswer]) -> list[AnswerGroup]:
    """Parts in the plan's order, then "something missing", then each committee by label."""
    answers = list(answers)
    groups: list[AnswerGroup] = []
    for part in plan.sections:
        here = [a for a in answers if a.subject == AnswerSubject.PART
                and a.section_id == plan.section_ids[part.slug]]
        if here:
            groups.append(AnswerGroup(f"part-{part.slug}", part.title, part, here))
    missing = [a for a in answers if a.subject == AnswerSubject.MISSING]
    if missing:
        groups.append(AnswerGroup("missing", "", None, missing))
    labels: list[str] = []
    for answer in answers:
        if answer.subject == AnswerSubject.COMMITTEE_SESSION and answer.committee not in labels:
            labels.append(answer.committee or "")
    for number, label in enumerate(labels, start=1):
        groups.append(AnswerGroup(
            f"committee-{number}", label, None,
            [a for a in answers if a.subject == AnswerSubject.COMMITTEE_SESSION
             and a.committee == label]))
    return groups


def last_visit() -> datetime | None:
    """When this device last opened the page (from its cookie), or None."""
    raw = request.cookies.get(SEEN_COOKIE, "")
    if not raw.isdigit():
        return None
    seconds = int(raw)
    if seconds <= 0 or seconds > time.time() + 60:
        return None
    return datetime.fromtimestamp(seconds, tz=UTC)


@bp.get("/<locale:lang_code>/answers")
@private_page
def what_happened(lang_code: str) -> Response:
    """ "What happened to our ideas": every answer the organisation published, in the page's
    language, with what is new since this device's last visit."""
    plan = get_plan_view(lang_code)
    answers = published_answers(plan.id, lang_code) if plan else []
    groups = group_answers(plan, answers) if plan else []
    shown = [a for group in groups for a in group.answers]
    seen = last_visit()
    taps = taps_of(identity.current_child_hash(), (a.public_id for a in shown))
    html = render_template(
        "answers/what_happened.html", plan=plan, groups=groups, seen=seen, taps=taps,
        new_count=sum(1 for a in shown if a.is_new_since(seen) or a.has_news_since(seen)),
        decision_words=DECISION_WORDS, month_of=month_of, notice_for=_tap_notice(),
        pressed=_pressed,
    )
    response = make_response(html)
    response.set_cookie(
        # Rounded up: what was published during this second was on the page.
        SEEN_COOKIE, str(math.ceil(time.time())), max_age=SEEN_MAX_AGE, path="/", httponly=True,
        samesite="Lax", secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
    )
    return response


# ---------------------------------------------------------------- one-tap "clear?" "fair?"
def _tap_limits() -> str:
    return str(current_app.config["REACTION_LIMITS"])


def _tap_address_limits() -> str:
    return str(current_app.config["REACTION_LIMITS_PER_ADDRESS"])


def _back_url(lang_code: str, back: str, section_id: int | None, public_id: str) -> str:
    """The page the tap came from, at the answer (a part page, or the answers page)."""
    anchor = f"answer-{public_id}"
    if back == "part" and section_id is not None:
        plan = get_plan_view(lang_code)
        part = plan.section_by_id(section_id) if plan else None
        if part is not None:
            return url_for("plans.section", lang_code=lang_code, slug=part.slug, _anchor=anchor)
    return url_for("answers_public.what_happened", lang_code=lang_code, _anchor=anchor)


def _tap(lang_code: str, public_id: str, tap: Tap) -> Response:
    """Shared by both questions: store the child's answer, then go back to the same place."""
    answer = find_published_answer(public_id)
    if answer is None:
        abort(404)
    form = TapForm()
    back = request.form.get("back") if request.form.get("back") in BACK_TO else "list"
    if form.validate_on_submit():
        child = identity.current_child_hash(create=True)
        assert child is not None
        choice = set_answer_tap(answer, child, tap, form.choice.data == "yes")
        db.session.commit()
        remember_tap(public_id, choice)
        flash(public_id, TAP_NOTICE)
    return redirect(_back_url(lang_code, str(back), answer.section_id, public_id))


@bp.post("/<locale:lang_code>/answers/<public_id>/clear")
@limiter.limit(_tap_limits, key_func=child_rate_key)
@limiter.limit(_tap_address_limits, exempt_when=in_classroom)
def tap_clear(lang_code: str, public_id: str) -> Response:
    """ "Was this answer clear?": yes or no, changeable."""
    return _tap(lang_code, public_id, Tap.CLEAR)


@bp.post("/<locale:lang_code>/answers/<public_id>/fair")
@limiter.limit(_tap_limits, key_func=child_rate_key)
@limiter.limit(_tap_address_limits, exempt_when=in_classroom)
def tap_fair(lang_code: str, public_id: str) -> Response:
    """ "Was it fair?": yes or no, changeable."""
    return _tap(lang_code, public_id, Tap.FAIR)


# ---------------------------------------------------------------- "answered" on an idea
def idea_answer(submission: Submission, locale: str) -> Markup | None:
    """The answer to one idea for "check my idea" and "my ideas" (feedback's answer source)."""
    answer = child_answer_for_submission(submission, locale)
    if answer is None:
        return None
    return Markup(render_template(  # noqa: S704 - our template, autoescaped
        "answers/_for_children_idea.html", answer=answer, decision_words=DECISION_WORDS,
        month_of=month_of))


# ---------------------------------------------------------------- the committee's letter
@letters.get("/<session_id>")
@staff_required(Role.FACILITATOR)
def letter(session_id: str) -> str:
    """A printable, child-friendly letter with the organisation's answers, in the session's
    language, for the facilitator to read at the committee's next session."""
    found = find_session(session_id)
    if found is None:
        abort(404)
    if not runs_committee(current_user, found.committee):
        abort(403)
    content = letter_for_session(found)
    plan = plan_view(found)
    with force_locale(found.locale):
        body = render_template("answers/letter_body.html", letter=content, plan=plan,
                               decision_words=DECISION_WORDS, month_of=month_of)
    return render_template("answers/letter.html", letter=content,
                           body=Markup(body))  # noqa: S704 - our template, autoescaped


def init_app(app: Flask) -> None:
    """Register the children's pages, the letter, the panel under each part and the answer on
    "check my idea" / "my ideas"."""
    app.register_blueprint(bp)
    app.register_blueprint(letters)
    app.extensions["part_answers"] = PartAnswersCache()
    app.extensions["part_panels"].append(PartAnswersPanel())
    register_answer_source(app, idea_answer)
