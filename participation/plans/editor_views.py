"""The plan editor: organisers write, translate and publish the plan in the browser.

Thin views over drafts.py (writing, with optimistic locking), publishing.py (revisions) and
source.py (YAML export and import). Facilitators may write and translate; only organisers and
admins create plans, publish, publish again, import, or choose the plan children see.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse

from participation.accounts.models import Role
from participation.audit.services import record_event
from participation.auth import staff_required
from participation.config import SUPPORTED_LOCALES
from participation.db import db
from participation.plans import drafts
from participation.plans.content import ContentError, GlossaryEntry, markup_to_html
from participation.plans.editor_forms import (
    AnalyseForm,
    ConfirmForm,
    ImportForm,
    NewPartForm,
    NewPlanForm,
    NewTermForm,
    PartChangeForm,
    PartTextForm,
    PlanTextForm,
    TermForm,
)
from participation.plans.models import DraftText, Plan, PlanRevision
from participation.plans.publishing import (
    compare,
    low_scores,
    publish_draft,
    republish,
    revisions,
    show_plan,
)
from participation.plans.queries import plan_cache, plan_view_from_data
from participation.plans.readability import FORMULA_NAMES, TARGET_READING_EASE
from participation.plans.source import PlanImportError, data_from_zip, data_to_content, zip_of
from participation.security import CONTENT_SECURITY_POLICY, clean_html
from participation.templating import fill_holes

bp = Blueprint("plan_editor", __name__, url_prefix="/staff/plans")

WRITERS = (Role.ORGANISER, Role.ADMIN, Role.FACILITATOR)
PUBLISHERS = (Role.ORGANISER, Role.ADMIN)
PLAN_PART = "_plan"  # the URL name of the plan's own texts
PREVIEW_SIZES = {"phone": (375, 667), "tablet": (768, 1024)}


def _plan(slug: str) -> Plan:
    plan: Plan | None = db.session.scalar(select(Plan).where(Plan.slug == slug))
    if plan is None:
        abort(404)
    return plan


def _locale(locale: str) -> str:
    if locale not in SUPPORTED_LOCALES:
        abort(404)
    return locale


def _part(plan: Plan, part: str) -> str:
    if part == PLAN_PART:
        return drafts.PLAN_TEXTS
    if part not in {p.slug for p in drafts.parts(plan.id)}:
        abort(404)
    return part


def _glossary(plan: Plan, locale: str) -> dict[str, GlossaryEntry]:
    return {t.key: GlossaryEntry(t.key, t.term, t.definition or t.term)
            for t in drafts.terms_of(plan.id, locale)}


@bp.get("/")
@staff_required(*WRITERS)
def index() -> str:
    """Every plan: which one children see, its last revision, and a new plan."""
    plans = db.session.scalars(select(Plan).order_by(Plan.slug)).all()
    titles = {plan.id: _title(plan, drafts.PLAN_TEXTS, str(get_locale())) or plan.slug
              for plan in plans}
    return render_template("plans/editor/index.html", plans=plans, titles=titles,
                           new_form=NewPlanForm(),
                           confirm=ConfirmForm(), may_publish=current_user.has_role(*PUBLISHERS))


@bp.post("/")
@staff_required(*PUBLISHERS)
def create() -> BaseResponse:
    form = NewPlanForm()
    if not form.validate_on_submit():
        flash(_("Choose a short name of lowercase letters, digits and hyphens."), "plan-error")
        return redirect(url_for(".index"))
    if db.session.scalar(select(Plan.id).where(Plan.slug == form.slug.data)):
        flash(_("A plan with that short name already exists."), "plan-error")
        return redirect(url_for(".index"))
    plan = Plan(slug=form.slug.data, version=0, default_locale=form.default_locale.data)
    db.session.add(plan)
    db.session.flush()
    record_event("plan.created", actor_id=current_user.id, object_type="plan", object_id=plan.id)
    db.session.commit()
    return redirect(url_for(".overview", slug=plan.slug))


@bp.post("/<slug>/show")
@staff_required(*PUBLISHERS)
def show(slug: str) -> BaseResponse:
    plan = _plan(slug)
    if ConfirmForm().validate_on_submit():
        if plan.version == 0:
            flash(_("Publish this plan before children can see it."), "plan-error")
        else:
            show_plan(plan, actor_id=current_user.id)
            db.session.commit()
            plan_cache().clear()
            flash(_("Children now see this plan."), "plan")
    return redirect(url_for(".index"))


@bp.get("/<slug>")
@staff_required(*WRITERS)
def overview(slug: str) -> str:
    """What is left before each language can be published, the parts, the revisions."""
    plan = _plan(slug)
    grid = drafts.status_grid(plan.id, SUPPORTED_LOCALES)
    titles = {part.slug: part for part in drafts.parts(plan.id)}
    texts = {(t.part, t.locale): t for t in db.session.scalars(
        select(DraftText).where(DraftText.plan_id == plan.id))}
    return render_template(
        "plans/editor/overview.html", plan=plan, grid=grid, parts=titles, texts=texts,
        locales=SUPPORTED_LOCALES, publishable=drafts.complete_locales(plan.id, SUPPORTED_LOCALES),
        revisions=revisions(plan.id), new_part=NewPartForm(), change=PartChangeForm(),
        confirm=ConfirmForm(), import_form=ImportForm(), plan_part=PLAN_PART,
        may_publish=current_user.has_role(*PUBLISHERS))


@bp.post("/<slug>/parts")
@staff_required(*PUBLISHERS)
def add_part(slug: str) -> BaseResponse:
    plan = _plan(slug)
    form = NewPartForm()
    if form.validate_on_submit():
        try:
            drafts.add_part(plan.id, form.slug.data, form.icon.data, actor_id=current_user.id)
            db.session.commit()
        except drafts.DraftError:
            db.session.rollback()
            flash(_("That short name is taken or not valid."), "plan-error")
    return redirect(url_for(".overview", slug=slug))


@bp.post("/<slug>/parts/<part>")
@staff_required(*PUBLISHERS)
def change_part(slug: str, part: str) -> BaseResponse:
    plan = _plan(slug)
    form = PartChangeForm()
    if form.validate_on_submit():
        try:
            drafts.change_part(plan.id, part, icon=form.icon.data, move=int(form.move.data),
                               actor_id=current_user.id)
            db.session.commit()
        except drafts.DraftError:
            db.session.rollback()
            abort(404)
    return redirect(url_for(".overview", slug=slug))


def _text_form(part: str, data: Any = None) -> PlanTextForm | PartTextForm:
    """The form of a part's texts; with ``data``, filled from it rather than the request (the
    conflict page offers the saved version number, not the one the writer started from)."""
    cls = PlanTextForm if part == drafts.PLAN_TEXTS else PartTextForm
    return cls() if data is None else cls(formdata=None, data=data)


@bp.route("/<slug>/edit/<locale>/<part>", methods=["GET", "POST"])
@staff_required(*WRITERS)
def edit(slug: str, locale: str, part: str) -> Any:
    """One part in one language: the texts, with reading help and a preview as you type."""
    plan, locale = _plan(slug), _locale(locale)
    key = _part(plan, part)
    saved = drafts.text_of(plan.id, key, locale)
    if request.method == "POST":
        form = _text_form(key)
        if not form.validate_on_submit():
            return _edit_page(plan, locale, part, form, saved, status=422)
        try:
            result = drafts.save_text(
                plan.id, key, locale, title=form.title.data.strip(),
                summary=form.summary.data.strip(), simple=form.simple.data.strip(),
                official=(getattr(form, "official", None) and form.official.data.strip()) or "",
                ready=bool(form.ready.data), based_on=int(form.version.data),
                actor_id=current_user.id)
        except drafts.DraftError as error:
            db.session.rollback()
            return _edit_page(plan, locale, part, form, saved, error=error.code, status=409)
        if isinstance(result, drafts.Conflict):
            db.session.rollback()
            return render_template("plans/editor/conflict.html", plan=plan, locale=locale,
                                   part=part, mine=form, theirs=result.theirs,
                                   form=_text_form(key, {**_values(result.theirs),
                                                         "version": result.theirs.version}),
                                   mine_form=_text_form(key, {**form.data,
                                                              "version": result.theirs.version}),
                                   ), 409
        db.session.commit()
        flash(_("Saved."), "plan")
        return redirect(url_for(".edit", slug=slug, locale=locale, part=part))
    values = _values(saved) if saved else {}
    form = _text_form(key, {**values, "version": saved.version if saved else 0})
    return _edit_page(plan, locale, part, form, saved)


def _values(text: DraftText) -> dict[str, Any]:
    return {"title": text.title, "summary": text.summary, "simple": text.simple,
            "official": text.official, "ready": text.ready}


def _edit_page(plan: Plan, locale: str, part: str, form: Any, saved: Any, *,
               error: str | None = None, status: int = 200) -> Any:
    from participation.plans.writing import analyse, highlight  # word lists: on first use

    glossary = _glossary(plan, locale)
    texts = {name: getattr(form, name).data or "" for name in (
        ["simple"] if part == PLAN_PART else ["simple", "official"])}
    unknown = {name: drafts.unknown_terms(text, glossary) for name, text in texts.items()}
    return render_template(
        "plans/editor/edit.html", plan=plan, locale=locale, part=part, form=form, saved=saved,
        error=error, glossary=glossary, others=[c for c in SUPPORTED_LOCALES if c != locale],
        analyses={name: analyse(text, locale, glossary) for name, text in texts.items()},
        target=TARGET_READING_EASE, formula=FORMULA_NAMES[locale],
        part_title=_part_title(plan, part, locale), plan_part=PLAN_PART,
        highlights={name: highlight(text, locale, glossary) for name, text in texts.items()},
        # A link to a word not (yet) in the list has no child's view until the word is added.
        previews={name: clean_html(markup_to_html(text, glossary))
                  for name, text in texts.items() if not unknown[name]},
        unknown=unknown, term_form=NewTermForm(), analyse_form=AnalyseForm(),
    ), status


def _part_title(plan: Plan, part: str, locale: str) -> str:
    if part == PLAN_PART:
        return str(_("The plan's own words"))
    return _title(plan, part, locale) or part


def _title(plan: Plan, part: str, locale: str) -> str | None:
    """A part's title ("": the plan's) in ``locale``, else in another language it has."""
    for code in (locale, plan.default_locale, *SUPPORTED_LOCALES):
        text = drafts.text_of(plan.id, part, code)
        if text is not None and text.title:
            return text.title
    return None


@bp.post("/<slug>/analyse")
@staff_required(*WRITERS)
def analyse_text(slug: str) -> Response:
    """Reading help for the text being typed (JSON): reading ease, long sentences, rare
    words, the child's preview and the writer's highlighted view."""
    from participation.plans.writing import analyse, highlight  # word lists: on first use

    plan = _plan(slug)
    form = AnalyseForm()
    if not form.validate_on_submit():
        return make_response(jsonify({"error": "invalid"}), 400)
    locale, text = form.locale.data, form.text.data or ""
    glossary = _glossary(plan, locale)
    result = analyse(text, locale, glossary).as_json()
    unknown = drafts.unknown_terms(text, glossary)
    result.update(
        preview=str(clean_html(markup_to_html(text, glossary))) if not unknown else "",
        highlight=str(highlight(text, locale, glossary)), unknown_terms=unknown)
    return jsonify(result)


@bp.post("/<slug>/words/add")
@staff_required(*WRITERS)
def add_word(slug: str) -> Response:
    """One click on a rare word: it joins the words to know (its definition comes later)."""
    plan = _plan(slug)
    form = NewTermForm()
    if not form.validate_on_submit():
        return make_response(jsonify({"error": "invalid"}), 400)
    key = drafts.add_term(plan.id, form.locale.data, form.term.data, actor_id=current_user.id)
    db.session.commit()
    return jsonify({"key": key, "term": form.term.data.strip()})


@bp.route("/<slug>/words/<locale>", methods=["GET", "POST"])
@staff_required(*WRITERS)
def words(slug: str, locale: str) -> Any:
    """The words to know in one language: add, explain, remove."""
    plan, locale = _plan(slug), _locale(locale)
    form = TermForm()
    if request.method == "POST":
        if request.form.get("delete") and ConfirmForm().validate_on_submit():
            drafts.delete_term(plan.id, locale, request.form["delete"], actor_id=current_user.id)
            db.session.commit()
            return redirect(url_for(".words", slug=slug, locale=locale))
        if form.validate_on_submit():
            try:
                drafts.save_term(plan.id, locale, term=form.term.data,
                                 definition=form.definition.data or "",
                                 key=form.key.data or None, actor_id=current_user.id)
                db.session.commit()
                flash(_("Saved."), "plan")
                return redirect(url_for(".words", slug=slug, locale=locale))
            except drafts.DraftError:
                db.session.rollback()
                return _words_page(plan, locale, form, error=True), 422
    return _words_page(plan, locale, form, error=False)


def _words_page(plan: Plan, locale: str, form: TermForm, *, error: bool) -> str:
    titles = {**drafts.titles(plan, locale, SUPPORTED_LOCALES),
              drafts.PLAN_TEXTS: _part_title(plan, PLAN_PART, locale)}
    usage = {key: [titles.get(part, part) for part in found]
             for key, found in drafts.term_usage(plan.id, locale).items()}
    return render_template("plans/editor/words.html", plan=plan, locale=locale,
                           terms=drafts.terms_of(plan.id, locale), form=form, usage=usage,
                           confirm=ConfirmForm(), error=error)


# The app's one policy, loosened for the preview only: its pages may be framed by the editor's
# own look page, which may frame them (and nothing else).
FRAMED_CSP = CONTENT_SECURITY_POLICY.replace("frame-ancestors 'none'", "frame-ancestors 'self'")
FRAMING_CSP = CONTENT_SECURITY_POLICY.replace(
    "default-src 'none'", "default-src 'none'; frame-src 'self'")


def _framed(response: Response) -> Response:
    """The child's-eye preview is shown in frames of the editor's own page, nowhere else."""
    response.headers["Content-Security-Policy"] = FRAMED_CSP
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/<slug>/preview/<locale>/")
@bp.get("/<slug>/preview/<locale>/<part>")
@staff_required(*WRITERS)
def preview(slug: str, locale: str, part: str | None = None) -> Response:
    """A child's page made from the draft (shown in the look page's frames)."""
    plan, locale = _plan(slug), _locale(locale)
    view = plan_view_from_data(drafts.draft_data(plan, SUPPORTED_LOCALES), locale)
    section = view.section(part) if part is not None else None
    if part is not None and section is None:
        abort(404)
    # The child's page in its language; links on it lead to the live pages of that language.
    # (The language is not remembered for this staff browser: no cookie is set.)
    g.lang_code = locale
    try:
        with force_locale(locale):
            if section is None:
                holes = {f"read:{s.slug}": "" for s in view.sections}
                holes.update(done="0", progress="")
                page = fill_holes(render_template("plans/home.html", plan=view), holes)
            else:
                before, after = view.neighbours(section.slug)
                page = fill_holes(render_template(
                    "plans/section.html", plan=view, part=section, before=before, after=after,
                    panels=[]), {})
    finally:
        g.pop("lang_code", None)
    return _framed(make_response(page))


@bp.get("/<slug>/look/<locale>")
@staff_required(*WRITERS)
def look(slug: str, locale: str) -> Response:
    """The draft through a child's eyes: the real child pages at phone and tablet sizes."""
    plan, locale = _plan(slug), _locale(locale)
    part = request.args.get("part") or None
    if part is not None and part not in {p.slug for p in drafts.parts(plan.id)}:
        abort(404)
    response = make_response(render_template(
        "plans/editor/look.html", plan=plan, locale=locale, part=part,
        parts=drafts.parts(plan.id), sizes=PREVIEW_SIZES,
        titles=drafts.titles(plan, locale, SUPPORTED_LOCALES)))
    response.headers["Content-Security-Policy"] = FRAMING_CSP
    return response


