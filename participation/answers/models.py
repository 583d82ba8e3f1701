"""The organisation's answers to children ("you said, we did"): a decision about a part of the
plan, a "something missing" theme or a committee session, told to children in each language,
linked to the ideas and statements it answers, and followed by progress updates.

Children may say with one tap whether an answer was clear and fair; that is stored against the
same HMAC'd device token as their reactions, never a name.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participation.db import TimestampMixin, UTCDateTime, db, string_enum, utcnow


class Decision(enum.StrEnum):
    WILL_DO = "will_do"  # we will do it
    ALREADY_DO = "already_do"  # we already do it
    PARTLY = "partly"  # we will do part of it
    NOT_NOW = "not_now"  # not now (a reason is required)
    CANNOT = "cannot"  # we can't (a reason is required)
    DECIDING = "deciding"  # still deciding

    @property
    def needs_reason(self) -> bool:
        return self in (Decision.NOT_NOW, Decision.CANNOT)


class AnswerSubject(enum.StrEnum):
    PART = "part"  # a part of the plan (section_id)
    MISSING = "missing"  # a "something missing" theme (theme)
    COMMITTEE_SESSION = "committee_session"  # a committee session (committee_session_id)


class AnswerStatus(enum.StrEnum):
    DRAFT = "draft"
    AWAITING_APPROVAL = "awaiting_approval"  # ANSWERS_NEED_SECOND_ORGANISER: another approves
    PUBLISHED = "published"  # children see it
    WITHDRAWN = "withdrawn"  # taken down after publication (kept for the record)


answer_links = Table(
    "answer_links",
    db.metadata,
    Column("answer_id", ForeignKey("answers.id", ondelete="CASCADE"), primary_key=True),
    Column("submission_id", ForeignKey("submissions.id", ondelete="CASCADE"), primary_key=True,
           index=True),
)


class Answer(TimestampMixin, db.Model):  # type: ignore[name-defined,misc]
    """One decision the organisation tells children about."""

    __tablename__ = "answers"
    __table_args__ = (
        CheckConstraint(
            "(subject = 'part' AND section_id IS NOT NULL)"
            " OR (subject = 'missing' AND theme IS NOT NULL)"
            " OR (subject = 'committee_session' AND committee_session_id IS NOT NULL)",
            name="subject_given",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="RESTRICT"), index=True)
    subject: Mapped[AnswerSubject] = mapped_column(string_enum(AnswerSubject, length=24))
    section_id: Mapped[int | None] = mapped_column(
        ForeignKey("sections.id", ondelete="RESTRICT"), index=True, default=None
    )
    # The organisers' short name for a "something missing" theme (staff words, e.g. "sport").
    theme: Mapped[str | None] = mapped_column(String(120), default=None)
    committee_session_id: Mapped[int | None] = mapped_column(
        ForeignKey("committee_sessions.id", ondelete="RESTRICT"), index=True, default=None
    )
    decision: Mapped[Decision] = mapped_column(string_enum(Decision))
    status: Mapped[AnswerStatus] = mapped_column(
        string_enum(AnswerStatus, length=24), default=AnswerStatus.DRAFT, index=True
    )
    written_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    approved_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    texts: Mapped[list[AnswerText]] = relationship(
        back_populates="answer", cascade="all, delete-orphan", lazy="selectin"
    )
    updates: Mapped[list[AnswerUpdate]] = relationship(
        back_populates="answer", cascade="all, delete-orphan", order_by="AnswerUpdate.id"
    )

    def text_in(self, locale: str) -> AnswerText | None:
        return next((text for text in self.texts if text.locale == locale), None)

    def __repr__(self) -> str:
        return f"<Answer {self.public_id} {self.subject} {self.decision} {self.status}>"


class AnswerText(db.Model):  # type: ignore[name-defined,misc]
    """The answer as children read it in one language, with its reading ease when saved."""

    __tablename__ = "answer_texts"
    __table_args__ = (UniqueConstraint("answer_id", "locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    answer_id: Mapped[int] = mapped_column(ForeignKey("answers.id", ondelete="CASCADE"))
    locale: Mapped[str] = mapped_column(String(8))
    body: Mapped[str] = mapped_column(Text)
    # Why, when the decision is "not now" or "can't" (children are owed a reason).
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    reading_ease: Mapped[float | None] = mapped_column(Float, default=None)

    answer: Mapped[Answer] = relationship(back_populates="texts")

    def __repr__(self) -> str:
        return f"<AnswerText {self.answer_id} {self.locale}>"


class AnswerUpdate(db.Model):  # type: ignore[name-defined,misc]
    """Later progress on an answer ("we started", "it is done"), in each language."""

    __tablename__ = "answer_updates"

    id: Mapped[int] = mapped_column(primary_key=True)
    answer_id: Mapped[int] = mapped_column(
        ForeignKey("answers.id", ondelete="CASCADE"), index=True
    )
    written_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    answer: Mapped[Answer] = relationship(back_populates="updates")
    texts: Mapped[list[AnswerUpdateText]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )

    def __repr__(self) -> str:
        return f"<AnswerUpdate {self.id} of {self.answer_id}>"


class AnswerUpdateText(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "answer_update_texts"
    __table_args__ = (UniqueConstraint("update_id", "locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    update_id: Mapped[int] = mapped_column(ForeignKey("answer_updates.id", ondelete="CASCADE"))
    locale: Mapped[str] = mapped_column(String(8))
    body: Mapped[str] = mapped_column(Text)
    reading_ease: Mapped[float | None] = mapped_column(Float, default=None)

    def __repr__(self) -> str:
        return f"<AnswerUpdateText {self.update_id} {self.locale}>"


class AnswerReaction(TimestampMixin, db.Model):  # type: ignore[name-defined,misc]
    """A child's one-tap view of an answer: was it clear? was it fair? (changeable)."""

    __tablename__ = "answer_reactions"
    __table_args__ = (UniqueConstraint("answer_id", "child_token_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    answer_id: Mapped[int] = mapped_column(
        ForeignKey("answers.id", ondelete="CASCADE"), index=True
    )
    child_token_hash: Mapped[str] = mapped_column(String(64))
    clear: Mapped[bool | None] = mapped_column(Boolean, default=None)
    fair: Mapped[bool | None] = mapped_column(Boolean, default=None)

    def __repr__(self) -> str:
        return f"<AnswerReaction {self.answer_id} clear={self.clear} fair={self.fair}>"
