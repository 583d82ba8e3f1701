"""Organisers' pages for answers ("you said, we did"): the list, writing an answer in every
language with its reading ease shown live, linking the ideas it answers, publishing (or a
second organiser's approval), withdrawing and progress updates. Organisers and admins only."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from werkzeug.wrappers import Response

from participation.accounts.models import Role
from participation.answers.forms import (
    DECISION_LABELS,
    STATUS_LABELS,
    SUBJECT_LABELS,
    AnswerForm,
    ApproveForm,
    ApproveUpdateForm,
    LinksForm,
    NewAnswerForm,
    PublishForm,
    UpdateForm,
    WithdrawForm,
)
from participation.answers.models import Answer, AnswerStatus, AnswerSubject, Decision
from participation.answers.queries import (
    answerable_sessions,
    answers_for_plan,
    find_answer,
    find_update,
    link_choices,
    link_counts,
    organiser_flags,
    reaction_counts,
    session_labels,
)
from participation.answers.services import (
    AnswerError,
    AnswerSubjectRef,
    add_answer_update,
    approve_answer,
    approve_answer_update,
    below_floor,
    create_answer,
    edit_answer,
    link_submissions,
    may_approve,
    missing_texts,
    needs_second_organiser,
    publish_answer,
    score_text,
    withdraw_answer,
)
from participation.auth import staff_required
from participation.db import db
from participation.i18n import NATIVE_NAMES
from participation.plans.queries import PlanView, get_plan_view
from participation.plans.readability import FORMULA_NAMES, TARGET_READING_EASE

bp = Blueprint("answers", __name__, url_prefix="/staff/answers")
ORGANISERS = (Role.ORGANISER, Role.ADMIN)


def answer_error(error: AnswerError) -> str:
    """The message for an :class:`AnswerError`, in the organiser's language."""
    names = ", ".join(NATIVE_NAMES.get(locale, locale) for locale in error.locales)
    messages: dict[str, str] = {
        "forbidden": _("You cannot do that."),
        "bad_part": _("Choose a part of the current plan."),
        "bad_theme": _("Give the theme a short name (120 characters at most)."),
        "bad_session": _("Choose a committee session whose statements are being reviewed or "
                         "were accepted."),
        "bad_subject": _("Choose what the answer is about."),
        "bad_locale": _("That language is not offered."),
        "body_too_long": _("The text is too long in: %(languages)s.", languages=names),
        "reason_too_long": _("The reason is too long in: %(languages)s.", languages=names),
        "missing_text": _("Children read every language: write the text in %(languages)s "
                          "first.", languages=names),
        "missing_reason": _("Children are owed a reason for \u201cnot now\u201d and "
                            "\u201ccan't\u201d: write it in %(languages)s first.",
                            languages=names),
        "own_answer": _("You wrote or changed this, so another organiser must approve it."),
        "status_changed": _("Someone else changed this answer meanwhile. Here it is as it is "
                            "now."),
        "withdrawn": _("A withdrawn answer cannot change."),
        "not_published": _("Progress updates follow a published answer."),
        "bad_link": _("Only approved ideas and statements of this subject can be linked."),
    }
    return messages.get(error.code) or str(_("That could not be done."))


def current_plan() -> PlanView:
    """The plan children read now (in the organiser's language); none loaded is a 404."""
    plan = get_plan_view(str(get_locale()))
    if plan is None:
        abort(404)
    return plan


def subject_label(answer: Answer, plan: PlanView | None) -> str:
    """What an answer is about, in staff words."""
    if answer.subject == AnswerSubject.PART:
        section = plan.section_by_id(answer.section_id) if plan else None
        if section is None:
            return str(_("A part no longer in the plan"))
        return str(_("Part %(number)s: %(title)s", number=section.number, title=section.title))
    if answer.subject == AnswerSubject.MISSING:
        return str(_("Something missing: %(theme)s", theme=answer.theme or ""))
    session = session_labels([answer.committee_session_id or 0]).get(
        answer.committee_session_id or 0)
    if session is None:
        return str(_("A committee session"))
    return str(_("%(committee)s, session of %(date)s", committee=session.committee,
                 date=session.held_on.isoformat()))


