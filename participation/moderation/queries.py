"""Read models for the review pages: queue summaries and a submission's text split by flags."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from participation.accounts.models import User
from participation.db import db, utcnow
from participation.feedback.models import Submission, SubmissionStatus
from participation.moderation.services import reviewable_priorities

QUEUE_NAMES = {2: "urgent", 1: "personal", 0: "ordinary"}


@dataclass(frozen=True)
class QueueSummary:
    priority: int
    name: str
    count: int
    oldest: datetime | None
    target: timedelta

    @property
    def overdue(self) -> bool:
        return self.oldest is not None and utcnow() - self.oldest > self.target


def queue_summaries(user: User, targets_minutes: dict[int, int]) -> list[QueueSummary]:
    """Counts and the oldest waiting item per queue this person may open (one query)."""
    priorities = reviewable_priorities(user)
    rows = {
        priority: (count, oldest)
        for priority, count, oldest in db.session.execute(
            select(Submission.priority, func.count(), func.min(Submission.created_at))
            .where(Submission.status == SubmissionStatus.PENDING,
                   Submission.priority.in_(priorities))
            .group_by(Submission.priority)
        ).all()
    }
    summaries = []
    for priority in priorities:
        count, oldest = rows.get(priority, (0, None))
        if oldest is not None and oldest.tzinfo is None:  # SQLite aggregates lose the zone
            oldest = oldest.replace(tzinfo=utcnow().tzinfo)
        summaries.append(QueueSummary(priority, QUEUE_NAMES[priority], count, oldest,
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
