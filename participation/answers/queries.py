"""Reads of answers: what children are told (per part, per idea), what organisers must still
answer (flags for their home page), the ideas an answer may link, and children's clear / fair
taps, protected by the one suppression rule before anyone sees them."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime

from flask import current_app
from sqlalchemy import ColumnElement, case, func, select

from participation.answers.models import (
    Answer,
    AnswerReaction,
    AnswerStatus,
    AnswerSubject,
    AnswerUpdate,
    Decision,
    answer_links,
)
from participation.answers.services import (
    ANSWERABLE_SESSIONS,
    SESSION_WAITING,
    linkable_condition,
    linked_ids,
)
from participation.committees.models import Committee, CommitteeSession, Statement
from participation.committees.queries import session_of_submission
from participation.db import db, utcnow
from participation.feedback.models import Submission, SubmissionSource, SubmissionStatus
from participation.plans.models import Plan, Section, SectionText
from participation.reports.privacy import Protected, protect
from participation.reports.settings import current_threshold

# --- What children are told --------------------------------------------------------------------


@dataclass(frozen=True)
class UpdateView:
    body: str
    published_at: datetime


@dataclass(frozen=True)
class AnswerView:
    """A published answer as children read it in one language."""

    id: int
    public_id: str
    subject: AnswerSubject
    section_id: int | None
    committee_session_id: int | None
    decision: Decision
    body: str
    reason: str | None
    published_at: datetime
    updates: tuple[UpdateView, ...]  # published progress updates, oldest first


def answer_view(answer: Answer, locale: str) -> AnswerView:
    """``answer`` in ``locale`` (a published answer has a text in every language; the plan's
    first language otherwise)."""
    text = answer.text_in(locale) or answer.text_in(current_app.config["LANGUAGES"][0])
    updates = []
    for item in answer.updates:
        if item.published_at is None:
            continue
        body = next((t.body for t in item.texts if t.locale == locale), None)
        if body is None and item.texts:
            body = item.texts[0].body
        updates.append(UpdateView(body or "", item.published_at))
    return AnswerView(
        id=answer.id, public_id=answer.public_id, subject=answer.subject,
        section_id=answer.section_id, committee_session_id=answer.committee_session_id,
        decision=answer.decision, body=text.body if text else "",
        reason=text.reason if text else None,
        published_at=answer.published_at or answer.created_at, updates=tuple(updates),
    )


def published_answers_for_part(plan_id: int, section_id: int, locale: str) -> list[AnswerView]:
    """The published answers about one part, newest first, in ``locale``."""
    answers = db.session.scalars(
        select(Answer).where(Answer.plan_id == plan_id, Answer.section_id == section_id,
                             Answer.subject == AnswerSubject.PART,
                             Answer.status == AnswerStatus.PUBLISHED)
        .order_by(Answer.published_at.desc(), Answer.id.desc())
    ).all()
    return [answer_view(answer, locale) for answer in answers]


def _latest_published(*conditions: ColumnElement[bool]) -> Answer | None:
    found: Answer | None = db.session.scalars(
        select(Answer).where(Answer.status == AnswerStatus.PUBLISHED, *conditions)
        .order_by(Answer.published_at.desc(), Answer.id.desc()).limit(1)
    ).first()
    return found


def answer_for_submission(submission: Submission) -> Answer | None:
    """The published answer to an idea or a statement: one that links it, else the answer to
    its committee session, else the answer to its part. None when nothing answers it yet."""
    linked = _latest_published(Answer.id.in_(
        select(answer_links.c.answer_id).where(answer_links.c.submission_id == submission.id)
        .scalar_subquery()))
    if linked is not None:
        return linked
    if submission.source == SubmissionSource.COMMITTEE:
        session_id = session_of_submission(submission.id)
        if session_id is not None:
            found = _latest_published(Answer.committee_session_id == session_id)
            if found is not None:
                return found
    if submission.section_id is not None:
        return _latest_published(Answer.plan_id == submission.plan_id,
                                 Answer.subject == AnswerSubject.PART,
                                 Answer.section_id == submission.section_id)
    return None


# --- Organisers' flags -----------------------------------------------------------------------


@dataclass(frozen=True)
class OverdueSession:
    """A committee session whose answer is late."""

    public_id: str
    committee: str  # staff see the committee's name
    held_on: date
    answer_due_on: date


@dataclass(frozen=True)
class PartWaiting:
    """A part with many approved ideas and no published answer."""

    section_id: int
    number: int
    title: str
    ideas: Protected


@dataclass(frozen=True)
class OrganiserFlags:
    overdue_sessions: tuple[OverdueSession, ...]
    parts_waiting: tuple[PartWaiting, ...]

    def __bool__(self) -> bool:
        return bool(self.overdue_sessions or self.parts_waiting)


def _org_today() -> date:
    from zoneinfo import ZoneInfo

    return utcnow().astimezone(ZoneInfo(current_app.config["ORG_TIMEZONE"])).date()


def section_titles(plan_id: int, locale: str) -> dict[int, tuple[int, str]]:
    """section id -> (number, title) in ``locale`` (the plan's default language otherwise),
    for the parts still in the plan, in reading order."""
    default = db.session.scalar(select(Plan.default_locale).where(Plan.id == plan_id))
    rows = db.session.execute(
        select(Section.id, SectionText.locale, SectionText.title)
        .join(SectionText, SectionText.section_id == Section.id)
        .where(Section.plan_id == plan_id, Section.retired_at.is_(None),
               SectionText.locale.in_({locale, default or locale}))
        .order_by(Section.position, Section.id)
    ).all()
    titles: dict[int, str] = {}
    for section_id, text_locale, title in rows:
        if text_locale == locale or section_id not in titles:
            titles[section_id] = title
    return {section_id: (number, title)
            for number, (section_id, title) in enumerate(titles.items(), start=1)}


def organiser_flags(plan_id: int, *, locale: str | None = None,
                    today: date | None = None) -> OrganiserFlags:
    """What organisers still owe children: committee sessions past their answer's due date with
    no published answer, and parts with at least ANSWER_NEEDED_AFTER_IDEAS approved ideas
    (children's own, never committee input) and no published answer."""
    today = today or _org_today()
    published_for_session = select(Answer.id).where(
        Answer.committee_session_id == CommitteeSession.id,
        Answer.status == AnswerStatus.PUBLISHED).exists()
    sessions = db.session.execute(
        select(CommitteeSession.public_id, Committee.name, CommitteeSession.held_on,
               CommitteeSession.answer_due_on)
        .join(Committee, Committee.id == CommitteeSession.committee_id)
        .where(CommitteeSession.plan_id == plan_id,
               CommitteeSession.answer_due_on.is_not(None),
               CommitteeSession.answer_due_on < today,
               CommitteeSession.status.in_(SESSION_WAITING),
               ~published_for_session)
        .order_by(CommitteeSession.answer_due_on, CommitteeSession.id)
    ).all()
    needed = int(current_app.config["ANSWER_NEEDED_AFTER_IDEAS"])
    published_for_part = select(Answer.id).where(
        Answer.section_id == Submission.section_id, Answer.subject == AnswerSubject.PART,
        Answer.status == AnswerStatus.PUBLISHED).exists()
    counts = db.session.execute(
        select(Submission.section_id, func.count())
        .where(Submission.plan_id == plan_id, Submission.section_id.is_not(None),
               Submission.source == SubmissionSource.CHILD,
               Submission.status == SubmissionStatus.APPROVED, ~published_for_part)
        .group_by(Submission.section_id)
        .having(func.count() >= needed)
    ).all()
    titles = section_titles(plan_id, locale or current_app.config["LANGUAGES"][0])
    threshold = current_threshold()
    parts = sorted(
        (PartWaiting(section_id, titles[section_id][0], titles[section_id][1],
                     protect(count, threshold))
         for section_id, count in counts if section_id in titles),
        key=lambda part: part.number)
    return OrganiserFlags(
        tuple(OverdueSession(public_id, name, held_on, due)
              for public_id, name, held_on, due in sessions if due is not None),
        tuple(parts),
    )


# --- Organisers' lists and links -------------------------------------------------------------


def answers_for_plan(plan_id: int, *, status: AnswerStatus | None = None) -> list[Answer]:
    """Every answer of a plan (or those with one status), the latest changed first."""
    query = select(Answer).where(Answer.plan_id == plan_id)
    if status is not None:
        query = query.where(Answer.status == status)
    return list(db.session.scalars(query.order_by(Answer.updated_at.desc(), Answer.id.desc())))


def find_answer(public_id: str) -> Answer | None:
    found: Answer | None = db.session.scalar(select(Answer).where(Answer.public_id == public_id))
    return found


def find_update(answer: Answer, update_id: int) -> AnswerUpdate | None:
    return next((item for item in answer.updates if item.id == update_id), None)


@dataclass(frozen=True)
class LinkChoice:
    """An approved idea or statement an answer may link: its published words only."""

    id: int
    text: str
    locale: str
    from_committee: bool
    linked: bool


def link_choices(answer: Answer, *, limit: int = 500) -> list[LinkChoice]:
    """The approved ideas and statements of the answer's subject, linked ones first."""
    linked = linked_ids(answer.id)
    rows = db.session.execute(
        select(Submission.id, Submission.published_body, Submission.locale, Submission.source)
        .where(*linkable_condition(answer))
        .order_by(Submission.decided_at.desc(), Submission.id.desc())
        .limit(limit)
    ).all()
    choices = [LinkChoice(sid, body or "", row_locale, source == SubmissionSource.COMMITTEE,
                          sid in linked)
               for sid, body, row_locale, source in rows]
    return sorted(choices, key=lambda choice: not choice.linked)


def link_counts(answer_ids: Collection[int]) -> dict[int, int]:
    """How many ideas and statements each answer links."""
    if not answer_ids:
        return {}
    rows = db.session.execute(
        select(answer_links.c.answer_id, func.count())
        .where(answer_links.c.answer_id.in_(list(answer_ids)))
        .group_by(answer_links.c.answer_id)).all()
    return {int(answer_id): int(count) for answer_id, count in rows}


@dataclass(frozen=True)
class SessionChoice:
    id: int
    public_id: str
    committee: str
    held_on: date


def answerable_sessions(plan_id: int) -> list[SessionChoice]:
    """Committee sessions an answer may be written for (in review, accepted or answered)."""
    rows = db.session.execute(
        select(CommitteeSession.id, CommitteeSession.public_id, Committee.name,
               CommitteeSession.held_on)
        .join(Committee, Committee.id == CommitteeSession.committee_id)
        .where(CommitteeSession.plan_id == plan_id,
               CommitteeSession.status.in_(ANSWERABLE_SESSIONS))
        .order_by(CommitteeSession.held_on.desc(), CommitteeSession.id.desc())
    ).all()
    return [SessionChoice(*row) for row in rows]


def session_labels(session_ids: Collection[int]) -> dict[int, SessionChoice]:
    if not session_ids:
        return {}
    rows = db.session.execute(
        select(CommitteeSession.id, CommitteeSession.public_id, Committee.name,
               CommitteeSession.held_on)
        .join(Committee, Committee.id == CommitteeSession.committee_id)
        .where(CommitteeSession.id.in_(list(session_ids)))
    ).all()
    return {row[0]: SessionChoice(*row) for row in rows}


def statement_count(session_id: int) -> int:
    return int(db.session.scalar(
        select(func.count()).select_from(Statement).where(Statement.session_id == session_id))
        or 0)


# --- Children's clear / fair taps, protected ---------------------------------------------------


@dataclass(frozen=True)
class ReactionCounts:
    """Children's taps on one answer, as organisers may see them (never a raw small count)."""

    children: Protected
    clear: Protected
    not_clear: Protected
    fair: Protected
    not_fair: Protected


def reaction_counts(answer_ids: Collection[int]) -> dict[int, ReactionCounts]:
    """Clear / not clear / fair / not fair per answer, each through reports.privacy.protect
    with the current threshold (one aggregate query)."""
    if not answer_ids:
        return {}
    threshold = current_threshold()

    def counted(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    rows = db.session.execute(
        select(AnswerReaction.answer_id, func.count(),
               counted(AnswerReaction.clear.is_(True)),
               counted(AnswerReaction.clear.is_(False)),
               counted(AnswerReaction.fair.is_(True)),
               counted(AnswerReaction.fair.is_(False)))
        .where(AnswerReaction.answer_id.in_(list(answer_ids)))
        .group_by(AnswerReaction.answer_id)
    ).all()
    found = {int(row[0]): tuple(int(value) for value in row[1:]) for row in rows}
    result = {}
    for answer_id in answer_ids:
        children, clear, not_clear, fair, not_fair = found.get(answer_id, (0, 0, 0, 0, 0))
        result[answer_id] = ReactionCounts(
            protect(children, threshold), protect(clear, threshold),
            protect(not_clear, threshold), protect(fair, threshold),
            protect(not_fair, threshold))
    return result