@bp.context_processor
def _page_helpers() -> dict[str, Any]:
    """Words and named rules the answer templates use."""
    return {
        "decision_labels": DECISION_LABELS, "status_labels": STATUS_LABELS,
        "subject_labels": SUBJECT_LABELS, "language_names": NATIVE_NAMES,
        "target_ease": TARGET_READING_EASE, "formula_names": FORMULA_NAMES,
        "below_floor": below_floor, "may_approve": may_approve,
        "answer_locales": tuple(current_app.config["LANGUAGES"]),
        "answer_notice": notice,
    }


def _answer_or_404(public_id: str) -> Answer:
    answer = find_answer(public_id)
    if answer is None:
        abort(404)
    return answer


# --- List ---------------------------------------------------------------------------------------


@bp.get("")
@staff_required(*ORGANISERS)
def index() -> str:
    """Every answer of the current plan by status, and what still waits for one."""
    plan = get_plan_view(str(get_locale()))
    answers = answers_for_plan(plan.id) if plan else []
    ids = [a.id for a in answers]
    groups = {status: [a for a in answers if a.status == status] for status in AnswerStatus}
    return render_template(
        "answers/index.html", plan=plan, groups=groups,
        subjects={a.id: subject_label(a, plan) for a in answers},
        links=link_counts(ids), reactions=reaction_counts(
            [a.id for a in groups[AnswerStatus.PUBLISHED]]),
        flags=organiser_flags(plan.id, locale=str(get_locale())) if plan else None,
        second_needed=needs_second_organiser())


# --- Write -----------------------------------------------------------------------------------


def _new_form(plan: PlanView) -> NewAnswerForm:
    form = NewAnswerForm()
    form.set_choices(
        [(plan.section_ids[s.slug], _("Part %(number)s: %(title)s", number=s.number,
                                      title=s.title)) for s in plan.sections],
        [(s.public_id, _("%(committee)s, session of %(date)s", committee=s.committee,
                         date=s.held_on.isoformat())) for s in answerable_sessions(plan.id)])
    if not form.is_submitted():
        subject = request.args.get("subject", "")
        if subject in {s.value for s in AnswerSubject}:
            form.subject.data = subject
        form.section.data = request.args.get("part", type=int) or 0
        form.session.data = request.args.get("session", "")
    return form


def _form_page(form: AnswerForm | NewAnswerForm, answer: Answer | None, plan: PlanView,
               error: str | None = None) -> str:
    return render_template("answers/form.html", form=form, answer=answer, error=error,
                           subject=subject_label(answer, plan) if answer else None)


@bp.get("/new")
@staff_required(*ORGANISERS)
def new() -> str:
    """Start an answer: what it is about, the decision, and a text in every language."""
    plan = current_plan()
    return _form_page(_new_form(plan), None, plan)


@bp.post("")
@staff_required(*ORGANISERS)
def create() -> Response | tuple[str, int]:
    """Save a new draft (children see nothing until it is published)."""
    plan = current_plan()
    form = _new_form(plan)
    if not form.validate_on_submit():
        return _form_page(form, None, plan), 422
    session = next((s for s in answerable_sessions(plan.id)
                    if s.public_id == form.session.data), None)
    ref = AnswerSubjectRef(AnswerSubject(form.subject.data), section_id=form.section.data or None,
                           theme=form.theme.data or None,
                           committee_session_id=session.id if session else None)
    try:
        answer = create_answer(plan_id=plan.id, subject=ref, decision=Decision(form.decision.data),
                               texts=form.texts(tuple(current_app.config["LANGUAGES"])),
                               actor=current_user)
        db.session.commit()
    except AnswerError as error:
        db.session.rollback()
        return _form_page(form, None, plan, answer_error(error)), 422
    flash("saved", "answer")
    return redirect(url_for("answers.answer", public_id=answer.public_id))


def _edit_form(answer: Answer) -> AnswerForm:
    form = AnswerForm()
    if not form.is_submitted():
        form.decision.data = answer.decision.value
        for text in answer.texts:
            if f"body_{text.locale}" in form:
                form[f"body_{text.locale}"].data = text.body
                form[f"reason_{text.locale}"].data = text.reason or ""
    return form


@bp.get("/<public_id>/edit")
@staff_required(*ORGANISERS)
def edit(public_id: str) -> str:
    """Change a draft (an answer waiting for approval goes back to draft)."""
    answer = _answer_or_404(public_id)
    return _form_page(_edit_form(answer), answer, current_plan())


