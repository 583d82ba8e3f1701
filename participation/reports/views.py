"""Organisers' summary of what children said (per part, by language or by age band), the
consultation periods that freeze it, and the admins' suppression threshold.

Every number on these pages goes through reports/privacy.py (the templates' ``figure`` and
``percent`` macros): raw counts never reach the HTML.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from participation.accounts.models import Role, User
from participation.auth import staff_required
from participation.db import db
from participation.feedback.models import AgeBand
from participation.i18n import NATIVE_NAMES
from participation.plans.models import Plan, PlanRevision, PlanTranslation
from participation.plans.readability import TARGET_READING_EASE
from participation.reports import queries
from participation.reports.forms import (
    ClosePeriodForm,
    PeriodForm,
    SummaryFilterForm,
    ThresholdForm,
)
from participation.reports.models import ConsultationPeriod
from participation.reports.periods import (
    PeriodError,
    close_period,
    create_period,
    list_periods,
    period_by_public_id,
)
from participation.reports.privacy import Protected
from participation.reports.settings import SettingsError, change_threshold, current_threshold

bp = Blueprint("reports", __name__, url_prefix="/staff/reports")
READERS = (Role.ORGANISER, Role.ADMIN)


def sees_urgent_figures(user: User) -> bool:
    """Only safeguarding leads see how many ideas were possible disclosures (issue 10); others
    find them inside "not shared"."""
    return user.has_role(Role.SAFEGUARDING_LEAD)


def reaction_labels() -> dict[str, str]:
    return {"agree": _("Agree"), "unsure": _("Not sure"), "disagree": _("Disagree"),
            "confused": _("Don\u2019t understand")}


def status_labels() -> dict[str, str]:
    return {"waiting": _("Waiting for review"), "shared": _("Shared"),
            "not_shared": _("Not shared"), "withdrawn": _("Withdrawn")}


def position_labels() -> dict[str, str]:
    return {"agree": _("Agree"), "mixed": _("Mixed views"), "disagree": _("Disagree"),
            "not_understood": _("Did not understand")}


def group_label(group: str | None) -> str:
    """A language by its own name, an age band in years, or "All children"."""
    if group is None:
        return str(_("All children"))
    if group == queries.NOT_GIVEN:
        return str(_("Age not given"))
    if group in {band.value for band in AgeBand}:
        return str(_("%(band)s years", band=group))
    return NATIVE_NAMES.get(group, group)


def period_error(code: str) -> str:
    messages = {
        "forbidden": _("You cannot do that."),
        "bad_name": _("Give the period a name (up to 120 characters)."),
        "bad_dates": _("The last day must not be before the first day."),
        "no_plan": _("Choose a plan."),
        "already_closed": _("This period is already closed."),
    }
    return str(messages.get(code) or _("That could not be done."))


@dataclass(frozen=True)
class PartBlock:
    """One part's tables on the summary page."""

    part: queries.PartRef | None
    reactions: list[queries.ReactionRow]
    ideas: list[queries.IdeaRow]


def plan_titles() -> list[tuple[int, str]]:
    """Every plan (current first), titled in the viewer's language when it has one."""
    locale = str(get_locale() or "")
    plans = list(db.session.execute(
        select(Plan.id, Plan.slug, Plan.version, Plan.default_locale)
        .order_by(Plan.shown.desc(), Plan.updated_at.desc(), Plan.id.desc())
    ))
    titles: dict[int, dict[str, str]] = {}
    for plan_id, text_locale, title in db.session.execute(
            select(PlanTranslation.plan_id, PlanTranslation.locale, PlanTranslation.title)):
        titles.setdefault(plan_id, {})[text_locale] = title
    slug = current_app.config.get("PLAN_SLUG")
    plans.sort(key=lambda row: 0 if slug and row.slug == slug else 1)
    choices = []
    for plan_id, plan_slug, version, default in plans:
        named = titles.get(plan_id, {})
        title = named.get(locale) or named.get(default) or plan_slug
        choices.append((plan_id, str(_("%(title)s (version %(version)s)", title=title,
                                       version=version))))
    return choices


def _period_for(plan_id: int, public_id: str | None) -> ConsultationPeriod | None:
    if not public_id:
        return None
    period = period_by_public_id(public_id)
    return period if period is not None and period.plan_id == plan_id else None


def _part_blocks(reactions: queries.ReactionSummary,
                 ideas: queries.IdeaSummary) -> list[PartBlock]:
    """The summary's rows grouped by part (aggregated rows, a few dozen), whole plan first."""
    def key(part: queries.PartRef | None) -> tuple[bool, int | None]:
        return (part is None, part.section_id if part else None)

    blocks: dict[tuple[bool, int | None], PartBlock] = {}
    order: list[tuple[bool, int | None]] = [(True, None)]
    for row in reactions.rows:
        if key(row.part) not in blocks:
            blocks[key(row.part)] = PartBlock(row.part, [], [])
            if row.part is not None:
                order.append(key(row.part))
        blocks[key(row.part)].reactions.append(row)
    for idea in ideas.rows:
        k = key(idea.part)
        if k not in blocks:
            blocks[k] = PartBlock(idea.part, [], [])
            order.append(k)
        blocks[k].ideas.append(idea)
    return [blocks[k] for k in order if k in blocks]


