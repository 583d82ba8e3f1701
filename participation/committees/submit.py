"""Sending a checked session: every statement and photo caption becomes a submission.

Committee words take the very road a child's idea takes: screened on the way in, PENDING until
an adult approves them, urgent ones alerted to the safeguarding leads in the same transaction
(no alert can be lost), and never reviewed by the facilitator who sent them (moderation checks
``submitted_by_id``). Nothing here ever publishes anything.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CursorResult, select, update

from participation.accounts.models import User
from participation.committees.access import runs_committee
from participation.committees.models import CommitteeSession, SessionStatus
from participation.committees.sessions import (
    SessionError,
    attested,
    audit_session,
    consent_complete,
)
from participation.db import db, utcnow
from participation.feedback.models import Submission, SubmissionSource
from participation.feedback.services import screened_values
from participation.jobs.services import enqueue
from participation.plans.models import Plan, PlanRevision
from participation.screening.services import Priority


def _new_submission(session: CommitteeSession, facilitator: User, section_id: int | None,
                    body: str) -> Submission:
    revision_id = db.session.scalar(select(PlanRevision.id).join(
        Plan, Plan.id == PlanRevision.plan_id).where(
        Plan.id == session.plan_id, PlanRevision.number == Plan.version))
    submission = Submission(
        public_id=uuid.uuid4().hex, plan_id=session.plan_id, section_id=section_id,
        revision_id=revision_id,  # the revision of the plan when the group's words are sent
        source=SubmissionSource.COMMITTEE, submitted_by_id=facilitator.id,
        locale=session.locale, age_band=None, child_token_hash=None, idempotency_key=None,
        code_hash=None, **screened_values(body, session.locale),
    )
    db.session.add(submission)
    db.session.flush()
    if submission.priority == Priority.URGENT:
        # Same transaction as the words: stored together or not at all.
        enqueue("alert.urgent", {"submission_id": submission.id})
    return submission


def submit_session(session: CommitteeSession, facilitator: User, *,
                   now: datetime | None = None) -> int:
    """Send a session the children checked and the facilitator attested; returns how many
    submissions were made. A second send (a double tap, another tab) finds the session no
    longer checked and makes nothing: the status change is one conditional UPDATE."""
    if not runs_committee(facilitator, session.committee):
        raise SessionError("forbidden")
    if session.status != SessionStatus.CHECKED:
        raise SessionError("already_submitted" if session.status != SessionStatus.DRAFT
                           else "not_checked")
    if not consent_complete(session):
        raise SessionError("consent_first")
    if not attested(session):
        raise SessionError("not_attested")
    now = now or utcnow()
    db.session.flush()
    result = db.session.execute(
        update(CommitteeSession)
        .where(CommitteeSession.id == session.id,
               CommitteeSession.status == SessionStatus.CHECKED)
        .values(status=SessionStatus.SUBMITTED, submitted_at=now)
        .execution_options(synchronize_session=False)
    )
    if not (isinstance(result, CursorResult) and result.rowcount == 1):
        db.session.refresh(session)
        raise SessionError("already_submitted")
    db.session.refresh(session)
    urgent = 0
    made = 0
    for statement in session.statements:
        submission = _new_submission(session, facilitator, statement.section_id, statement.body)
        statement.submission_id = submission.id
        urgent += submission.priority == Priority.URGENT
        made += 1
    for photo in session.photos:
        if not photo.caption:
            continue
        submission = _new_submission(session, facilitator, photo.section_id, photo.caption)
        photo.submission_id = submission.id
        urgent += submission.priority == Priority.URGENT
        made += 1
    audit_session("committee.session_submitted", session, facilitator, submissions=made,
                  urgent=urgent)
    return made
