"""Organisers read what children and committees said, part by part, and mark ideas as
considered.

Only what an adult approved is read, and only its published text: never a pending, rejected or
safeguarded item, never screening flags, never a child's token. Committee statements are the
group's voice and are listed apart from children's ideas, with the committee's name.

Children's privacy: a quote carries its language and age band only when its cell (part x
language x age band) holds at least ``threshold`` distinct children, and a filter only ever
narrows the list to a group that large (a filter on a smaller group would label every quote
in it). Dates are shown by month only.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import ColumnElement, CursorResult, delete, func, select
from sqlalchemy.exc import IntegrityError

from participation.audit.services import record_event
from participation.committees.models import (
    Committee,
    CommitteeSession,
    Statement,
    StatementKind,
)
from participation.db import db
from participation.feedback.models import (
    AgeBand,
    Submission,
    SubmissionSource,
    SubmissionStatus,
)
from participation.plans.queries import PlanView
from participation.reports.models import ConsideredIdea
from participation.reports.privacy import DEFAULT_THRESHOLD

# The age-band filter's value for ideas sent without an age band.
AGE_NOT_GIVEN = "none"
# The part filter's value for "something missing" ideas (not about one part).
MISSING_PART = "missing"
IDEAS_PER_PART = 10  # on the page of every part; one part alone shows them all, a page at a time
IDEAS_PER_PAGE = 50
CONSIDERED_ACTION = "reports.idea_considered"
UNCONSIDERED_ACTION = "reports.idea_unconsidered"


def current_threshold() -> int:
    """The deployment's suppression threshold (the summary's setting once it exists)."""
    try:
        from participation.reports.settings import current_threshold as setting
    except ImportError:  # the setting's module is not there yet: the default rule
        return DEFAULT_THRESHOLD
    return setting()


@dataclass(frozen=True)
class Filters:
    """What the organiser narrowed the list to; None is "all"."""

    language: str | None = None
    age_band: str | None = None  # an AgeBand value, AGE_NOT_GIVEN, or None for all
    part: int | str | None = None  # one part's id, MISSING_PART, or None for every part
    page: int = 1

    @property
    def one_part(self) -> bool:
        return self.part is not None

    def keeps(self, section_id: int | None) -> bool:
        """Whether the part (None: "something missing") is on the page."""
        if self.part is None:
            return True
        return section_id is None if self.part == MISSING_PART else section_id == self.part

    @property
    def narrows_group(self) -> bool:
        """A language or age filter selects a group of children (a part does not: it is
        what every quote is shown under anyway)."""
        return self.language is not None or self.age_band is not None


@dataclass(frozen=True)
class IdeaQuote:
    """A child's approved idea as an organiser reads it."""

    public_id: str
    text: str
    month: date
    # Only when the quote's cell is large enough; otherwise both None.
    locale: str | None
    age_band: AgeBand | None
    age_given: bool  # with the labels: whether the child gave an age band
    considered: bool


@dataclass(frozen=True)
class StatementQuote:
    """A committee's approved statement, labelled with the committee and its kind."""

    public_id: str
    text: str
    month: date
    committee: str
    kind: StatementKind
    locale: str
    considered: bool


@dataclass
class PartReading:
    """One part (or "something missing", ``section_id`` None) and what was said about it."""

    section_id: int | None
    number: int | None
    title: str | None
    ideas: list[IdeaQuote] = field(default_factory=list)
    statements: list[StatementQuote] = field(default_factory=list)
    more_ideas: bool = False  # more than the page shows (a link opens the part alone)
    group_too_small: bool = False  # the filter's group is below the threshold here


@dataclass(frozen=True)
class Reading:
    plan_id: int
    parts: list[PartReading]
    threshold: int
    filters: Filters
    has_next_page: bool


def month_of(moment: datetime) -> date:
    """Only the month of a date is ever shown: an exact day could help recognise a child."""
    return date(moment.year, moment.month, 1)


