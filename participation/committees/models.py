"""Children's consultative committees: standing groups, their sessions and the group's input.

No child is named anywhere in this domain: a session holds counts (children present, per age
band, consents), the group's positions and statements, and photos of the children's work that
a facilitator confirmed show no face or name. Statements and photo captions become ordinary
submissions (``source = committee``) when the session is submitted, so they go through the same
screening, queues and safeguarding as any child's idea.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from participation.accounts.models import User
from participation.db import TimestampMixin, UTCDateTime, db, string_enum, utcnow
from participation.plans.models import Plan, Section


class CommitteeKind(enum.StrEnum):
    NATIONAL = "national"
    LOCAL = "local"
    ORGANISATION = "organisation"  # a member organisation's own committee


class CommitteeStatus(enum.StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    CLOSED = "closed"


committee_facilitators = Table(
    "committee_facilitators",
    db.metadata,
    Column("committee_id", ForeignKey("committees.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)


class Committee(TimestampMixin, db.Model):  # type: ignore[name-defined,misc]
    """A standing group of children run by adult facilitators. Organisers and admins manage it;
    a facilitator sees only the committees they run."""

    __tablename__ = "committees"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    # Whether children and exports may see the name; otherwise "a children's committee".
    name_is_public: Mapped[bool] = mapped_column(Boolean, default=False)
    kind: Mapped[CommitteeKind] = mapped_column(string_enum(CommitteeKind))
    # Coarse on purpose ("West Africa", "Quebec"): never a town or a school.
    region: Mapped[str] = mapped_column(String(80))
    # The languages the committee works in, e.g. ["fr", "en"].
    locales: Mapped[list[str]] = mapped_column(JSON, default=list)
    supporting_organisation: Mapped[str] = mapped_column(String(200))
    mandate_starts_on: Mapped[date] = mapped_column(Date)
    mandate_ends_on: Mapped[date | None] = mapped_column(Date, default=None)
    status: Mapped[CommitteeStatus] = mapped_column(
        string_enum(CommitteeStatus), default=CommitteeStatus.ACTIVE
    )
    # The committee's designated safeguarding lead (a staff account with that role).
    lead_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )

    facilitators: Mapped[list[User]] = relationship(
        secondary=committee_facilitators, lazy="selectin", order_by=User.id
    )
    lead: Mapped[User | None] = relationship(foreign_keys=[lead_id])
    sessions: Mapped[list[CommitteeSession]] = relationship(
        back_populates="committee", order_by="CommitteeSession.id"
    )

    def __repr__(self) -> str:
        return f"<Committee {self.public_id} {self.status}>"


class SessionStatus(enum.StrEnum):
    DRAFT = "draft"  # being recorded (resumable at any step)
    CHECKED = "checked"  # read back to the children, who checked it
    SUBMITTED = "submitted"  # statements became submissions; none decided yet
    IN_REVIEW = "in_review"  # reviewers have decided some, not all
    ACCEPTED = "accepted"  # every statement and caption decided; the answer is due
    ANSWERED = "answered"  # the organisation answered (issue 10)
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"  # taken back by the facilitator before review


class SessionStep(enum.StrEnum):
    """The facilitator's flow, in order; a session remembers the furthest step reached."""

    PREPARE = "prepare"
    CONSENT = "consent"
    PARTS = "parts"
    WORK = "work"  # photos of the children's work
    READ_BACK = "read_back"
    ATTEST = "attest"


class Method(enum.StrEnum):
    DISCUSSION = "discussion"
    SHOW_OF_HANDS = "show_of_hands"
    SECRET_VOTE = "secret_vote"  # noqa: S105 (a voting method, not a password)
    DOT_VOTING = "dot_voting"
    RANKING = "ranking"
    DRAWING = "drawing"
    ROLE_PLAY = "role_play"


