"""The organisers' overview of committee input on the current plan: per part, how each
committee's group positioned itself (counts of sessions, never children), which parts each
committee discussed and which none did, and the statements an adult approved.

Organisers read approved content only: sessions count once they were sent to the organisation
(drafts and withdrawn sessions never), and a statement's words appear only as the approved,
published text of its submission. Nothing about consent is read here.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select

from participation.committees.models import (
    Committee,
    CommitteeSession,
    CommitteeStatus,
    GroupPosition,
    SessionPart,
    ShareOfGroup,
    Statement,
    StatementKind,
    StatementVoice,
)
from participation.committees.registry import SENT_STATUSES
from participation.db import db
from participation.feedback.models import Submission, SubmissionSource, SubmissionStatus
from participation.plans.queries import get_plan_view


@dataclass(frozen=True)
class CommitteeRef:
    """A committee as organisers know it (its real name: they manage it)."""

    id: int
    public_id: str
    name: str
    status: CommitteeStatus


@dataclass(frozen=True)
class PositionRow:
    """One committee's positions on one part: how many of its sessions took each."""

    committee: CommitteeRef
    counts: dict[GroupPosition, int]
    unrecorded: int  # sessions that discussed the part without recording a position

    @property
    def sessions(self) -> int:
        return sum(self.counts.values()) + self.unrecorded


@dataclass(frozen=True)
class ApprovedStatement:
    """A statement as an adult approved it for publication."""

    committee: CommitteeRef
    held_on: date
    kind: StatementKind
    voice: StatementVoice
    share: ShareOfGroup | None
    text: str


@dataclass(frozen=True)
class PartOverview:
    section_id: int
    number: int
    title: str
    positions: list[PositionRow] = field(default_factory=list)
    statements: list[ApprovedStatement] = field(default_factory=list)

    @property
    def totals(self) -> dict[GroupPosition, int]:
        return {position: sum(row.counts[position] for row in self.positions)
                for position in GroupPosition}


@dataclass(frozen=True)
class Coverage:
    """Which parts one committee discussed in the sessions it sent."""

    committee: CommitteeRef
    sessions: int
    parts: list[PartOverview]


@dataclass(frozen=True)
class Overview:
    plan_title: str
    parts: list[PartOverview]
    coverage: list[Coverage]
    uncovered: list[PartOverview]  # parts no committee discussed
    missing: list[ApprovedStatement]  # "something missing" statements, not about one part
    elsewhere: list[ApprovedStatement]  # about parts no longer in the plan


def committee_overview(locale: str) -> Overview | None:
    """The overview for the current plan, titles in ``locale``; None when no plan is loaded."""
    plan = get_plan_view(locale)
    if plan is None:
        return None
    committees = {
        row.id: CommitteeRef(row.id, row.public_id, row.name, row.status)
        for row in db.session.execute(
            select(Committee.id, Committee.public_id, Committee.name, Committee.status)
            .order_by(Committee.name, Committee.id))
    }
    parts = [PartOverview(plan.section_ids[s.slug], s.number, s.title) for s in plan.sections]
    by_section = {part.section_id: part for part in parts}
    sent = (CommitteeSession.plan_id == plan.id, CommitteeSession.status.in_(SENT_STATUSES))

    sessions_sent: dict[int, int] = {
        committee_id: count for committee_id, count in db.session.execute(
            select(CommitteeSession.committee_id, func.count(CommitteeSession.id))
            .where(*sent).group_by(CommitteeSession.committee_id))
    }

    # Sessions per committee, part and position (None: discussed, no position recorded).
    counts: dict[tuple[int, int], dict[GroupPosition | None, int]] = defaultdict(dict)
    for committee_id, section_id, position, count in db.session.execute(
        select(CommitteeSession.committee_id, SessionPart.section_id, SessionPart.group_position,
               func.count(SessionPart.id))
        .join(SessionPart, SessionPart.session_id == CommitteeSession.id)
        .where(*sent)
        .group_by(CommitteeSession.committee_id, SessionPart.section_id,
                  SessionPart.group_position)
    ):
        counts[(committee_id, section_id)][position] = count

    discussed: dict[int, list[PartOverview]] = defaultdict(list)
    for committee_id, committee in committees.items():
        for part in parts:
            found = counts.get((committee_id, part.section_id))
            if not found:
                continue
            discussed[committee_id].append(part)
            part.positions.append(PositionRow(
                committee, {p: found.get(p, 0) for p in GroupPosition}, found.get(None, 0)))

    missing: list[ApprovedStatement] = []
    elsewhere: list[ApprovedStatement] = []
    for about, committee_id, held_on, kind, voice, share, body in db.session.execute(
        select(Statement.section_id, CommitteeSession.committee_id, CommitteeSession.held_on,
               Statement.kind, Statement.voice, Statement.share, Submission.published_body)
        .join(Submission, Submission.id == Statement.submission_id)
        .join(CommitteeSession, CommitteeSession.id == Statement.session_id)
        .where(CommitteeSession.plan_id == plan.id,
               Submission.status == SubmissionStatus.APPROVED,
               Submission.source == SubmissionSource.COMMITTEE,
               Submission.published_body.is_not(None))
        .order_by(CommitteeSession.held_on, Statement.id)
    ):
        statement = ApprovedStatement(committees[committee_id], held_on, kind, voice, share,
                                      body or "")
        if about is None:
            missing.append(statement)
        elif about in by_section:
            by_section[about].statements.append(statement)
        else:
            elsewhere.append(statement)

    coverage = [Coverage(committee, sessions_sent.get(committee_id, 0), discussed[committee_id])
                for committee_id, committee in committees.items()]
    return Overview(
        plan_title=plan.title, parts=parts, coverage=coverage,
        uncovered=[part for part in parts if not part.positions],
        missing=missing, elsewhere=elsewhere,
    )
