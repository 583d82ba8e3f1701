"""The summary's charts as SVG images (organisers and admins, like the summary), and the slot
the summary page includes for each: the image, its text alternative and a sentence saying
what it shows (the data table follows it on the summary page)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Flask, abort, g, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from participation.accounts.models import Role
from participation.auth import staff_required
from participation.db import db
from participation.plans.models import Plan, Section
from participation.reports import queries
from participation.reports.charts import (
    Bar,
    ChartText,
    Panel,
    leaders,
    render_reaction_chart,
)
from participation.reports.models import ConsultationPeriod
from participation.reports.periods import period_by_public_id
from participation.reports.views import group_label, reaction_labels

bp = Blueprint("report_charts", __name__, url_prefix="/staff/reports/charts")
READERS = (Role.ORGANISER, Role.ADMIN)  # the summary's readers
KINDS = ("reactions",)
CACHE_SECONDS = 300


def chart_text(part: bool = False) -> ChartText:
    """The chart's words in the viewer's language (the summary's names for reactions)."""
    return ChartText(
        title=_("How children reacted to this part") if part else
        _("How children reacted to each part"), kinds=reaction_labels(),
        too_few=_("Too few children to show"),
        percent=lambda value: _("%(percent)s%%", percent=value),
        axis=_("Share of the children who reacted"))


def _part_label(part: queries.PartRef | None) -> str:
    if part is None:
        return str(_("The whole plan"))
    if part.number is None:
        return str(part.title)
    return str(_("%(number)s. %(title)s", number=part.number, title=part.title))


def _bar(row: queries.ReactionRow, threshold: int) -> Bar:
    return Bar(_part_label(row.part), row.shares(threshold))


def reaction_panels(summary: queries.ReactionSummary, part: int | None = None) -> list[Panel]:
    """With ``part``: one bar per group for that part (all children first, then every language
    or age band, empty ones too). Without: one bar per part and the whole plan, all children
    (each part's own chart shows its groups: one short chart reads better than ten panels)."""
    threshold = summary.threshold
    if part is not None:
        return [Panel(None, [Bar(group_label(row.group), row.shares(threshold))
                             for row in summary.for_part(part)])]
    return [Panel(None, [_bar(row, threshold) for row in summary.rows if row.group is None])]


def describe(panels: list[Panel], text: ChartText) -> str:
    """The chart in words, for the text under it: the leading reaction on each part, and the
    parts with too few children to show."""
    sentences = []
    for panel in panels:
        leading, hidden = leaders(panel)
        for kind, parts in leading.items():
            if panel.title:
                sentences.append(_("%(group)s: the largest share chose \u201c%(reaction)s\u201d "
                                   "on %(parts)s.", group=panel.title,
                                   reaction=text.kinds[kind], parts=", ".join(parts)))
            else:
                sentences.append(_("The largest share chose \u201c%(reaction)s\u201d on "
                                   "%(parts)s.", reaction=text.kinds[kind],
                                   parts=", ".join(parts)))
        if hidden and len(hidden) == len(panel.bars):
            sentences.append(_("Too few children reacted to show any share yet."))
        elif hidden:
            if panel.title:
                sentences.append(_("%(group)s: too few children to show %(parts)s.",
                                   group=panel.title, parts=", ".join(hidden)))
            else:
                sentences.append(_("Too few children to show %(parts)s.",
                                   parts=", ".join(hidden)))
    return " ".join(sentences)


def _by(value: Any) -> queries.Dimension | None:
    return value if value in queries.DIMENSIONS else None


def _period(plan_id: int, value: Any) -> ConsultationPeriod | None:
    if isinstance(value, ConsultationPeriod):
        return value if value.plan_id == plan_id else None
    if not value:
        return None
    period = period_by_public_id(str(value))
    return period if period is not None and period.plan_id == plan_id else None


def _summary(plan_id: int, by: queries.Dimension | None,
             period: ConsultationPeriod | None) -> queries.ReactionSummary:
    """The reaction summary, read once per request however many charts the page shows."""
    key = (plan_id, by, period.id if period else None, str(get_locale()))
    cache: dict[tuple[Any, ...], queries.ReactionSummary] = g.setdefault("_report_charts", {})
    if key not in cache:
        cache[key] = queries.reaction_summary(plan_id, by=by, period=period, locale=key[3])
    return cache[key]


@dataclass(frozen=True)
class ChartSlot:
    """What the summary page shows for one chart."""

    url: str
    alt: str
    description: str


def _part(plan_id: int, value: Any) -> int | None:
    """A part of this plan by its id (None: the whole plan)."""
    if value in (None, ""):
        return None
    try:
        section_id = int(value)
    except (TypeError, ValueError):
        abort(404)
    found = db.session.scalar(select(Section.id).where(Section.id == section_id,
                                                       Section.plan_id == plan_id))
    if found is None:
        abort(404)
    return section_id


def report_chart(kind: str, args: Mapping[str, Any] | None) -> ChartSlot | None:
    """The image, its alternative and its sentence for the summary page (template global).
    ``args``: plan (id), by, period (a period or its public id), part (a section id; None for
    the whole plan), and optionally the page's ``summary`` to describe without querying again.
    Only children's reactions are charted: other kinds give None (their tables suffice)."""
    args = args or {}
    plan_id = args.get("plan", args.get("plan_id"))
    if kind not in KINDS or not isinstance(plan_id, int):
        return None
    by = _by(args.get("by"))
    period = _period(plan_id, args.get("period"))
    part = args.get("part") if isinstance(args.get("part"), int) else None
    summary = args.get("summary")
    if not isinstance(summary, queries.ReactionSummary) or summary.by != by:
        summary = _summary(plan_id, by, period)
    if part is not None:
        alt = (_("Chart: how children reacted to this part, in percent, by language")
               if by == "locale" else
               _("Chart: how children reacted to this part, in percent, by age band"))
    else:
        alt = _("Chart: how children reacted to each part, in percent")
    url = url_for("report_charts.reactions", plan=plan_id, by=by or None, part=part,
                  period=period.public_id if period else None)
    return ChartSlot(url, alt, describe(reaction_panels(summary, part),
                                        chart_text(part is not None)))


@bp.get("/reactions.svg")
@staff_required(*READERS)
def reactions() -> Response:
    """Children's reactions as 100% bars: every part (small multiples with ``by``), or one
    part by group."""
    plan_id = request.args.get("plan", type=int)
    if plan_id is None or db.session.get(Plan, plan_id) is None:
        abort(404)
    raw_by = request.args.get("by")
    by = _by(raw_by)
    if raw_by and by is None:
        abort(400)
    period = _period(plan_id, request.args.get("period"))
    if request.args.get("period") and period is None:
        abort(404)
    part = _part(plan_id, request.args.get("part"))
    summary = _summary(plan_id, by, period)
    svg = render_reaction_chart(reaction_panels(summary, part), chart_text(part is not None))
    response = Response(svg, mimetype="image/svg+xml")
    response.headers["Cache-Control"] = f"private, max-age={CACHE_SECONDS}"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Language"] = str(get_locale())
    response.headers["Vary"] = "Cookie, Accept-Language"
    response.set_etag(hashlib.sha256(svg).hexdigest())
    return response.make_conditional(request)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.add_template_global(report_chart, "report_chart")