class AssentText(db.Model):  # type: ignore[name-defined,misc]
    """The short text a facilitator reads to the children before they agree to take part.

    Versioned per language: a session records the version read, so what the children agreed
    to can always be shown again, word for word.
    """

    __tablename__ = "committee_assent_texts"
    __table_args__ = (UniqueConstraint("version", "locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    locale: Mapped[str] = mapped_column(String(8))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CommitteeSession(TimestampMixin, db.Model):  # type: ignore[name-defined,misc]
    """One meeting of a committee, recorded by its facilitator step by step."""

    __tablename__ = "committee_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    committee_id: Mapped[int] = mapped_column(
        ForeignKey("committees.id", ondelete="RESTRICT"), index=True
    )
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="RESTRICT"))
    # The facilitator who records and submits it (a reviewer can never be this person).
    facilitator_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    locale: Mapped[str] = mapped_column(String(8))
    held_on: Mapped[date] = mapped_column(Date)
    methods: Mapped[list[str]] = mapped_column(JSON, default=list)  # Method values
    status: Mapped[SessionStatus] = mapped_column(
        string_enum(SessionStatus), default=SessionStatus.DRAFT, index=True
    )
    step: Mapped[SessionStep] = mapped_column(
        string_enum(SessionStep), default=SessionStep.PREPARE
    )

    # Consent: counts only, never a name. Age counts must add up to children_present, and
    # child assent must equal it, or the session cannot go on.
    children_present: Mapped[int | None] = mapped_column(SmallInteger, default=None)
    aged_8_10: Mapped[int | None] = mapped_column(SmallInteger, default=None)
    aged_11_13: Mapped[int | None] = mapped_column(SmallInteger, default=None)
    aged_14_17: Mapped[int | None] = mapped_column(SmallInteger, default=None)
    guardian_consents: Mapped[int | None] = mapped_column(SmallInteger, default=None)
    child_assents: Mapped[int | None] = mapped_column(SmallInteger, default=None)
    may_quote: Mapped[bool | None] = mapped_column(Boolean, default=None)
    may_photograph_work: Mapped[bool | None] = mapped_column(Boolean, default=None)
    paper_forms_kept_at: Mapped[str | None] = mapped_column(String(200), default=None)
    paper_forms_kept_until: Mapped[date | None] = mapped_column(Date, default=None)
    assent_text_id: Mapped[int | None] = mapped_column(
        ForeignKey("committee_assent_texts.id"), default=None
    )

    # Read back: the children checked "what we will send" (after corrections, if any).
    read_back_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    corrected_at_read_back: Mapped[bool] = mapped_column(Boolean, default=False)

    # Attestation: the facilitator's own account of the session (staff words).
    account: Mapped[str | None] = mapped_column(Text, default=None)
    all_could_speak: Mapped[bool | None] = mapped_column(Boolean, default=None)
    not_told_what_to_say: Mapped[bool | None] = mapped_column(Boolean, default=None)

    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # When the organisation's answer is due (COMMITTEE_ANSWER_DAYS after acceptance).
    answer_due_on: Mapped[date | None] = mapped_column(Date, default=None)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    committee: Mapped[Committee] = relationship(back_populates="sessions")
    plan: Mapped[Plan] = relationship()
    facilitator: Mapped[User] = relationship(foreign_keys=[facilitator_id])
    assent_text: Mapped[AssentText | None] = relationship()
    parts: Mapped[list[SessionPart]] = relationship(
        back_populates="session", order_by="SessionPart.position", cascade="all, delete-orphan"
    )
    statements: Mapped[list[Statement]] = relationship(
        back_populates="session", order_by="Statement.id", cascade="all, delete-orphan"
    )
    photos: Mapped[list[SessionPhoto]] = relationship(
        back_populates="session", order_by="SessionPhoto.id", cascade="all, delete-orphan"
    )

    @property
    def is_editable(self) -> bool:
        """Only a draft (or a checked draft being corrected) may change."""
        return self.status in (SessionStatus.DRAFT, SessionStatus.CHECKED)

    def __repr__(self) -> str:
        return f"<CommitteeSession {self.public_id} {self.status}>"


class GroupPosition(enum.StrEnum):
    AGREE = "agree"
    MIXED = "mixed"
    DISAGREE = "disagree"
    NOT_UNDERSTOOD = "not_understood"