@bp.route("/<slug>/publish", methods=["GET", "POST"])
@staff_required(*PUBLISHERS)
def publish(slug: str) -> Any:
    """Publish the draft in the complete languages; low reading ease needs a reason."""
    plan = _plan(slug)
    ready = drafts.complete_locales(plan.id, SUPPORTED_LOCALES)
    chosen = request.form.getlist("locale") if request.method == "POST" else ready
    problems: list[str] = []
    try:
        lows = low_scores(drafts.draft_data(plan, [c for c in chosen if c in ready])) \
            if chosen else []
    except ContentError as error:
        lows, problems = [], error.problems
    reasons = {(low.part, low.locale): request.form.get(f"reason-{low.part}-{low.locale}", "")
               for low in lows}
    failed: str | None = None
    if request.method == "POST" and ConfirmForm().validate_on_submit() and not problems:
        try:
            revision = publish_draft(plan, chosen, reasons=reasons,
                                     all_locales=SUPPORTED_LOCALES, actor_id=current_user.id)
            db.session.commit()
            plan_cache().clear()
            flash(_("Published: revision %(number)s.", number=revision.number), "plan")
            return redirect(url_for(".overview", slug=slug))
        except drafts.DraftError as failure:
            db.session.rollback()
            failed = failure.code
        except ContentError as failure:
            db.session.rollback()
            problems = failure.problems
    status = 200 if request.method == "GET" else 422
    return render_template("plans/editor/publish.html", plan=plan, ready=ready, chosen=chosen,
                           lows=lows, reasons=reasons, problems=problems, error=failed,
                           locales=SUPPORTED_LOCALES, confirm=ConfirmForm(),
                           target=TARGET_READING_EASE), status