@bp.post("/<public_id>/edit")
@staff_required(*ORGANISERS)
def update(public_id: str) -> Response | tuple[str, int]:
    """Save the changed draft."""
    answer = _answer_or_404(public_id)
    plan = current_plan()
    form = _edit_form(answer)
    if not form.validate_on_submit():
        return _form_page(form, answer, plan), 422
    try:
        edit_answer(answer, decision=Decision(form.decision.data),
                    texts=form.texts(tuple(current_app.config["LANGUAGES"])), actor=current_user)
        db.session.commit()
    except AnswerError as error:
        db.session.rollback()
        return _form_page(form, answer, plan, answer_error(error)), 422
    flash("saved", "answer")
    return redirect(url_for("answers.answer", public_id=answer.public_id))


@bp.post("/reading-ease")
@staff_required(*ORGANISERS)
def reading_ease() -> tuple[Response, int] | Response:
    """Score a text as the editor types (the plan's formula for its language); stores nothing."""
    locale = request.form.get("locale", "")
    text = request.form.get("text", "")
    try:
        score = score_text(text, locale)
    except AnswerError as error:
        return jsonify({"error": error.code}), 400
    response = jsonify({
        "score": score if text.strip() else None,
        "below": below_floor(score) if text.strip() else False,
        "target": TARGET_READING_EASE,
        "message": ease_message(score if text.strip() else None),
    })
    response.headers["Cache-Control"] = "no-store"
    return response


def ease_message(score: float | None) -> str:
    """The sentence under a text: its score against the plan's target."""
    if score is None:
        return str(_("Reading ease appears here as you write."))
    if below_floor(score):
        return str(_("Reading ease %(score)s: below the target of %(target)s. Shorter sentences "
                     "and everyday words help.", score=f"{score:.0f}",
                     target=f"{TARGET_READING_EASE:.0f}"))
    return str(_("Reading ease %(score)s: at or above the target of %(target)s.",
                 score=f"{score:.0f}", target=f"{TARGET_READING_EASE:.0f}"))


# --- The answer page and its actions ---------------------------------------------------------


def _answer_page(answer: Answer, *, error: str | None = None,
                 update_form: UpdateForm | None = None) -> str:
    plan = get_plan_view(str(get_locale()))
    no_body, no_reason = missing_texts(answer)
    return render_template(
        "answers/answer.html", answer=answer, subject=subject_label(answer, plan), error=error,
        no_body=no_body, no_reason=no_reason, links=link_counts([answer.id]).get(answer.id, 0),
        reactions=reaction_counts([answer.id])[answer.id],
        second_needed=needs_second_organiser(), ease_message=ease_message,
        publish_form=PublishForm(formdata=None), approve_form=ApproveForm(formdata=None),
        withdraw_form=WithdrawForm(formdata=None), update_form=update_form or UpdateForm(
            formdata=None), approve_update_form=ApproveUpdateForm(formdata=None))


@bp.get("/<public_id>")
@staff_required(*ORGANISERS)
def answer(public_id: str) -> str:
    """One answer as children will read it in each language, and what can be done next."""
    return _answer_page(_answer_or_404(public_id))


def _act(answer: Answer, form_class: type[PublishForm | ApproveForm | WithdrawForm],
         action: Callable[[], str]) -> Response | tuple[str, int]:
    """Validate a button form, call one service (which says what happened), commit."""
    form = form_class()
    if not form.validate_on_submit():
        abort(400)
    try:
        done = action()
        db.session.commit()
    except AnswerError as error:
        db.session.rollback()
        db.session.refresh(answer)
        return _answer_page(answer, error=answer_error(error)), 409
    flash(done, "answer")
    return redirect(url_for("answers.answer", public_id=answer.public_id))


@bp.post("/<public_id>/publish")
@staff_required(*ORGANISERS)
def publish(public_id: str) -> Response | tuple[str, int]:
    """Publish a complete draft, or send it to a second organiser when that is required."""
    answer = _answer_or_404(public_id)

    def act() -> str:
        status = publish_answer(answer, actor=current_user)
        return "published" if status == AnswerStatus.PUBLISHED else "submitted"

    return _act(answer, PublishForm, act)


@bp.post("/<public_id>/approve")
@staff_required(*ORGANISERS)
def approve(public_id: str) -> Response | tuple[str, int]:
    """A second organiser, who did not write it, lets children see the answer."""
    answer = _answer_or_404(public_id)

    def act() -> str:
        approve_answer(answer, actor=current_user)
        return "approved"

    return _act(answer, ApproveForm, act)


