"""How review decisions move a committee session on (submitted -> in review -> accepted), and
what the committees domain tells the review pages (where a statement comes from, where a room
concern was raised) and the children's part page (approved group input).

Moderation never imports committees: it calls the listener and the sources registered here.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Flask, current_app
from sqlalchemy import CursorResult, func, select, update

from participation.audit.services import record_event
from participation.committees.models import (
    CommitteeSession,
    SessionPhoto,
    SessionStatus,
    Statement,
)
from participation.committees.queries import (
    committee_origin,
    room_session_facts,
    session_of_submission,
)
from participation.db import db, utcnow
from participation.feedback.models import Submission, SubmissionSource, SubmissionStatus
from participation.moderation.queries import register_origin_source, register_session_facts
from participation.moderation.services import register_decision_listener

UNDER_REVIEW = (SessionStatus.SUBMITTED, SessionStatus.IN_REVIEW)


def _set_status(session_id: int, expected: tuple[SessionStatus, ...],
                **values: object) -> bool:
    """One conditional UPDATE from an expected status; True if this call made the change."""
    result = db.session.execute(
        update(CommitteeSession)
        .where(CommitteeSession.id == session_id, CommitteeSession.status.in_(expected))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return isinstance(result, CursorResult) and result.rowcount == 1


def undecided_count(session_id: int) -> int:
    """How many of the session's statements and captions still wait for a decision."""
    statements = select(Statement.submission_id).where(Statement.session_id == session_id)
    captions = select(SessionPhoto.submission_id).where(SessionPhoto.session_id == session_id)
    count = db.session.scalar(
        select(func.count()).select_from(Submission).where(
            Submission.id.in_(statements.union_all(captions).scalar_subquery()),
            Submission.status == SubmissionStatus.PENDING)
    )
    return int(count or 0)


def answer_due(accepted_at: datetime) -> date:
    """COMMITTEE_ANSWER_DAYS after the day of acceptance (in the organisation's time zone)."""
    zone = ZoneInfo(current_app.config["ORG_TIMEZONE"])
    day = accepted_at.astimezone(zone).date()
    return day + timedelta(days=int(current_app.config["COMMITTEE_ANSWER_DAYS"]))


def move_session_on(session_id: int, *, actor_id: int | None = None,
                    now: datetime | None = None) -> SessionStatus | None:
    """After a decision on one of its submissions: the session is in review, and accepted once
    every statement and caption is decided. Returns the status this call set, if any.

    Two reviewers' last decisions may commit at the same moment. The first UPDATE takes the
    session's row lock (the other transaction waits for it), and the count that follows is a
    new statement, so it sees the other's committed decision: exactly one of them accepts
    the session, and neither can leave it in review with nothing left to decide.
    """
    now = now or utcnow()
    first = _set_status(session_id, (SessionStatus.SUBMITTED,), status=SessionStatus.IN_REVIEW)
    if first:
        record_event("committee.session_in_review", actor_id=actor_id,
                     object_type="committee_session", object_id=session_id)
    elif not _set_status(session_id, (SessionStatus.IN_REVIEW,),
                         status=SessionStatus.IN_REVIEW):
        return None  # accepted already, withdrawn, or not a submitted session
    if undecided_count(session_id):
        return SessionStatus.IN_REVIEW if first else None
    if not _set_status(session_id, (SessionStatus.IN_REVIEW,), status=SessionStatus.ACCEPTED,
                       accepted_at=now, answer_due_on=answer_due(now)):
        return None
    record_event("committee.session_accepted", actor_id=actor_id,
                 object_type="committee_session", object_id=session_id)
    return SessionStatus.ACCEPTED


def on_decision(submission: Submission) -> None:
    """Listener: a reviewer or a lead decided a submission; move its session on, if any."""
    if submission.source != SubmissionSource.COMMITTEE:
        return
    session_id = session_of_submission(submission.id)
    if session_id is not None:
        move_session_on(session_id, actor_id=submission.decided_by_id)


def init_app(app: Flask) -> None:
    """Listen to review decisions on committee submissions, and tell the review pages where
    group input comes from."""
    register_decision_listener(app, on_decision)
    register_origin_source(app, committee_origin)
    register_session_facts(app, room_session_facts)