def _revision(plan: Plan, number: int) -> PlanRevision:
    found: PlanRevision | None = db.session.scalar(select(PlanRevision).where(
        PlanRevision.plan_id == plan.id, PlanRevision.number == number))
    if found is None:
        abort(404)
    return found


@bp.get("/<slug>/revisions/<int:number>")
@staff_required(*WRITERS)
def revision(slug: str, number: int) -> str:
    """One revision, and what changed since the one before (per part and language)."""
    plan = _plan(slug)
    current = _revision(plan, number)
    against = request.args.get("against", type=int)
    older = _revision(plan, against) if against else db.session.scalar(
        select(PlanRevision).where(PlanRevision.plan_id == plan.id,
                                   PlanRevision.number < number)
        .order_by(PlanRevision.number.desc()).limit(1))
    changes = compare(older.content, current.content) if older else []
    return render_template("plans/editor/revision.html", plan=plan, revision=current,
                           older=older, changes=changes, confirm=ConfirmForm(),
                           may_publish=current_user.has_role(*PUBLISHERS))


@bp.post("/<slug>/revisions/<int:number>/republish")
@staff_required(*PUBLISHERS)
def republish_revision(slug: str, number: int) -> BaseResponse:
    plan = _plan(slug)
    earlier = _revision(plan, number)
    if ConfirmForm().validate_on_submit():
        made = republish(plan, earlier, actor_id=current_user.id)
        db.session.commit()
        plan_cache().clear()
        flash(_("Revision %(old)s is published again as revision %(new)s.", old=number,
                new=made.number), "plan")
    return redirect(url_for(".overview", slug=slug))


