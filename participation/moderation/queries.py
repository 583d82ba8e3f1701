"""Read models for the review pages: queue summaries, a submission's text split by flags and
its place in the plan, where a committee's input comes from, and the list of safeguarding
concerns (about an item, or raised in a committee session).

What a committee's statement or session is (its committee, date, kind...) lives in a higher
domain: it registers a source here (``register_origin_source``, ``register_session_facts``), as
feedback's answer sources do, so moderation never imports committees."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import Flask, current_app
from sqlalchemy import ColumnElement, ScalarSelect, func, select

from participation.accounts.models import User
from participation.db import db, utcnow
from participation.feedback.models import (
    RejectionReason,
    Submission,
    SubmissionSource,
    SubmissionStatus,
)
from participation.moderation.models import Concern, ConcernEntry, EntryKind
from participation.moderation.services import not_submitted_by, reviewable_priorities
from participation.plans.queries import SectionView, get_plan_view
from participation.screening.rules import INSULT, PERSONAL_INFO, URGENT_CATEGORIES
from participation.screening.services import Priority

QUEUE_NAMES = {Priority.URGENT: "urgent", Priority.ESCALATED: "escalated",
               Priority.CHECK_SOON: "check_soon", Priority.PERSONAL: "personal",
               Priority.ORDINARY: "ordinary"}


# Counting every waiting item costs a scan of all of them (100,000 at a million ideas, about
# 50 ms); a reviewer only needs to know there are "more than 1,000". Counts stop there.
COUNT_CAP = 1000


@dataclass(frozen=True)
class QueueSummary:
    priority: int
    name: str
    count: int  # at most COUNT_CAP + 1
    oldest: datetime | None
    target: timedelta

    @property
    def capped(self) -> bool:
        """True when more than COUNT_CAP items wait (shown as "1000+")."""
        return self.count > COUNT_CAP

    @property
    def shown_count(self) -> int:
        return min(self.count, COUNT_CAP)

    @property
    def overdue(self) -> bool:
        return self.oldest is not None and utcnow() - self.oldest > self.target


def waiting_count(priority: int, cap: int = COUNT_CAP,
                  *also: ColumnElement[bool]) -> ScalarSelect[int]:
    """How many items wait in one queue, counting no further than ``cap + 1``."""
    waiting = (
        select(Submission.id)
        .where(Submission.status == SubmissionStatus.PENDING, Submission.priority == priority,
               *also)
        .limit(cap + 1)
        .subquery()
    )
    return select(func.count()).select_from(waiting).scalar_subquery()


def queue_summaries(user: User, targets_minutes: dict[int, int]) -> list[QueueSummary]:
    """Capped counts and the oldest waiting item per queue this person may open (one query,
    each part answered from the (status, priority, created_at) index). What they submitted for
    a committee is not theirs to review, so it is not counted for them."""
    priorities = reviewable_priorities(user)
    if not priorities:
        return []
    theirs = not_submitted_by(user)
    columns: list[ScalarSelect[Any]] = []
    for priority in priorities:
        oldest_waiting = (
            select(func.min(Submission.created_at))
            .where(Submission.status == SubmissionStatus.PENDING,
                   Submission.priority == priority, theirs)
            .scalar_subquery()
        )
        columns += [waiting_count(priority, COUNT_CAP, theirs), oldest_waiting]
    row = db.session.execute(select(*columns)).one()
    summaries = []
    for index, priority in enumerate(priorities):
        count, oldest = row[2 * index], row[2 * index + 1]
        if isinstance(oldest, str):  # SQLite hands back aggregates of dates as text
            oldest = datetime.fromisoformat(oldest)
        if oldest is not None and oldest.tzinfo is None:  # nor does it keep the zone
            oldest = oldest.replace(tzinfo=UTC)
        summaries.append(QueueSummary(priority, QUEUE_NAMES[priority], int(count or 0), oldest,
                                      timedelta(minutes=targets_minutes[priority])))
    return summaries


@dataclass(frozen=True)
class Segment:
    text: str
    category: str | None  # the flag this piece of text carries, if any


def flagged_segments(submission: Submission) -> list[Segment]:
    """The child's text cut at the screening spans, so the page can highlight each flag."""
    body = submission.body or ""
    found = (submission.screening or {}).get("matches", [])
    matches = sorted((m["start"], m["end"], m["category"]) for m in found)
    segments: list[Segment] = []
    position = 0
    for start, end, category in matches:
        start, end = max(start, position), min(end, len(body))
        if start >= end:
            continue
        if start > position:
            segments.append(Segment(body[position:start], None))
        segments.append(Segment(body[start:end], category))
        position = end
    if position < len(body):
        segments.append(Segment(body[position:], None))
    return segments