@bp.post("/<public_id>/withdraw")
@staff_required(*ORGANISERS)
def withdraw(public_id: str) -> Response | tuple[str, int]:
    """Take a published answer down; it stays on record."""
    answer = _answer_or_404(public_id)

    def act() -> str:
        withdraw_answer(answer, actor=current_user)
        return "withdrawn"

    return _act(answer, WithdrawForm, act)


@bp.post("/<public_id>/updates")
@staff_required(*ORGANISERS)
def add_update(public_id: str) -> Response | tuple[str, int]:
    """Add a progress update in every language."""
    answer = _answer_or_404(public_id)
    form = UpdateForm()
    if not form.validate_on_submit():
        return _answer_page(answer, update_form=form), 422
    try:
        add_answer_update(answer, form.texts(tuple(current_app.config["LANGUAGES"])),
                          actor=current_user)
        db.session.commit()
    except AnswerError as error:
        db.session.rollback()
        return _answer_page(answer, error=answer_error(error), update_form=form), 422
    flash("update_added", "answer")
    return redirect(url_for("answers.answer", public_id=answer.public_id))


@bp.post("/<public_id>/updates/<int:update_id>/approve")
@staff_required(*ORGANISERS)
def approve_update(public_id: str, update_id: int) -> Response | tuple[str, int]:
    """A second organiser lets children see a progress update."""
    answer = _answer_or_404(public_id)
    item = find_update(answer, update_id)
    if item is None:
        abort(404)
    form = ApproveUpdateForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        approve_answer_update(item, actor=current_user)
        db.session.commit()
    except AnswerError as error:
        db.session.rollback()
        return _answer_page(answer, error=answer_error(error)), 409
    flash("update_approved", "answer")
    return redirect(url_for("answers.answer", public_id=answer.public_id))


# --- Links -----------------------------------------------------------------------------------


def _links_form(answer: Answer) -> tuple[LinksForm, list[Any]]:
    choices = link_choices(answer)
    form = LinksForm()
    form.set_choices([(choice.id, choice.text) for choice in choices])
    if not form.is_submitted():
        form.submissions.data = [choice.id for choice in choices if choice.linked]
    return form, choices


def _links_page(answer: Answer, form: LinksForm, choices: list[Any],
                error: str | None = None) -> str:
    plan = get_plan_view(str(get_locale()))
    return render_template("answers/links.html", answer=answer, form=form, choices=choices,
                           subject=subject_label(answer, plan), error=error)


@bp.get("/<public_id>/links")
@staff_required(*ORGANISERS)
def links(public_id: str) -> str:
    """Choose the approved ideas and statements this answer answers."""
    answer = _answer_or_404(public_id)
    form, choices = _links_form(answer)
    return _links_page(answer, form, choices)


@bp.post("/<public_id>/links")
@staff_required(*ORGANISERS)
def save_links(public_id: str) -> Response | tuple[str, int]:
    """Save the chosen links (children whose idea is linked see it answered)."""
    answer = _answer_or_404(public_id)
    form, choices = _links_form(answer)
    if not form.validate_on_submit():
        return _links_page(answer, form, choices), 422
    try:
        link_submissions(answer, form.submissions.data or [], actor=current_user)
        db.session.commit()
    except AnswerError as error:
        db.session.rollback()
        return _links_page(answer, form, choices, answer_error(error)), 422
    flash("linked", "answer")
    return redirect(url_for("answers.answer", public_id=answer.public_id))


def home_flags() -> Any:
    """The organisers' home-page flags for the current plan (None when no plan is loaded)."""
    plan = get_plan_view(str(get_locale()))
    return organiser_flags(plan.id, locale=str(get_locale())) if plan else None


def notice(code: str) -> Markup:
    """The flash message after an action (kept as a code in the cookie, worded here)."""
    words = {
        "saved": _("The draft is saved."),
        "published": _("Published: children can read this answer now."),
        "submitted": _("Sent to a second organiser. Children see it once another organiser "
                       "approves it."),
        "approved": _("Approved and published: children can read this answer now."),
        "withdrawn": _("Withdrawn: children no longer see this answer."),
        "update_added": _("The progress update is saved."),
        "update_approved": _("The progress update is published."),
        "linked": _("The links are saved."),
    }
    return Markup.escape(words.get(code, ""))


def init_app(app: Flask) -> None:
    """Register the organisers' answer pages."""
    app.register_blueprint(bp)
