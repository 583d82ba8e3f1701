"""Children's side of feedback: react, write, see "my ideas", withdraw, finish on a tablet,
and check an idea with its code on any device."""

from __future__ import annotations

import contextlib
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    flash,
    get_flashed_messages,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_date
from flask_wtf.csrf import generate_csrf
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response as BaseResponse

from participation.classrooms.models import ClassroomMetric
from participation.classrooms.services import (
    classroom_limits,
    classroom_rate_key,
    count_activity,
    current_classroom,
)
from participation.db import db, reset_session
from participation.extensions import limiter
from participation.feedback import errors, identity
from participation.feedback.forms import (
    AGE_BAND_VALUES,
    REACTION_VALUES,
    CheckForm,
    ConfirmForm,
    IdeaForm,
    IdeaHoles,
    IdeaValues,
    ReactionForm,
)
from participation.feedback.models import ReactionKind, Submission, SubmissionStatus
from participation.feedback.queries import (
    SharedIdeasCache,
    organisation_answer,
    shared_ideas_html,
)
from participation.feedback.redaction import shared_text
from participation.feedback.services import (
    FeedbackError,
    current_reaction,
    find_by_idea_code,
    find_own_submission,
    idea_code_matches,
    list_own_submissions,
    new_idempotency_key,
    renew_idea_code,
    set_reaction,
    submit_idea,
    withdraw_submission,
)
from participation.plans.queries import PlanView, SectionView, get_plan_view
from participation.security import private_page

bp = Blueprint("feedback", __name__)



def child_rate_key() -> str:
    """Rate-limit key for one child: their token's hash (the token is made here if this is
    their first send, so the first send already counts)."""
    child = identity.current_child_hash(create=True)
    return f"child:{child[:32] if child else ''}"


def _idea_limits() -> str:
    return str(current_app.config["IDEA_LIMITS"])


def _idea_address_limits() -> str:
    return str(current_app.config["IDEA_LIMITS_PER_ADDRESS"])


def _reaction_limits() -> str:
    return str(current_app.config["REACTION_LIMITS"])


def _reaction_address_limits() -> str:
    return str(current_app.config["REACTION_LIMITS_PER_ADDRESS"])


def in_classroom() -> bool:
    """A tablet in a classroom session is limited per child and per session, not per address
    (a whole school shares one address)."""
    return current_classroom() is not None


def _plan_part(lang_code: str, slug: str) -> tuple[PlanView, SectionView]:
    plan = get_plan_view(lang_code)
    part = plan.section(slug) if plan else None
    if plan is None or part is None:
        abort(404)
    return plan, part


def blank_idea() -> IdeaValues:
    """An empty idea form with a fresh idempotency key and the child's last age answer."""
    return IdeaValues("", identity.remembered_age_band(), new_idempotency_key())


class FeedbackPanel:
    """Reactions, the idea form and other children's approved ideas under each part.

    The HTML is the same for every child except a CSRF token, an idempotency key, which
    answers are selected, a thank-you notice and the shared ideas: those are holes.
    """

    def skeleton(self, plan: PlanView, part: SectionView) -> str:
        return render_template("feedback/_panel.html", part=part, values=IdeaHoles())

    def holes(self, plan: PlanView, part: SectionView) -> dict[str, str]:
        section_id = plan.section_ids[part.slug]
        try:
            chosen = current_reaction(section_id, identity.current_child_hash())
        except SQLAlchemyError:  # the database is down: the part still reads, unpressed
            reset_session()
            chosen = None
        age_band = identity.remembered_age_band()
        notice = get_flashed_messages(category_filter=["reaction"])
        return {
            "csrf": str(generate_csrf()),
            "key": new_idempotency_key(),
            "notice": render_template("feedback/_reaction_notice.html", reaction=notice[-1],
                                      part=part) if notice else "",
            "shared_ideas": shared_ideas_html(plan.id, section_id, plan.locale),
            **{f"pressed:{v}": "true" if chosen == v else "false" for v in REACTION_VALUES},
            **{f"checked:{v}": " checked" if age_band == v else "" for v in AGE_BAND_VALUES},
        }