@bp.post("/<slug>/revisions/<int:number>/draft")
@staff_required(*PUBLISHERS)
def draft_from(slug: str, number: int) -> BaseResponse:
    """Start the next revision from this one: the draft becomes its words."""
    plan = _plan(slug)
    earlier = _revision(plan, number)
    if ConfirmForm().validate_on_submit():
        drafts.replace_draft(plan, earlier.content, actor_id=current_user.id)
        record_event("plan.draft_replaced", actor_id=current_user.id, object_type="plan",
                     object_id=plan.id, details={"from_revision": number})
        db.session.commit()
        flash(_("The draft now holds the words of revision %(number)s.", number=number),
              "plan")
    return redirect(url_for(".overview", slug=slug))


@bp.get("/<slug>/export.zip")
@staff_required(*WRITERS)
def export(slug: str) -> Response:
    """The draft (or ``?revision=N``) as the YAML files ``flask load-plan`` reads, zipped."""
    plan = _plan(slug)
    number = request.args.get("revision", type=int)
    data = _revision(plan, number).content if number else drafts.draft_data(
        plan, SUPPORTED_LOCALES)
    name = f"{plan.slug}-{'revision-' + str(number) if number else 'draft'}.zip"
    response = make_response(zip_of(data))
    response.headers["Content-Type"] = "application/zip"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    record_event("plan.exported", actor_id=current_user.id, object_type="plan",
                 object_id=plan.id, details={"revision": number})
    db.session.commit()
    return response