def _child_ideas(plan_id: int) -> list[ColumnElement[bool]]:
    return [
        Submission.plan_id == plan_id,
        Submission.source == SubmissionSource.CHILD,
        Submission.status == SubmissionStatus.APPROVED,
        Submission.published_body.is_not(None),
    ]


def _section_is(section_id: int | None) -> ColumnElement[bool]:
    return (Submission.section_id.is_(None) if section_id is None
            else Submission.section_id == section_id)


def cell_sizes(plan_id: int) -> dict[tuple[int | None, str, AgeBand | None], int]:
    """Distinct children behind the approved ideas of each part x language x age band."""
    rows = db.session.execute(
        select(Submission.section_id, Submission.locale, Submission.age_band,
               func.count(func.distinct(Submission.child_token_hash)))
        .where(*_child_ideas(plan_id))
        .group_by(Submission.section_id, Submission.locale, Submission.age_band))
    return {(section, locale, band): count for section, locale, band, count in rows}


def _in_group(key: tuple[int | None, str, AgeBand | None], filters: Filters) -> bool:
    _, locale, band = key
    if filters.language is not None and locale != filters.language:
        return False
    if filters.age_band == AGE_NOT_GIVEN:
        return band is None
    return filters.age_band is None or (band is not None and band.value == filters.age_band)


def _group_sizes(plan_id: int, filters: Filters) -> dict[int | None, int]:
    """Distinct children in the filter's group, per part (counted in SQL, not summed from cells,
    since one child may write in two languages)."""
    query = (select(Submission.section_id, func.count(func.distinct(Submission.child_token_hash)))
             .where(*_child_ideas(plan_id))
             .group_by(Submission.section_id))
    if filters.language is not None:
        query = query.where(Submission.locale == filters.language)
    if filters.age_band == AGE_NOT_GIVEN:
        query = query.where(Submission.age_band.is_(None))
    elif filters.age_band is not None:
        query = query.where(Submission.age_band == AgeBand(filters.age_band))
    return {section: count for section, count in db.session.execute(query)}


def _considered(ids: list[int]) -> set[int]:
    if not ids:
        return set()
    return set(db.session.scalars(
        select(ConsideredIdea.submission_id).where(ConsideredIdea.submission_id.in_(ids))))


def _ideas_of_part(plan_id: int, section_id: int | None, filters: Filters, *, limit: int,
                   offset: int) -> list[Submission]:
    query = select(Submission).where(*_child_ideas(plan_id), _section_is(section_id))
    if filters.language is not None:
        query = query.where(Submission.locale == filters.language)
    if filters.age_band == AGE_NOT_GIVEN:
        query = query.where(Submission.age_band.is_(None))
    elif filters.age_band is not None:
        query = query.where(Submission.age_band == AgeBand(filters.age_band))
    return list(db.session.scalars(
        query.order_by(Submission.created_at.desc(), Submission.id.desc())
        .limit(limit).offset(offset)))


def _statements(plan_id: int, filters: Filters) -> dict[int | None, list[StatementQuote]]:
    """Approved committee statements per part, in the filter's language (a committee speaks
    for a group of ages, so the age filter does not apply to them)."""
    query = (
        select(Submission.id, Submission.public_id, Submission.published_body,
               Submission.section_id, Submission.created_at, Submission.locale,
               Committee.name, Statement.kind)
        .join(Statement, Statement.submission_id == Submission.id)
        .join(CommitteeSession, CommitteeSession.id == Statement.session_id)
        .join(Committee, Committee.id == CommitteeSession.committee_id)
        .where(Submission.plan_id == plan_id,
               Submission.source == SubmissionSource.COMMITTEE,
               Submission.status == SubmissionStatus.APPROVED,
               Submission.published_body.is_not(None))
        .order_by(Submission.created_at.desc(), Submission.id.desc()))
    if filters.language is not None:
        query = query.where(Submission.locale == filters.language)
    if filters.part == MISSING_PART:
        query = query.where(Submission.section_id.is_(None))
    elif filters.part is not None:
        query = query.where(Submission.section_id == filters.part)
    rows = db.session.execute(query).all()
    considered = _considered([row.id for row in rows])
    found: dict[int | None, list[StatementQuote]] = defaultdict(list)
    for row in rows:
        found[row.section_id].append(StatementQuote(
            row.public_id, row.published_body or "", month_of(row.created_at), row.name,
            row.kind, row.locale, row.id in considered))
    return found