@bp.post("/<locale:lang_code>/plan/<slug>/reaction")
@limiter.limit(_reaction_limits, key_func=child_rate_key)
@limiter.limit(_reaction_address_limits, exempt_when=in_classroom)
@limiter.limit(lambda: classroom_limits(current_classroom(), ClassroomMetric.REACTION),
               key_func=classroom_rate_key)
def react(lang_code: str, slug: str) -> BaseResponse:
    """Record a one-tap reaction, then go back to the part."""
    plan, _ = _plan_part(lang_code, slug)
    form = ReactionForm()
    if form.validate_on_submit():
        section_id = plan.section_ids[slug]
        first = set_reaction(
            section_id=section_id,
            child_hash=identity.current_child_hash(create=True),  # type: ignore[arg-type]
            kind=ReactionKind(form.reaction.data),
            locale=lang_code,
            age_band=identity.remembered_age_band_enum(),
            revision_id=plan.revision_id,
        )
        classroom = current_classroom()
        if first and classroom is not None:
            count_activity(classroom.id, ClassroomMetric.REACTION, section_id)
        db.session.commit()
        flash(form.reaction.data, "reaction")
    return redirect(url_for("plans.section", lang_code=lang_code, slug=slug, _anchor="react"))


def _send(lang_code: str, plan: PlanView, part: SectionView | None, form: IdeaForm) -> BaseResponse:
    """Shared by ideas on a part and "something missing?" ideas.

    Database failures are left to the app's error handler, whose feedback responder shows the
    child's words back with the same key (feedback/errors.py). Nothing is read from the
    database after the commit: if the connection dies then, the idea is stored and the child
    still gets the thank-you page.
    """
    child = identity.current_child_hash(create=True)
    assert child is not None
    age_band = form.chosen_age_band()
    identity.remember_age_band(age_band)
    try:
        result = submit_idea(
            plan_id=plan.id,
            section_id=plan.section_ids[part.slug] if part else None,
            locale=lang_code,
            text=form.body.data,
            age_band=age_band,
            child_hash=child,
            idempotency_key=form.idempotency_key.data or "",
            revision_id=plan.revision_id,
        )
    except FeedbackError as error:
        reset_session()
        values = form.values()
        if error.code == "bad_key":
            values = IdeaValues(values.body, values.age_band, new_idempotency_key())
        return _write_page(plan, part, values, error.code, 422)
    public_id = result.public_id
    code = result.code
    if code is None and identity.remembered_idea_code(public_id) is None:
        # A resend found the idea, but its code never reached this tablet: draw a new one
        # (the child cannot have written down the old one).
        code = renew_idea_code(result.submission_id, child, lang_code)
    classroom = current_classroom()
    if result.created and classroom is not None:
        section_id = plan.section_ids[part.slug] if part else 0
        count_activity(classroom.id, ClassroomMetric.IDEA, section_id)
    db.session.commit()
    if code is not None:
        identity.remember_idea_code(public_id, code)
    return redirect(url_for("feedback.sent", lang_code=lang_code, public_id=public_id))


def _write_page(
    plan: PlanView, part: SectionView | None, values: IdeaValues, error: str | None,
    status: int = 200,
) -> Response:
    """The idea form on a page of its own: used for "something missing?" and to show a child
    their own words back after any problem."""
    html = render_template("feedback/write.html", plan=plan, part=part, values=values, error=error)
    return make_response(html, status)


@bp.post("/<locale:lang_code>/plan/<slug>/ideas")
@limiter.limit(_idea_limits, key_func=child_rate_key)
@limiter.limit(_idea_address_limits, exempt_when=in_classroom)
@limiter.limit(lambda: classroom_limits(current_classroom()), key_func=classroom_rate_key)
def send_idea(lang_code: str, slug: str) -> BaseResponse:
    """Store an idea about a part (pending until an adult approves it)."""
    plan, part = _plan_part(lang_code, slug)
    form = IdeaForm()
    if not form.validate_on_submit():
        return _write_page(plan, part, form.values(), "form", 422)
    return _send(lang_code, plan, part, form)


