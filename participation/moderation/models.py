"""Safeguarding concerns: a restricted, append-only record of what was seen, decided and done.

A concern is opened by a safeguarding lead from an urgent or escalated item, or raised by a
committee's facilitator when a child disclosed something in the room. Entries are only
ever added (notes, referrals, status changes, the closing outcome); every time someone opens a
concern a view row is written. The item itself is never published or exported.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participation.db import AppendOnly, Undeletable, UTCDateTime, db, string_enum, utcnow


class EntryKind(enum.StrEnum):
    NOTE = "note"  # what was seen or decided
    REFERRAL = "referral"  # a referral made (to whom, reference)
    ACTION = "action"  # something done (called the school, met the child...)
    CLOSED = "closed"  # the outcome


class Concern(Undeletable, db.Model):  # type: ignore[name-defined,misc]
    """About a submission (what a child or a committee wrote) or about a committee session (a
    disclosure made in the room, never written down): exactly one of the two."""

    __tablename__ = "concerns"
    __table_args__ = (
        CheckConstraint(
            "(submission_id IS NULL) <> (committee_session_id IS NULL)", name="one_subject"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int | None] = mapped_column(
        ForeignKey("submissions.id", ondelete="RESTRICT"), unique=True, default=None
    )
    committee_session_id: Mapped[int | None] = mapped_column(
        ForeignKey("committee_sessions.id", ondelete="RESTRICT"), index=True, default=None
    )
    # For a room disclosure: the reference under which the supporting organisation keeps the
    # child's details (the app never holds a name).
    case_reference: Mapped[str | None] = mapped_column(String(64), default=None)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    entries: Mapped[list[ConcernEntry]] = relationship(order_by="ConcernEntry.id", lazy="selectin")

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    def __repr__(self) -> str:
        return f"<Concern {self.id} {'open' if self.is_open else 'closed'}>"


class ConcernEntry(AppendOnly, db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "concern_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    concern_id: Mapped[int] = mapped_column(ForeignKey("concerns.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[EntryKind] = mapped_column(string_enum(EntryKind))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def __repr__(self) -> str:
        return f"<ConcernEntry {self.id} {self.kind}>"


class ConcernView(AppendOnly, db.Model):  # type: ignore[name-defined,misc]
    """Who opened a concern, when: restricted records log every reading."""

    __tablename__ = "concern_views"

    id: Mapped[int] = mapped_column(primary_key=True)
    concern_id: Mapped[int] = mapped_column(ForeignKey("concerns.id"), index=True)
    viewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    viewed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    purpose: Mapped[str] = mapped_column(String(32), default="read")
