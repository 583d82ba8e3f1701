"""Child-facing pages: the plan's home, each part, and the words to know."""

from __future__ import annotations

from flask import (
    current_app,
    Blueprint,
    Response,
    abort,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.wrappers import Response as BaseResponse

from participation.i18n import preferred_locale
from participation.plans.progress import mark_read, read_slugs
from participation.plans.queries import PlanView, get_plan_view, plan_cache

bp = Blueprint("plans", __name__)


def _plan_or_404(lang_code: str) -> PlanView:
    plan = get_plan_view(lang_code)
    if plan is None:
        abort(404)
    return plan


@bp.get("/")
def index() -> BaseResponse:
    """Send a child to the plan in the language their cookie or browser prefers."""
    response = redirect(url_for("plans.home", lang_code=preferred_locale()))
    response.headers["Vary"] = "Cookie, Accept-Language"
    return response


@bp.get("/<locale:lang_code>/")
def home(lang_code: str) -> str:
    """The plan as a set of big cards, with what this device has already read."""
    plan = get_plan_view(lang_code)
    done = read_slugs(request, [s.slug for s in plan.sections]) if plan else frozenset()
    return render_template("plans/home.html", plan=plan, done=done)


@bp.get("/<locale:lang_code>/plan/<slug>")
def section(lang_code: str, slug: str) -> Response:
    """One part of the plan in simple words, with the official wording one tap away."""
    plan = _plan_or_404(lang_code)
    part = plan.section(slug)
    if part is None:
        abort(404)
    slugs = [s.slug for s in plan.sections]
    before, after = plan.neighbours(slug)
    article = plan_cache().fragment(
        lang_code, f"part:{slug}", lambda: render_template("plans/_part.html", plan=plan, part=part)
    )
    # Higher domains (feedback) add their panels below the text; plans does not import them.
    panels = [render_panel(plan, part) for render_panel in current_app.extensions["part_panels"]]
    response = make_response(
        render_template(
            "plans/section.html", part=part, article=article, panels=panels, before=before,
            after=after,
        )
    )
    mark_read(response, read_slugs(request, slugs), slug, slugs)
    return response


@bp.get("/<locale:lang_code>/words")
def glossary(lang_code: str) -> str:
    """Every hard word of the plan with a short explanation."""
    plan = _plan_or_404(lang_code)
    return plan_cache().fragment(
        lang_code, "words", lambda: render_template("plans/glossary.html", plan=plan)
    )