def flags_of(submission: Submission) -> list[str]:
    """The screening flag categories of an item, in order of first appearance."""
    flags: list[str] = (submission.screening or {}).get("flags") or []
    return flags


def is_flagged(submission: Submission) -> bool:
    """Screening found something (personal details, insults, harm): the reviewer is offered the
    edited version first, never "approve as written"."""
    return bool(flags_of(submission))


def proposed_reason(submission: Submission) -> RejectionReason:
    """The reason a reviewer most likely gives if they do not share this idea.

    Insults first: personal details can be edited out, unkind words usually cannot.
    """
    flags = flags_of(submission)
    if INSULT in flags:
        return RejectionReason.UNKIND
    if PERSONAL_INFO in flags:
        return RejectionReason.PERSONAL_DETAILS
    return RejectionReason.OFF_TOPIC


def screening_findings(submission: Submission) -> list[tuple[str, str | None]]:
    """What screening found, once each: (flag category, kind when it says more, e.g. "email")."""
    found = (submission.screening or {}).get("matches") or []
    pairs = ((m["category"], m.get("kind") if m.get("kind") != m["category"] else None)
             for m in found)
    return list(dict.fromkeys(pairs))


@dataclass(frozen=True)
class IdeaPlace:
    """Which part of the plan an idea is about, as the child read it (in the idea's language)."""

    part: SectionView | None  # None: "something missing?" or a part no longer in the plan
    missing: bool  # sent with "something missing?", not about one part


def place_of(submission: Submission) -> IdeaPlace:
    """The part an idea was written under, from the plan children read in its language."""
    if submission.section_id is None:
        return IdeaPlace(None, True)
    plan = get_plan_view(submission.locale)
    part = plan.section_by_id(submission.section_id) if plan is not None else None
    return IdeaPlace(part, False)


@dataclass(frozen=True)
class CommitteeOrigin:
    """Where a committee's statement or photo caption comes from, as a reviewer sees it: never
    the consent counts, the facilitator's account or who the facilitator is."""

    committee: str  # the committee's name (reviewers see it even when it is not public)
    held_on: date  # the session's date
    kind: str | None  # the statement's kind, in words (None: a photo caption)
    voice: str | None  # own words, paraphrase or translation, in words
    share: str | None  # how many held the view, in words ("some"), never a number
    photo_url: str | None  # a caption's photo, when it can be shown to this reviewer


ORIGIN_SOURCES = "moderation_origin_sources"
OriginSource = Callable[[Submission], CommitteeOrigin | None]


def register_origin_source(app: Flask, source: OriginSource) -> None:
    """Let the committees domain tell the item page where a group's input comes from."""
    sources: list[OriginSource] = app.extensions.setdefault(ORIGIN_SOURCES, [])
    if source not in sources:
        sources.append(source)


def origin_of(submission: Submission) -> CommitteeOrigin | None:
    """The committee origin of a statement or caption (None for a child's own idea)."""
    if submission.source != SubmissionSource.COMMITTEE:
        return None
    sources: list[OriginSource] = current_app.extensions.get(ORIGIN_SOURCES, [])
    for source in sources:
        found = source(submission)
        if found is not None:
            return found
    return None


@dataclass(frozen=True)
class SessionFacts:
    """What a lead sees of the committee session a room concern was raised in: no child's
    name, no consent details, only where and when."""

    committee: str
    held_on: date
    locale: str


SESSION_FACT_SOURCES = "moderation_session_facts"
SessionFactSource = Callable[[Collection[int]], dict[int, SessionFacts]]


def register_session_facts(app: Flask, source: SessionFactSource) -> None:
    """Let the committees domain describe the sessions room concerns were raised in."""
    sources: list[SessionFactSource] = app.extensions.setdefault(SESSION_FACT_SOURCES, [])
    if source not in sources:
        sources.append(source)