@bp.get("")
@staff_required(*READERS)
def summary() -> str:
    """What children said about each part, by language or age band, at a glance."""
    choices = plan_titles()
    form = SummaryFilterForm(request.args)
    form.plan.choices = [SelectChoice(plan_id, label) for plan_id, label in choices]
    if not choices:
        return render_template("reports/summary.html", form=form, empty=True)
    plan_ids = [plan_id for plan_id, _label in choices]
    plan_id = request.args.get("plan", type=int)
    plan_id = plan_id if plan_id in plan_ids else plan_ids[0]
    form.plan.data = plan_id
    periods = list_periods(plan_id)
    form.period.choices = [SelectChoice("", _("All time")), *(
        SelectChoice(p.public_id, _("%(name)s (closed)", name=p.name) if p.is_closed else p.name)
        for p in periods)]
    period = _period_for(plan_id, request.args.get("period"))
    form.period.data = period.public_id if period else ""
    by: queries.Dimension = "age_band" if request.args.get("by") == "age_band" else "locale"
    form.by.data = by
    revisions = dict(db.session.execute(select(PlanRevision.number, PlanRevision.id).where(
        PlanRevision.plan_id == plan_id).order_by(PlanRevision.number.desc())).all())
    form.revision.choices = [SelectChoice("", _("Every revision")), *(
        SelectChoice(str(number), _("Revision %(number)s", number=number))
        for number in revisions)]
    number = request.args.get("revision", type=int)
    revision_id = revisions.get(number) if number is not None else None
    form.revision.data = str(number) if revision_id is not None else ""

    reactions = queries.reaction_summary(plan_id, by=by, period=period, revision_id=revision_id)
    ideas = queries.idea_summary(plan_id, by=by, period=period, revision_id=revision_id,
                                 missing_title=_("Something missing"))
    return render_template(
        "reports/summary.html", form=form, empty=False, plan_id=plan_id, period=period, by=by,
        reactions=reactions, threshold=reactions.threshold, frozen=reactions.frozen,
        blocks=_part_blocks(reactions, ideas), groups=reactions.groups,
        positions=queries.committee_positions(plan_id, period),
        coverage=queries.committee_coverage(plan_id, period),
        weekly=queries.weekly_participation(plan_id, period),
        sees_urgent=sees_urgent_figures(current_user),
        reaction_labels=reaction_labels(), status_labels=status_labels(),
        position_labels=position_labels(), group_label=group_label,
        kinds=queries.REACTION_KINDS, statuses=queries.IDEA_STATUSES,
        positions_order=queries.POSITIONS, target_ease=TARGET_READING_EASE,
    )


def _periods_page(form: PeriodForm, status: int = 200) -> tuple[str, int]:
    periods = list_periods()
    plans = dict(plan_titles())
    return render_template("reports/periods.html", form=form, periods=periods, plans=plans,
                           close_form=ClosePeriodForm()), status


def _period_form() -> PeriodForm:
    form = PeriodForm()
    form.plan.choices = [SelectChoice(plan_id, label) for plan_id, label in plan_titles()]
    return form


@bp.get("/periods")
@staff_required(*READERS)
def periods() -> tuple[str, int]:
    """Consultation periods: open one, close one (its figures are then frozen)."""
    return _periods_page(_period_form())


@bp.post("/periods")
@staff_required(*READERS)
def create() -> Response | tuple[str, int]:
    """Open a consultation period on a plan."""
    form = _period_form()
    if not form.validate():
        return _periods_page(form, 422)
    try:
        period = create_period(form.plan.data, form.name.data or "", form.starts_on.data,
                               form.ends_on.data, current_user)
    except PeriodError as error:
        form.name.errors = [*form.name.errors, period_error(error.code)]
        return _periods_page(form, 422)
    db.session.commit()
    flash(_("Period \u201c%(name)s\u201d opened.", name=period.name), "reports")
    return redirect(url_for("reports.periods"))


@bp.post("/periods/<public_id>/close")
@staff_required(*READERS)
def close(public_id: str) -> Response:
    """Close a period: its protected figures are frozen for every later page and export."""
    form = ClosePeriodForm()
    period = period_by_public_id(public_id)
    if period is None:
        abort(404)
    if not form.validate():
        abort(400)
    try:
        close_period(period, current_user)
    except PeriodError as error:
        db.session.rollback()
        flash(period_error(error.code), "reports-error")
        return redirect(url_for("reports.periods"))
    db.session.commit()
    flash(_("Period \u201c%(name)s\u201d closed: its figures are frozen.", name=period.name),
          "reports")
    return redirect(url_for("reports.periods"))


@bp.get("/settings")
@staff_required(Role.ADMIN)
def settings() -> str:
    """The suppression threshold every summary, chart and export uses."""
    form = ThresholdForm(data={"threshold": current_threshold()})
    return render_template("reports/settings.html", form=form)


@bp.post("/settings")
@staff_required(Role.ADMIN)
def change_settings() -> Response | tuple[str, int]:
    """Change the threshold (5 to 20); audited with the old and new value."""
    form = ThresholdForm()
    if not form.validate():
        return render_template("reports/settings.html", form=form), 422
    try:
        changed = change_threshold(int(form.threshold.data), current_user)
    except SettingsError:
        form.threshold.errors = [*form.threshold.errors, _("Choose a number from 5 to 20.")]
        return render_template("reports/settings.html", form=form), 422
    db.session.commit()
    if changed:
        flash(_("From now on, counts below %(n)s are shown as \u201cfewer than %(n)s\u201d.",
                n=form.threshold.data), "reports")
    return redirect(url_for("reports.settings"))


def figure_text(figure: Protected) -> str:
    """A protected count in words: 0, a rounded number, or "fewer than 10"."""
    if figure.below:
        return str(_("fewer than %(n)s", n=figure.threshold))
    return str(figure.value)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.jinja_env.globals.setdefault("report_figure_text", figure_text)