@bp.route("/<locale:lang_code>/missing", methods=["GET", "POST"])
@limiter.limit(_idea_limits, key_func=child_rate_key, methods=["POST"])
@limiter.limit(_idea_address_limits, exempt_when=in_classroom, methods=["POST"])
@limiter.limit(lambda: classroom_limits(current_classroom()), key_func=classroom_rate_key,
               methods=["POST"])
def missing(lang_code: str) -> BaseResponse:
    """ "Something missing?": an idea not tied to any part."""
    plan = get_plan_view(lang_code)
    if plan is None:
        abort(404)
    if request.method == "GET":
        return _write_page(plan, None, blank_idea(), None)
    form = IdeaForm()
    if not form.validate_on_submit():
        return _write_page(plan, None, form.values(), "form", 422)
    return _send(lang_code, plan, None, form)


def _helpline(lang_code: str) -> dict[str, str] | None:
    helpline: dict[str, str] | None = current_app.config["HELPLINES"].get(lang_code)
    return helpline


def _shown_code(submission: Submission) -> str | None:
    """The idea's code if this tablet still holds it (and it is still the idea's code)."""
    code = identity.remembered_idea_code(submission.public_id)
    return code if idea_code_matches(submission, code) else None


@bp.get("/<locale:lang_code>/ideas/<public_id>/sent")
@private_page
def sent(lang_code: str, public_id: str) -> str:
    """A kind confirmation with the idea code to write down; help right away if the child
    may be unsafe."""
    submission = find_own_submission(public_id, identity.current_child_hash())
    if submission is None:
        abort(404)
    plan = get_plan_view(lang_code)
    part = plan.section_by_id(submission.section_id) if plan else None
    return render_template(
        "feedback/sent.html", submission=submission, part=part, helpline=_helpline(lang_code),
        code=_shown_code(submission),
    )


@bp.post("/<locale:lang_code>/ideas/<public_id>/code")
@limiter.limit(_idea_limits, key_func=child_rate_key)
@private_page
def new_code(lang_code: str, public_id: str) -> BaseResponse:
    """A code for the confirmation page when the one drawn at sending was lost on the way
    (two taps whose answers crossed): only while this tablet holds no code for the idea."""
    child = identity.current_child_hash()
    submission = find_own_submission(public_id, child)
    if submission is None or child is None:
        abort(404)
    if _shown_code(submission) is None:
        code = renew_idea_code(submission.id, child, submission.locale)
        db.session.commit()
        if code is not None:
            identity.remember_idea_code(public_id, code)
    return redirect(url_for("feedback.sent", lang_code=lang_code, public_id=public_id,
                            _anchor="code-title"))


@bp.get("/<locale:lang_code>/my-ideas")
@private_page
def my_ideas(lang_code: str) -> str:
    """Everything this child sent, with where each idea stands; when the tablet has
    forgotten the child, the way to check an idea with its code."""
    plan = get_plan_view(lang_code)
    child = identity.current_child_hash()
    submissions = list_own_submissions(child)
    codes = {item.public_id: code for item in submissions if (code := _shown_code(item))}
    # "Answered": the organisation's answer to each shared idea, from the registered source.
    answers = {item.public_id: answer for item in submissions
               if not item.is_worrying and item.status != SubmissionStatus.WITHDRAWN
               and (answer := organisation_answer(item, lang_code))}
    return render_template(
        "feedback/my_ideas.html", plan=plan, submissions=submissions, codes=codes,
        answers=answers, forgotten=child is None, helpline=_helpline(lang_code),
    )


def _code_failure_limits() -> str:
    return str(current_app.config["IDEA_CODE_FAILURE_LIMITS"])


def _is_wrong_code(response: Response) -> bool:
    """Only wrong codes count towards the limit: checking one's own idea often is fine."""
    return response.status_code == 404


def _check_page(form: CheckForm, error: str | None = None, status: int = 200) -> Response:
    html = render_template("feedback/check.html", form=form, error=error, item=None)
    return make_response(html, status)


def _sent_on(submission: Submission) -> str:
    """The day the idea was sent, in the organisation's time zone and the page's language."""
    zone = ZoneInfo(current_app.config["ORG_TIMEZONE"])
    return str(format_date(submission.created_at.astimezone(zone).date(), format="long"))