@bp.post("/<slug>/import")
@staff_required(*PUBLISHERS)
def import_(slug: str) -> Any:
    """A zip of YAML files becomes the draft (checked first; nothing is published)."""
    plan = _plan(slug)
    form = ImportForm()
    messages = {"too_big": _("The file is too big for a plan."),
                "no_plan": _("The zip has no plan.yaml."),
                "not_a_plan": _("This file is not a plan export.")}
    if not form.validate_on_submit():
        flash(_("Choose a file."), "plan-error")
        return redirect(url_for(".overview", slug=slug))
    try:
        data = data_from_zip(form.archive.data.read())
        content = data_to_content({**data, "slug": plan.slug})
    except PlanImportError as error:
        flash(messages[str(error)], "plan-error")
        return redirect(url_for(".overview", slug=slug))
    except ContentError as error:
        return render_template("plans/editor/import_problems.html", plan=plan,
                               problems=error.problems), 422
    from participation.plans.source import content_to_data

    drafts.replace_draft(plan, content_to_data(content), actor_id=current_user.id)
    record_event("plan.imported", actor_id=current_user.id, object_type="plan",
                 object_id=plan.id)
    db.session.commit()
    flash(_("The draft now holds the imported plan. Check it, then publish."), "plan")
    return redirect(url_for(".overview", slug=slug))


def revision_source(source: str) -> str:
    return str({"file": _("loaded from YAML files"), "editor": _("published from the editor"),
                "republished": _("an earlier revision, published again"),
                "migrated": _("the plan as it was when revisions began")}.get(source, source))


def language_names(codes: Any) -> list[str]:
    name = current_app.jinja_env.globals["language_name"]
    return [name(code) for code in codes]  # type: ignore[operator]


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.jinja_env.globals.update(revision_source=revision_source, language_names=language_names)
