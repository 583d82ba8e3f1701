"""What children send: ideas (submissions) and one-tap reactions.

No names, emails, addresses or user agents are stored. A child is known only by the HMAC of a
random token kept in their session cookie, so "my ideas" works without an account.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participation.db import TimestampMixin, UTCDateTime, db, string_enum
from participation.plans.models import Plan, Section
from participation.screening.rules import PERSONAL_INFO
from participation.screening.services import Priority


class SubmissionStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for an adult; never shown to other children
    APPROVED = "approved"  # shown under its part (published_body only)
    REJECTED = "rejected"  # not shared; the child sees a kind reason
    # A possible disclosure (urgent or escalated) that is not shared: a safeguarding lead has
    # read it. The child sees a caring message and a helpline, never a rejection reason.
    SAFEGUARDED = "safeguarded"
    WITHDRAWN = "withdrawn"  # taken back by the child; text deleted


class SubmissionSource(enum.StrEnum):
    CHILD = "child"  # typed by a child on the tablet
    COMMITTEE = "committee"  # a committee's statement or photo caption, sent by its facilitator


class AgeBand(enum.StrEnum):
    AGE_8_10 = "8-10"
    AGE_11_13 = "11-13"
    AGE_14_17 = "14-17"


class RejectionReason(enum.StrEnum):
    """Why an idea was not shared; each maps to a kind sentence the child reads in "my ideas"."""

    PERSONAL_DETAILS = "personal_details"
    OFF_TOPIC = "off_topic"
    UNKIND = "unkind"
    REPEATED = "repeated"
    NOT_UNDERSTOOD = "not_understood"


class ReactionKind(enum.StrEnum):
    AGREE = "agree"
    UNSURE = "unsure"
    DISAGREE = "disagree"
    CONFUSED = "confused"


class Submission(TimestampMixin, db.Model):  # type: ignore[name-defined,misc]
    """One idea. ``body`` is the child's words, deleted on withdrawal or after retention."""

    __tablename__ = "submissions"
    __table_args__ = (
        # The review queues: status, then priority (urgent first), then age.
        Index("ix_submissions_queue", "status", "priority", "created_at"),
        Index("ix_submissions_section_status", "section_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Random, unguessable id used in URLs (never the sequential id).
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    # None: the "something missing?" idea not tied to a part.
    # The plan revision the child was reading (None: sent before revisions existed).
    revision_id: Mapped[int | None] = mapped_column(
        ForeignKey("plan_revisions.id", ondelete="SET NULL"), default=None, index=True
    )
    section_id: Mapped[int | None] = mapped_column(
        ForeignKey("sections.id", ondelete="SET NULL"), default=None
    )
    source: Mapped[SubmissionSource] = mapped_column(
        string_enum(SubmissionSource), default=SubmissionSource.CHILD
    )
    locale: Mapped[str] = mapped_column(String(8))
    age_band: Mapped[AgeBand | None] = mapped_column(string_enum(AgeBand), default=None)
    body: Mapped[str | None] = mapped_column(Text)
    status: Mapped[SubmissionStatus] = mapped_column(
        string_enum(SubmissionStatus), default=SubmissionStatus.PENDING
    )
    priority: Mapped[int] = mapped_column(SmallInteger, default=0)
    # The screening result without any of the child's words: flags, spans, reasons.
    screening: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    # A hash of the screening rules (and model) that screened it: hosts must agree.
    screening_version: Mapped[str | None] = mapped_column(String(16), default=None)
    suggested_redaction: Mapped[str | None] = mapped_column(Text, default=None)
    child_token_hash: Mapped[str | None] = mapped_column(String(64), index=True, default=None)
    # HMAC of the idea code the child was given ("check my idea" on any device); the code
    # itself is stored nowhere.
    code_hash: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)
    idempotency_key: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)
    # What other children see once approved (may be a redacted version of body).
    published_body: Mapped[str | None] = mapped_column(Text, default=None)
    rejection_reason: Mapped[str | None] = mapped_column(String(32), default=None)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # Review (moderation domain): who holds the item, until when, and who decided.
    claimed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    claim_expires_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime(), default=None
    )
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    # A committee's statement or caption: the facilitator who submitted it, who may never
    # review it (None for a child's own idea).
    submitted_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # When a safeguarding lead judged a flagged item not to be a disclosure and sent it back to
    # the ordinary review (the reason is in the audit log).
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # The reviewer's note for the safeguarding lead (staff words; restricted like the item).
    escalation_note: Mapped[str | None] = mapped_column(Text, default=None)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    text_deleted_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime(), default=None
    )

    plan: Mapped[Plan] = relationship()
    section: Mapped[Section | None] = relationship()

    @property
    def is_urgent(self) -> bool:
        """Screening saw a possible disclosure (whatever a lead later decided)."""
        return bool(self.screening and self.screening.get("urgent"))

    @property
    def is_worrying(self) -> bool:
        """In a safeguarding lead's hands, or kept from sharing by one: the child is answered
        with care and help, and its words are not shown again on a shared tablet."""
        return (self.status == SubmissionStatus.SAFEGUARDED
                or (self.status == SubmissionStatus.PENDING
                    and self.priority >= Priority.ESCALATED))

    @property
    def is_redacted(self) -> bool:
        """Shared in a version an adult edited (to hide who wrote it): its author is told."""
        return (self.status == SubmissionStatus.APPROVED and self.body is not None
                and self.published_body is not None and self.published_body != self.body)

    @property
    def has_personal_details(self) -> bool:
        """Screening saw details that could show who wrote it: they are hidden before sharing."""
        return PERSONAL_INFO in ((self.screening or {}).get("flags") or [])

    def delete_text(self, when: datetime) -> None:
        """Remove every copy of the child's words; the row stays for counts and the audit."""
        self.body = None
        self.suggested_redaction = None
        self.published_body = None
        self.text_deleted_at = when

    def __repr__(self) -> str:
        return f"<Submission {self.public_id} {self.status} p{self.priority}>"


class Reaction(TimestampMixin, db.Model):  # type: ignore[name-defined,misc]
    """A child's one-tap reaction to a part; changing it updates the same row."""

    __tablename__ = "reactions"
    __table_args__ = (UniqueConstraint("section_id", "child_token_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    section_id: Mapped[int] = mapped_column(
        ForeignKey("sections.id", ondelete="CASCADE"), index=True
    )
    child_token_hash: Mapped[str] = mapped_column(String(64))
    kind: Mapped[ReactionKind] = mapped_column(string_enum(ReactionKind))
    locale: Mapped[str] = mapped_column(String(8))
    age_band: Mapped[AgeBand | None] = mapped_column(string_enum(AgeBand), default=None)
    # The plan revision the child was reading when they last reacted.
    revision_id: Mapped[int | None] = mapped_column(
        ForeignKey("plan_revisions.id", ondelete="SET NULL"), default=None, index=True
    )

    def __repr__(self) -> str:
        return f"<Reaction section={self.section_id} {self.kind}>"
