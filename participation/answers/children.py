"""Reads (and the one write) of the children's side of answers: the published answers a child
may read, in one language; which answer an idea got; a child's "clear?" and "fair?" taps; and
what a committee's letter says.

Only PUBLISHED answers with a text in the page's language are ever read here: drafts, answers
waiting for a second organiser and withdrawn answers never reach a child.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton
from flask import current_app
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, select, update
from sqlalchemy.exc import IntegrityError

from participation.answers import queries as answers_queries
from participation.answers.models import (
    Answer,
    AnswerReaction,
    AnswerStatus,
    AnswerSubject,
    Decision,
)
from participation.answers.queries import AnswerView, answer_view, answers_for_plan
from participation.committees.models import Committee, CommitteeSession, Statement
from participation.committees.queries import committee_label
from participation.db import db
from participation.feedback.models import Submission, SubmissionStatus

# The decision in a child's words, with the icon that carries it (templates/answers/
# _for_children_macros.html draws them). "Not now" and "can't" are followed by the reason.
DECISION_WORDS = {
    Decision.WILL_DO: _l("We will do it"),
    Decision.ALREADY_DO: _l("We already do it"),
    Decision.PARTLY: _l("We will do part of it"),
    Decision.NOT_NOW: _l("Not now, because…"),
    Decision.CANNOT: _l("We can't, because…"),
    Decision.DECIDING: _l("We are still deciding"),
}


class Tap(enum.StrEnum):
    """The two one-tap questions under an answer."""

    CLEAR = "clear"
    FAIR = "fair"


@dataclass(frozen=True)
class ProgressNote:
    """A published progress update, in the page's language."""

    body: str
    published_at: datetime


@dataclass(frozen=True)
class ChildAnswer:
    """One published answer as a child reads it in one language."""

    public_id: str
    subject: AnswerSubject
    decision: Decision
    body: str
    reason: str | None
    published_at: datetime
    section_id: int | None = None
    theme: str | None = None
    committee: str | None = None  # the committee's label (its name only if public)
    session_held_on: date | None = None
    updates: tuple[ProgressNote, ...] = ()

    @property
    def last_news(self) -> datetime:
        """When it last changed for a child: its publication or its newest progress update."""
        return max([self.published_at, *(note.published_at for note in self.updates)])

    def is_new_since(self, seen: datetime | None) -> bool:
        return seen is not None and self.published_at > seen

    def has_news_since(self, seen: datetime | None) -> bool:
        """Already seen, but a progress update came after the child's last visit."""
        return (seen is not None and not self.is_new_since(seen)
                and any(note.published_at > seen for note in self.updates))


def month_of(moment: datetime | date) -> str:
    """A date by month only ("November 2026"), in the organisation's time zone and the page's
    language: children's pages never show an exact day for an answer."""
    if isinstance(moment, datetime):
        moment = moment.astimezone(ZoneInfo(current_app.config["ORG_TIMEZONE"])).date()
    return str(format_skeleton("yMMMM", moment, locale=get_locale()))


def _published() -> list[ColumnElement[bool]]:
    return [Answer.status == AnswerStatus.PUBLISHED, Answer.published_at.is_not(None)]


def _as_child_answer(view: AnswerView, *, theme: str | None = None,
                     committee: str | None = None, held_on: date | None = None) -> ChildAnswer:
    return ChildAnswer(
        public_id=view.public_id, subject=view.subject, decision=view.decision,
        body=view.body, reason=view.reason if view.decision.needs_reason else None,
        published_at=view.published_at, section_id=view.section_id, theme=theme,
        committee=committee, session_held_on=held_on,
        updates=tuple(sorted((ProgressNote(item.body, item.published_at)
                              for item in view.updates), key=lambda note: note.published_at)),
    )


def _session_labels(session_ids: Iterable[int]) -> dict[int, tuple[str, date]]:
    """Each committee session's committee label for children (its name only when public)
    and meeting day."""
    ids = set(session_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(CommitteeSession.id, Committee.name, Committee.name_is_public,
               CommitteeSession.held_on)
        .join(Committee, Committee.id == CommitteeSession.committee_id)
        .where(CommitteeSession.id.in_(ids))
    ).all()
    return {sid: (committee_label(name, public), held_on) for sid, name, public, held_on in rows}


def _to_children(answers: Iterable[Answer], locale: str) -> list[ChildAnswer]:
    """Published answers in ``locale`` (the organisers' services publish an answer only with a
    text in every language), newest first."""
    answers = [a for a in answers if a.status == AnswerStatus.PUBLISHED and a.published_at]
    answers.sort(key=lambda a: (a.published_at, a.id), reverse=True)
    labels = _session_labels(a.committee_session_id for a in answers
                             if a.committee_session_id is not None)
    made = []
    for answer in answers:
        label, held_on = labels.get(answer.committee_session_id or 0, (None, None))
        made.append(_as_child_answer(answer_view(answer, locale), theme=answer.theme,
                                     committee=label, held_on=held_on))
    return made


def published_answers_for_part(plan_id: int, section_id: int, locale: str) -> list[ChildAnswer]:
    """What the organisation answered about one part, in ``locale``, newest first."""
    return [_as_child_answer(view)
            for view in answers_queries.published_answers_for_part(plan_id, section_id, locale)]