@bp.route("/<locale:lang_code>/check", methods=["GET", "POST"])
@limiter.limit(_code_failure_limits, methods=["POST"], deduct_when=_is_wrong_code)
@private_page
def check(lang_code: str) -> BaseResponse:
    """ "Check my idea": what happened to an idea, from its code, on any device. An unknown
    code and a malformed one get the same kind answer."""
    if request.method == "GET":
        return _check_page(CheckForm(formdata=None))
    form = CheckForm()
    submission = find_by_idea_code(form.typed()) if form.validate_on_submit() else None
    if submission is None:
        return _check_page(form, "unknown", 404)
    plan = get_plan_view(lang_code)
    part = plan.section_by_id(submission.section_id) if plan else None
    answer = None
    if not submission.is_worrying and submission.status != SubmissionStatus.WITHDRAWN:
        answer = organisation_answer(submission, lang_code)
    html = render_template(
        "feedback/check.html", form=CheckForm(formdata=None), error=None, item=submission,
        part=part, helpline=_helpline(lang_code), answer=answer, sent_on=_sent_on(submission),
    )
    return make_response(html)


@bp.route("/<locale:lang_code>/my-ideas/<public_id>/withdraw", methods=["GET", "POST"])
@private_page
def withdraw(lang_code: str, public_id: str) -> BaseResponse | str:
    """Ask "are you sure?", then delete the idea's words."""
    submission = find_own_submission(public_id, identity.current_child_hash())
    if submission is None:
        abort(404)
    form = ConfirmForm()
    if form.validate_on_submit():
        with contextlib.suppress(FeedbackError):  # already taken back (a double tap)
            withdraw_submission(submission)
        db.session.commit()
        flash("withdrawn", "my-ideas")
        return redirect(url_for("feedback.my_ideas", lang_code=lang_code))
    return render_template("feedback/withdraw.html", submission=submission, form=form)


@bp.route("/<locale:lang_code>/finish", methods=["GET", "POST"])
def finish(lang_code: str) -> BaseResponse | str:
    """ "I'm finished": forget this child so the next one starts fresh on a shared tablet."""
    form = ConfirmForm()
    if form.validate_on_submit():
        classroom = current_classroom()  # read before the session is cleared: the next child
        staff_kept = identity.forget_child()  # on this tablet can join the same class again
        response = make_response(render_template("feedback/finished.html", classroom=classroom))
        for name in ("read_parts", "lang", "answers_seen"):
            response.delete_cookie(name)
        # Ask the browser to drop drafts and everything else it kept for this site too (all
        # cookies, unless a staff member signed in on this browser is only previewing).
        if staff_kept:
            response.headers["Clear-Site-Data"] = '"cache", "storage"'
        else:
            response.delete_cookie(current_app.config["SESSION_COOKIE_NAME"])
            response.headers["Clear-Site-Data"] = '"cache", "cookies", "storage"'
        return response
    return render_template("feedback/finish.html", form=form, auto=request.args.get("auto") == "1")


@bp.get("/<locale:lang_code>/help")
def help_page(lang_code: str) -> str:
    """Where to get help now, always one tap away, with a way back to the part (if any) the
    child came from."""
    helpline = current_app.config["HELPLINES"].get(lang_code)
    try:
        plan = get_plan_view(lang_code)
    except SQLAlchemyError:  # the help page never fails: only the way back is lost
        reset_session()
        plan = None
    back_to = plan.section(request.args.get("part", "")) if plan else None
    return render_template("feedback/help.html", helpline=helpline, back_to=back_to)


def init_app(app: Flask) -> None:
    """Register the blueprint, the panel under each part and the child-friendly error pages."""
    app.register_blueprint(bp)
    app.extensions["part_panels"].append(FeedbackPanel())
    app.extensions["shared_ideas"] = SharedIdeasCache()
    app.jinja_env.globals.update(age_band_values=AGE_BAND_VALUES, reaction_values=REACTION_VALUES)
    app.jinja_env.filters["shared_text"] = shared_text
    app.before_request(identity.expire_idle_child)
    errors.init_app(app)