def session_facts(session_ids: Collection[int]) -> dict[int, SessionFacts]:
    """The facts of these committee sessions, by id (one query per source)."""
    found: dict[int, SessionFacts] = {}
    if not session_ids:
        return found
    sources: list[SessionFactSource] = current_app.extensions.get(SESSION_FACT_SOURCES, [])
    for source in sources:
        found.update(source(session_ids))
    return found


SCREENING_FAILED = "screening_failed"  # stored when screening broke: urgent, read with care
ROOM = "room"  # a concern raised in a committee session (a disclosure made in the room)


@dataclass(frozen=True)
class ConcernRow:
    """One line of the concerns list: no child's words, only what a lead needs to triage."""

    id: int
    # The item's first urgent flag; None when a reviewer escalated it; ROOM when it was raised
    # in a committee session.
    category: str | None
    locale: str | None  # None: a room concern whose session is not known here
    opened_at: datetime
    closed_at: datetime | None
    last_kind: EntryKind | None
    last_at: datetime  # the last entry (or the opening, when there is none)
    last_by: str | None  # who wrote the last entry
    overdue: bool  # open, and nothing added for the follow-up time

    @property
    def escalated(self) -> bool:
        return self.category is None

    @property
    def from_room(self) -> bool:
        return self.category == ROOM

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


def concern_category(screening: dict[str, Any] | None, escalated: bool) -> str | None:
    """What a concern is about: None when a reviewer escalated the item, else its first urgent
    flag category (screening failures included)."""
    if escalated:
        return None
    flags = (screening or {}).get("flags") or []
    return next((flag for flag in flags if flag in URGENT_CATEGORIES or flag == SCREENING_FAILED),
                SCREENING_FAILED if (screening or {}).get("urgent") else None)


CLOSED_SHOWN = 100


def concern_rows(follow_up: timedelta, now: datetime | None = None) -> list[ConcernRow]:
    """Open concerns (overdue ones first, the longest untouched first), then the most recently
    closed ones. Two queries whatever the number of concerns (and one for the sessions of room
    concerns, when there are any)."""
    now = now or utcnow()
    last_entry = (
        select(ConcernEntry.concern_id, func.max(ConcernEntry.id).label("last_id"))
        .group_by(ConcernEntry.concern_id)
        .subquery()
    )
    base = (
        select(Concern.id, Concern.opened_at, Concern.closed_at, Submission.locale,
               Submission.screening, Submission.escalated_at, ConcernEntry.kind,
               ConcernEntry.created_at, User.email, Concern.committee_session_id)
        .outerjoin(Submission, Submission.id == Concern.submission_id)
        .outerjoin(last_entry, last_entry.c.concern_id == Concern.id)
        .outerjoin(ConcernEntry, ConcernEntry.id == last_entry.c.last_id)
        .outerjoin(User, User.id == ConcernEntry.author_id)
    )
    found = list(db.session.execute(base.where(Concern.closed_at.is_(None))).all())
    found += db.session.execute(
        base.where(Concern.closed_at.is_not(None))
        .order_by(Concern.closed_at.desc(), Concern.id.desc())
        .limit(CLOSED_SHOWN)
    ).all()
    sessions = session_facts({row[-1] for row in found if row[-1] is not None})
    rows = []
    for (concern_id, opened_at, closed_at, locale, screening, escalated_at, kind, entry_at,
         author, session_id) in found:
        last_at = entry_at or opened_at
        if session_id is not None:
            category: str | None = ROOM
            facts = sessions.get(session_id)
            locale = facts.locale if facts else None
        else:
            category = concern_category(screening, escalated_at is not None)
        rows.append(ConcernRow(
            id=concern_id, category=category,
            locale=locale, opened_at=opened_at, closed_at=closed_at, last_kind=kind,
            last_at=last_at, last_by=author,
            overdue=closed_at is None and now - last_at > follow_up,
        ))
    open_rows = sorted((row for row in rows if row.is_open),
                       key=lambda row: (not row.overdue, row.last_at, row.id))
    return open_rows + [row for row in rows if not row.is_open]