class SessionPart(db.Model):  # type: ignore[name-defined,misc]
    """One plan part discussed in a session, and what the group made of it."""

    __tablename__ = "committee_session_parts"
    __table_args__ = (UniqueConstraint("session_id", "section_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("committee_sessions.id", ondelete="CASCADE"), index=True
    )
    section_id: Mapped[int] = mapped_column(ForeignKey("sections.id", ondelete="RESTRICT"))
    position: Mapped[int] = mapped_column(SmallInteger)  # order of discussion
    group_position: Mapped[GroupPosition | None] = mapped_column(
        string_enum(GroupPosition), default=None
    )
    # Vote tallies when a vote was held: {"agree": n, "disagree": n, "abstain": n}.
    votes: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    # The group's priority for this part (1 = most important), when they ranked parts.
    rank: Mapped[int | None] = mapped_column(SmallInteger, default=None)
    # Words the children found hard, as they said them (comma-separated).
    hard_words: Mapped[str | None] = mapped_column(Text, default=None)

    session: Mapped[CommitteeSession] = relationship(back_populates="parts")
    section: Mapped[Section] = relationship()


class StatementKind(enum.StrEnum):
    RECOMMENDATION = "recommendation"
    QUESTION = "question"
    MINORITY_VIEW = "minority_view"


class StatementVoice(enum.StrEnum):
    """Whose words these are: the children's own, the facilitator's paraphrase, a translation."""

    OWN_WORDS = "own_words"
    PARAPHRASE = "paraphrase"
    TRANSLATION = "translation"


class ShareOfGroup(enum.StrEnum):
    """How many held a view, in words that cannot single a child out (never a number)."""

    ONE_OR_TWO = "one_or_two"
    SOME = "some"
    ABOUT_HALF = "about_half"
    MOST = "most"
    ALL = "all"


class Statement(TimestampMixin, db.Model):  # type: ignore[name-defined,misc]
    """A recommendation, question or minority view of the group; ``section_id`` None is
    "something missing". On submit it becomes a submission and is reviewed like an idea."""

    __tablename__ = "committee_statements"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("committee_sessions.id", ondelete="CASCADE"), index=True
    )
    section_id: Mapped[int | None] = mapped_column(
        ForeignKey("sections.id", ondelete="RESTRICT"), default=None
    )
    kind: Mapped[StatementKind] = mapped_column(string_enum(StatementKind))
    voice: Mapped[StatementVoice] = mapped_column(string_enum(StatementVoice))
    share: Mapped[ShareOfGroup | None] = mapped_column(string_enum(ShareOfGroup), default=None)
    body: Mapped[str] = mapped_column(Text)
    submission_id: Mapped[int | None] = mapped_column(
        ForeignKey("submissions.id", ondelete="SET NULL"), unique=True, default=None
    )

    session: Mapped[CommitteeSession] = relationship(back_populates="statements")
    section: Mapped[Section | None] = relationship()


class SessionPhoto(TimestampMixin, db.Model):  # type: ignore[name-defined,misc]
    """A photo of the children's work, re-encoded without any metadata (the upload is never
    kept). The facilitator confirmed it shows no face or name; the caption is the children's."""

    __tablename__ = "committee_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("committee_sessions.id", ondelete="CASCADE"), index=True
    )
    section_id: Mapped[int | None] = mapped_column(
        ForeignKey("sections.id", ondelete="RESTRICT"), default=None
    )
    image: Mapped[bytes] = mapped_column(LargeBinary)
    media_type: Mapped[str] = mapped_column(String(32))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    caption: Mapped[str | None] = mapped_column(Text, default=None)
    no_faces_or_names: Mapped[bool] = mapped_column(Boolean, default=False)
    # The caption's submission (reviewed like a statement); the image itself is staff-only
    # until that submission is approved.
    submission_id: Mapped[int | None] = mapped_column(
        ForeignKey("submissions.id", ondelete="SET NULL"), unique=True, default=None
    )

    session: Mapped[CommitteeSession] = relationship(back_populates="photos")
    section: Mapped[Section | None] = relationship()
