"""A classroom session and its live counters. Nothing here points at a child or an idea.

Counts are kept in their own rows (incremented in place) rather than by tagging submissions
and reactions with the classroom: what a child wrote is never linked to a class and a time.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from participation.db import TimestampMixin, UTCDateTime, db, string_enum


class ClassroomMetric(enum.StrEnum):
    JOINED = "joined"  # a tablet joined (again after "I'm finished": a new child)
    PART_OPENED = "part_opened"  # a child opened a part for the first time
    REACTION = "reaction"  # a child's first reaction to a part
    IDEA = "idea"  # an idea stored (a double tap counts once)


class ClassroomSession(TimestampMixin, db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "classroom_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    # What children type or scan: short, unambiguous letters and digits, unique.
    code: Mapped[str] = mapped_column(String(12), unique=True)
    # The facilitator's label for the group ("Year 6, Tuesday"); staff pages only.
    name: Mapped[str] = mapped_column(String(120))
    expected_children: Mapped[int] = mapped_column(Integer)
    locale: Mapped[str] = mapped_column(String(8))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # Set when the facilitator ends the session before its window closes.
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    def is_open(self, now: datetime) -> bool:
        closes = min(self.ends_at, self.ended_at) if self.ended_at else self.ends_at
        return self.starts_at <= now < closes

    def __repr__(self) -> str:
        return f"<ClassroomSession {self.id} {self.code}>"


class ClassroomCount(db.Model):  # type: ignore[name-defined,misc]
    """One counter: a metric for the whole session (``section_id`` 0) or for one part."""

    __tablename__ = "classroom_counts"
    __table_args__ = (UniqueConstraint("classroom_id", "section_id", "metric"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    classroom_id: Mapped[int] = mapped_column(
        ForeignKey("classroom_sessions.id", ondelete="CASCADE"), index=True
    )
    # Not a foreign key: 0 stands for "the whole session" (sections are never deleted).
    section_id: Mapped[int] = mapped_column(Integer, default=0)
    metric: Mapped[ClassroomMetric] = mapped_column(string_enum(ClassroomMetric))
    count: Mapped[int] = mapped_column(Integer, default=0)

    def __repr__(self) -> str:
        return f"<ClassroomCount {self.classroom_id}/{self.section_id} {self.metric}={self.count}>"