def read_ideas(plan: PlanView, filters: Filters, *, threshold: int | None = None) -> Reading:
    """The approved ideas and committee statements of each part of ``plan``, as the
    organiser filtered them, with labels only where a cell is large enough."""
    threshold = current_threshold() if threshold is None else threshold
    parts = [PartReading(plan.section_ids[section.slug], section.number, section.title)
             for section in plan.sections]
    parts.append(PartReading(None, None, None))  # "something missing"
    parts = [part for part in parts if filters.keeps(part.section_id)]
    cells = cell_sizes(plan.id)
    groups = _group_sizes(plan.id, filters) if filters.narrows_group else {}
    statements = _statements(plan.id, filters)
    alone = filters.one_part
    limit = IDEAS_PER_PAGE if alone else IDEAS_PER_PART
    offset = (filters.page - 1) * IDEAS_PER_PAGE if alone else 0
    has_next = False
    for part in parts:
        part.statements = statements.get(part.section_id, [])
        if filters.narrows_group and 0 < groups.get(part.section_id, 0) < threshold:
            part.group_too_small = True
            continue
        found = _ideas_of_part(plan.id, part.section_id, filters, limit=limit + 1,
                               offset=offset)
        part.more_ideas = len(found) > limit
        has_next = has_next or (alone and part.more_ideas)
        found = found[:limit]
        considered = _considered([item.id for item in found])
        for item in found:
            labelled = cells.get((item.section_id, item.locale, item.age_band), 0) >= threshold
            part.ideas.append(IdeaQuote(
                item.public_id, item.published_body or "", month_of(item.created_at),
                item.locale if labelled else None, item.age_band if labelled else None,
                labelled and item.age_band is not None, item.id in considered))
    return Reading(plan.id, parts, threshold, filters, has_next)


# Marking as considered: organisers' own state changes, audited.


class ReadingError(Exception):
    """An idea that cannot be marked: unknown, or not an approved idea or statement."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def readable_submission(public_id: str) -> Submission:
    """An approved idea or committee statement (the only things organisers read here)."""
    item: Submission | None = db.session.scalar(
        select(Submission).where(Submission.public_id == public_id))
    if item is None or item.status != SubmissionStatus.APPROVED or item.published_body is None:
        raise ReadingError("not_found")
    if item.source == SubmissionSource.COMMITTEE and db.session.scalar(
            select(Statement.id).where(Statement.submission_id == item.id)) is None:
        raise ReadingError("not_found")  # a photo caption: not read on this page
    return item


def mark_idea_considered(public_id: str, *, actor_id: int) -> bool:
    """Record that an organiser took an idea into account; False if it already was (a second
    click, or a colleague at the same moment: one mark, one audit event)."""
    item = readable_submission(public_id)
    try:
        with db.session.begin_nested():
            db.session.add(ConsideredIdea(submission_id=item.id, considered_by_id=actor_id))
    except IntegrityError:
        return False
    record_event(CONSIDERED_ACTION, actor_id=actor_id, object_type="submission",
                 object_id=item.public_id, details={"considered": True})
    return True


def unmark_idea_considered(public_id: str, *, actor_id: int) -> bool:
    """Take the mark away (clicked by mistake); False if there was none."""
    item = readable_submission(public_id)
    result = db.session.execute(
        delete(ConsideredIdea).where(ConsideredIdea.submission_id == item.id))
    if not (isinstance(result, CursorResult) and result.rowcount):
        return False
    record_event(UNCONSIDERED_ACTION, actor_id=actor_id, object_type="submission",
                 object_id=item.public_id, details={"considered": False})
    return True
