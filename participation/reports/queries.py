"""The figures behind every organisers' summary, chart and export, aggregated in SQL.

Every count here is RAW (a :class:`Cell`) and never leaves the server as it is: pages, charts
and exports publish it through reports/privacy.py with the summary's ``threshold``
(``cell.protected(summary.threshold)``, ``row.shares(summary.threshold)``). For a CLOSED
consultation period nothing is queried: the figures come from its snapshot, already protected
with the threshold of the moment it closed, so filters cannot narrow a small cell later.

Only children's own reactions and ideas (``source = child``) are counted as children; the
committees' positions are reported apart. A child reacts at most once per part (a unique
constraint), so a part's groups (languages, age bands) add up to the part exactly.
"""

from __future__ import annotations

import threading
import time as _time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from flask import current_app
from flask_babel import get_locale
from sqlalchemy import (
    ColumnElement,
    Date,
    String,
    and_,
    case,
    func,
    literal,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from participation.committees.models import (
    CommitteeSession,
    GroupPosition,
    SessionPart,
    SessionStatus,
)
from participation.db import db
from participation.feedback.models import (
    AgeBand,
    Reaction,
    ReactionKind,
    Submission,
    SubmissionSource,
    SubmissionStatus,
)
from participation.plans.models import Plan, Section, SectionText
from participation.reports.privacy import Protected, protect, shares
from participation.reports.settings import current_threshold
from participation.screening.services import LEAD_LANES as SCREENING_LEAD_LANES

if TYPE_CHECKING:
    from participation.reports.models import ConsultationPeriod

Dimension = Literal["locale", "age_band"]
DIMENSIONS: tuple[Dimension, ...] = ("locale", "age_band")
NOT_GIVEN = "not_given"  # the age band of a child who preferred not to say
REACTION_KINDS: tuple[str, ...] = tuple(kind.value for kind in ReactionKind)
IDEA_STATUSES: tuple[str, ...] = ("waiting", "shared", "not_shared", "withdrawn")
POSITIONS: tuple[str, ...] = tuple(position.value for position in GroupPosition)
# Signals (issue 10): "hard to understand" and "clear majority", in percent.
CONFUSED_SIGNAL, UNSURE_OR_CONFUSED_SIGNAL, MAJORITY_SIGNAL = 20.0, 30.0, 60.0
# The review lanes of safeguarding leads: what is there is never shared meanwhile.
LEAD_LANES = tuple(int(lane) for lane in SCREENING_LEAD_LANES)
# Sessions whose positions count: sent by the facilitator (not drafts, not withdrawn).
SENT_SESSIONS = (SessionStatus.SUBMITTED, SessionStatus.IN_REVIEW, SessionStatus.ACCEPTED,
                 SessionStatus.ANSWERED, SessionStatus.CLOSED)


# --- Cells: a raw count, or a closed period's protected figure ------------------------------

@dataclass(frozen=True)
class Cell:
    """One figure. ``raw`` is the live count (never published as it is); a closed period's
    cell has no raw count, only ``stored``: the figure protected when the period closed."""

    raw: int | None
    stored: Protected | None = None

    def protected(self, threshold: int) -> Protected:
        """The figure as it may be shown or exported."""
        if self.stored is not None:
            return self.stored
        assert self.raw is not None
        return protect(self.raw, threshold)

    def frozen_dict(self, threshold: int) -> dict[str, Any]:
        figure = self.protected(threshold)
        return {"value": figure.value, "below": figure.below}

    @classmethod
    def thawed(cls, data: Mapping[str, Any], threshold: int) -> Cell:
        return cls(None, Protected(data["value"], bool(data["below"]), threshold))


def _cell(raw: int | None) -> Cell:
    return Cell(int(raw or 0))


@dataclass(frozen=True)
class PartRef:
    """A part of the plan as a summary names it; ``section_id`` None is "something missing"."""

    section_id: int | None
    number: int | None
    title: str
    reading_ease: Mapping[str, float] = field(default_factory=dict)  # per language

    @property
    def is_missing(self) -> bool:
        return self.section_id is None


# --- Reactions ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Signals:
    """What a row's shares say, computed on raw counts; None for each when its shares cannot be
    published (then the page says there are not enough answers to tell)."""

    hard_to_understand: bool | None
    clear_majority: str | None  # the reaction that reached 60%, "" when none did
    shown: bool


@dataclass(frozen=True)
class ReactionRow:
    """Reactions to one part (``part`` None: the whole plan) in one group (None: all)."""

    part: PartRef | None
    group: str | None
    children: Cell  # distinct children who reacted
    counts: dict[str, Cell]  # reaction kind -> reactions
    stored_shares: dict[str, float | None] | None = None
    stored_signals: Signals | None = None

    def shares(self, threshold: int) -> dict[str, float | None]:
        """Percentage of each reaction, or None where it could reveal a small group."""
        if self.stored_shares is not None:
            return self.stored_shares
        return shares({kind: self.counts[kind].raw or 0 for kind in REACTION_KINDS}, threshold)

    def signals(self, threshold: int) -> Signals:
        """Hard to understand / clear majority, only when every share can be published."""
        if self.stored_signals is not None:
            return self.stored_signals
        published = self.shares(threshold)
        if any(value is None for value in published.values()):
            return Signals(None, None, False)
        raw = {kind: self.counts[kind].raw or 0 for kind in REACTION_KINDS}
        total = sum(raw.values())
        if total == 0:
            return Signals(None, None, False)
        confused = 100 * raw["confused"] / total
        unsure_or_confused = 100 * (raw["unsure"] + raw["confused"]) / total
        hard = confused >= CONFUSED_SIGNAL or unsure_or_confused >= UNSURE_OR_CONFUSED_SIGNAL
        majority = next((kind for kind in REACTION_KINDS
                         if 100 * raw[kind] / total >= MAJORITY_SIGNAL), "")
        return Signals(hard, majority, True)

    def reading_ease(self) -> float | None:
        """The part's measured reading ease in this row's language (None for other rows)."""
        if self.part is None or self.group is None:
            return None
        return self.part.reading_ease.get(self.group)


@dataclass(frozen=True)
class ReactionSummary:
    plan_id: int
    by: Dimension | None
    groups: tuple[str, ...]  # every language or age band, empty ones too
    rows: list[ReactionRow]
    threshold: int
    frozen: bool = False

    def for_part(self, section_id: int | None) -> list[ReactionRow]:
        """The rows of one part (None: the whole plan), the all-groups row first."""
        return [row for row in self.rows
                if (row.part.section_id if row.part else None) == section_id
                and (row.part is not None) == (section_id is not None)]


# --- Ideas -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class IdeaRow:
    """Children's ideas on one part (None: the whole plan; a PartRef without a section:
    "something missing") in one group, by status. ``urgent`` (possible disclosures and items
    with a safeguarding lead, counted inside ``not_shared``) is for safeguarding leads only."""

    part: PartRef | None
    group: str | None
    statuses: dict[str, Cell]  # waiting, shared, not_shared, withdrawn
    total: Cell
    urgent: Cell


@dataclass(frozen=True)
class IdeaSummary:
    plan_id: int
    by: Dimension | None
    groups: tuple[str, ...]
    rows: list[IdeaRow]
    threshold: int
    frozen: bool = False


# --- Committees, participation over time, coverage ---------------------------------------------

@dataclass(frozen=True)
class PositionRow:
    """The committees' positions on one part: sessions that discussed it, the children present
    at them, and how many sessions took each position. Never added to children's counts."""

    part: PartRef
    sessions: Cell
    children: Cell
    positions: dict[str, Cell]


@dataclass(frozen=True)
class CommitteePositions:
    plan_id: int
    rows: list[PositionRow]
    threshold: int
    frozen: bool = False


@dataclass(frozen=True)
class WeekRow:
    """One ISO week (by its Monday): distinct children who reacted or wrote, and how much."""

    week: date
    children: Cell
    reactions: Cell
    ideas: Cell

    @property
    def label(self) -> str:
        year, number, _ = self.week.isocalendar()
        return f"{year}-W{number:02d}"


@dataclass(frozen=True)
class WeeklyParticipation:
    plan_id: int
    rows: list[WeekRow]
    threshold: int
    frozen: bool = False


@dataclass(frozen=True)
class CoverageRow:
    part: PartRef
    committees: Cell  # distinct committees that discussed the part
    sessions: Cell


@dataclass(frozen=True)
class CommitteeCoverage:
    """Which parts of the plan the committees discussed: parts are counted plainly (they are
    the plan, not people); committees and sessions are figures like any other."""

    plan_id: int
    rows: list[CoverageRow]
    threshold: int
    frozen: bool = False

    @property
    def parts_covered(self) -> int:
        """Parts at least one sent session discussed (a hidden figure is not zero)."""
        return sum(1 for row in self.rows
                   if (row.sessions.raw or 0) > 0
                   or (row.sessions.stored is not None and row.sessions.stored.value != 0))

    @property
    def parts_total(self) -> int:
        return len(self.rows)


# --- Large consultations: slow summaries kept for a while --------------------------------------

Summary = TypeVar("Summary", ReactionSummary, IdeaSummary, WeeklyParticipation)
# A summary that took longer than this to count (a consultation of many thousand children) is
# kept per worker for REPORT_CACHE_SECONDS (60 by default), or until a reaction or an idea is
# added; small ones are always counted afresh.
SLOW_SUMMARY_SECONDS = 0.05
DEFAULT_CACHE_SECONDS = 60.0


class SummaryCache:
    """Raw summaries per worker, keyed by what they count and the newest reaction and idea."""

    def __init__(self) -> None:
        self._entries: dict[tuple[Any, ...], tuple[float, tuple[int, int], Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...], revision: tuple[int, int], ttl: float) -> Any | None:
        entry = self._entries.get(key)
        if entry is None or entry[1] != revision or _time.monotonic() - entry[0] >= ttl:
            return None
        return entry[2]

    def put(self, key: tuple[Any, ...], revision: tuple[int, int], value: Any) -> None:
        with self._lock:
            self._entries[key] = (_time.monotonic(), revision, value)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def _summary_cache() -> SummaryCache:
    cache: SummaryCache = current_app.extensions.setdefault("report_summaries", SummaryCache())
    return cache


def _revision() -> tuple[int, int]:
    """The newest reaction and idea (two index lookups): new activity shows at once."""
    return (int(db.session.scalar(select(func.max(Reaction.id))) or 0),
            int(db.session.scalar(select(func.max(Submission.id))) or 0))


def _titles(parts: list[PartRef]) -> tuple[tuple[int | None, str], ...]:
    return tuple((part.section_id, part.title) for part in parts)


def _cached(key: tuple[Any, ...], threshold: int, compute: Callable[[], Summary]) -> Summary:
    """``compute()``, or its recent result when it was slow; raw figures do not depend on the
    threshold, so a kept summary is handed out with the threshold asked for."""
    ttl = float(current_app.config.get("REPORT_CACHE_SECONDS", DEFAULT_CACHE_SECONDS))
    cache, revision = _summary_cache(), _revision()
    kept = cache.get(key, revision, ttl) if ttl > 0 else None
    if kept is not None:
        return replace(kept, threshold=threshold)  # type: ignore[no-any-return]
    started = _time.perf_counter()
    summary = compute()
    if ttl > 0 and _time.perf_counter() - started >= SLOW_SUMMARY_SECONDS:
        cache.put(key, revision, summary)
    return summary


# --- SQL helpers -------------------------------------------------------------------------------

class week_start(FunctionElement[date]):
    """The Monday of a timestamp's ISO week, computed by the database."""

    type = Date()
    inherit_cache = True


@compiles(week_start, "postgresql")
def _week_start_pg(element: week_start, compiler: Any, **kw: Any) -> str:
    return f"CAST(date_trunc('week', {compiler.process(element.clauses, **kw)}) AS DATE)"


@compiles(week_start)
def _week_start_default(element: week_start, compiler: Any, **kw: Any) -> str:
    # SQLite: the next Sunday (or the day itself), then back six days.
    return f"date({compiler.process(element.clauses, **kw)}, 'weekday 0', '-6 days')"


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _period_bounds(period: ConsultationPeriod | None) -> tuple[datetime, datetime] | None:
    """A period's first instant and the instant after its last day (UTC)."""
    if period is None:
        return None
    start = datetime.combine(period.starts_on, time.min, tzinfo=UTC)
    end = datetime.combine(period.ends_on + timedelta(days=1), time.min, tzinfo=UTC)
    return start, end


def _within(column: Any, period: ConsultationPeriod | None) -> list[ColumnElement[bool]]:
    bounds = _period_bounds(period)
    if bounds is None:
        return []
    return [column >= bounds[0], column < bounds[1]]


def groups_of(by: Dimension | None) -> tuple[str, ...]:
    """Every group of a dimension, listed even when empty."""
    if by == "locale":
        return tuple(current_app.config["LANGUAGES"])
    if by == "age_band":
        return (*(band.value for band in AgeBand), NOT_GIVEN)
    return ()


def _group_column(model: Any, by: Dimension | None) -> ColumnElement[Any]:
    if by == "locale":
        return model.locale  # type: ignore[no-any-return]
    if by == "age_band":
        return func.coalesce(type_coerce(model.age_band, String), NOT_GIVEN, type_=String)
    return literal(None)


def _viewer_locale(plan_id: int, locale: str | None) -> tuple[str, str]:
    default = db.session.scalar(select(Plan.default_locale).where(Plan.id == plan_id)) or "en"
    if locale is None:
        try:
            locale = str(get_locale() or default)
        except RuntimeError:  # outside a request
            locale = default
    return locale, default


def plan_parts(plan_id: int, locale: str | None = None) -> list[PartRef]:
    """The plan's parts in reading order, titled in the viewer's language (else the plan's),
    with each language's measured reading ease."""
    wanted, default = _viewer_locale(plan_id, locale)
    rows = db.session.execute(
        select(Section.id, Section.position, SectionText.locale, SectionText.title,
               SectionText.reading_ease)
        .join(SectionText, SectionText.section_id == Section.id)
        .where(Section.plan_id == plan_id, Section.retired_at.is_(None))
        .order_by(Section.position, Section.id)
    ).all()
    titles: dict[int, dict[str, str]] = {}
    ease: dict[int, dict[str, float]] = {}
    for section_id, _position, text_locale, title, reading_ease in rows:
        titles.setdefault(section_id, {})[text_locale] = title
        ease.setdefault(section_id, {})[text_locale] = float(reading_ease)
    parts = []
    for number, (section_id, by_locale) in enumerate(titles.items(), start=1):
        title = by_locale.get(wanted) or by_locale.get(default) or next(iter(by_locale.values()))
        parts.append(PartRef(section_id, number, title, ease[section_id]))
    return parts


def missing_part(title: str = "") -> PartRef:
    """The "something missing?" ideas, not tied to a part."""
    return PartRef(None, None, title)


def _closed(period: ConsultationPeriod | None) -> bool:
    return period is not None and period.is_closed and period.snapshot is not None


# --- Reactions ---------------------------------------------------------------------------------

def reaction_summary(plan_id: int, *, by: Dimension | None,
                     period: ConsultationPeriod | None = None,
                     locale: str | None = None, threshold: int | None = None,
                     revision_id: int | None = None) -> ReactionSummary:
    """Children who reacted to each part, and their reactions, per group of ``by``: one row per
    part and group (all groups listed), each part's all-groups row first, the whole plan last.
    With ``revision_id``, only the reactions of children reading that revision of the plan."""
    parts = plan_parts(plan_id, locale)
    if _closed(period):
        assert period is not None
        return _thaw_reactions(period, by, parts)
    wanted = threshold if threshold is not None else current_threshold()
    return _cached(("reactions", plan_id, by, period.id if period else None, _titles(parts),
                    revision_id),
                   wanted, lambda: _live_reactions(plan_id, by, period, parts, wanted,
                                                   revision_id))


def _live_reactions(plan_id: int, by: Dimension | None, period: ConsultationPeriod | None,
                    parts: list[PartRef], threshold: int,
                    revision_id: int | None = None) -> ReactionSummary:
    groups = groups_of(by)
    group = _group_column(Reaction, by).label("grp")
    in_plan = [Reaction.section_id.in_(select(Section.id).where(Section.plan_id == plan_id)),
               *_within(Reaction.created_at, period)]
    if revision_id is not None:
        in_plan.append(Reaction.revision_id == revision_id)
    kind_counts = [_count_if(Reaction.kind == kind).label(kind) for kind in REACTION_KINDS]
    # A child reacts once per part (unique section and token), so on one part the rows are
    # the distinct children: COUNT(*) is COUNT(DISTINCT child_token_hash), without a sort.
    per_part = db.session.execute(
        select(Reaction.section_id, group, func.count(), *kind_counts)
        .where(*in_plan)
        .group_by(Reaction.section_id, group)
    ).all()
    # The whole plan: a child who reacted to several parts is one child (per group, and in all).
    distinct_children = (select(group, Reaction.child_token_hash).where(*in_plan)
                         .distinct().subquery())
    whole_children_by_group: dict[str | None, int] = {
        grp: int(children) for grp, children in db.session.execute(
            select(distinct_children.c.grp, func.count()).group_by(distinct_children.c.grp))}
    whole_children = db.session.scalar(
        select(func.count()).select_from(
            select(Reaction.child_token_hash).where(*in_plan).distinct().subquery())
    ) if by is not None else whole_children_by_group.get(None, 0)

    found: dict[tuple[int | None, str | None], tuple[int, dict[str, int]]] = {}
    for section_id, grp, children, *counts in per_part:
        found[(section_id, grp)] = (children, dict(zip(REACTION_KINDS, counts, strict=True)))
    rows: list[ReactionRow] = []
    for part in parts:
        part_groups = [found.get((part.section_id, grp), (0, {})) for grp in groups]
        if by is None:
            all_children, all_counts = found.get((part.section_id, None), (0, {}))
        else:  # a child reacts once per part: a part's groups add up to it exactly
            all_children = sum(children for children, _ in part_groups)
            all_counts = {kind: sum(counts.get(kind, 0) for _, counts in part_groups)
                          for kind in REACTION_KINDS}
        rows.append(_reaction_row(part, None, all_children, all_counts))
        rows.extend(_reaction_row(part, grp, children, counts)
                    for grp, (children, counts) in zip(groups, part_groups, strict=True))
    # Reactions of the whole plan: the parts' aggregated rows added up (a few dozen rows).
    plan_counts: dict[str | None, dict[str, int]] = {}
    for (_section, found_group), (_children, by_kind) in found.items():
        for key in {None, found_group}:
            into = plan_counts.setdefault(key, dict.fromkeys(REACTION_KINDS, 0))
            for kind in REACTION_KINDS:
                into[kind] += by_kind[kind]
    rows.append(_reaction_row(None, None, int(whole_children or 0), plan_counts.get(None, {})))
    rows.extend(_reaction_row(None, grp, int(whole_children_by_group.get(grp, 0)),
                              plan_counts.get(grp, {})) for grp in groups)
    return ReactionSummary(plan_id, by, groups, rows, threshold)


def _reaction_row(part: PartRef | None, group: str | None, children: int,
                  counts: Mapping[str, int]) -> ReactionRow:
    return ReactionRow(part, group, _cell(children),
                       {kind: _cell(counts.get(kind, 0)) for kind in REACTION_KINDS})


# --- Ideas -------------------------------------------------------------------------------------

def _idea_status_columns() -> list[ColumnElement[int]]:
    """Waiting, shared, not shared, withdrawn and urgent, as CASE sums (one scan)."""
    status, priority = Submission.status, Submission.priority
    with_lead = and_(status == SubmissionStatus.PENDING, priority.in_(LEAD_LANES))
    return [
        _count_if(and_(status == SubmissionStatus.PENDING, priority.not_in(LEAD_LANES)))
        .label("waiting"),
        _count_if(status == SubmissionStatus.APPROVED).label("shared"),
        # Possible disclosures are never shared: counted here whether a lead has decided yet.
        _count_if(status.in_((SubmissionStatus.REJECTED, SubmissionStatus.SAFEGUARDED))
                  | with_lead).label("not_shared"),
        _count_if(status == SubmissionStatus.WITHDRAWN).label("withdrawn"),
        _count_if(with_lead | (status == SubmissionStatus.SAFEGUARDED)).label("urgent"),
    ]


def idea_summary(plan_id: int, *, by: Dimension | None,
                 period: ConsultationPeriod | None = None, locale: str | None = None,
                 threshold: int | None = None, missing_title: str = "",
                 revision_id: int | None = None) -> IdeaSummary:
    """Children's ideas on each part (and "something missing") by status, per group of ``by``;
    each part's all-groups row first, the whole plan last. Committee statements not included."""
    parts = [*plan_parts(plan_id, locale), missing_part(missing_title)]
    if _closed(period):
        assert period is not None
        return _thaw_ideas(period, by, parts)
    wanted = threshold if threshold is not None else current_threshold()
    return _cached(("ideas", plan_id, by, period.id if period else None, _titles(parts),
                    revision_id),
                   wanted, lambda: _live_ideas(plan_id, by, period, parts, wanted, revision_id))


def _live_ideas(plan_id: int, by: Dimension | None, period: ConsultationPeriod | None,
                parts: list[PartRef], threshold: int,
                revision_id: int | None = None) -> IdeaSummary:
    groups = groups_of(by)
    group = _group_column(Submission, by).label("grp")
    of_revision = [] if revision_id is None else [Submission.revision_id == revision_id]
    found_rows = db.session.execute(
        select(Submission.section_id, group, *_idea_status_columns())
        .where(Submission.plan_id == plan_id, Submission.source == SubmissionSource.CHILD,
               *_within(Submission.created_at, period), *of_revision)
        .group_by(Submission.section_id, group)
    ).all()
    found = {(section_id, grp): dict(zip((*IDEA_STATUSES, "urgent"), counts, strict=True))
             for section_id, grp, *counts in found_rows}
    rows: list[IdeaRow] = []
    for part in parts:
        if by is None:
            rows.append(_idea_row(part, None, found.get((part.section_id, None), {})))
            continue
        per_group = {grp: found.get((part.section_id, grp), {}) for grp in groups}
        rows.append(_idea_row(part, None, _added(per_group.values())))
        rows.extend(_idea_row(part, grp, counts) for grp, counts in per_group.items())
    # The whole plan, ideas on parts retired since included (they were sent about this plan).
    plan_groups = {grp: _added(counts for (_, found_group), counts in found.items()
                               if found_group == grp) for grp in groups}
    rows.append(_idea_row(None, None, _added(found.values())))
    rows.extend(_idea_row(None, grp, plan_groups.get(grp, {})) for grp in groups)
    return IdeaSummary(plan_id, by, groups, rows, threshold)


def _added(groups: Iterable[Mapping[str, int]]) -> dict[str, int]:
    """Figures of several groups added up (each idea is in exactly one group)."""
    total = dict.fromkeys((*IDEA_STATUSES, "urgent"), 0)
    for counts in groups:
        for key in total:
            total[key] += counts.get(key, 0)
    return total


def _idea_row(part: PartRef | None, group: str | None, counts: Mapping[str, int]) -> IdeaRow:
    statuses = {status: _cell(counts.get(status, 0)) for status in IDEA_STATUSES}
    return IdeaRow(part, group, statuses, _cell(sum(counts.get(s, 0) for s in IDEA_STATUSES)),
                   _cell(counts.get("urgent", 0)))


# --- Committees --------------------------------------------------------------------------------

def committee_positions(plan_id: int, period: ConsultationPeriod | None = None, *,
                        locale: str | None = None,
                        threshold: int | None = None) -> CommitteePositions:
    """Per part: sessions that discussed it, children present at them, sessions per position."""
    parts = plan_parts(plan_id, locale)
    if _closed(period):
        assert period is not None
        return _thaw_positions(period, parts)
    threshold = threshold if threshold is not None else current_threshold()
    bounds = _period_bounds(period)
    when = ([CommitteeSession.held_on >= bounds[0].date(),
             CommitteeSession.held_on < bounds[1].date()] if bounds else [])
    found: dict[int | None, tuple[int, ...]] = {
        row[0]: tuple(int(n or 0) for n in row[1:]) for row in db.session.execute(
        select(SessionPart.section_id, func.count(func.distinct(CommitteeSession.id)),
               func.coalesce(func.sum(CommitteeSession.children_present), 0),
               *[_count_if(SessionPart.group_position == position).label(position)
                 for position in POSITIONS])
        .join(CommitteeSession, CommitteeSession.id == SessionPart.session_id)
        .where(CommitteeSession.plan_id == plan_id, CommitteeSession.status.in_(SENT_SESSIONS),
               *when)
        .group_by(SessionPart.section_id)
    ).all()}
    rows = []
    for part in parts:
        sessions, children, *positions = found.get(part.section_id, (0, 0, *[0] * len(POSITIONS)))
        rows.append(PositionRow(part, _cell(sessions), _cell(children),
                                {p: _cell(n) for p, n in zip(POSITIONS, positions, strict=True)}))
    return CommitteePositions(plan_id, rows, threshold)


def committee_coverage(plan_id: int, period: ConsultationPeriod | None = None, *,
                       locale: str | None = None,
                       threshold: int | None = None) -> CommitteeCoverage:
    """How much of the plan the committees discussed: committees and sessions per part."""
    parts = plan_parts(plan_id, locale)
    if _closed(period):
        assert period is not None
        return _thaw_coverage(period, parts)
    threshold = threshold if threshold is not None else current_threshold()
    bounds = _period_bounds(period)
    when = ([CommitteeSession.held_on >= bounds[0].date(),
             CommitteeSession.held_on < bounds[1].date()] if bounds else [])
    found: dict[int | None, tuple[int, ...]] = {
        row[0]: tuple(row[1:]) for row in db.session.execute(
        select(SessionPart.section_id, func.count(func.distinct(CommitteeSession.committee_id)),
               func.count(func.distinct(CommitteeSession.id)))
        .join(CommitteeSession, CommitteeSession.id == SessionPart.session_id)
        .where(CommitteeSession.plan_id == plan_id, CommitteeSession.status.in_(SENT_SESSIONS),
               *when)
        .group_by(SessionPart.section_id)
    ).all()}
    rows = [CoverageRow(part, *(_cell(n) for n in found.get(part.section_id, (0, 0))))
            for part in parts]
    return CommitteeCoverage(plan_id, rows, threshold)


# --- Participation over time -------------------------------------------------------------------

def weekly_participation(plan_id: int, period: ConsultationPeriod | None = None, *,
                         threshold: int | None = None) -> WeeklyParticipation:
    """Distinct children who reacted or wrote in each ISO week, with reactions and ideas."""
    if _closed(period):
        assert period is not None
        return _thaw_weekly(period)
    wanted = threshold if threshold is not None else current_threshold()
    return _cached(("weekly", plan_id, None, period.id if period else None, ()),
                   wanted, lambda: _live_weekly(plan_id, period, wanted))


def _live_weekly(plan_id: int, period: ConsultationPeriod | None,
                 threshold: int) -> WeeklyParticipation:
    reactions = (
        select(week_start(Reaction.created_at).label("week"),
               Reaction.child_token_hash.label("child"), literal(1).label("reaction"),
               literal(0).label("idea"))
        .where(Reaction.section_id.in_(select(Section.id).where(Section.plan_id == plan_id)),
               *_within(Reaction.created_at, period))
    )
    ideas = (
        select(week_start(Submission.created_at).label("week"),
               Submission.child_token_hash.label("child"), literal(0).label("reaction"),
               literal(1).label("idea"))
        .where(Submission.plan_id == plan_id, Submission.source == SubmissionSource.CHILD,
               *_within(Submission.created_at, period))
    )
    activity = union_all(reactions, ideas).subquery()
    # One row per week and child first (a hash aggregate), then the week's figures from those.
    per_child = (select(activity.c.week, func.sum(activity.c.reaction).label("reactions"),
                        func.sum(activity.c.idea).label("ideas"))
                 .group_by(activity.c.week, activity.c.child).subquery())
    rows = db.session.execute(
        select(per_child.c.week, func.count(), func.sum(per_child.c.reactions),
               func.sum(per_child.c.ideas))
        .group_by(per_child.c.week)
        .order_by(per_child.c.week)
    ).all()
    weeks = [WeekRow(_as_date(week), _cell(children), _cell(reacted), _cell(wrote))
             for week, children, reacted, wrote in rows]
    return WeeklyParticipation(plan_id, _fill_weeks(weeks), threshold)


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _fill_weeks(weeks: list[WeekRow]) -> list[WeekRow]:
    """Quiet weeks between the first and the last are listed too, with zeros."""
    if not weeks:
        return []
    known = {row.week: row for row in weeks}
    filled, week = [], weeks[0].week
    while week <= weeks[-1].week:
        filled.append(known.get(week) or WeekRow(week, _cell(0), _cell(0), _cell(0)))
        week += timedelta(days=7)
    return filled


# --- Snapshots of a closed period --------------------------------------------------------------

def _part_key(part: PartRef | None) -> str:
    if part is None:
        return "plan"
    return "missing" if part.section_id is None else str(part.section_id)


def _frozen_signals(signals: Signals) -> dict[str, Any]:
    return {"hard": signals.hard_to_understand, "majority": signals.clear_majority,
            "shown": signals.shown}


def freeze(plan_id: int, period: ConsultationPeriod, threshold: int) -> dict[str, Any]:
    """Every summary table of ``period`` (its dates only), PROTECTED with ``threshold``: what
    a closed period's pages and exports read from then on. Raw counts are not kept."""
    snapshot: dict[str, Any] = {"threshold": threshold, "reactions": {}, "ideas": {}}
    for by in (None, *DIMENSIONS):
        key = by or "all"
        reactions = reaction_summary(plan_id, by=by, period=period, threshold=threshold)
        snapshot["reactions"][key] = [{
            "part": _part_key(row.part), "group": row.group,
            "children": row.children.frozen_dict(threshold),
            "counts": {k: c.frozen_dict(threshold) for k, c in row.counts.items()},
            "shares": row.shares(threshold),
            "signals": _frozen_signals(row.signals(threshold)),
        } for row in reactions.rows]
        ideas = idea_summary(plan_id, by=by, period=period, threshold=threshold)
        snapshot["ideas"][key] = [{
            "part": _part_key(row.part), "group": row.group,
            "statuses": {k: c.frozen_dict(threshold) for k, c in row.statuses.items()},
            "total": row.total.frozen_dict(threshold), "urgent": row.urgent.frozen_dict(threshold),
        } for row in ideas.rows]
    positions = committee_positions(plan_id, period, threshold=threshold)
    snapshot["positions"] = [{
        "part": _part_key(row.part), "sessions": row.sessions.frozen_dict(threshold),
        "children": row.children.frozen_dict(threshold),
        "positions": {k: c.frozen_dict(threshold) for k, c in row.positions.items()},
    } for row in positions.rows]
    coverage = committee_coverage(plan_id, period, threshold=threshold)
    snapshot["coverage"] = [{
        "part": _part_key(row.part), "committees": row.committees.frozen_dict(threshold),
        "sessions": row.sessions.frozen_dict(threshold),
    } for row in coverage.rows]
    weekly = weekly_participation(plan_id, period, threshold=threshold)
    snapshot["weekly"] = [{
        "week": row.week.isoformat(), "children": row.children.frozen_dict(threshold),
        "reactions": row.reactions.frozen_dict(threshold),
        "ideas": row.ideas.frozen_dict(threshold),
    } for row in weekly.rows]
    return snapshot


def _snapshot(period: ConsultationPeriod) -> tuple[dict[str, Any], int]:
    assert period.snapshot is not None and period.snapshot_threshold is not None
    return period.snapshot, int(period.snapshot_threshold)


def _parts_by_key(parts: Iterable[PartRef]) -> dict[str, PartRef]:
    return {_part_key(part): part for part in parts}


def _thaw_part(key: str, parts: dict[str, PartRef]) -> PartRef | None:
    """The part a snapshot row names; a part retired since is still shown, untitled."""
    if key == "plan":
        return None
    return parts.get(key) or PartRef(None if key == "missing" else int(key), None, "")


def _thaw_reactions(period: ConsultationPeriod, by: Dimension | None,
                    parts: list[PartRef]) -> ReactionSummary:
    snapshot, threshold = _snapshot(period)
    named = _parts_by_key(parts)
    rows = []
    for item in snapshot["reactions"][by or "all"]:
        signals = item["signals"]
        rows.append(ReactionRow(
            _thaw_part(item["part"], named), item["group"],
            Cell.thawed(item["children"], threshold),
            {k: Cell.thawed(v, threshold) for k, v in item["counts"].items()},
            stored_shares=dict(item["shares"]),
            stored_signals=Signals(signals["hard"], signals["majority"], signals["shown"]),
        ))
    return ReactionSummary(period.plan_id, by, groups_of(by), rows, threshold, frozen=True)


def _thaw_ideas(period: ConsultationPeriod, by: Dimension | None,
                parts: list[PartRef]) -> IdeaSummary:
    snapshot, threshold = _snapshot(period)
    named = _parts_by_key(parts)
    rows = [IdeaRow(_thaw_part(item["part"], named), item["group"],
                    {k: Cell.thawed(v, threshold) for k, v in item["statuses"].items()},
                    Cell.thawed(item["total"], threshold), Cell.thawed(item["urgent"], threshold))
            for item in snapshot["ideas"][by or "all"]]
    return IdeaSummary(period.plan_id, by, groups_of(by), rows, threshold, frozen=True)


def _thaw_positions(period: ConsultationPeriod, parts: list[PartRef]) -> CommitteePositions:
    snapshot, threshold = _snapshot(period)
    named = _parts_by_key(parts)
    rows = []
    for item in snapshot["positions"]:
        part = _thaw_part(item["part"], named)
        assert part is not None
        rows.append(PositionRow(part, Cell.thawed(item["sessions"], threshold),
                                Cell.thawed(item["children"], threshold),
                                {k: Cell.thawed(v, threshold)
                                 for k, v in item["positions"].items()}))
    return CommitteePositions(period.plan_id, rows, threshold, frozen=True)


def _thaw_coverage(period: ConsultationPeriod, parts: list[PartRef]) -> CommitteeCoverage:
    snapshot, threshold = _snapshot(period)
    named = _parts_by_key(parts)
    rows = []
    for item in snapshot["coverage"]:
        part = _thaw_part(item["part"], named)
        assert part is not None
        rows.append(CoverageRow(part, Cell.thawed(item["committees"], threshold),
                                Cell.thawed(item["sessions"], threshold)))
    return CommitteeCoverage(period.plan_id, rows, threshold, frozen=True)


def _thaw_weekly(period: ConsultationPeriod) -> WeeklyParticipation:
    snapshot, threshold = _snapshot(period)
    rows = [WeekRow(date.fromisoformat(item["week"]), Cell.thawed(item["children"], threshold),
                    Cell.thawed(item["reactions"], threshold),
                    Cell.thawed(item["ideas"], threshold))
            for item in snapshot["weekly"]]
    return WeeklyParticipation(period.plan_id, rows, threshold, frozen=True)