def published_answers(plan_id: int, locale: str) -> list[ChildAnswer]:
    """Every published answer of the plan in ``locale`` ("what happened to our ideas")."""
    return _to_children(answers_for_plan(plan_id, status=AnswerStatus.PUBLISHED), locale)


def find_published_answer(public_id: str) -> Answer | None:
    """A published answer children may tap "clear?" and "fair?" on."""
    found: Answer | None = db.session.scalar(
        select(Answer).where(Answer.public_id == public_id, *_published()))
    return found


def answer_for_submission(submission: Submission) -> Answer | None:
    """The published answer to an idea or a committee statement (answers.queries: one linked
    to it, else its committee session's, else its part's); None for an idea that was not
    shared (a child whose idea was not shared is answered on its own page, with care)."""
    if submission.status != SubmissionStatus.APPROVED:
        return None
    return answers_queries.answer_for_submission(submission)


def child_answer_for_submission(submission: Submission, locale: str) -> ChildAnswer | None:
    """The answer to an idea as its child reads it, in ``locale``."""
    answer = answer_for_submission(submission)
    if answer is None:
        return None
    found = _to_children([answer], locale)
    return found[0] if found else None


@dataclass(frozen=True)
class TapChoice:
    """What one child said about one answer (None: not tapped yet)."""

    clear: bool | None = None
    fair: bool | None = None


def taps_of(child_hash: str | None, answer_ids: Iterable[str]) -> dict[str, TapChoice]:
    """This child's "clear?" and "fair?" answers, by answer public id."""
    ids = set(answer_ids)
    if child_hash is None or not ids:
        return {}
    rows = db.session.execute(
        select(Answer.public_id, AnswerReaction.clear, AnswerReaction.fair)
        .join(Answer, Answer.id == AnswerReaction.answer_id)
        .where(AnswerReaction.child_token_hash == child_hash, Answer.public_id.in_(ids))
    ).all()
    return {public_id: TapChoice(clear, fair) for public_id, clear, fair in rows}


def set_answer_tap(answer: Answer, child_hash: str, tap: Tap, value: bool) -> TapChoice:
    """Store a child's "clear?" or "fair?" answer: one row per child and answer, changed in
    place when the child changes their mind. A double tap racing itself meets the unique
    constraint and becomes an update of the row the other request made."""
    column = AnswerReaction.clear if tap is Tap.CLEAR else AnswerReaction.fair

    def change() -> int:
        result = db.session.execute(
            update(AnswerReaction)
            .where(AnswerReaction.answer_id == answer.id,
                   AnswerReaction.child_token_hash == child_hash)
            .values({column.key: value})
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    if change() == 0:
        try:
            with db.session.begin_nested():
                db.session.add(AnswerReaction(answer_id=answer.id, child_token_hash=child_hash,
                                              **{column.key: value}))
        except IntegrityError:
            change()
    row = db.session.execute(
        select(AnswerReaction.clear, AnswerReaction.fair)
        .where(AnswerReaction.answer_id == answer.id,
               AnswerReaction.child_token_hash == child_hash)
    ).one()
    return TapChoice(row.clear, row.fair)


# The committee's letter: each statement the group made, with the answer it got.
@dataclass(frozen=True)
class LetterItem:
    text: str
    section_id: int | None
    answer: ChildAnswer | None


@dataclass(frozen=True)
class Letter:
    session: CommitteeSession
    committee: str
    locale: str
    about_session: list[ChildAnswer] = field(default_factory=list)
    items: list[LetterItem] = field(default_factory=list)

    @property
    def answered(self) -> bool:
        return bool(self.about_session) or any(item.answer for item in self.items)


def _letter_answer(statement: Submission, locale: str) -> ChildAnswer | None:
    """A statement's answer in the letter: when it is the session's own answer (already at the
    top of the letter), the answer about the statement's part says more, if there is one."""
    answer = child_answer_for_submission(statement, locale)
    if (answer is not None and answer.subject == AnswerSubject.COMMITTEE_SESSION
            and statement.section_id is not None):
        about_part = published_answers_for_part(statement.plan_id, statement.section_id, locale)
        if about_part:
            return about_part[0]
    return answer


def letter_for_session(session: CommitteeSession) -> Letter:
    """What the facilitator reads to the committee at its next session, in the session's
    language: the organisation's answers to the session, then each statement an adult
    approved (never one kept from sharing) with the answer it got."""
    locale = session.locale
    about = db.session.scalars(
        select(Answer).where(*_published(), Answer.subject == AnswerSubject.COMMITTEE_SESSION,
                             Answer.committee_session_id == session.id)
        .order_by(Answer.published_at.desc(), Answer.id.desc())
    ).all()
    statements = db.session.scalars(
        select(Submission)
        .join(Statement, Statement.submission_id == Submission.id)
        .where(Statement.session_id == session.id,
               Submission.status == SubmissionStatus.APPROVED,
               Submission.published_body.is_not(None))
        .order_by(Statement.id)
    ).all()
    items = [LetterItem(item.published_body or "", item.section_id, _letter_answer(item, locale))
             for item in statements]
    return Letter(
        session=session,
        committee=session.committee.name,  # the committee's own letter: its own name
        locale=locale, about_session=_to_children(about, locale), items=items,
    )
