"""Child-facing pages: the plan's home, each part, and the words to know."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext, ngettext
from markupsafe import Markup, escape
from werkzeug.wrappers import Response as BaseResponse

from participation.i18n import preferred_locale
from participation.plans.panels import PartPanel
from participation.plans.progress import mark_read, part_opened, read_slugs
from participation.plans.queries import PlanView, SectionView, get_plan_view, plan_cache
from participation.templating import fill_holes

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
    if plan is None:
        return render_template("plans/home.html", plan=None)
    slugs = [s.slug for s in plan.sections]
    done = read_slugs(request, slugs)
    page = plan_cache().fragment(
        lang_code, "home", lambda: render_template("plans/home.html", plan=plan)
    )
    holes = {f"read:{slug}": " is-read" if slug in done else "" for slug in slugs}
    holes["done"] = str(len(done))
    holes["progress"] = str(escape(reading_progress(len(done), len(slugs))))
    return fill_holes(page, holes)


def reading_progress(done: int, total: int) -> str:
    """The sentence above the cards: how far this device has read."""
    if done == 0:
        return str(gettext("Start with any part you like. There are %(total)s parts.",
                           total=total))
    if done == total:
        return str(gettext("Well done! You have read all %(total)s parts.", total=total))
    return str(ngettext("You have read %(num)s part out of %(total)s.",
                        "You have read %(num)s parts out of %(total)s.", done, total=total))


@bp.get("/<locale:lang_code>/plan/<slug>")
def section(lang_code: str, slug: str) -> Response:
    """One part of the plan in simple words, with the official wording one tap away."""
    plan = _plan_or_404(lang_code)
    part = plan.section(slug)
    if part is None:
        abort(404)
    slugs = [s.slug for s in plan.sections]
    panels: list[PartPanel] = current_app.extensions["part_panels"]
    page = plan_cache().fragment(
        lang_code, f"part:{slug}", lambda: _render_part(plan, part, panels)
    )
    values = {name: value for panel in panels for name, value in panel.holes(plan, part).items()}
    response = make_response(fill_holes(page, values))
    already = read_slugs(request, slugs)
    mark_read(response, already, slug, slugs)
    if slug not in already:
        part_opened.send(current_app._get_current_object(),  # type: ignore[attr-defined]
                         section_id=plan.section_ids[slug])
    return response


def _render_part(plan: PlanView, part: SectionView, panels: list[PartPanel]) -> str:
    before, after = plan.neighbours(part.slug)
    return render_template(
        "plans/section.html", plan=plan, part=part, before=before, after=after,
        panels=[Markup(panel.skeleton(plan, part)) for panel in panels],  # noqa: S704
    )


@bp.get("/<locale:lang_code>/words")
def glossary(lang_code: str) -> str:
    """Every hard word of the plan with a short explanation."""
    plan = _plan_or_404(lang_code)
    return plan_cache().fragment(
        lang_code, "words", lambda: render_template("plans/glossary.html", plan=plan)
    )
