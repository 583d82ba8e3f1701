"""Read models for the review pages: queue summaries and a submission's text split by flags."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ScalarSelect, func, select

from participation.accounts.models import User
from participation.db import db, utcnow
from participation.feedback.models import Submission, SubmissionStatus
from participation.moderation.services import reviewable_priorities
from participation.screening.services import Priority

QUEUE_NAMES = {Priority.URGENT: "urgent", Priority.ESCALATED: "escalated",
               Priority.PERSONAL: "personal", Priority.ORDINARY: "ordinary"}


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


def waiting_count(priority: int, cap: int = COUNT_CAP) -> ScalarSelect[int]:
    """How many items wait in one queue, counting no further than ``cap + 1``."""
    waiting = (
        select(Submission.id)
        .where(Submission.status == SubmissionStatus.PENDING, Submission.priority == priority)
        .limit(cap + 1)
        .subquery()
    )
    return select(func.count()).select_from(waiting).scalar_subquery()


def queue_summaries(user: User, targets_minutes: dict[int, int]) -> list[QueueSummary]:
    """Capped counts and the oldest waiting item per queue this person may open (one query,
    each part answered from the (status, priority, created_at) index)."""
    priorities = reviewable_priorities(user)
    if not priorities:
        return []
    columns: list[ScalarSelect[Any]] = []
    for priority in priorities:
        oldest_waiting = (
            select(func.min(Submission.created_at))
            .where(Submission.status == SubmissionStatus.PENDING,
                   Submission.priority == priority)
            .scalar_subquery()
        )
        columns += [waiting_count(priority), oldest_waiting]
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
